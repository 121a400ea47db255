"""The frozen model every renderer takes. Built once by `load.load_guide`.

HTML fragments in the model are already converted from Markdown and sanitised
(`markupsafe.Markup`). Chapter bodies carry two kinds of placeholders that the
renderers fill per medium:

* ``<span data-note="N"></span>`` — note N of the chapter, a citation note or the author's
  footnote (a footnote in print, a note reference in the e-book);
* ``<span data-cite="K"></span>`` — citation K of the guide (`Guide.citations`) standing in
  the text: in-text in an author-date style, inside a footnote, or written out in a short
  field; `cite.py` fills it for the medium;
* ``<div data-figure="id"></div>`` — a chart placed in the chapter;
* links to ``#id`` anchors that the EPUB writer maps to the file holding them.

Citations are data (`Citation`: source ids, locators, prefixes, suffixes, modes), formatted
only when rendering, by `cite.py` through the CSL style the guide names. Footnotes ([^id],
^[…]) are notes like the citation notes, numbered with them. Picture
figures are in the body as <figure> elements, numbered when the guide is loaded.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from .citation import Cite

LEVELS = ("recall", "analysis", "evaluation", "document")


@dataclass(frozen=True)
class Use:
    """One place in a chapter that links to a term or cites a source."""

    chapter: str  # chapter slug
    anchor: str  # id of the element at that place


def first_in_each_chapter(uses: tuple[Use, ...]) -> tuple[Use, ...]:
    """The first of the uses in each chapter, in chapter order: where the e-book links back to."""
    firsts: dict[str, Use] = {}
    for use in uses:
        firsts.setdefault(use.chapter, use)
    return tuple(firsts.values())


@dataclass(frozen=True)
class Term:
    id: str
    term: str
    forms: tuple[str, ...]
    definition: Markup
    short: Markup  # the definition's first sentence, for key-terms boxes and handouts
    pinyin: str
    hanzi: str
    uses: tuple[Use, ...] = ()

    @property
    def anchor(self) -> str:
        return f"term-{self.id}"


@dataclass(frozen=True)
class Source:
    """An item of the guide's library; its CSL data is in `Guide.library`."""
    id: str
    type: str
    uses: tuple[Use, ...] = ()

    @property
    def anchor(self) -> str:
        return f"src-{self.id}"


@dataclass(frozen=True)
class Citation:
    """One citation as the author wrote it ([@a, p. 4; see @b], @a [p. 5]); in a note style
    the citations of one paragraph are one citation, one note.
    `place`: note (a note of its own, or in-text in an author-date style), footnote (written
    inside the author's footnote `in_note`), inline (written out in brackets in a short
    field) or bare (a figure's source line)."""
    number: int  # index in Guide.citations, the K of data-cite="K"
    items: tuple[Cite, ...]
    place: str
    chapter: str = ""  # slug of the chapter it stands in; "" for the guide's other fields
    in_note: int = 0  # place footnote: the number of the chapter's note it is written in

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.id for c in self.items))

    @property
    def anchor(self) -> str:
        """The id of a citation standing in the text, for the source list's links back to it."""
        return f"{self.chapter or 'guide'}-use-cite-{self.number}"


@dataclass(frozen=True)
class Note:
    number: int
    anchor: str  # id of the note itself
    ref_anchor: str  # id of the call in the text
    html: Markup  # an author's footnote: its text (citations in it as data-cite placeholders); "" for a citation note
    source_ids: tuple[str, ...]
    citation: int | None = None  # a citation note: the number of its Citation


@dataclass(frozen=True)
class Excerpt:
    number: str  # "1.2"
    anchor: str
    html: Markup
    source_ids: tuple[str, ...] = ()  # the sources its citations name


@dataclass(frozen=True)
class Question:
    number: int
    ask: Markup
    level: str
    answer: Markup
    lines: int


@dataclass(frozen=True)
class Chapter:
    number: int
    slug: str
    title: str
    objectives: tuple[Markup, ...]
    teacher_notes: Markup
    questions: tuple[Question, ...]
    body: Markup
    notes: tuple[Note, ...]
    excerpts: tuple[Excerpt, ...]
    term_ids: tuple[str, ...]  # glossary terms the chapter uses, in order of first use
    words: int
    images: tuple[str, ...]  # image paths relative to the guide directory
    figure_ids: tuple[str, ...]  # figures placed in the chapter
    source_path: Path
    boxes: tuple[Markup, ...] = ()  # the chapter's boxes (callouts, summaries), also printed on its handout

    @property
    def anchor(self) -> str:
        return f"ch-{self.slug}"


@dataclass(frozen=True)
class Event:
    date: str  # YYYY, YYYY-MM or YYYY-MM-DD
    label: str  # the date as readers see it
    short: str  # a short name; the events that have one are drawn on the timeline figure
    text: Markup
    chapter: str  # slug or ""


@dataclass(frozen=True)
class Person:
    name: str
    hanzi: str
    pinyin: str
    role: Markup
    chapter: str


@dataclass(frozen=True)
class Datum:
    """One value of a chart."""

    label: str
    value: float
    display: str = ""


@dataclass(frozen=True)
class Mark:
    """One event on the timeline figure."""

    date: str
    label: str
    href: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart or the timeline, drawn by the builder as SVG, or a picture of a chapter (an image
    alone in its paragraph); numbered through the guide."""

    id: str
    number: int
    kind: str  # bar | line | proportion | timeline | picture
    title: str  # the caption (a picture's may hold inline HTML: Markup)
    alt: str
    rows: tuple[tuple[str, str], ...]  # the data table: the figure's text alternative
    source: Markup  # short citation(s), linked to the source list; empty for the timeline
    chapter: str  # slug of the chapter that shows it; "" for the timeline (shown in back matter)
    columns: tuple[str, str]  # the data table's headings
    html: Markup = Markup("")  # a picture: the whole <figure>, notes as placeholders (for its handout)
    # what a chart is drawn from when it is rendered (studyguide/figures.py draw())
    data: tuple[Datum, ...] = ()  # bar, line, proportion
    unit: str = ""  # bar, line
    rest: str = ""  # proportion: the label of what the parts leave
    marks: tuple[Mark, ...] = ()  # timeline
    years: tuple[int, int] = (0, 0)  # timeline: from, to

    @property
    def picture(self) -> bool:
        return self.kind == "picture"

    @property
    def anchor(self) -> str:
        return f"fig-{self.id}"


@dataclass(frozen=True)
class HandoutSettings:
    page_budget: int = 2
    answer_lines: int = 4


@dataclass(frozen=True)
class Guide:
    root: Path
    title: str
    subtitle: str
    authors: tuple[str, ...]
    language: str
    date: dt.date
    edition: str
    paper: str
    slug: str
    description: str
    keywords: tuple[str, ...]
    content_note: Markup
    teacher_guidance: Markup
    handouts: HandoutSettings
    chapters: tuple[Chapter, ...]
    glossary: tuple[Term, ...]  # alphabetical
    sources: tuple[Source, ...]  # the library's items, in the library's order (the style orders the list)
    timeline: tuple[Event, ...]
    people: tuple[Person, ...]
    figures: tuple[Figure, ...] = ()  # in number order
    warnings: tuple[str, ...] = field(default=())
    library: tuple[dict, ...] = ()  # the sources as CSL-JSON items, as citeproc reads them
    library_markup: str = "html"  # html (CSL-JSON) | markdown (CSL-YAML): how the items' text is marked up
    csl: str = "chicago-notes-bibliography"  # a bundled style's name or the path of a .csl file in the guide
    note_style: bool = True  # the style gives notes (Chicago) rather than in-text citations (APA, MLA)
    nocite: tuple[str, ...] = ()  # ids listed though not cited; "*" for all
    citations: tuple[Citation, ...] = ()  # every citation of the guide, by number
    publisher: str = ""  # who publishes the guide (a school, a project); the authors are people
    license: Markup = Markup("")  # the terms of use, for the imprint page
    researched: dt.date | None = None  # when the research behind the guide was done
    cite_as: Markup = Markup("")  # the guide's own citation line; empty: made from title, authors, date
    how_to_use: Markup = Markup("")  # the "How to use this guide" page; empty: the builder's own text
    show_how_to_use: bool = True  # `how_to_use: false` leaves the page out

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)

    def chapter(self, slug: str) -> Chapter:
        return next(c for c in self.chapters if c.slug == slug)

    def figure(self, figure_id: str) -> Figure:
        return next(f for f in self.figures if f.id == figure_id)

    @property
    def timeline_title(self) -> str:
        """The back-matter section's title: "Timeline and key people", or only the part the guide has."""
        parts = [name for name, held in (("timeline", self.timeline), ("key people", self.people)) if held]
        title = " and ".join(parts)
        return title[:1].upper() + title[1:]

    @property
    def timeline_figure(self) -> Figure | None:
        return next((f for f in self.figures if f.kind == "timeline"), None)

    def term(self, term_id: str) -> Term:
        return next(t for t in self.glossary if t.id == term_id)

    def terms_introduced(self, chapter: Chapter) -> tuple[str, ...]:
        """The terms `chapter` is the first to use: its key-terms box lists these."""
        earlier = {t for c in self.chapters[:self.chapters.index(chapter)] for t in c.term_ids}
        return tuple(t for t in chapter.term_ids if t not in earlier)

    def terms_met_before(self, chapter: Chapter) -> tuple[str, ...]:
        """The terms `chapter` uses that an earlier chapter introduced (the glossary has them)."""
        introduced = set(self.terms_introduced(chapter))
        return tuple(t for t in chapter.term_ids if t not in introduced)
