"""The guide's PDF (student or teacher edition): the print HTML laid out as a tagged PDF/UA-1.

The layout is handed to the modules that read it (job.extra["layout_readers"]: the page list,
studyguide/pagelist.py, records where each page begins for the EPUB) before the PDF is
written: an interrupted build leaves either the old PDF with its own map or both new.
"""
from __future__ import annotations

import time
from pathlib import Path

from .files import atomic_write
from .model import Guide
from .outputs import Job, named, progress
from .render import render_print
from .weasy import Layout

__all__ = ["Layout", "files", "write"]


def files(guide: Guide, job: Job) -> list[Path]:
    return [job.out / named("pdf").file_name(guide.slug, job.options.edition)]


def write(guide: Guide, job: Job) -> dict[Path, list[str]]:
    target, = files(guide, job)
    progress(f"laying out {target.name} ({job.printing.paper}, {job.printing.profile})")
    started = time.perf_counter()
    html = render_print(guide, job.options, job.printing)
    layout = Layout(html, guide)
    for reader in job.extra.get("layout_readers", ()):
        reader(target, html, layout.document)
    atomic_write(target, layout.pdf())
    progress(f"wrote {target} in {time.perf_counter() - started:.1f} s")
    return {target: layout.warnings}
