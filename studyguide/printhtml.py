"""The print HTML (student or teacher edition): the document WeasyPrint lays out, for looking at."""
from __future__ import annotations

from pathlib import Path

from .files import atomic_write
from .model import Guide
from .outputs import Job, named
from .render import render_print


def files(guide: Guide, job: Job) -> list[Path]:
    return [job.out / named("html").file_name(guide.slug, job.options.edition)]


def write(guide: Guide, job: Job) -> dict[Path, list[str]]:
    target, = files(guide, job)
    atomic_write(target, render_print(guide, job.options, job.printing).encode("utf-8"))
    return {}
