"""Per-lesson handouts: one PDF per chapter, with a notes page when that makes its page count
even, plus one combined print job. Their teacher edition is the answer keys."""
from __future__ import annotations

import io
from pathlib import Path

from .files import atomic_write
from .model import Chapter, Guide
from .outputs import Job, progress
from .render import Options, PrintOptions, render_handout
from .weasy import Layout

COMBINED = "all-handouts.pdf"


def handout_folder(out: Path, guide: Guide, options: Options) -> Path:
    """OUT/<slug>-handouts/, answer keys in its teacher/: guides built into one OUT never mix."""
    return out / f"{guide.slug}-handouts" / ("teacher" if options.teacher else "")


def handout_path(out: Path, guide: Guide, chapter: Chapter, options: Options) -> Path:
    """Named after the chapter file (01-background.pdf), so Make can map one to the other."""
    return handout_folder(out, guide, options) / f"{chapter.source_path.stem}.pdf"


def chosen_chapters(guide: Guide, job: Job) -> list[Chapter]:
    """The chapters of --chapter (their stems), or all."""
    by_stem = {c.source_path.stem: c for c in guide.chapters}
    unknown = [s for s in job.chapters if s not in by_stem]
    if unknown:
        raise SystemExit(f"build.py: unknown chapter {', '.join(unknown)} (chapters: {', '.join(by_stem)})")
    return [by_stem[s] for s in job.chapters] or list(guide.chapters)


def files(guide: Guide, job: Job) -> list[Path]:
    return [handout_path(job.out, guide, c, job.options) for c in chosen_chapters(guide, job)]


def write(guide: Guide, job: Job) -> dict[Path, list[str]]:
    """The handouts (or answer keys) of the chosen chapters, then all of them joined, once every
    chapter has its own (a partial first build has nothing complete to join yet)."""
    chosen = chosen_chapters(guide, job)
    found = {}
    for chapter in chosen:
        target = handout_path(job.out, guide, chapter, job.options)
        found[target] = write_handout(guide, chapter, job.options, target, job.printing)
    parts = [handout_path(job.out, guide, c, job.options) for c in guide.chapters]
    if all(p.exists() for p in parts):
        combine(parts, handout_folder(job.out, guide, job.options) / COMBINED)
    made = "answer keys" if job.options.teacher else "handouts"
    count = f"{len(chosen)} chapter" + ("s" if len(chosen) != 1 else "")
    progress(f"wrote the {made} of {count} to {handout_folder(job.out, guide, job.options)}")
    return found


def write_handout(guide: Guide, chapter: Chapter, options: Options, target: Path,
                  printing: PrintOptions = PrintOptions()) -> list[str]:
    """Lay out one handout; if it fills an odd number of pages, put a notes page (laid out on its
    own, a page's work) after it, so that double-sided copies never put two lessons on one sheet.
    Return the warnings (page budget, layout)."""
    layout = Layout(render_handout(guide, chapter, options, printing), guide)
    warnings = list(layout.warnings)
    budget = guide.handouts.page_budget
    if budget and layout.pages > budget and not options.teacher:
        warnings.append(f"{chapter.source_path}: handout for chapter {chapter.number} ‘{chapter.title}’ has "
                        f"{layout.pages} pages, over the page budget of {budget}")
    notes = []
    if layout.pages % 2:
        notes = [Layout(render_handout(guide, chapter, options, printing, notes_only=True), guide)]
        warnings += [w for w in notes[0].warnings if w not in warnings]
        if notes[0].pages != 1:
            warnings.append(f"{chapter.source_path}: the notes page of the {kind(options)} of chapter "
                            f"{chapter.number} did not fit on one page: it has {notes[0].pages} pages, "
                            "and will not print on whole sheets")
    atomic_write(target, layout.pdf(*notes))
    return warnings


def kind(options: Options) -> str:
    return "answer key" if options.teacher else "handout"


def combine(paths: list[Path], target: Path) -> None:
    """One PDF of all handouts for a single print job (each part already has an even page count)."""
    import pikepdf

    combined = pikepdf.new()
    sources = [pikepdf.open(p) for p in paths]
    try:
        for source in sources:
            combined.add_pages_from(source)  # with the named destinations its links go to
        combined.docinfo["/Title"] = "All handouts"
        buffer = io.BytesIO()
        combined.save(buffer, deterministic_id=True)
    finally:
        for source in sources:
            source.close()
    atomic_write(target, buffer.getvalue())
