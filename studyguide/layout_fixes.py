"""Fixes to WeasyPrint 70 and its PDF writer (pydyf 0.13): three loops that grow with the
square of the guide, made linear, and page references that cost extra layout passes.
At 16 times the default guide's size the loops cost over a quarter of the build.

None changes what WeasyPrint lays out: the same PDF comes out, byte for byte
(tests/test_layout_fixes.py checks it). They are applied once, by `studyguide.pdf`, and only
to the WeasyPrint series they were written against; another version is left as it is.
docs/weasyprint-upstream.md describes each one for an upstream report.

1. For every inline box of every line, WeasyPrint asks whether the box's footnote is one
   still waiting to be placed: `box.footnote in context.footnotes`, a scan of the list of
   every footnote not yet placed. Nearly every box has no footnote (None), so the scan
   always runs to the end. `WaitingFootnotes` answers None at once.
2. Each time an anchor's page is settled, `TargetCollector.cache_target_page_counters`
   looks through every page reference of the document for the ones that point at that
   anchor. `only_references_to` hands it just those, from an index built once.
3. pydyf's `PDF.page_references` builds a new tuple of every page's reference each time it
   is read, and WeasyPrint reads it for every tagged element and every link it writes.
   `kept_page_references` builds it again only when a page has been added.
4. For `target-counter(attr(href), page)`, WeasyPrint's box builder files the reference
   under the anchor name of the unresolved `attr()` token (None), and reuses the name of
   the box's own list of page-based counters for the target's list (build.py, around
   `missing_counters = missing_target_counters.setdefault(...)`). The two slips cancel
   out: the page number comes through, but only because every page reference looks like a
   user of its own page's counters, so each page that holds one is laid out again
   whenever any page counter changes, the page total included. `filed_under_anchor`
   files such a reference under the anchor its `href` names, with no counters of its
   own, and WeasyPrint's own target path updates it: the contents, the glossary and the
   source list go through two layout passes instead of three (50 page layouts for the
   default guide's 42 pages instead of 56).
5. A page reference that comes after its target (the glossary's "Used on pp.", the source
   list's "Cited on pp.") is only marked pending when the target's page is settled; when
   its own page has been laid out, WeasyPrint fills the number in and lays that page out
   again. `numbered_before_layout` fills it in at once, before its page is laid out, when
   the reference has no counters of its own (see 4.): the glossary and the source list are
   laid out once (45 page layouts for the default guide's 42 pages).
"""
from __future__ import annotations

from functools import wraps

SERIES = "70."  # WeasyPrint
PYDYF_SERIES = "0.13."


class WaitingFootnotes(list):
    """The footnotes not yet placed on a page; a box without a footnote is never one."""

    def __contains__(self, footnote) -> bool:
        return footnote is not None and super().__contains__(footnote)

    def copy(self) -> WaitingFootnotes:
        return WaitingFootnotes(self)


def references_by_anchor(collector) -> dict[str, dict]:
    """The collector's page references (`content` ones) grouped by the anchor they wait for,
    each group in the collector's own order."""
    groups: dict[str, dict] = {}
    for key, item in collector.counter_lookup_items.items():
        if key[1] == "content":
            for anchor in item.missing_target_counters:
                groups.setdefault(anchor, {})[key] = item
    return groups


def only_references_to(cache_target_page_counters):
    """Wrap WeasyPrint's method so that it looks only at the references to `anchor_name`
    (see 2. above), and numbers at once those whose page is not laid out yet (5.)."""

    @wraps(cache_target_page_counters)
    def wrapper(self, anchor_name, *args, **kwargs):
        if self.collecting:  # references are still being gathered: nothing to index yet
            return cache_target_page_counters(self, anchor_name, *args, **kwargs)
        index = self.__dict__.get("_references_by_anchor")
        if index is None or index[0] != len(self.counter_lookup_items):
            index = (len(self.counter_lookup_items), references_by_anchor(self))
            self._references_by_anchor = index
        everything = self.counter_lookup_items
        self.counter_lookup_items = references = index[1].get(anchor_name, {})
        try:
            result = cache_target_page_counters(self, anchor_name, *args, **kwargs)
        finally:
            self.counter_lookup_items = everything
        numbered_before_layout(references.values())
        return result

    wrapper.studyguide_fix = True  # apply() reads it: the fixes are installed once
    return wrapper


def numbered_before_layout(references) -> None:
    """Fill in now the references WeasyPrint just marked pending (their page is not laid out
    yet) when they have no counters of their own: their text is then right the first time
    their page is laid out, and WeasyPrint has no reason to lay it out again."""
    for reference in references:
        if reference.pending and not reference.missing_counters:
            reference.parse_again({})
            reference.pending = False


def kept_page_references(page_references: property) -> property:
    """pydyf's property, computed again only when the page count has changed."""

    def kept(pdf):
        count = len(pdf.pages["Kids"])
        kept_value = pdf.__dict__.get("_kept_page_references")
        if kept_value is None or kept_value[0] != count:
            kept_value = (count, page_references.fget(pdf))
            pdf._kept_page_references = kept_value
        return kept_value[1]

    return property(kept, doc=page_references.__doc__)


def anchor_named_by(token, box) -> str | None:
    """The anchor a `target-counter()` points at, `attr()` resolved on the box's element as
    WeasyPrint's `TargetCollector.lookup_target` resolves it."""
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    if token[0] == "attr()":
        name, kind, fallback = token[1]
        value = box.element.get(name, fallback)
        token = ("string", value) if kind == "string" else ("url", get_url_tuple(value, box.style.base_url))
    return anchor_name_from_token(token)


def filed_under_anchor(collect_missing_counters):
    """Wrap WeasyPrint's method so that a `content` with one target's page counter and no
    counters of its own is filed under that target's anchor (see 4. above)."""

    @wraps(collect_missing_counters)
    def wrapper(self, parent_box, css_token, parse_again, missing_counters, missing_target_counters):
        if css_token == "content" and list(missing_target_counters) == [None]:
            content = parent_box.style["content"]
            tokens = content if isinstance(content, (list, tuple)) else ()  # not "normal"/"none"
            kinds = {kind for kind, _ in tokens}
            targets = [value for kind, value in tokens if kind == "target-counter()"]
            wanted = missing_target_counters[None]
            if (len(targets) == 1 and missing_counters is wanted
                    and not {"counter()", "counters()", "target-counters()"} & kinds):
                anchor = anchor_named_by(targets[0][0], parent_box)
                if anchor is not None:
                    missing_counters, missing_target_counters = [], {anchor: wanted}
        return collect_missing_counters(self, parent_box, css_token, parse_again, missing_counters,
                                        missing_target_counters)

    return wrapper


def apply() -> bool:
    """Install the fixes once; False (and nothing changed) on other
    WeasyPrint or pydyf series."""
    import pydyf
    import weasyprint
    from weasyprint.css.targets import TargetCollector
    from weasyprint.layout import LayoutContext

    if not (weasyprint.__version__.startswith(SERIES) and pydyf.__version__.startswith(PYDYF_SERIES)):
        return False
    if getattr(TargetCollector.cache_target_page_counters, "studyguide_fix", False):
        return True
    TargetCollector.cache_target_page_counters = only_references_to(TargetCollector.cache_target_page_counters)
    TargetCollector.collect_missing_counters = filed_under_anchor(TargetCollector.collect_missing_counters)
    original_init = LayoutContext.__init__

    @wraps(original_init)
    def init_with_waiting_footnotes(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.footnotes = WaitingFootnotes(self.footnotes)

    LayoutContext.__init__ = init_with_waiting_footnotes
    pydyf.PDF.page_references = kept_page_references(pydyf.PDF.page_references)
    return True
