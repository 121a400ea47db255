"""Glossary flashcards: a sheet of cards to cut apart, the term on the front, its definition on
the back, for double-sided printing that turns on the long edge.

Each sheet is two pages: the fronts of up to ROWS × COLUMNS cards, then their backs. The backs
are in the same order in the document (what a screen reader reads), and float from the right
(styles/flashcards.css): the mirror of the fronts, so that when the sheet is turned over on
its long edge each back lies behind its front. A definition too long for its card is a warning.
"""
from __future__ import annotations

import re
from pathlib import Path

from markupsafe import Markup

from . import cite
from .files import atomic_write
from .markup import LINK_TAG_RE
from .medium import HANDOUT
from .model import Guide
from .outputs import Job, named, progress
from .render import Stylesheets, environment, page_css
from .weasy import Layout

COLUMNS, ROWS = 2, 4
SHEETS = Stylesheets("flashcards.css")  # no teacher edition; large print is not a card's size


def files(guide: Guide, job: Job) -> list[Path]:
    return [job.out / named("flashcards").file_name(guide.slug, job.options.edition)]


def without_links(html: Markup) -> Markup:
    """A definition's text without its links: a card has no glossary to go to."""
    return Markup(LINK_TAG_RE.sub("", str(html)))


def render_flashcards(guide: Guide, job: Job) -> str:
    html = environment().get_template("flashcards/flashcards.html.j2").render(
        guide=guide, options=job.options, sheets=list(batches(guide.glossary, COLUMNS * ROWS)),
        css=Markup(page_css(SHEETS, job.options, job.printing)), created=job.options.created(guide),
        plain=without_links)
    return str(cite.fill(Markup(html), guide, HANDOUT))


def batches(items, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def overflowing(document) -> list[str]:
    """The terms (data-term) of the cards whose text runs past the card's bottom edge."""
    found = []

    def bottom(box) -> float:
        return max([box.position_y + box.margin_height()] + [bottom(c) for c in getattr(box, "children", ())])

    def walk(box) -> None:
        element = getattr(box, "element", None)
        if element is not None and "card" in (element.get("class") or "").split() and box.element_tag == "div":
            edge = box.position_y + box.margin_height()
            if any(bottom(c) > edge + 0.5 for c in box.children):
                found.append(element.get("data-term"))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return found


def write(guide: Guide, job: Job) -> dict[Path, list[str]]:
    target, = files(guide, job)
    progress(f"laying out {target.name} ({job.printing.paper}): {len(guide.glossary)} cards")
    layout = Layout(render_flashcards(guide, job), guide)
    warnings = list(layout.warnings)
    glossary = guide.root / "glossary.yaml"
    warnings += [f"{glossary}: the definition of '{term}' does not fit on its flashcard: shorten it"
                 for term in dict.fromkeys(overflowing(layout.document))]
    atomic_write(target, layout.pdf())
    progress(f"wrote {target}")
    return {target: warnings}
