"""Pandoc's citation syntax read into data.

A citation is a list of `Cite` items, whatever form the author wrote it in:

* bracketed: ``[@a]``, ``[@a, p. 4]``, ``[see @a, pp. 3–4; @b, chap. 2, and passim]``;
* author suppressed: ``[-@a, p. 5]`` (the name is already in the sentence);
* narrative (author in text): ``@a says …`` or ``@a [p. 5] says …``.

Each item keeps the source id, the locator (its label as CSL names it and the locator as
written), the prefix and suffix text and the mode. `cite.py` hands them to the CSL processor
(`citeproc.py`) when the guide is rendered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# pandoc: a key starts with a letter, digit or _, and may hold internal punctuation
KEY = r"\w(?:\w|[:.#$%&+?<>~/-](?=\w))*"
# [ … @key … ] not followed by ( or [ (a link, a reference link)
BRACKETED_RE = r"\[((?:[^\[\]]*?)(?<![\w.@])-?@" + KEY + r"[^\[\]]*)\](?![(\[])"
# @key, not in an address (a@b.org) nor after a backslash; optionally followed by [locator]
NARRATIVE_RE = r"(?<![\w.@\\/:-])@(" + KEY + r")(?:[ \t]\[([^\[\]@]*)\](?![(\[:]))?"
ITEM_RE = re.compile(r"^(?P<prefix>.*?)(?:(?<=\s)|^)(?P<minus>-?)@(?P<key>" + KEY + r")(?P<rest>.*)$", re.S)

LABELS = {
    "p": "page", "pp": "page", "page": "page", "pages": "page", "pg": "page", "pgs": "page",
    "chap": "chapter", "chaps": "chapter", "chapter": "chapter", "chapters": "chapter", "ch": "chapter",
    "sec": "section", "secs": "section", "section": "section", "sections": "section", "§": "section",
    "§§": "section", "vol": "volume", "vols": "volume", "volume": "volume", "volumes": "volume",
    "bk": "book", "bks": "book", "book": "book", "fig": "figure", "figs": "figure", "figure": "figure",
    "n": "note", "nn": "note", "note": "note", "notes": "note", "no": "number", "nos": "number",
    "l": "line", "ll": "line", "line": "line", "lines": "line", "para": "paragraph", "paras": "paragraph",
    "pt": "part", "pts": "part", "part": "part", "col": "column", "cols": "column", "v": "verse",
    "vv": "verse", "fol": "folio", "fols": "folio", "op": "opus", "opp": "opus", "art": "article",
}
NUMBER = r"[0-9ivxlcdmIVXLCDM][\w–—:./()-]*"
LOCATOR_RE = re.compile(r"^(?:(?P<label>§§?|[A-Za-z]+)\.?\s*)?(?P<value>\{[^{}]*\}|" + NUMBER
                        + r"(?:\s*(?:,|&)\s*" + NUMBER + r")*)(?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class Cite:
    id: str
    locator: str = ""  # as written, label included: "p. 4", "chap. 2", "458"
    label: str = ""  # CSL's name for the locator's kind: page, chapter, section …
    prefix: str = ""
    suffix: str = ""
    mode: str = "normal"  # normal | suppress-author | author-in-text

    @property
    def value(self) -> str:
        """The locator without its label, as CSL takes it: 'pp. 33, 35–37' -> '33, 35–37'."""
        match = LOCATOR_RE.match(self.locator)
        label = match.group("label") if match else None
        if label and LABELS.get(label.lower()):
            return self.locator[match.start("value"):].strip()
        return self.locator

    @property
    def mergeable(self) -> bool:
        """A plain citation: its locators may be joined with another of the same source."""
        return self.mode == "normal" and not self.prefix and not self.suffix


def parse_bracketed(inner: str) -> list[Cite] | None:
    """'see @a, p. 4; @b' -> [Cite('a', 'p. 4', 'page', 'see'), Cite('b')]; None if an item has no key."""
    items = []
    for piece in inner.split(";"):
        match = ITEM_RE.match(piece.strip())
        if not match:
            return None
        mode = "suppress-author" if match.group("minus") else "normal"
        locator, label, suffix = parse_locator(match.group("rest"))
        items.append(Cite(match.group("key"), locator, label, " ".join(match.group("prefix").split()), suffix, mode))
    return items


def parse_locator(rest: str) -> tuple[str, str, str]:
    """', pp. 33, 35–37, and elsewhere' -> ('pp. 33, 35–37', 'page', ', and elsewhere'), as pandoc reads it:
    a known label (or none: a number is a page) and numbers; what follows is the suffix."""
    text = rest.strip()
    after_comma = text[1:].lstrip() if text.startswith(",") else text
    match = LOCATOR_RE.match(after_comma)
    if match:
        label = match.group("label")
        kind = LABELS.get(label.lower()) if label else "page"
        if kind:
            written = after_comma[:match.start("rest")].strip()
            if written.startswith(label or "\0") and "{" in written:  # p. {iv, vi–xi}: braces only group
                written = written.replace("{", "").replace("}", "")
            elif written.startswith("{"):
                written = written[1:-1].strip()
            return written, kind, clean_suffix(match.group("rest"))
    return "", "", clean_suffix(text)


def clean_suffix(text: str) -> str:
    return " ".join(text.split())


def narrative(key: str, locator_text: str | None) -> Cite:
    """@key or @key [p. 5]: the author's name goes in the text, the rest in the note."""
    locator, label, suffix = parse_locator(locator_text or "")
    return Cite(key, locator, label, "", suffix, "author-in-text")


# MyST's citation roles (sphinxcontrib-bibtex): {cite:p}`a,b` parenthetical, {cite:t}`a` textual;
# `s` names every author, `c` capitalises, `foot` makes a footnote of it: the style decides all
# three here. Each key may carry pre- and post-text in braces: {cite:p}`{see}a{p. 4}`.
MYST_CITE_RE = r"\{(?:foot)?cite(?::([a-z]+))?\}`([^`\n]+)`"
MYST_PARENTHETICAL = {None, "p", "ps", "alp", "alps"}
MYST_TEXTUAL = {"t", "ts", "ct", "cts"}
MYST_KEY_RE = re.compile(r"^(?:\{(?P<pre>[^{}]*)\})?(?P<key>[^\s{},]+)(?:\{(?P<post>[^{}]*)\})?$")


def parse_myst_role(role: str | None, inner: str) -> list[Cite] | None:
    """{cite:p}`{see}a{p. 4},b` -> [Cite('a', 'p. 4', 'page', 'see'), Cite('b')]; {cite:t} gives
    author-in-text items. None if a key does not read or the role is not a citation of either kind."""
    if role not in MYST_PARENTHETICAL | MYST_TEXTUAL:
        return None
    items = []
    for piece in inner.split(","):
        match = MYST_KEY_RE.match(piece.strip())
        if not match:
            return None
        locator, label, suffix = parse_locator(match.group("post") or "")
        mode = "author-in-text" if role in MYST_TEXTUAL else "normal"
        items.append(Cite(match.group("key"), locator, label, " ".join((match.group("pre") or "").split()), suffix, mode))
    return items
