"""Markdown -> HTML with the project's own extensions.

A fresh `markdown.Markdown` is made per document. Extensions:

* citations ``[@key, p. 4; @other]`` -> data (`model.Citation`, kept by the `Converter`) and a
  placeholder: ``<span data-note="N">`` for a note (note styles), ``<span data-cite="K">`` for a
  citation standing in the text (author-date styles, inside a footnote, in a short field);
  `cite.py` formats them when rendering;
* explicit glossary marks ``[[form]]`` / ``[[shown text|term]]``;
* automatic glossary linking: the first use of a term in each chapter, outside
  headings, links, block quotations and code (a tree processor);
* block quotations become numbered source excerpts;
* raw HTML is reduced to a small allowlist of inline markup;
* what the text points at is checked on the element tree it renders to (`TargetCheck`):
  links go to web pages, e-mail or a place in the guide (`url_problem`), images are files
  of the guide; heading ids are kept apart from each other and from the builder's own.

Citations and glossary marks are validated with line numbers by `load.py` before
conversion, so here unknown keys are simply left as text. What the tree checks find is
recorded in the document's state as (text to find the line by, message); the `Converter`
reports it with file and line when it is given a `Problems` collector.
"""
from __future__ import annotations

import copy
import html as html_text
import os
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from itertools import chain, count
from pathlib import Path
from urllib.parse import unquote

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.footnotes import NBSP_PLACEHOLDER, FootnoteExtension
from markdown.extensions import Extension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.tables import TableExtension
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from . import dialect
from .citation import BRACKETED_RE, MYST_CITE_RE, NARRATIVE_RE, Cite, narrative, parse_bracketed, parse_myst_role
from .model import Citation
from .errors import Problems
from .files import GuideFileError, inside_guide, read_guide_file
from .guideslug import slugify  # one rule for slugs: the guide's, headings', terms'
from .yamlfile import CONTROL_RE

CITATION_RE = BRACKETED_RE
TERM_MARK_RE = r"\[\[(?!fig(?:ure)?:)([^\[\]|]+)(?:\|([^\[\]]+))?\]\]"
FIGURE_REF_RE = r"\[\[fig:([\w-]+)\]\]"
FIGURE_AT_RE = r"(?<![\w.@\\])@fig-([\w-]*\w)"
FIGURE_PLACE_RE = re.compile(r"^\s*\[\[figure:([\w-]+)\]\]\s*$")
NOT_LINKED = {"cite-author", "cite-inline", "figure-label", "callout-title", "inline-note", "term-use"}
SKIP_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "a", "code", "pre", "blockquote", "script", "style"}


class TermMatcher:
    """Finds glossary forms in text: whole words, case-insensitive, longest form first."""

    def __init__(self, forms: dict[str, str]):
        self.forms = {self.normal(f): term_id for f, term_id in forms.items()}
        ordered = sorted(self.forms, key=len, reverse=True)
        alternatives = "|".join(re.escape(f).replace("'", "['’]") for f in ordered)
        self.pattern = re.compile(rf"(?<![\w'’-])({alternatives})(?![\w-])", re.IGNORECASE) if ordered else None

    @staticmethod
    def normal(form: str) -> str:
        return " ".join(form.replace("’", "'").lower().split())

    def term_for(self, text: str) -> str | None:
        return self.forms.get(self.normal(text))

    def finditer(self, text: str):
        if self.pattern is None:
            return iter(())
        return self.pattern.finditer(text)


@dataclass
class DocumentState:
    """What converting one document found: notes, term uses, excerpts."""

    prefix: str  # anchor prefix, e.g. the chapter slug
    chapter_number: int = 0
    citations: list[list[Cite]] = field(default_factory=list)  # the items of each citation
    # (anchor, ref, html, source ids, number of the citation note's Citation or None)
    notes: list[tuple[str, str, Markup, tuple, int | None]] = field(default_factory=list)
    source_uses: list[tuple[str, str]] = field(default_factory=list)  # (source id, ref anchor)
    term_uses: list[tuple[str, str]] = field(default_factory=list)  # (term id, anchor): the linked first uses
    term_mentions: list[tuple[str, str]] = field(default_factory=list)  # (term id, anchor): every use, linked or not
    excerpts: list[tuple[str, str, str, tuple]] = field(default_factory=list)  # (number, anchor, html, source ids)
    words: int = 0
    images: list[str] = field(default_factory=list)  # paths relative to the guide directory
    figures: list[str] = field(default_factory=list)  # ids of figures placed in the document
    figure_sources: dict = field(default_factory=dict)  # figure id -> source ids it cites
    problems: list[tuple[str, str]] = field(default_factory=list)  # (text on the line, message)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (text on the line, message)
    placements: list[tuple[str, str]] = field(default_factory=list)  # charts placed: (figure id, text on the line)
    figure_refs: list[tuple[str, str]] = field(default_factory=list)  # (figure id, text on the line)
    pictures: list[dict] = field(default_factory=list)  # picture figures: id, caption, alt, image, credit, html
    boxes: list = field(default_factory=list)  # the boxes (callouts) of the document, for its handout
    footnote_copies: dict = field(default_factory=dict)  # footnote label -> its text, for a second call
    anchor_links: list[tuple[str, str]] = field(default_factory=list)  # (#anchor linked to, text on the line)

    def linked_terms(self) -> set[str]:
        return {t for t, _ in self.term_uses}


class CitationProcessor(InlineProcessor):
    """[@a, p. 4; see @b] -> a note call ``<span data-note="N">``; the citation is kept as data
    (`citation.Cite`). An unknown source or an item that does not read is a problem of the text."""

    def __init__(self, pattern, md, state: DocumentState, converter: Converter):
        super().__init__(pattern, md)
        self.state, self.converter = state, converter

    def handleMatch(self, m, data):
        items = parse_bracketed(m.group(1))
        if items is None:
            self.state.problems.append((m.group(0), f"cannot read citation '{m.group(0)}' "
                                                    "(write [@key], [@key, p. 4], [see @a; @b] or [-@key])"))
            return None, None, None
        items = known_items(self.state, self.converter, items, m.group(0), "@")
        if not items:
            return (etree.Element("span") if items is None else None), m.start(0), m.end(0)
        return note_call(self.state, items), m.start(0), m.end(0)


class NarrativeCitationProcessor(InlineProcessor):
    """@key says … (or @key [p. 5] says …): the author's name in the text, the rest in a note.
    A bare @word that names no source stays text (an address, a handle)."""

    def __init__(self, pattern, md, state: DocumentState, sources: dict):
        super().__init__(pattern, md)
        self.state, self.sources = state, sources

    def handleMatch(self, m, data):
        if m.group(1) not in self.sources:
            return None, None, None
        return narrative_call(self.state, narrative(m.group(1), m.group(2))), m.start(0), m.end(0)


class MystCiteProcessor(InlineProcessor):
    """MyST's {cite:p}`a,b` and {cite:t}`a` (and {cite}`a`): read as [@a; @b] and @a are. Another
    citation role ({cite:year} …) is left to the MyST role processor, which warns."""

    def __init__(self, pattern, md, state: DocumentState, converter: Converter):
        super().__init__(pattern, md)
        self.state, self.converter = state, converter

    def handleMatch(self, m, data):
        items = parse_myst_role(m.group(1), m.group(2))
        if items is None:
            return None, None, None
        items = known_items(self.state, self.converter, items, m.group(0))
        if not items:
            return etree.Element("span"), m.start(0), m.end(0)
        if items[0].mode != "author-in-text":
            return note_call(self.state, items), m.start(0), m.end(0)
        holder = etree.Element("span")
        for i, item in enumerate(items):  # {cite:t}`a,b`: "A and B", each name with its note
            if i:
                holder[-1].tail = " and " if i == len(items) - 1 else ", "
            holder.append(narrative_call(self.state, item))
        return (holder if len(items) > 1 else holder[0]), m.start(0), m.end(0)


def known_items(state: DocumentState, converter: Converter, items: list[Cite], written: str,
                mark: str = "") -> list[Cite] | None:
    """The items whose sources the source list holds; None if one names a source it does not
    know, each such one a problem of the text."""
    unknown = [c.id for c in items if not converter.known_source(c.id)]
    for key in unknown:
        state.problems.append((written, f"unknown source '{mark}{key}' in '{written}' (not in the source list)"))
    return None if unknown else [c for c in items if c.id in converter.sources]


def narrative_call(state: DocumentState, item: Cite) -> etree.Element:
    """A narrative citation: a note call of its own; the style writes the name in the text."""
    el = note_call(state, [item])
    el.set("data-narrative", "1")
    return el


def note_call(state: DocumentState, items: list) -> etree.Element:
    state.citations.append(items)
    el = etree.Element("span")
    el.set("data-note", str(len(state.citations)))  # numbered in document order by NoteOrder
    return el


def cite_placeholder(number: int) -> etree.Element:
    el = etree.Element("span")
    el.set("data-cite", str(number))
    return el


class TermMarkProcessor(InlineProcessor):
    def __init__(self, pattern, md, state: DocumentState, matcher: TermMatcher, term_ids: set[str]):
        super().__init__(pattern, md)
        self.state, self.matcher, self.term_ids = state, matcher, term_ids

    def handleMatch(self, m, data):
        shown, target = m.group(1).strip(), (m.group(2) or m.group(1)).strip()
        term_id = self.matcher.term_for(target) or (target if target in self.term_ids else None)
        if term_id is None:
            term_id = slugify(target) if slugify(target) in self.term_ids else None
        if term_id is None:
            self.state.problems.append((m.group(0), f"unknown glossary term '{target}' in '{m.group(0)}'"))
            return None, None, None
        return term_link(self.state, term_id, shown), m.start(0), m.end(0)


class FigureRefProcessor(InlineProcessor):
    """[[fig:id]] or @fig-id -> a link reading "Figure N"; the number is filled in once every
    chapter has placed its figures (`fill_figure_numbers`)."""

    def __init__(self, pattern, md, state: DocumentState):
        super().__init__(pattern, md)
        self.state = state

    def handleMatch(self, m, data):
        self.state.figure_refs.append((m.group(1), m.group(0)))
        el = etree.Element("a")
        el.set("class", "figref")
        el.set("href", f"#fig-{m.group(1)}")
        el.set("data-fignum", m.group(1))
        el.text = "Figure"
        return el, m.start(0), m.end(0)


class FigurePlacement(BlockProcessor):
    """A paragraph holding only [[figure:id]] -> a placeholder the renderers fill with the chart."""

    def __init__(self, parser, state: DocumentState, declared: dict[str, str]):
        super().__init__(parser)
        self.state, self.declared = state, declared

    def test(self, parent, block):
        return bool(FIGURE_PLACE_RE.match(block))

    def run(self, parent, blocks):
        block = blocks.pop(0)
        figure_id = FIGURE_PLACE_RE.match(block).group(1)
        kind = self.declared.get(figure_id)
        if kind is None or kind == "timeline":
            self.state.problems.append((block.strip(), f"unknown figure '{figure_id}'" if kind is None else
                                        "the timeline figure is shown in the Timeline section; refer to it with "
                                        f"[[fig:{figure_id}]]"))
            return
        el = etree.SubElement(parent, "div")
        el.set("data-figure", figure_id)
        self.state.placements.append((figure_id, block.strip()))


FIGURE_NUMBER_RE = re.compile(r' data-fignum="([\w-]+)"([^>]*)>Figure(\.?)<')


def fill_figure_numbers(html: Markup, numbers: dict[str, int]) -> Markup:
    """The "Figure N" of every figure reference and caption, once the figures are numbered."""
    if "data-fignum" not in html:
        return html
    return Markup(FIGURE_NUMBER_RE.sub(lambda m: f'{m.group(2)}>Figure\xa0{numbers.get(m.group(1), "?")}{m.group(3)}<',
                                       str(html)))


def term_link(state: DocumentState, term_id: str, text: str) -> etree.Element:
    anchor = f"{state.prefix}-use-{term_id}-{len(state.term_uses) + 1}"
    el = etree.Element("a")
    el.set("class", "term")
    el.set("role", "doc-glossref")
    el.set("href", f"#term-{term_id}")
    el.set("id", anchor)
    el.text = text
    state.term_uses.append((term_id, anchor))
    state.term_mentions.append((term_id, anchor))
    return el


def term_mention(state: DocumentState, term_id: str, text: str) -> etree.Element:
    """A later use of a term in the document: not linked again, but marked, so that the
    glossary can give the page of every use."""
    el = etree.Element("span")
    el.set("class", "term-use")
    el.set("id", f"{state.prefix}-mention-{term_id}-{len(state.term_mentions) + 1}")
    el.text = text
    state.term_mentions.append((term_id, el.get("id")))
    return el


# Typing on a keyboard, typeset: -- and --- dashes, ... ellipsis, straight quotes curled.
DASHES_RE = re.compile(r"(?<!-)---?(?!-)")
QUOTE_RE = re.compile(r"[\"']")
OPENS_QUOTE = set(" \t\n([{“‘—–/") | {""}


def typographic(text: str, after_word: bool = False) -> str:
    """`text` with typewriter quotes, dashes and dots set as a typographer would. A quote opens
    at the start (unless `after_word`: the text follows an inline element) or after a space or
    an opening bracket; an apostrophe inside or after a word closes."""
    text = DASHES_RE.sub(lambda m: "—" if len(m.group()) == 3 else "–", text).replace("...", "…")

    def curl(match: re.Match) -> str:
        before = text[match.start() - 1] if match.start() else ("a" if after_word else "")
        opening = before in OPENS_QUOTE
        if match.group() == '"':
            return "“" if opening else "”"
        return "‘" if opening and not text[match.end():match.end() + 1].isspace() else "’"

    return QUOTE_RE.sub(curl, text)


# "Chapter 6", "Figure 4", "Excerpt 1.1", "p. 12": the word and its number on one line.
NUMBERED_RE = re.compile(r"\b(Chapters?|Figures?|Excerpts?|Tables?|Parts?|pp?\.)[ \t\n]+(?=\d)")


def no_break_before_numbers(text: str) -> str:
    return NUMBERED_RE.sub(lambda m: m.group(1) + "\xa0", text)


class Typography(Treeprocessor):
    """Sets typed quotes, dashes and dots in the document's text (not in code), and a no-break
    space between a word and the number it names."""

    def run(self, root):
        self._walk(root, after_word=False)

    def _walk(self, el, after_word: bool):
        if el.tag in ("code", "pre", "kbd", "samp"):
            return
        if el.text:
            el.text = no_break_before_numbers(typographic(el.text, after_word))
        for child in el:
            self._walk(child, after_word=False)
            if child.tail:
                child.tail = no_break_before_numbers(typographic(child.tail, after_word=True))


LAST_WORDS_MAX = 16  # characters after the joined space: more, and the line before runs short


class LastWordsJoined(Treeprocessor):
    """A paragraph of running text does not end in a line of one short word: its last two words
    are joined by a no-break space ("… in the / villages." becomes "… in / the villages.")."""

    def run(self, root):
        for p in root.iter("p"):
            if not p.get("class"):  # not a label or a box's title
                join_last_words(p)


def text_slots(el) -> list[tuple]:
    """The pieces of text of `el` in reading order, as (element, "text" | "tail"); code and
    note calls are opaque (a call's tail is text of the paragraph)."""
    slots = [(el, "text")]
    for child in el:
        if child.tag not in ("code", "kbd", "samp", "br") and child.get("data-note") is None:
            slots += text_slots(child)
        slots.append((child, "tail"))
    return slots


def join_last_words(p) -> None:
    after = 0  # letters after the space looked for
    for el, attr in reversed(text_slots(p)):
        text = getattr(el, attr) or ""
        body = text if after else text.rstrip()
        at = max(body.rfind(" "), body.rfind("\n"))
        if at < 0:
            after += len(body)
            if after > LAST_WORDS_MAX:
                return
            continue
        after += len(body) - at - 1
        if after <= LAST_WORDS_MAX and (body[:at].strip() or (el, attr) != (p, "text")):
            setattr(el, attr, body[:at].rstrip(" \n") + "\xa0" + text[at + 1:])
        return


class GlossaryLinker(Treeprocessor):
    """Links the first use of each term in the document and marks every later use (a tree
    processor)."""

    def __init__(self, md, state: DocumentState, matcher: TermMatcher):
        super().__init__(md)
        self.state, self.matcher = state, matcher

    def run(self, root):
        self.done = self.state.linked_terms()
        self._walk(root)

    def _walk(self, el):
        if el.tag in SKIP_TAGS or el.get("data-note") is not None or el.get("data-cite") is not None \
                or el.get("class") in NOT_LINKED:
            return
        if el.text:
            el.text = self._link_in(el, 0, el.text)
        for child in list(el):
            self._walk(child)
            if child.tail:
                index = list(el).index(child) + 1
                child.tail = self._link_in(el, index, child.tail)

    def _link_in(self, parent, index: int, text: str) -> str:
        """Link each term's first use in `text` and mark its later ones: insert the elements
        into `parent` at `index` and return the text that stays before them."""
        links, head, pos = [], text, 0
        for match in self.matcher.finditer(text):
            term_id = self.matcher.term_for(match.group(1))
            if in_proper_name(text, match):
                continue
            mention = term_id in self.done
            self.done.add(term_id)
            before, shown = text[pos:match.start()], match.group(1)
            if mention and before.endswith(" "):  # the space inside the mark (docs/weasyprint-upstream.md, 6.)
                before, shown = before[:-1], " " + shown
            if links:
                links[-1].tail = before
            else:
                head = before
            make = term_mention if mention else term_link
            links.append(make(self.state, term_id, shown))
            pos = match.end()
        if links:
            links[-1].tail = text[pos:]
            for offset, link in enumerate(links):
                parent.insert(index + offset, link)
        return head


NAME_WORD = r"[A-Z][\w'’-]*"
SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;“‘(—]\s*)" + NAME_WORD + r"\s+$")


def in_proper_name(text: str, match: re.Match) -> bool:
    """A capitalised use inside a longer name ("the Soil Conservation Act", "the Great Plains
    Shelterbelt") is not linked: a capitalised word right after it, or one before it that does
    not start the sentence. [[…]] links it where that is meant."""
    if not match.group(1)[:1].isupper():
        return False
    if re.match(r"[ \t\n]+" + NAME_WORD, text[match.end():]):
        return True
    before = text[:match.start()]
    return bool(re.search(NAME_WORD + r"\s+$", before)) and not SENTENCE_START_RE.search(before)


NOTE_BLOCKS = {"p", "li", "dd", "dt", "td", "th", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6"}
NOTES_HOLDER = "sg-notes"  # the element at the end of the tree that carries footnotes' text to `NoteText`


class NoteOrder(Treeprocessor):
    """Makes the notes, numbered in document order, and the document's citations as data
    (`model.Citation`, kept by the `Converter`).

    In a note style the citations of one paragraph (list item, table cell) share a single
    note, placed at the paragraph's last citation, as the Chicago Manual allows (17th ed.,
    14.57) to keep note references few; a source cited plainly twice there is named once, its
    locators joined. A narrative citation (@key says) is a note of its own at its place, the
    name in the text. In an author-date style each citation stays where it is written, in the
    text. The author's footnotes ([^id] and ^[…]) are notes in either; a citation inside one is
    formatted inside it, as pandoc does.
    """

    def __init__(self, md, state: DocumentState, converter: Converter, inline: bool = False):
        super().__init__(md)
        self.state, self.converter, self.inline = state, converter, inline

    def run(self, root):
        self.state.notes = []
        if self.inline:
            return self.write_out(root)
        footnotes = self.take_footnotes(root)
        holder = etree.Element("div")
        holder.set("class", NOTES_HOLDER)
        for group in note_groups(root, self.converter.note_style):
            if group[0][0].get("data-note") and not self.converter.note_style:
                self.in_text(group[0])
                continue
            number = len(self.state.notes) + 1
            ref = f"{self.state.prefix}-ref-{number}"
            citation = None
            if group[0][0].get("data-note"):
                citation, cited = self.citation_note(group)
            else:
                cited = self.footnote_note(group[0], footnotes, holder, number)
            self.state.notes.append((f"{self.state.prefix}-note-{number}", ref, Markup(""), tuple(cited), citation))
            self.state.source_uses.extend((key, ref) for key in cited)
        for label in footnotes:
            self.state.warnings.append((f"[^{label}]:", f"footnote [^{label}] is never referenced in the text"))
        punctuation_before_calls(root)
        if len(holder):
            root.append(holder)

    def items_of(self, calls) -> list[Cite]:
        return [item for call, _ in calls for item in self.state.citations[int(call.get("data-note")) - 1]]

    def register(self, items: list[Cite], place: str, in_note: int = 0) -> Citation:
        return self.converter.register(items, place, self.state.prefix if self.state.chapter_number else "", in_note)

    def in_text(self, call: tuple) -> None:
        """Author-date: the citation stays in the text, where it is written."""
        el, parent = call
        citation = self.register(self.items_of([call]), "note")
        self.state.source_uses.extend((key, citation.anchor) for key in citation.source_ids)
        replace_element(parent, el, cite_placeholder(citation.number))

    def write_out(self, root) -> None:
        """A short field (an answer, a definition) has no notes: its citations and footnotes are
        written out in brackets where they are called."""
        footnotes = self.take_footnotes(root)
        for group in note_groups(root, self.converter.note_style):
            el, parent = group[-1]
            if el.get("data-note"):
                citation = self.register(merged(self.items_of(group)), "inline")
                for call, call_parent in group[:-1]:
                    remove_keeping_tail(call_parent, call)
                written = cite_placeholder(citation.number)
            else:
                holder = etree.Element("div")
                self.footnote_note(group[0], footnotes, holder, 0, "inline")
                el = next(c for c in parent if c.get("data-note") == "0")
                content = holder[0]
                parts = list(content) if len(content) and all(p.tag == "p" for p in content) else [content]
                written = etree.Element("span")
                written.set("class", "note-inline")
                written.text = " ("
                for part in parts:
                    part.tag, part.tail = "span", " " if part is not parts[-1] else None
                    part.attrib.clear()
                    written.append(part)
                etree.SubElement(written, "span").text = ")"
            replace_element(parent, el, written)

    def citation_note(self, calls) -> tuple[int, list[str]]:
        items = self.items_of(calls)
        for call, parent in calls[:-1]:
            remove_keeping_tail(parent, call)
        calls[-1][0].set("data-note", str(len(self.state.notes) + 1))
        calls[-1][0].attrib.pop("data-narrative", None)
        citation = self.register(merged(items) if len(calls) > 1 or len(items) > 1 else items, "note")
        return citation.number, list(citation.source_ids)

    def take_footnotes(self, root) -> dict[str, etree.Element]:
        """The footnotes' texts (Python-Markdown's footnote list, taken out of the tree)."""
        found = {}
        for div in [el for el in root if el.tag == "div" and el.get("class") == "footnote"]:
            root.remove(div)
            for li in div.iter("li"):
                if (li.get("id") or "").startswith("fn:"):
                    found[li.get("id")[3:]] = li
        return found

    def footnote_note(self, call: tuple, footnotes: dict, holder, number: int, place: str = "footnote") -> list[str]:
        """Put the footnote's call in the text and its content in the holder; the sources it cites."""
        el, parent = call
        content = etree.SubElement(holder, "div")
        content.set("data-sg-note", str(number))
        if el.tag == "sup":  # [^label]
            label = el[0].get("href", "#fn:")[4:]
            source = footnotes.pop(label, None)
            if source is None:  # a second call of the same footnote: the note again
                source = copy.deepcopy(self.state.footnote_copies.get(label, etree.Element("p")))
            else:
                self.state.footnote_copies[label] = copy.deepcopy(source)
            for backref in [a for a in source.iter("a") if a.get("class") == "footnote-backref"]:
                for p in source.iter():
                    if backref in list(p):
                        p.remove(backref)
                        p.text = (p.text or "").replace(NBSP_PLACEHOLDER, "")
            content.extend(list(source))
        else:  # ^[inline note]
            content.text = el.text
            content.extend(list(el))
        placeholder = etree.Element("span")
        placeholder.set("data-note", str(number))
        replace_element(parent, el, placeholder)
        return self.cite_in_footnote(content, number, place)

    def cite_in_footnote(self, content, number: int, place: str) -> list[str]:
        """The citations inside a footnote, as data formatted inside the note: placeholders."""
        cited = []
        for parent in list(content.iter()):
            for call in [c for c in parent if c.tag == "span" and c.get("data-note")]:
                items = self.state.citations[int(call.get("data-note")) - 1]
                citation = self.register(items, place, number)
                cited += list(citation.source_ids)
                replace_element(parent, call, cite_placeholder(citation.number))
        return list(dict.fromkeys(cited))


PUNCTUATION_AFTER_CALL_RE = re.compile(r"[.,;:!?]+")


def punctuation_before_calls(root) -> None:
    """A note number follows the punctuation, a dash excepted (Chicago 14.26): "years.”⁵", not
    "years”⁵.". A full stop or comma written after a call moves before it, inside a closing
    double quotation mark; other marks move before the call, after the quotation mark."""
    for parent in root.iter():
        for call in [c for c in parent if c.tag == "span" and c.get("data-note")]:
            mark = PUNCTUATION_AFTER_CALL_RE.match(call.tail or "")
            if mark:
                call.tail = call.tail[mark.end():]
                index = list(parent).index(call)
                before = (parent[index - 1].tail if index else parent.text) or ""
                words = before.rstrip("”") if mark.group()[0] in ".," else before
                before = words + mark.group() + before[len(words):]
                if index:
                    parent[index - 1].tail = before
                else:
                    parent.text = before


def replace_element(parent, old, new) -> None:
    """`new` where `old` stood, with the text that followed `old`."""
    new.tail = old.tail
    parent.insert(list(parent).index(old), new)
    parent.remove(old)


def merged(items: list[Cite]) -> list[Cite]:
    """The items of one note: a source cited plainly more than once is named once, its
    locators of one kind joined ("p. 4" and "p. 7" -> "p. 4, 7")."""
    out: list[Cite] = []
    for item in items:
        at = next((i for i, o in enumerate(out) if item.mergeable and o.mergeable and o.id == item.id
                   and (o.label == item.label or not o.locator or not item.locator)), None)
        if at is None:
            out.append(item)
        elif item.locator and item.locator != out[at].locator:
            known = out[at]
            joined = f"{known.locator}, {item.value}" if known.locator else item.locator
            out[at] = Cite(known.id, joined, known.label or item.label)
    return out


def note_groups(root, note_style: bool = True) -> list[list[tuple]]:
    """The note calls (element, parent) in groups that become one note each: the citations of a
    paragraph (note styles), a narrative citation, a citation in an author-date style, or one
    footnote; in the order of each group's last call. A footnote's own citations are left to it."""
    groups: dict[int, list[tuple]] = {}
    order: list[int] = []

    def walk(el, block):
        for child in el:
            key = None
            if child.tag == "span" and child.get("data-note"):
                key = id(block) if note_style and not child.get("data-narrative") else id(child)
            elif footnote_call(child):
                key = id(child)
            if key is not None:
                groups.setdefault(key, []).append((child, el))
                order.append(key)
                if footnote_call(child) or (note_style and not child.get("data-narrative")):
                    strip_space_before(el, child)
                if key == id(child):
                    continue
            walk(child, child if child.tag in NOTE_BLOCKS else block)

    walk(root, root)
    last = {key: index for index, key in enumerate(order)}
    return [groups[key] for key in sorted(last, key=last.get)]


def footnote_call(el) -> bool:
    if el.tag == "span" and el.get("class") == "inline-note":
        return True
    return el.tag == "sup" and len(el) == 1 and el[0].get("class") == "footnote-ref"


def strip_space_before(parent, el) -> None:
    """A note call sits right after the word: "the famine.¹", not "the famine ¹"."""
    index = list(parent).index(el)
    if index:
        before = parent[index - 1]
        if before.tail:
            before.tail = before.tail.rstrip(" \t")
    elif parent.text:
        parent.text = parent.text.rstrip(" \t")


def remove_keeping_tail(parent, el) -> None:
    """Remove an inline element, keeping the text that follows it."""
    index = list(parent).index(el)
    if el.tail:
        if index:
            before = parent[index - 1]
            before.tail = (before.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


class NoteText(Postprocessor):
    """Takes the footnotes' finished HTML (raw HTML and escapes restored) from the end of the
    document into the notes; a note of several paragraphs keeps them apart with line breaks."""

    def __init__(self, md, state: DocumentState):
        super().__init__(md)
        self.state = state

    def run(self, text):
        start = text.rfind(f'<div class="{NOTES_HOLDER}">')
        if start < 0:
            return text
        held, text = text[start:], text[:start].rstrip() + "\n"
        for kind, key, html in HELD_RE.findall(held):
            if kind == "note" and int(key) <= len(self.state.notes):
                anchor, ref, _, keys, citation = self.state.notes[int(key) - 1]
                self.state.notes[int(key) - 1] = (anchor, ref, Markup(note_paragraphs(html)), keys, citation)
            elif kind == "box":
                self.state.boxes.append(Markup(html.strip()))
            elif kind in ("picture", "caption"):
                picture = next(p for p in self.state.pictures if p["id"] == key)
                if kind == "caption":  # for the lists of figures, whose entries are links themselves
                    html = LINK_TAG_RE.sub("", html)
                picture["html" if kind == "picture" else "caption"] = Markup(html.strip())
        return text


LINK_TAG_RE = re.compile(r"</?a\b[^>]*>")
HELD_RE = re.compile(r'<div data-sg-(note|picture|caption|box)="([\w-]+)">(.*?)</div>'
                     r'(?=\s*(?:<div data-sg-|</div>\s*$))', re.S)


def note_paragraphs(html: str) -> str:
    html = re.sub(r"(?:&#160;|\xa0)(?=(?:</p>)?\s*$)", "", html.strip())
    if html.startswith("<p>") and html.endswith("</p>"):
        html = html[3:-4]
    return re.sub(r"</p>\s*<p>", "<br />", html).strip()


class ExcerptNumberer(Treeprocessor):
    """Numbers a chapter's top-level block quotations as source excerpts; sets section ids; counts words."""

    def __init__(self, md, state: DocumentState, converter: Converter):
        super().__init__(md)
        self.state, self.converter, self.ids = state, converter, converter.ids

    def run(self, root):
        count = 0
        for el in root:
            if el.tag == "blockquote" and self.state.chapter_number:  # a chapter's, not an answer's
                count += 1
                number = f"{self.state.chapter_number}.{count}"
                anchor = f"{self.state.prefix}-excerpt-{count}"
                el.set("class", "excerpt")
                el.set("id", anchor)
                label = etree.Element("p")
                label.set("class", "excerpt-label")
                label.text = f"Excerpt\xa0{number}"
                el.insert(0, label)
                self.state.excerpts.append((number, anchor, etree.tostring(el, encoding="unicode"), self.cited(el)))
            elif el.tag in ("h2", "h3", "h4", "h5", "h6") and el.get("id"):
                self.given_id(el)
            elif el.tag in ("h2", "h3", "h4") and not el.get("id"):
                el.set("id", section_id(f"{self.state.prefix}-{slugify(''.join(el.itertext()))}", self.ids))
        self.state.words = sum(len("".join(el.itertext()).split()) for el in root
                               if el.tag not in ("blockquote", "pre", "h2", "h3", "h4")
                               and el.get("class") != NOTES_HOLDER)

    def cited(self, excerpt) -> tuple[str, ...]:
        """The sources the excerpt's citations name."""
        found = []
        for el in excerpt.iter("span"):
            if el.get("data-note") and int(el.get("data-note")) <= len(self.state.notes):
                found += self.state.notes[int(el.get("data-note")) - 1][3]
            elif el.get("data-cite"):
                found += self.converter.citations[int(el.get("data-cite"))].source_ids
        return tuple(dict.fromkeys(found))

    def given_id(self, heading) -> None:
        """A heading's {#id}: a name no other heading and none of the builder's ids has."""
        given = heading.get("id")
        if not re.fullmatch(r"[A-Za-z][\w.-]*", given) or BUILDER_ID_RE.fullmatch(given) or given in self.ids:
            self.state.problems.append((f"#{given}", f"heading id '#{given}' is already used or reserved: "
                                                     "choose another"))
            heading.set("id", section_id(f"{self.state.prefix}-{slugify(given)}", self.ids))
        else:
            self.ids.add(given)


# The ids the builder gives (see the templates): a heading never takes one of them, so a
# chapter "term" with a section "Delta" cannot steal the glossary's #term-delta.
BUILDER_ID_RE = re.compile(
    r"(?:ch|term|src|fig|q|questions|print-page)-.*"
    r"|.*-(?:use-.+|ref|note|excerpt)-\d+"
    r"|(?:toc|cover|cover-title|lof|people|content-note|questions|contents|page-list|objectives|landmarks"
    r"|glossary|sources|timeline|teacher-notes|figures-list|terms|excerpts|teaching-guidance)(?:-h)?")


def section_id(base: str, taken: set[str]) -> str:
    """A heading's id: `base`, or `base-2`, `base-3` … if a heading of the guide has it, never
    one of the builder's ids; `taken` (the guide's heading ids) gets the one chosen."""
    candidates = chain([base], (f"{base}-{k}" for k in range(2, 100)), (f"section-{k}" for k in count(1)))
    chosen = next(c for c in candidates if c not in taken and not BUILDER_ID_RE.fullmatch(c))
    taken.add(chosen)
    return chosen


# --- what the text points at ------------------------------------------------------------------

LINK_SCHEMES = ("http", "https", "mailto")
SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
BLANKS = "".join(map(chr, range(0x21)))
IMAGE_TYPES = {".png": b"\x89PNG\r\n\x1a\n", ".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff",
               ".gif": b"GIF8", ".svg": b"", ".webp": b"RIFF"}


def followed_url(value: str) -> str:
    """The URL a reader follows from an href or src of the tree: Markdown keeps character
    references (&#106;) in attributes, which the reader decodes; browsers drop tabs and
    line breaks inside a URL and spaces or control characters around it."""
    return re.sub(r"[\t\n\r]", "", html_text.unescape(value)).strip(BLANKS)


def url_scheme(url: str) -> str:
    match = SCHEME_RE.match(url)
    return match.group(1).lower() if match else ""


def url_problem(value: str) -> str | None:
    """Why a link may not be published, or None: only web pages, e-mail addresses and places
    in the guide (#anchor). The one check of link targets, for chapters, YAML fields and sources."""
    url = followed_url(value)
    if url.startswith("#") and url[1:] and not re.search(r"\s", url):
        return None
    if url_scheme(url) in LINK_SCHEMES:
        return None
    return (f"link to '{value}' is not allowed: link to a web page (https://…), an e-mail address "
            "(mailto:…) or a place in the guide (#…)")


def image_problem(value: str, root: Path | None) -> tuple[str, str | None]:
    """(the guide-relative path of an image source, why it may not be used or None).

    An image is a PNG, JPEG, GIF, WebP or SVG file inside the guide: not an address, not a
    path outside the guide or through a link out of it, not a FIFO or device."""
    url = followed_url(value)
    path = unquote(url)
    if url_scheme(url) or path.startswith(("/", "\\")) or "\\" in path:
        return "", f"image '{value}': only files inside the guide may be used"
    if root is None:
        return path, None
    try:
        relative, data = picture_file(root, path)
    except GuideFileError as error:
        return "", f"image '{value}' {error}"
    problem = picture_problem(data, Path(path).suffix.lower())
    return ("", f"image '{value}' {problem}") if problem else (relative, None)


def picture_file(root: Path, path: str) -> tuple[str, bytes]:
    """(path relative to the guide, links inside it resolved; the bytes) of a picture of the guide."""
    inside_guide(root, root / path)
    if not os.path.lexists(root / path):
        raise GuideFileError("not found")
    if Path(path).suffix.lower() not in IMAGE_TYPES:
        raise GuideFileError("must be a PNG, JPEG, GIF, WebP or SVG file")
    relative = Path(os.path.relpath(os.path.realpath(root / path), os.path.realpath(root))).as_posix()
    if not FILE_NAME_RE.fullmatch(relative):
        raise GuideFileError("must have a file name of letters, digits, '-', '_' and '.'")
    return relative, read_guide_file(root, root / path)


def picture_problem(data: bytes, suffix: str) -> str | None:
    if not data.startswith(IMAGE_TYPES[suffix]):
        return f"is not a {suffix[1:].upper()} file"
    svg = svg_problem(data) if suffix == ".svg" else None
    return f"is refused: the SVG picture {svg}" if svg else None


FILE_NAME_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
SVG_NS = "{http://www.w3.org/2000/svg}"
SVG_ACTIVE = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener", "set", "animate"}
OUTSIDE_URL_RE = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.I)


def svg_problem(data: bytes) -> str | None:
    """Why an SVG picture may not be published, or None: it may hold no script, no event
    attribute, no reference to another file or address, no DOCTYPE (entities)."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.I):
        return "declares a DOCTYPE or entities"
    try:
        root = etree.fromstring(data)
    except etree.ParseError as error:
        return f"is not well-formed XML ({error})"
    if root.tag != f"{SVG_NS}svg":
        return "has no <svg> root element"
    for el in root.iter():
        name = str(el.tag).rsplit("}", 1)[-1]
        if name.lower() in SVG_ACTIVE:
            return f"holds a <{name}> element"
        if name == "style" and OUTSIDE_URL_RE.search(el.text or ""):
            return "loads a style sheet or picture from another file"
        for attribute, value in el.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return f"holds an event attribute ({local})"
            if local in ("href", "src") and not value.strip().startswith("#"):
                return f"refers to another file or address ({value})"
            if OUTSIDE_URL_RE.search(value):
                return "loads a style sheet or picture from another file"
    return None


class TargetCheck(Treeprocessor):
    """Checks what the rendered document points at, whatever Markdown wrote it with (inline or
    reference links, <…> targets, titles, brackets in alt text): a refused link loses its
    href and a refused image its src, and the problem is recorded. Images are collected
    with their guide-relative paths; links to #anchors are kept for the loader to check."""

    def __init__(self, md, state: DocumentState, root: Path | None):
        super().__init__(md)
        self.state, self.root = state, root

    def run(self, root):
        for el in root.iter("a"):
            self.check_references(el)
            if el.get("href") is not None and not el.get("class"):  # not the builder's own
                self.check_link(el)
        for el in root.iter("img"):
            self.check_references(el)
            self.check_image(el)

    def check_references(self, el):
        """Markdown copies character references (&#1;) into attributes as written: one to a
        character XML does not allow makes the e-book unreadable."""
        for name, value in list(el.attrib.items()):
            bad = next((m.group() for m in CHARACTER_REFERENCE_RE.finditer(value) if not xml_character(m)), None)
            if bad:
                self.state.problems.append((bad, f"character reference '{bad}' names a character that is not "
                                                 "allowed in a text"))
                el.set(name, CHARACTER_REFERENCE_RE.sub(lambda m: m.group() if xml_character(m) else "", value))

    def check_link(self, el):
        href, text = el.get("href"), " ".join("".join(el.itertext()).split())
        problem = url_problem(href)
        if problem:
            self.state.problems.append((href, problem))
            del el.attrib["href"]
            return
        if text.lower().strip(".!") in VAGUE_LINK_TEXT or text == href:
            self.state.problems.append((href, f"link text '{text}' does not say where the link goes: describe "
                                              "the target (e.g. [the Library of Congress study](…))"))
        if href.startswith("#"):
            self.state.anchor_links.append((followed_url(href)[1:], href))

    def check_image(self, el):
        src, alt = el.get("src", ""), el.get("alt", "")
        if not self.state.chapter_number:
            self.state.problems.append((src, f"image '{src}': pictures are placed in a chapter's text"))
            el.attrib.pop("src", None)
            return
        if not alt.strip():
            self.state.problems.append((src, f"image '{src}' has no alt text: describe it, or write alt text "
                                             "'decorative' for a purely decorative image"))
        path, problem = image_problem(src, self.root)
        if problem:
            self.state.problems.append((src, problem))
            el.attrib.pop("src", None)
            return
        el.set("src", path)
        self.state.images.append(path)
        if alt.strip().lower() == "decorative":
            el.set("alt", "")
            el.set("role", "presentation")


CHARACTER_REFERENCE_RE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|(\d{1,10}));")


def xml_character(reference: re.Match) -> bool:
    """A character reference to a character a text may hold (no control character, no surrogate)."""
    code = int(reference.group(1), 16) if reference.group(1) else int(reference.group(2))
    return code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF and not CONTROL_RE.match(chr(code))


VAGUE_LINK_TEXT = {"here", "click here", "this", "link", "this link", "more", "read more", "this page", "page"}


class RawHtmlSanitizer(Postprocessor):
    """Reduces raw HTML blocks to an allowlist before they are put back in the output."""

    def run(self, text):
        stash = self.md.htmlStash.rawHtmlBlocks
        for i, block in enumerate(stash):
            stash[i] = sanitize_html(str(block))
        return text


ALLOWED_TAGS = {"span", "em", "strong", "i", "b", "sub", "sup", "abbr", "br", "small", "cite",
                "q", "mark", "s", "u", "kbd", "code", "pre", "p", "div", "ul", "ol", "li", "dl", "dt", "dd"}
ALLOWED_ATTRS = {"lang", "class", "title", "dir"}
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
VOID = {"br"}


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROP_WITH_CONTENT:
            self.dropping += 1
            return
        if self.dropping or tag not in ALLOWED_TAGS:
            return
        kept = "".join(f' {k}="{escape(v or "")}"' for k, v in attrs if k in ALLOWED_ATTRS)
        self.out.append(f"<{tag}{kept}{' /' if tag in VOID else ''}>")

    def handle_startendtag(self, tag, attrs):
        if tag in VOID and not self.dropping:
            self.out.append("<br />")

    def handle_endtag(self, tag):
        if tag in DROP_WITH_CONTENT:
            self.dropping = max(0, self.dropping - 1)
            return
        if not self.dropping and tag in ALLOWED_TAGS and tag not in VOID:
            self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(str(escape(data)))


def sanitize_html(html: str) -> str:
    cleaner = _Cleaner()
    cleaner.feed(html)
    cleaner.close()
    return "".join(cleaner.out)


class StudyGuideExtension(Extension):
    def __init__(self, state: DocumentState, converter: Converter, autolink: bool):
        super().__init__()
        self.state, self.converter, self.autolink = state, converter, autolink

    def extendMarkdown(self, md):
        state, c = self.state, self.converter
        md.preprocessors.register(dialect.DirectiveFences(md, state), "directive-fences", 27)
        md.preprocessors.register(dialect.FenceLines(md), "fence-lines", 19)
        md.preprocessors.register(dialect.ListIndent(md), "list-indent", 18)
        md.parser.blockprocessors.register(dialect.FencedDivProcessor(md.parser, state), "fenced-div", 105)
        md.parser.blockprocessors.register(FigurePlacement(md.parser, state, c.figures), "figure", 95)
        md.parser.blockprocessors.register(dialect.TableCaptionProcessor(md.parser), "table-caption", 26)
        md.inlinePatterns.register(MystCiteProcessor(MYST_CITE_RE, md, state, c), "myst-cite", 196)
        md.inlinePatterns.register(dialect.MystRoleProcessor(dialect.MYST_ROLE_RE, md, state), "myst-role", 195)
        md.inlinePatterns.register(dialect.InlineNoteProcessor(dialect.INLINE_NOTE_RE, md), "inline-note", 185)
        md.inlinePatterns.register(FigureRefProcessor(FIGURE_REF_RE, md, state), "figure-ref", 177)
        md.inlinePatterns.register(
            TermMarkProcessor(TERM_MARK_RE, md, state, c.matcher, set(c.term_ids)), "term-mark", 176)
        md.inlinePatterns.register(CitationProcessor(CITATION_RE, md, state, c), "citation", 174)
        md.inlinePatterns.register(dialect.BracketedSpanProcessor(dialect.SPAN_RE, md, state), "span", 165)
        md.inlinePatterns.register(FigureRefProcessor(FIGURE_AT_RE, md, state), "figure-at", 173)
        md.inlinePatterns.register(NarrativeCitationProcessor(NARRATIVE_RE, md, state, c.sources), "narrative", 172)
        md.inlinePatterns.register(dialect.strike(md), "strike", 65)
        md.treeprocessors.register(dialect.PictureFigures(md, state), "pictures", 30)
        md.treeprocessors.register(dialect.PendingTableCaptions(md), "table-captions", 19)
        md.treeprocessors.register(dialect.CheckedAttrList(md, state), "attr_list", 8)
        md.treeprocessors.register(dialect.Unsupported(md, state), "unsupported", 7)
        md.treeprocessors.register(Typography(md), "typography", 6)
        if self.autolink:
            md.treeprocessors.register(GlossaryLinker(md, state, c.matcher), "glossary", 5)
        md.treeprocessors.register(NoteOrder(md, state, c, inline=not self.autolink), "note-order", 4.5)
        if self.autolink:  # a chapter's running text
            md.treeprocessors.register(LastWordsJoined(md), "last-words", 4.45)
        md.treeprocessors.register(dialect.PictureCaptions(md, state), "picture-captions", 4.3)
        md.treeprocessors.register(TargetCheck(md, state, c.root), "targets", 4.2)  # before excerpts are copied
        md.treeprocessors.register(ExcerptNumberer(md, state, c), "excerpts", 4)
        md.treeprocessors.register(FigureOrder(md, state), "figure-order", 3.9)
        md.postprocessors.register(RawHtmlSanitizer(md), "sanitize", 35)
        md.postprocessors.register(NoteText(md, state), "note-text", 1)


class FigureOrder(Treeprocessor):
    """The document's figures (charts placed, pictures) in the order they stand; a copy of each
    picture figure and box for the handout, taken out as HTML with the notes (`NoteText`)."""

    def __init__(self, md, state: DocumentState):
        super().__init__(md)
        self.state = state

    def run(self, root):
        holder = next((el for el in root if el.get("class") == NOTES_HOLDER), None)
        shown = [el for child in root if child is not holder for el in child.iter()]
        for number, box in enumerate((el for el in root if "callout" in (el.get("class") or "").split()), 1):
            holder = self.hold(root, holder, box, "box", str(number))
        for el in shown:
            if el.tag == "div" and el.get("data-figure"):
                self.state.figures.append(el.get("data-figure"))
            elif el.tag == "figure" and "figure-picture" in (el.get("class") or ""):
                figure_id = el.get("id")[4:]
                self.state.figures.append(figure_id)
                holder = self.hold(root, holder, el, "picture", figure_id)
                holder.append(caption_only(el, figure_id))
                picture = next(p for p in self.state.pictures if p["id"] == figure_id)
                picture["alt"] = el.find("img").get("alt", "")


    @staticmethod
    def hold(root, holder, el, kind: str, key: str):
        """A copy of `el` in the holder, for `NoteText` to take out as HTML."""
        if holder is None:
            holder = etree.SubElement(root, "div")
            holder.set("class", NOTES_HOLDER)
        whole = etree.SubElement(holder, "div")
        whole.set(f"data-sg-{kind}", key)
        whole.append(copy.deepcopy(el))
        whole[0].tail = None
        return holder


def caption_only(figure, figure_id: str) -> etree.Element:
    """The caption's words for a list of figures: no label, note calls or credit."""
    caption = copy.deepcopy(figure.find("figcaption"))
    label = caption[0]
    for el in list(caption):
        if el is label or el.get("class") == "figure-credit":
            remove_keeping_tail(caption, el)
    for parent in list(caption.iter()):
        for call in [c for c in parent if c.get("data-note") or c.get("data-cite")]:
            remove_keeping_tail(parent, call)
    caption.tag, caption.attrib = "div", {"data-sg-caption": figure_id}
    caption.text = (caption.text or "").strip()
    if len(caption):
        caption[-1].tail = (caption[-1].tail or "").rstrip().rstrip(".")
    else:
        caption.text = caption.text.rstrip(".")
    caption.tail = None
    return caption


MAX_NESTING = 30  # quotations and lists inside each other: Markdown's parser recurses into each
MAX_BRACKETS = 500  # '[' in one paragraph: Markdown looks for the end of each all along the paragraph
NESTING_RE = re.compile(r"[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)])(?=[ \t>]|$)[ \t]*)*")


def parse_refusal(text: str) -> tuple[str, str] | None:
    """(text on the line, message) when `text` would take Markdown too deep or too long to parse."""
    for line in text.split("\n"):
        prefix = NESTING_RE.match(line).group()
        if len(prefix) <= MAX_NESTING:  # each level takes a character at least
            continue
        indent = len(prefix) - len(prefix.lstrip(" \t"))
        if len(re.findall(r">|[-*+]|\d+[.)]", prefix)) + indent // 4 > MAX_NESTING:
            return line[:80], f"quotations or lists are nested more than {MAX_NESTING} deep"
    if text.count("[") > MAX_BRACKETS:
        for block in re.split(r"\n[ \t]*\n", text):
            if block.count("[") > MAX_BRACKETS:
                return block.lstrip()[:80], f"a paragraph holds more than {MAX_BRACKETS} '[' brackets"
    return None


def line_in(text: str, needle: str, first_line: int) -> int:
    """The line (numbered from `first_line`) of `text` that holds `needle`; the first if none does."""
    at = text.find(needle) if needle else -1
    return first_line + (text.count("\n", 0, at) if at >= 0 else 0)


@dataclass(frozen=True)
class Converter:
    """Everything Markdown conversion needs from the rest of the guide.

    With `problems`, what a conversion finds is reported there with the file and line it is
    given (`where`); links to #anchors are kept in `anchor_links` for the loader to check once
    every id is known. `ids` holds the guide's heading ids: one id space for all documents."""

    sources: dict  # id -> model.Source: the ids that can be cited
    matcher: TermMatcher
    term_ids: frozenset
    figures: dict = field(default_factory=dict)  # id -> kind of the figures declared in figures.yaml
    root: Path | None = None  # the guide folder, that images are inside; None: images are not checked
    problems: Problems | None = None
    ids: set = field(default_factory=set)
    anchor_links: list = field(default_factory=list)  # (anchor, path, line)
    source_ids: frozenset | None = None  # the names that count as known (all, when the source list is broken)
    placed: dict = field(default_factory=dict)  # figure id -> (path, line) where a chapter places it
    figure_refs: list = field(default_factory=list)  # (figure id, text, path, line)
    note_style: bool = True  # the guide's citation style gives notes (else citations in the text)
    citations: list = field(default_factory=list)  # every model.Citation made, by number

    def register(self, items, place: str, chapter: str = "", in_note: int = 0) -> Citation:
        """A citation as data, numbered through the guide."""
        citation = Citation(len(self.citations), tuple(items), place, chapter, in_note)
        self.citations.append(citation)
        return citation

    def known_source(self, key: str) -> bool:
        return key in self.sources or (self.source_ids is not None and key in self.source_ids)

    def markdown(self, state: DocumentState, autolink: bool) -> markdown.Markdown:
        extension = StudyGuideExtension(state, self, autolink)
        return markdown.Markdown(extensions=[TableExtension(), SaneListExtension(), FootnoteExtension(),
                                             DefListExtension(), FencedCodeExtension(), extension],
                                 output_format="xhtml")

    def convert(self, text: str, state: DocumentState, where: tuple[Path, int] | None = None) -> Markup:
        """A whole document (a chapter): a fresh Markdown instance, glossary terms linked."""
        return self._converted(self.markdown(state, autolink=True), state, text, where)

    @cached_property
    def _fragment_state(self) -> DocumentState:
        return DocumentState("fragment")

    @cached_property
    def _fragments(self) -> markdown.Markdown:
        return self.markdown(self._fragment_state, autolink=False)

    def fragment(self, text: str, where: tuple[Path, int] | None = None) -> Markup:
        """A short block of Markdown (an answer, a note for teachers): one shared instance, reset each time."""
        return self._converted(self._fragments.reset(), self._fragment_state, text, where)

    def inline(self, text: str, where: tuple[Path, int] | None = None) -> Markup:
        """A one-line piece (a question, an objective) without the surrounding <p>."""
        html = str(self.fragment(text, where)).strip()
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            html = html[3:-4]
        return Markup(html)

    def _converted(self, md: markdown.Markdown, state: DocumentState, text: str, where) -> Markup:
        refusal = parse_refusal(text)
        html = ""
        if refusal:
            state.problems.append(refusal)
        else:
            try:
                html = md.convert(text)
            except RecursionError:
                state.problems.append(("", "emphasis, links or markup nested too deeply to read"))
        self.report(state, text, where)
        return Markup(html)

    def report(self, state: DocumentState, text: str, where: tuple[Path, int] | None) -> None:
        """Hand on what the conversion found, with file and line; the state starts afresh."""
        found, warned, links = list(state.problems), list(state.warnings), list(state.anchor_links)
        placements, refs = list(state.placements), list(state.figure_refs)
        for kept in (state.problems, state.warnings, state.anchor_links, state.placements, state.figure_refs):
            kept.clear()
        if where is None or self.problems is None:
            return
        path, first_line = where
        for needle, message in found:
            self.problems.error(path, line_in(text, needle, first_line), message)
        for needle, message in dict.fromkeys(warned):
            self.problems.warn(path, line_in(text, needle, first_line), message)
        self.anchor_links.extend((anchor, path, line_in(text, needle, first_line)) for anchor, needle in links)
        self.figure_refs.extend((fid, needle, path, line_in(text, needle, first_line)) for fid, needle in refs)
        for figure_id, needle in placements:
            line = line_in(text, needle, first_line)
            if figure_id in self.placed:
                first = self.placed[figure_id]
                self.problems.error(path, line, f"figure '{figure_id}' is already placed at {first[0].name}:{first[1]}")
            else:
                self.placed[figure_id] = (path, line)

