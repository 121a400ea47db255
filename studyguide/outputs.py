"""The registry of outputs: every thing the builder writes, declared once.

Each output is one line of REGISTRY: its name (build.py's target and make's), the writer
module that makes it, the file it writes (a pattern of the guide's slug and the edition), the
editions it has, whether it is printed (takes the paper and profile) and the output it reads
(the EPUB reads the page map of its PDF). The command line's choices, `build.py all`, `make
help` and the Makefile's rules come from here (`python3 studyguide/outputs.py make-rules`);
tests/test_registry.py checks that they agree.

A writer module keeps to one contract:

    files(guide, job) -> list[Path]              the files it writes for the guide and the job
    write(guide, job) -> dict[Path, list[str]]   writes them; the warnings of each file it checked

and `build()` below is the one place that prints the warnings, writes their sidecars
(`.NAME.warnings`, which `make check` fails on) and lets --strict fail the build.

This module imports nothing outside the standard library at the top: Make reads it with the
system's Python, before the project's virtualenv exists.
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

EDITIONS = ("student", "teacher")


@dataclass(frozen=True)
class Output:
    name: str
    writer: str  # the module with files() and write()
    file: str  # what it writes, from OUT: {slug}, {teacher} ("-teacher" in the teacher edition), {teacher_folder}
    help: str  # for make help: {file} is the student edition's file
    editions: tuple[str, ...] = EDITIONS
    default_editions: tuple[str, ...] = ("student",)  # built when no --edition is given
    printed: bool = False  # takes the print options: paper and profile
    after: str = ""  # the output whose file this one reads: Make builds it first
    own_rule: bool = False  # its Make rule is written in the Makefile (checked by the tests), not generated
    layout_readers: tuple[str, ...] = ()  # "module:function"s the writer hands its layout to

    def file_name(self, slug: str, edition: str) -> str:
        teacher = edition == "teacher"
        return self.file.format(slug=slug, teacher="-teacher" if teacher else "", teacher_folder="teacher/" if teacher else "")


REGISTRY = (
    Output("pdf", "studyguide.pdf", "{slug}{teacher}.pdf", "build {file} (sets up .venv and system packages on first run)",
           printed=True, own_rule=True, layout_readers=("studyguide.pagelist:record_layout",)),
    Output("epub", "studyguide.epub", "{slug}{teacher}.epub",
           "build {file} (after the PDF, whose pages its page list marks)", after="pdf", own_rule=True),
    Output("html", "studyguide.printhtml", "{slug}{teacher}.html", "build {file}, the exact document WeasyPrint lays out",
           printed=True, own_rule=True),
    Output("handouts", "studyguide.handouts", "{slug}-handouts/{teacher_folder}",
           "one PDF per lesson in {file}, all-handouts.pdf, answer keys in its teacher/",
           default_editions=EDITIONS, printed=True, own_rule=True),
    Output("flashcards", "studyguide.flashcards", "{slug}-flashcards.pdf",
           "build {file}: glossary cards to cut apart, printed on both sides (long edge)",
           editions=("student",), printed=True),
)


def named(name: str) -> Output:
    return next(o for o in REGISTRY if o.name == name)


@dataclass(frozen=True)
class Job:
    """What one output is asked to write: where, in which edition, on what paper."""

    out: Path
    options: object  # render.Options: edition and date, for every output
    printing: object = None  # render.PrintOptions (paper, profile) for a printed output or the EPUB's PDF
    chapters: tuple[str, ...] = ()  # handouts: only these chapters (stems); all when empty
    extra: dict = field(default_factory=dict)  # what another module hands over (the PDF's layout readers)


def progress(message: str) -> None:
    print(f"[studyguide] {message}", file=sys.stderr, flush=True)


def writer(output: Output):
    return importlib.import_module(output.writer)


def build(output: Output, guide, job: Job) -> list[str]:
    """Write one output; print its warnings and keep them beside each file they belong to.
    Returns the warnings, for --strict to fail on."""
    from .files import atomic_write

    readers = [getattr(importlib.import_module(m), f) for m, f in (r.split(":") for r in output.layout_readers)]
    found = writer(output).write(guide, replace(job, extra={**job.extra, "layout_readers": readers}))
    warnings = []
    for target, messages in found.items():
        for message in messages:
            print(f"warning: {message}", file=sys.stderr)
        sidecar = target.with_name(f".{target.name}.warnings")
        atomic_write(sidecar, "".join(f"{m}\n" for m in messages).encode("utf-8"))
        warnings += messages
    return warnings


# --- Make ------------------------------------------------------------------------------------
# The Makefile evaluates `make-rules` (one line, ¶ for each newline, as $(shell) joins lines):
# the targets of `make all` and `make help`, and a rule for each output without its own.

def make_file(output: Output, edition: str) -> str:
    return "$(O)/" + output.file_name("$(SLUG)", edition).rstrip("/")


def make_rule(output: Output) -> list[str]:
    """`make NAME` builds the student edition (or the only one); every edition has its rule,
    after the file of the output it reads, in the same edition."""
    files = [make_file(output, e) for e in output.editions]
    lines = [f"{output.name}: {files[0]}", f".PHONY: {output.name}", f".PRECIOUS: {' '.join(files)}"]
    for edition, target in zip(output.editions, files):
        needs = ["$(GUIDE_FILES) $(CODE) $(wildcard styles/*.css)"] + (["$(OPTIONS_FILE)"] if output.printed else [])
        needs += [make_file(named(output.after), edition)] if output.after else []
        lines.append(f"{target}: {' '.join(needs)} | $(STAMP) ; "
                     f"$(PY) build.py {output.name} --edition {edition} $(BUILD_ARGS)")
    return lines


def make_rules() -> str:
    every = [make_file(o, e) for o in REGISTRY for e in o.editions if not o.own_rule]
    lines = [f"REGISTERED_FILES := {' '.join(every)}", f"REGISTERED := {' '.join(o.name for o in REGISTRY)}"]
    for output in REGISTRY:
        if not output.own_rule:
            lines += make_rule(output)
    return "¶".join(lines)


def make_help(out: str, slug: str) -> str:
    width = max(len(o.name) for o in REGISTRY) + 2
    return "\n".join(f"  make {o.name.ljust(width)}{o.help.format(file=f'{out}/' + o.file_name(slug, 'student'))}"
                     for o in REGISTRY)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "make-rules":
        print(make_rules())
    elif command == "make-help" and len(sys.argv) == 4:
        print(make_help(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: outputs.py make-rules | make-help OUT SLUG")
