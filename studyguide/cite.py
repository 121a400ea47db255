"""Chicago notes–bibliography formatting for CSL-shaped sources.

Notes use the short form (author, short title, locator); the source list gives
the full entry. Chicago allows short notes throughout when a full source list is
given, which keeps the footnotes of a study guide light.
"""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape

MONTHS = ("January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December")

BOOK_TYPES = {"book", "report", "thesis", "document", "manuscript"}
TYPES = BOOK_TYPES | {"chapter", "article-magazine", "article-newspaper", "article-journal",
                      "article", "webpage", "post-weblog", "speech", "interview", "entry-encyclopedia"}


def date_parts(issued) -> list[int]:
    """CSL `issued` ({date-parts: [[y, m, d]]}, 'YYYY-MM-DD', a date or a year) -> [y, m, d]; [] if unreadable."""
    try:
        parts = _raw_date_parts(issued)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError):
        return []
    valid = len(parts) <= 3 and (len(parts) < 2 or 1 <= parts[1] <= 12) and (len(parts) < 3 or 1 <= parts[2] <= 31)
    return parts if valid else []


def _raw_date_parts(issued) -> list[int]:
    if issued is None or issued == "":
        return []
    if isinstance(issued, dict):
        if "date-parts" in issued:
            parts = issued["date-parts"][0] if issued["date-parts"] else []
            return [int(p) for p in parts]
        if "literal" in issued:
            return _raw_date_parts(str(issued["literal"]))
        if "raw" in issued:
            return _raw_date_parts(str(issued["raw"]))
        return []
    if isinstance(issued, dt.date):
        return [issued.year, issued.month, issued.day]
    if isinstance(issued, int):
        return [issued]
    return [int(p) for p in str(issued).split("-")]


def format_date(parts: list[int]) -> str:
    if len(parts) >= 3:
        return f"{MONTHS[parts[1] - 1]} {parts[2]}, {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[parts[1] - 1]} {parts[0]}"
    return str(parts[0]) if parts else "n.d."


def name_of(person: dict, inverted: bool) -> str:
    if "literal" in person:
        return str(person["literal"])
    family = " ".join(str(person.get(k, "")) for k in ("non-dropping-particle", "family")).strip()
    given = str(person.get("given", "")).strip()
    if not given:
        return family
    return f"{family}, {given}" if inverted else f"{given} {family}"


def names(people: list[dict]) -> str:
    """First name inverted, the rest natural: 'de Bary, Wm. Theodore, and Richard Lufrano'."""
    shown = [name_of(p, inverted=(i == 0)) for i, p in enumerate(people)]
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2:
        return f"{shown[0]}, and {shown[1]}" if "," in shown[0] else f"{shown[0]} and {shown[1]}"
    return ", ".join(shown[:-1]) + ", and " + shown[-1]


def family_names(people: list[dict]) -> str:
    fams = [str(p.get("literal") or p.get("family", "")) for p in people]
    if len(fams) > 3:
        return f"{fams[0]} et al."
    return " and ".join(fams) if len(fams) <= 2 else ", ".join(fams[:-1]) + ", and " + fams[-1]


def _title(src: dict, short: bool = False) -> Markup:
    title = str(src.get("title", "")).strip()
    if short and src.get("title-short"):  # CSL's own short title, when the guide gives one
        title = str(src["title-short"]).strip()
    elif short and not title.startswith("["):
        title = title.split(":")[0]
        words = title.split()
        if len(words) > 5:  # Chicago short title: the first few key words, no ellipsis
            words = words[:4]
            while words[-1].lower() in {"a", "an", "and", "for", "in", "of", "on", "the", "to", "with"}:
                words.pop()
            title = " ".join(words)
    if title.startswith("["):
        return escape(title)  # a descriptive title: neither quoted nor italic
    if src.get("type", "book") in BOOK_TYPES:
        return Markup("<i>{}</i>").format(title)
    return Markup("“{}”").format(title)


def end_sentence(text: str) -> str:
    """Close with a full stop unless already closed; inside a closing quotation mark (Chicago
    style), also when the quotation sits at the end of a link."""
    plain = str(text)
    closing = next((end for end in ("”</a>", "”") if plain.endswith(end)), "")
    body = plain[: len(plain) - len(closing)]
    if not body.endswith((".", "?", "!")):
        body += "."
    return Markup(body + closing) if isinstance(text, Markup) else body + closing


def bibliography_entry(src: dict) -> Markup:
    """The full source-list entry."""
    kind = src.get("type", "book")
    parts: list[Markup] = []
    creators = src.get("author") or []
    if creators:
        parts.append(escape(end_sentence(names(creators))))
    elif src.get("editor"):
        eds = src["editor"]
        parts.append(escape(names(eds) + (", eds." if len(eds) > 1 else ", ed.")))
    title = _title(src)
    parts.append(Markup(title + ("" if str(title).endswith((".", "”")) else ".")) if kind in BOOK_TYPES
                 else Markup(end_sentence(str(title))))
    container = src.get("container-title")
    when = format_date(date_parts(src.get("issued"))) if src.get("issued") else ""
    if kind in BOOK_TYPES:
        if creators and src.get("editor"):
            parts.append(escape(f"Edited by {names_natural(src['editor'])}."))
        if src.get("edition"):
            parts.append(escape(end_sentence(str(src["edition"]))))
        if src.get("volume"):
            parts.append(escape(end_sentence(f"Vol. {src['volume']}")))
        if _publication(src, when):
            parts.append(escape(_publication(src, when)))
    elif kind == "chapter":
        piece = Markup("In <i>{}</i>").format(container or "")
        if src.get("editor"):
            piece += escape(f", edited by {names_natural(src['editor'])}")
        if src.get("page"):
            piece += escape(f", {src['page']}")
        parts.append(piece + ".")
        if _publication(src, when):
            parts.append(escape(_publication(src, when)))
    elif kind == "speech":
        parts.append(escape(end_sentence(", ".join(x for x in ("Speech", src.get("event-place", ""), when) if x))))
    else:
        bits = Markup(", ").join(
            ([Markup("<i>{}</i>").format(container)] if container else [])
            + ([escape(when)] if when else []))
        if src.get("page") and kind == "article-journal":
            bits += escape(f": {src['page']}")
        if bits:
            parts.append(bits + ".")
    if src.get("note"):
        parts.append(escape(end_sentence(str(src["note"]))))
    if src.get("URL"):
        url = str(src["URL"])
        parts.append(Markup('<a href="{}">{}</a>.').format(url, url))
    return Markup(" ").join(parts)


def names_natural(people: list[dict]) -> str:
    shown = [name_of(p, inverted=False) for p in people]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _publication(src: dict, when: str) -> str:
    place, publisher = src.get("publisher-place", ""), src.get("publisher", "")
    pub = ": ".join(x for x in (place, publisher) if x)
    return end_sentence(", ".join(x for x in (pub, when) if x)) if (pub or when) else ""


def short_note(src: dict) -> Markup:
    """The short form used in notes: 'Mishra, “Title”' or 'Mishra, The New Yorker, December 20, 2010'."""
    who = family_names(src.get("author") or src.get("editor") or [])
    title = str(src.get("title", ""))
    if title.startswith("[") and src.get("container-title"):
        what = Markup("<i>{}</i>").format(src["container-title"])
        if src.get("issued"):
            what += escape(", " + format_date(date_parts(src["issued"])))
    else:
        what = _title(src, short=True)
    return Markup(", ").join([escape(who), what]) if who else what


def sort_key(src: dict) -> str:
    people = src.get("author") or src.get("editor") or []
    first = people[0] if people else {}
    lead = first.get("literal") or first.get("family") or src.get("title", "")
    return f"{str(lead).lower()} {date_parts(src.get('issued'))} {str(src.get('title', '')).lower()}"
