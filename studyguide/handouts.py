"""Per-lesson handouts: one PDF per chapter, with a notes page when that makes its page count
even, plus one combined print job."""
from __future__ import annotations

import io
from pathlib import Path

from .files import atomic_write
from .model import Chapter, Guide
from .pdf import Layout
from .render import Options, render_handout

COMBINED = "all-handouts.pdf"


def handout_folder(out: Path, guide: Guide, options: Options) -> Path:
    """OUT/<slug>-handouts/, answer keys in its teacher/: guides built into one OUT never mix."""
    return out / f"{guide.slug}-handouts" / ("teacher" if options.teacher else "")


def handout_path(out: Path, guide: Guide, chapter: Chapter, options: Options) -> Path:
    """Named after the chapter file (01-background.pdf), so Make can map one to the other."""
    return handout_folder(out, guide, options) / f"{chapter.source_path.stem}.pdf"


def write_handout(guide: Guide, chapter: Chapter, options: Options, target: Path) -> list[str]:
    """Lay out one handout; if it fills an odd number of pages, lay it out again with a notes
    page at the end, so that double-sided copies never put two lessons on one sheet. Return the
    warnings (page budget, layout)."""
    layout = Layout(render_handout(guide, chapter, options), guide)
    warnings = list(layout.warnings)
    budget = guide.handouts.page_budget
    if budget and layout.pages > budget and not options.teacher:
        warnings.append(f"{chapter.source_path}: handout for chapter {chapter.number} ‘{chapter.title}’ has "
                        f"{layout.pages} pages, over the page budget of {budget}")
    if layout.pages % 2:
        layout = Layout(render_handout(guide, chapter, options, notes_page=True), guide)
        warnings += [w for w in layout.warnings if w not in warnings]
        if layout.pages % 2:
            warnings.append(f"{chapter.source_path}: the notes page of the {kind(options)} of chapter "
                            f"{chapter.number} did not fit on one page: it has {layout.pages} pages, "
                            "and will not print on whole sheets")
    atomic_write(target, layout.pdf())
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
