"""Fixes to WeasyPrint 70 and its PDF writer (pydyf 0.13): three loops that grow with the
square of the guide, made linear; page references that cost extra layout passes; and
memory held for nothing.
At 16 times the default guide's size the loops cost over a quarter of the build.

None changes what WeasyPrint lays out: the same PDF comes out, byte for byte
(tests/test_layout_fixes.py checks it). They are applied once, by `studyguide.pdf`, and only
to the WeasyPrint and pydyf series they were written against (requirements.txt pins both);
another version is left as it is, and every PDF build then says so in one warning line,
which `make check` fails on. STUDYGUIDE_LAYOUT_FIXES=off lays out with WeasyPrint as it
is, to rule a fix in or out of a layout bug.
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

Two more keep memory down, which at 16 times the default guide's size was about 1 GB:

6. WeasyPrint's own stylesheet gives every element a cascade for six pseudo-elements
   (`::marker`, `::footnote-call`, `::footnote-marker` and three for notes), and `StyleFor`
   computes a style for each of them up front: six styles per element, over four fifths
   of all the styles of our guide, nearly all of them never looked up. `styled_when_asked`
   computes a pseudo-element's style the first time the box builder asks for it, and
   keeps one copy of each distinct cascade until then.
7. Once the pages are laid out, the layout context stays alive as long as the document
   (each SVG image keeps it, to lay out its text when it is drawn), and with it every
   computed style, every page reference and the state of every page. `let_go_after_layout`
   drops what only layout reads, before the PDF is drawn.
"""
from __future__ import annotations

import os
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


def cascade_key(cascaded: dict) -> tuple:
    """What makes two cascades of declarations equal: the same values, from the same rules."""
    return tuple((name, id(values), weight) for name, (values, weight) in cascaded.items())


def styled_when_asked(style_for_class) -> None:
    """Wrap `StyleFor` so that pseudo-element styles are computed when first looked up (6.).

    While `StyleFor.__init__` runs, its calls to `set_computed_styles` for pseudo-elements
    only note the cascade; `__call__` computes the style from it the first time. A cascade
    that sets `anchor` is computed at once, since WeasyPrint collects anchors as it styles."""
    original_init = style_for_class.__init__
    original_set = style_for_class.set_computed_styles
    original_call = style_for_class.__call__

    @wraps(original_init)
    def init(self, *args, **kwargs):
        self._unstyled = {}  # pseudo-element type -> {element: its cascade}
        self._distinct_cascades = {}  # only while styling: one dict per distinct cascade
        original_init(self, *args, **kwargs)
        del self._distinct_cascades

    @wraps(original_set)
    def set_computed_styles(self, element, parent, root=None, pseudo_type=None, base_url=None,
                            target_collector=None):
        distinct = self.__dict__.get("_distinct_cascades")  # None once styling is over
        cascaded = self._cascaded_styles.get((element, pseudo_type), {})
        if distinct is None or pseudo_type is None or "anchor" in cascaded:
            return original_set(self, element, parent, root, pseudo_type, base_url, target_collector)
        self._styling_with = (root, base_url, target_collector)  # the same for every pseudo-element
        cascaded = distinct.setdefault(cascade_key(cascaded), cascaded)
        self._unstyled.setdefault(pseudo_type, {})[element] = cascaded
        return None

    @wraps(original_call)
    def call(self, element, pseudo_type=None):
        unstyled = self._unstyled.get(pseudo_type) if pseudo_type else None
        if unstyled and element in unstyled:
            root, base_url, target_collector = self._styling_with
            self._cascaded_styles[element, pseudo_type] = unstyled.pop(element)
            try:
                original_set(self, element, element, root, pseudo_type, base_url, target_collector)
            finally:
                del self._cascaded_styles[element, pseudo_type]
        return original_call(self, element, pseudo_type)

    style_for_class.__init__ = init
    style_for_class.set_computed_styles = set_computed_styles
    style_for_class.__call__ = call


# What a layout context holds that only layout reads: drawing uses its fonts, hyphenation
# dictionaries, counter styles and image loader (SVG images lay out their text as they draw).
LAYOUT_ONLY = ("style_for", "target_collector", "page_maker", "tables", "running_elements", "string_set",
               "broken_out_of_flow", "footnotes", "page_footnotes", "current_page_footnotes",
               "reported_footnotes", "current_footnote_area", "rendered_notes", "_excluded_shapes",
               "_excluded_shapes_root_boxes")


def let_go_after_layout(document_class) -> None:
    """Wrap `Document._render` so that, once the pages are laid out, their layout context
    drops what only layout reads (7.). `_build_layout_context` hands the context over on
    the HTML object, the one argument the two methods share."""
    build_context = document_class._build_layout_context.__func__
    render = document_class._render.__func__

    @wraps(build_context)
    def build_and_hand_over(cls, html, *args, **kwargs):
        context = build_context(cls, html, *args, **kwargs)
        html._studyguide_layout_context = context
        return context

    @wraps(render)
    def render_and_let_go(cls, html, *args, **kwargs):
        try:
            return render(cls, html, *args, **kwargs)
        finally:
            context = html.__dict__.pop("_studyguide_layout_context", None)
            for name in LAYOUT_ONLY if context is not None else ():
                context.__dict__.pop(name, None)

    document_class._build_layout_context = classmethod(build_and_hand_over)
    document_class._render = classmethod(render_and_let_go)


SWITCH = "STUDYGUIDE_LAYOUT_FIXES"  # set to "off" to lay out with WeasyPrint as it is


def why_not_applied() -> str:
    """Why the fixes are not (to be) installed in this process; "" when they are."""
    import pydyf
    import weasyprint

    if os.environ.get(SWITCH, "").lower() in ("off", "0", "no"):
        return f"switched off by {SWITCH}={os.environ[SWITCH]}"
    if not (weasyprint.__version__.startswith(SERIES) and pydyf.__version__.startswith(PYDYF_SERIES)):
        return (f"written for WeasyPrint {SERIES}x with pydyf {PYDYF_SERIES}x, found WeasyPrint "
                f"{weasyprint.__version__} with pydyf {pydyf.__version__} (requirements.txt pins both)")
    return ""


def apply() -> bool:
    """Install the fixes once; False (and nothing changed) when they are switched off or
    on other WeasyPrint or pydyf series (`why_not_applied` says which)."""
    import pydyf
    from weasyprint.css import StyleFor
    from weasyprint.css.targets import TargetCollector
    from weasyprint.document import Document
    from weasyprint.layout import LayoutContext

    if why_not_applied():
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
    styled_when_asked(StyleFor)
    let_go_after_layout(Document)
    return True
