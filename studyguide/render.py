"""HTML through Jinja templates: the print book, and the documents of the e-book.

An edition (student | teacher) and a medium (studyguide/medium.py) are parameters of
rendering, not separate code paths. The options every output takes (edition, date) are
apart from the print options (paper, profile), and each print document names its own
stylesheets: a new one inherits neither large print nor teacher marks by accident.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import cite, cover, figures
from .medium import EBOOK, HANDOUT, PRINT, Medium
from .model import Chapter, Figure, Guide, Note, first_in_each_chapter

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
FIGURE_PLACEHOLDER = re.compile(r'<div data-figure="([\w-]+)"\s*(?:/>|></div>)')
PAPER_SIZES = {"a4": ("A4", "297mm"), "letter": ("letter", "279.4mm")}


@dataclass(frozen=True)
class Options:
    """What every output is built with."""

    edition: str = "student"  # student | teacher
    built: dt.datetime | None = None  # the outputs' date (SOURCE_DATE_EPOCH); None: the guide's own date

    @property
    def teacher(self) -> bool:
        return self.edition == "teacher"

    def date(self, guide: Guide) -> dt.datetime:
        return self.built or dt.datetime.combine(guide.date, dt.time())

    def created(self, guide: Guide) -> str:
        """The date in W3C format, as WeasyPrint reads it from dcterms.created."""
        return self.date(guide).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PrintOptions:
    """What a printed output is built with, besides the Options."""

    paper: str = "a4"  # a4 | letter
    profile: str = "standard"  # standard | large


@dataclass(frozen=True)
class Stylesheets:
    """A print document's stylesheets: its own, then those of the teacher edition and of large
    print, each only where the document has them."""

    base: str
    teacher: tuple[str, ...] = ()
    large: tuple[str, ...] = ()


BOOK_SHEETS = Stylesheets("print.css", teacher=("teacher.css",), large=("large-print.css",))
HANDOUT_SHEETS = Stylesheets("handout.css", teacher=("teacher.css",), large=("large-print.css",))


_cache_folder: list[Path] = []  # where compiled templates are kept, once the build names a folder


def use_template_cache(folder: Path) -> None:
    """Keep compiled templates (keyed by their source) in `folder`, a folder of the build's
    own output, never the system's temporary folder: compiling the dozen templates anew
    costs every build about 0.1 s."""
    _cache_folder[:] = [Path(folder)]
    environment.cache_clear()


def template_cache() -> jinja2.BytecodeCache | None:
    """The cache in the folder the build named; None if it named none or the folder can't be
    used (read-only): the build is then only slower."""
    if not _cache_folder:
        return None
    try:
        _cache_folder[0].mkdir(parents=True, exist_ok=True)
        return jinja2.FileSystemBytecodeCache(str(_cache_folder[0]))
    except (OSError, RuntimeError):
        return None


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=template_cache(),
    )
    env.filters["chapter_body"] = chapter_body
    env.filters["handout_excerpt"] = handout_excerpt
    env.filters["excerpt_sources"] = excerpt_sources
    env.filters["note_text"] = note_text
    env.filters["chart"] = chart
    env.filters["first_in_each_chapter"] = first_in_each_chapter
    env.globals["source_list"] = cite.entries
    env.globals["source_heading"] = cite.heading
    env.globals["cover_layout"] = cover.layout
    return env


def chart(figure: Figure) -> Markup:
    """A chart or the timeline, drawn from the model's data as it is rendered (a picture: nothing)."""
    return Markup(figures.draw(figure))


def chapter_body(chapter: Chapter, guide: Guide, medium: Medium) -> Markup:
    """The chapter's body with its figures drawn in and its notes filled in for the medium."""
    figure = environment().get_template("parts/figure.html.j2")
    body = FIGURE_PLACEHOLDER.sub(lambda m: figure.render(figure=guide.figure(m.group(1))), str(chapter.body))
    return cite.body(chapter, guide, Markup(body), medium)


def note_text(note: Note, guide: Guide, medium: Medium) -> Markup:
    """A note's text (the e-book's endnotes)."""
    return cite.note_text(note, guide, medium)


def handout_excerpt(html: Markup, chapter: Chapter, guide: Guide) -> Markup:
    """An excerpt, picture or box for a handout: its notes spelled out in brackets, without links."""
    return cite.body(chapter, guide, html, HANDOUT)


def excerpt_sources(chapter: Chapter, guide: Guide) -> list:
    """The sources the chapter's excerpts quote, with their entries, in source-list order."""
    keys = {k for e in chapter.excerpts for k in e.source_ids}
    return [html for src, html in cite.entries(guide) if src.id in keys]


def stylesheet(name: str) -> str:
    return (STYLES / name).read_text(encoding="utf-8")


def page_css(sheets: Stylesheets, options: Options, printing: PrintOptions) -> str:
    """A print document's stylesheets with the options applied: paper size, teacher marks, large print."""
    size, height = PAPER_SIZES[printing.paper]
    css = [stylesheet(sheets.base), f"@page {{ size: {size}; }}\n:root {{ --page-height: {height}; }}"]
    if options.teacher:
        css += [stylesheet(s) for s in sheets.teacher]
    if printing.profile == "large":
        css += [stylesheet(s) for s in sheets.large]
    return "\n".join(css)


def render_print(guide: Guide, options: Options, printing: PrintOptions = PrintOptions()) -> str:
    """The whole guide as one HTML document: exactly what WeasyPrint lays out."""
    return spaces_inside_emphasis(cite.fill(environment().get_template("print/book.html.j2").render(
        guide=guide, options=options, printing=printing, medium=PRINT,
        css=Markup(page_css(BOOK_SHEETS, options, printing)),
        created=options.created(guide)), guide, PRINT))


def render_handout(guide: Guide, chapter: Chapter, options: Options, printing: PrintOptions = PrintOptions(),
                   notes_only: bool = False) -> str:
    """One lesson's handout: objectives, key terms, excerpts, questions with answer lines (or answers);
    with `notes_only`, its notes page alone."""
    return spaces_inside_emphasis(cite.fill(environment().get_template("handout/handout.html.j2").render(
        guide=guide, chapter=chapter, options=options, medium=HANDOUT, notes_only=notes_only,
        css=Markup(page_css(HANDOUT_SHEETS, options, printing)), created=guide.date.isoformat()), guide, HANDOUT))


SPACE_BEFORE_EMPHASIS_RE = re.compile(r" <(em|i|strong|b|cite)(\s[^>]*)?>")


def spaces_inside_emphasis(html: str) -> str:
    """The space before an emphasis moves inside it ("of<em> Tombstone</em>"): when an inline does not
    fit at the end of a line, WeasyPrint 70 may break the line far too early if the text
    before it ends in a space ("Behind" alone on a line; docs/weasyprint-upstream.md, 6.).
    Inside the emphasis, the space looks the same and breaks the same."""
    return SPACE_BEFORE_EMPHASIS_RE.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}> ", html)


def render_ebook_document(template: str, guide: Guide, options: Options, title: str, **context) -> str:
    return str(cite.fill(Markup(environment().get_template(template).render(
        guide=guide, options=options, medium=EBOOK, title=title, **context)), guide, EBOOK))
