"""How citations look in each medium: the one place that turns the model's citations (data)
into text, through the CSL processor (`citeproc.py`) and the guide's style (`csl:`).

* print: a citation note is a footnote (`<span class="footnote">`), laid out by the print CSS;
* ebook: a note reference, the note itself among the chapter's endnotes;
* handout: the style's short form in brackets, without links (a handout has no source list);
* an author-date style: the citation in the text, "(Smith 2001, 4)", in every medium.

Every citation of the guide is formatted in one citeproc run (`typeset`), kept for the
process: the PDF, EPUB, teacher edition and handouts of one build share it. The run has two
parts: the guide's citations in reading order (first note full, later ones short, through the
whole guide, as pandoc does for a book), then the short form of each distinct citation (after
one note naming every source, so each is a "subsequent" citation).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

from . import citeproc
from .citation import Cite
from .medium import Medium
from .model import Chapter, Citation, Guide, Note, Source

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")
# citation.py's labels that CSL names otherwise
CSL_LABELS = {"article": "article-locator", "number": "issue"}
CITE_PLACEHOLDER = re.compile(r'<span data-cite="(\d+)"\s*(?:/>|></span>)')
NOTE_PLACEHOLDER = re.compile(r'<span data-note="(\d+)"\s*(?:/>|></span>)')


@dataclass(frozen=True)
class Typeset:
    full: dict  # citation number -> citeproc.Rendered, as it stands in the guide
    short: dict  # citation number -> citeproc.Rendered, the style's short form
    entries: tuple  # (Source, entry HTML) in the style's order
    heading: str  # Bibliography | References | Works Cited
    note_style: bool
    warnings: tuple[str, ...]


_TYPESET: dict[int, tuple[Guide, Typeset]] = {}


def typeset(guide: Guide) -> Typeset:
    """Every citation of the guide and its source list, formatted once per guide."""
    kept = _TYPESET.get(id(guide))
    if kept is None or kept[0] is not guide:
        kept = (guide, run(guide))
        _TYPESET[id(guide)] = kept
    return kept[1]


def run(guide: Guide) -> Typeset:
    in_text = [c for c in guide.citations if c.place in ("note", "footnote")]
    distinct = list(dict.fromkeys(c.items for c in guide.citations))
    notes = {}
    clusters = [citeproc.Cluster(items(c.items), note_number(c, notes)) for c in in_text]
    fresh = len(notes) + 1
    primer = list(dict.fromkeys(i.id for c in distinct for i in c))
    if distinct:
        clusters.append(citeproc.Cluster(tuple(citeproc.CitationItem(i) for i in primer), fresh))
    clusters += [citeproc.Cluster(items(c), fresh + n) for n, c in enumerate(distinct, 1)]
    done = citeproc.format_citations(citeproc.Library(guide.library, guide.library_markup), clusters, guide.csl,
                                     lang_of(guide.language), guide.nocite, guide.root, link_citations=True)
    full = {c.number: done.clusters[n] for n, c in enumerate(in_text)}
    shorts = {key: done.clusters[len(in_text) + 1 + n] for n, key in enumerate(distinct)}
    sources = {s.id: s for s in guide.sources}
    entries = tuple((sources[e.id], e.html) for e in done.bibliography if e.id in sources)
    return Typeset(full, {c.number: shorts[c.items] for c in guide.citations}, entries, done.heading,
                   done.is_note_style, done.warnings)


def items(cites: tuple[Cite, ...]) -> tuple[citeproc.CitationItem, ...]:
    return tuple(citeproc.CitationItem(c.id, c.value, CSL_LABELS.get(c.label, c.label or "page"), c.prefix,
                                       suffix_of(c), c.mode) for c in cites)


def suffix_of(cite: Cite) -> str:
    """The suffix as pandoc reads it after a locator: ", and elsewhere"."""
    if not cite.suffix or cite.suffix[0] in ",;:.":
        return cite.suffix
    return " " + cite.suffix


def note_number(citation: Citation, notes: dict) -> int | None:
    """A citation written in a footnote is formatted inside that note: its number in the guide."""
    if citation.place != "footnote":
        return None
    return notes.setdefault((citation.chapter, citation.in_note), len(notes) + 1)


def lang_of(language: str) -> str:
    """The locale citeproc writes in: the guide's language and region ('en' is en-US, a
    private or extended tag its language alone)."""
    match = re.match(r"([a-z]{2,3})(-[A-Z]{2}\b)?", language)
    if match is None:
        return "en-US"
    return "en-US" if match.group() == "en" else match.group()


# --- the medium's forms ----------------------------------------------------------------------

def body(chapter: Chapter, guide: Guide, html: Markup, medium: Medium) -> Markup:
    """A chapter's HTML with its notes called for the medium and its citations filled in."""
    notes = {str(n.number): n for n in chapter.notes}
    text = NOTE_PLACEHOLDER.sub(lambda m: str(note_call(notes[m.group(1)], guide, medium)), str(html))
    return fill(Markup(text), guide, medium)


def note_call(note: Note, guide: Guide, medium: Medium) -> Markup:
    """What stands in the text for a note: a footnote in print, a note reference in the e-book,
    the note spelled out in brackets on a handout. A narrative citation's name comes first."""
    shown = typeset(guide).full.get(note.citation) if note.citation is not None else None
    name = shown.text if shown is not None else Markup("")
    if medium.notes == "inline":  # the short form, in brackets as pandoc writes a citation inside a note
        if note.citation is None:
            return Markup(" ({})").format(note_text(note, guide, medium))
        return Markup("{} {}").format(shown.plain_text, note_text(note, guide, medium))
    if medium.notes == "footnotes":
        return Markup('{}<a class="note-anchor" id="{}"></a><span class="footnote">{}</span>').format(
            name, note.ref_anchor, note_text(note, guide, medium))
    vocabulary = Markup(' epub:type="noteref"') if medium.epub else Markup("")
    return Markup('{}<a class="noteref"{} role="doc-noteref" id="{}" href="#{}">{}</a>').format(
        name, vocabulary, note.ref_anchor, note.anchor, note.number)


def note_text(note: Note, guide: Guide, medium: Medium) -> Markup:
    """The note itself: the style's note for a citation (its short form on a handout), or the
    author's footnote with its citations filled in."""
    if note.citation is None:
        return fill(note.html, guide, medium)
    if medium.notes == "inline":
        return typeset(guide).short[note.citation].plain_text
    return typeset(guide).full[note.citation].note or Markup("")


def fill(html: Markup, guide: Guide, medium: Medium) -> Markup:
    """The citations standing in `html` (data-cite placeholders), written for the medium."""
    if "data-cite" not in html:
        return html
    return Markup(CITE_PLACEHOLDER.sub(lambda m: str(in_text(guide.citations[int(m.group(1))], guide, medium)),
                                       str(html)))


def in_text(citation: Citation, guide: Guide, medium: Medium) -> Markup:
    """A citation standing in the text: in-text (author-date), inside a footnote or a short
    field (in brackets, as pandoc writes a citation inside a note), or a figure's source line."""
    done = typeset(guide)
    plain = medium.notes == "inline"
    shown = done.full[citation.number] if citation.place in ("note", "footnote") and not plain \
        else done.short[citation.number]
    text = shown.plain_text if plain else shown.text
    if citation.place == "bare":
        return unbracketed(text)
    if citation.place == "note" and not plain:  # an author-date citation in the running text
        return Markup('<span class="citation" id="{}">{}</span>').format(citation.anchor, text)
    space = " " if citation.place == "inline" and done.note_style else ""
    return Markup('<span class="cite-inline">{}{}</span>').format(space, text)


def unbracketed(text: Markup) -> Markup:
    """A figure's "Source: …" line takes the citation without the brackets pandoc gives it."""
    plain = str(text)
    return Markup(plain[1:-1]) if plain.startswith("(") and plain.endswith(")") else text


def short(source_ids, guide: Guide) -> Markup:
    """The sources' entries, for a handout's line of sources (no links back)."""
    wanted = set(source_ids)
    return Markup(" ").join(html for src, html in typeset(guide).entries if src.id in wanted)


def entries(guide: Guide) -> tuple[tuple[Source, Markup], ...]:
    """The source list: each listed source and its entry, in the style's order."""
    return typeset(guide).entries


def heading(guide: Guide) -> str:
    return typeset(guide).heading

# --- dates (the timeline's, not the sources': citeproc writes those) -------------------------

def format_date(parts: list[int]) -> str:
    if len(parts) >= 3:
        return f"{MONTHS[parts[1] - 1]} {parts[2]}, {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0]) if parts else "n.d."

