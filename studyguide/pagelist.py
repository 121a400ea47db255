"""The EPUB's page list: where each page of the PDF begins, marked in the e-book's text.

The PDF writer hands its layout over to this module, which records, for every page, the first words of its text in the main flow (not
running heads, footnotes or generated text such as page numbers): a page map, written
beside the PDF. The EPUB build finds those words in its own documents, in reading order,
and puts a page-break marker where each page begins, so a student with the e-book can go
to "page 23" when the class does. The map is used only when it was made from the very
print HTML the current guide gives; otherwise the EPUB has no page list and says so.
"""
from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_write

WORDS_PER_PAGE = 40  # words of each page kept in the map
WINDOW = 5  # words that must match in a row
MAX_SKIP = 20  # words at the top of a page that may be missing from the e-book
MAX_PLACES = 1000  # places one page may begin at: a run of words found more often tells nothing
WORD_RE = re.compile(r"[^\W_]+")
ENTITY_RE = re.compile(r"&#?\w+;")
TAG_RE = re.compile(r"<(/?)([\w:]+)([^>]*?)(/?)>")
VOID = {"br", "img", "hr", "meta", "link", "col", "wbr"}
# e-book text that the print pages do not hold at that place: note calls and endnotes (print
# has footnotes), and the text of inline SVG figures (an image in print)
EBOOK_ONLY_RE = re.compile(r'epub:type="(noteref|endnotes)"')
EBOOK_ONLY_TAGS = {"svg"}
# an element that begins right where a page's first word is: the marker goes before it
OPENING_TAG_RE = re.compile(r"<(h[1-6]|p|section|div|blockquote|figure|header|aside|span|a|em|strong|i|b|dfn|cite)\b"
                            r"[^>]*>\s*\Z")
# a figure whose caption holds a page's first words: the image comes first on that page
FIGURE_START_RE = re.compile(r"<figure\b[^>]*>\s*(?:<svg\b(?:(?!</?figure\b).)*?</svg>|<img\b[^>]*>)\s*"
                             r"<figcaption\b[^>]*>\s*\Z", re.S)


@dataclass(frozen=True)
class PageMap:
    source: str  # fingerprint of the print HTML the PDF was laid out from
    pdf: str  # the PDF's file name
    pages: list[list[str]]  # the first words of each page, page 1 first


def fingerprint(print_html: str) -> str:
    return hashlib.sha256(print_html.encode("utf-8")).hexdigest()


def words(text: str) -> list[str]:
    return [word.casefold() for word in WORD_RE.findall(text)]


# --- the PDF side ---------------------------------------------------------------------------

def page_words(document, limit: int = WORDS_PER_PAGE) -> list[list[str]]:
    """The first words of each laid-out page's main flow (a WeasyPrint document)."""
    return [first_words(page._page_box, limit) for page in document.pages]


def first_words(page_box, limit: int) -> list[str]:
    from weasyprint.formatting_structure import boxes

    found: list[str] = []

    def walk(box) -> None:
        if len(found) >= limit or isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
            return
        if isinstance(box, boxes.LineBox):
            found.extend(words("".join(text_of(box))))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    def text_of(box):
        if "::" in (box.element_tag or ""):  # generated text: page numbers, leaders, note calls
            return
        if isinstance(box, boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from text_of(child)

    walk(page_box)
    return found[:limit]


def map_path(pdf: Path) -> Path:
    return pdf.with_name(f".{pdf.stem}.pages.json")


def write_page_map(pdf: Path, print_html: str, pages: list[list[str]]) -> None:
    data = {"source": fingerprint(print_html), "pdf": pdf.name, "pages": pages}
    atomic_write(map_path(pdf), json.dumps(data, ensure_ascii=False).encode("utf-8"))


def record_layout(pdf: Path, print_html: str, document) -> None:
    """What the PDF writer hands over once it has laid out `print_html`: the page map, beside the PDF."""
    write_page_map(pdf, print_html, page_words(document))


def read_page_map(pdf: Path, print_html: str) -> PageMap | None:
    """The page map of `pdf`, if it was made from `print_html`."""
    try:
        data = json.loads(map_path(pdf).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("source") != fingerprint(print_html):
        return None
    return PageMap(data["source"], data["pdf"], data["pages"])


# --- the EPUB side --------------------------------------------------------------------------

@dataclass
class Words:
    """The e-book's words in reading order, and where each one starts."""
    words: list[str] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)  # index in the list of documents
    offsets: list[int] = field(default_factory=list)  # offset in that document's XHTML


def ebook_words(documents: list[str]) -> Words:
    """The words of the documents' bodies in reading order, leaving out what the PDF has
    elsewhere or as an image: note calls and endnotes, inline SVG."""
    found = Words()
    for index, xhtml in enumerate(documents):
        position = xhtml.find("<body")
        skipped, depth = None, 0  # the element being left out, and how deep inside it
        for tag in TAG_RE.finditer(xhtml, position):
            if skipped is None:
                add_words(xhtml, position, tag.start(), index, found)
            position = tag.end()
            closing, name, attributes, empty = tag.groups()
            if empty or name in VOID:
                continue
            if skipped is None:
                if not closing and (name in EBOOK_ONLY_TAGS or EBOOK_ONLY_RE.search(attributes)):
                    skipped, depth = name, 1
            elif name == skipped:
                depth += -1 if closing else 1
                if depth == 0:
                    skipped = None
    return found


def add_words(xhtml: str, start: int, end: int, document: int, found: Words) -> None:
    """The words of the raw text xhtml[start:end]; entities separate words, as spaces do."""
    for chunk_start, chunk_end in between(ENTITY_RE, xhtml, start, end):
        for word in WORD_RE.finditer(xhtml, chunk_start, chunk_end):
            found.words.append(word.group().casefold())
            found.documents.append(document)
            found.offsets.append(word.start())


def between(pattern: re.Pattern, text: str, start: int, end: int):
    """The stretches of text[start:end] that `pattern` does not match."""
    for match in pattern.finditer(text, start, end):
        yield start, match.start()
        start = match.end()
    yield start, end


def candidates(page: list[str], stream: list[str], where: dict[str, list[int]]) -> list[tuple[int, int]]:
    """Where the page might begin: (position in `stream`, words of the page skipped) for
    every run of WINDOW of its words found in the stream (fewer on a page with fewer words).
    A page whose first words are found is not looked for further on; otherwise later words
    are tried, since a page can begin with print-only text ("Chapter 2", "Used on pp. 4")."""
    size = min(WINDOW, len(page))
    found: list[tuple[int, int]] = []
    for skip in range(min(MAX_SKIP, len(page) - size) + 1):
        window = page[skip:skip + size]
        # look the run up by its rarest word; a run of words found everywhere (a page of one
        # word said over and over) is passed over, or its places would fill the memory
        rarest = min(range(size), key=lambda i: len(where.get(window[i], ())))
        places = where.get(window[rarest], ())
        if len(places) > MAX_PLACES:
            continue
        found += [(at - rarest, skip) for at in places
                  if at >= rarest and stream[at - rarest:at - rarest + size] == window]
        if (found and skip == 0) or len(found) > MAX_PLACES:
            break
    return found


def placements(pages: list[list[str]], stream: list[str]) -> list[int | None]:
    """For each page, where in `stream` it begins, or None: of all the candidate places,
    the most pages whose places follow the order of the pages (a longest increasing
    subsequence), so a printed contents entry cannot pull a page away from its text."""
    where: dict[str, list[int]] = {}
    for at, word in enumerate(stream):
        where.setdefault(word, []).append(at)
    found = {page: candidates(first, stream, where) for page, first in enumerate(pages) if first}
    # a place where a page's first words are found is that page's: another page found there only
    # by later words (the printed contents' "How to use this guide") does not take it
    exact = {at for places in found.values() for at, skip in places if skip == 0}
    # each page's candidates from the last place back: a page then never follows itself
    chain = [(page, at) for page, places in found.items()
             for at, skip in sorted(places, reverse=True) if skip == 0 or at not in exact]
    ends: list[int] = []  # ends[k]: the chain index ending the best run of length k + 1
    end_places: list[int] = []  # and where that run ends in the stream
    before: list[int | None] = [None] * len(chain)
    for index, (_, at) in enumerate(chain):
        k = bisect_left(end_places, at)
        before[index] = ends[k - 1] if k else None
        ends[k:k + 1], end_places[k:k + 1] = [index], [at]
    placed: list[int | None] = [None] * len(pages)
    index = ends[-1] if ends else None
    while index is not None:
        page, at = chain[index]
        placed[page] = at
        index = before[index]
    return placed


def block_start(xhtml: str, offset: int) -> int:
    """Before the opening tags of the elements that begin right at `offset`: a page that
    begins with a heading has its marker before the heading, not read as part of it, and
    one that begins with a figure (its caption's words) has it before the figure.
    Only elements that may hold a bare <span> are stepped out of (not <li>, <td>, <dt> …)."""
    while True:
        tag = (OPENING_TAG_RE.search(xhtml, max(0, offset - 2000), offset)
               or FIGURE_START_RE.search(xhtml, max(0, offset - 100_000), offset))
        if tag is None:
            return offset
        offset = tag.start()


def marker_place(documents: list[str], found: Words, at: int | None) -> tuple[int, int] | None:
    """(document, offset) of the marker of a page that begins at word `at`."""
    if at is None:
        return None
    document = found.documents[at]
    return document, block_start(documents[document], found.offsets[at])


def marker_id(label: str) -> str:
    """The anchor of a page's marker, prefixed to keep clear of the ids of headings and terms."""
    return f"print-page-{label}"


def page_break(label: str) -> str:
    return (f'<span epub:type="pagebreak" role="doc-pagebreak" id="{marker_id(label)}" '
            f'aria-label="Page {label}"></span>')


def place_page_breaks(documents: list[str], page_map: PageMap) -> tuple[list[str], list[tuple[str, int]]]:
    """The documents with a page-break marker where each page begins, and the page list:
    (label, index of the document holding the marker). A page whose words are not in the
    e-book (the cover, the printed contents) is marked where the next page found begins,
    or at the end of the book."""
    found = ebook_words(documents)
    places = [marker_place(documents, found, at) for at in placements(page_map.pages, found.words)]
    following = (len(documents) - 1, documents[-1].rindex("</body>"))  # the end of the book
    for index in range(len(places) - 1, -1, -1):  # an unplaced page goes where the next one is
        following = places[index] = places[index] or following
    marked = list(documents)
    # from the end of each document back, so that the offsets still to use stay right;
    # of two pages at one place, the later page is put in first and ends up second
    for number, (document, offset) in sorted(enumerate(places, start=1), key=lambda p: (p[1], p[0]),
                                             reverse=True):
        text = marked[document]
        marked[document] = text[:offset] + page_break(str(number)) + text[offset:]
    return marked, [(str(number), document) for number, (document, _) in enumerate(places, start=1)]
