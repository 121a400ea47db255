"""Page lists that name each page once: the glossary's "Used on pp. 4, 9, 12" and the source
list's "Cited on p. 7", in the print book.

The template writes one page reference for every use of a term or source, in document order,
each later one naming the use before it, and the entry's uses on the lead:

    Used on <span class="pagelead" data-uses="a1 a2 a3" data-last="#a3"></span>
    <a class="pageref" href="#a1"></a><a class="pageref later" href="#a2" data-prev="a1"></a>…

Each reference's text is WeasyPrint's own `target-counter(…, page)`, so the numbers always
come from the layout. CSS cannot leave out a number already given, nor choose "p." or "pp.",
so WeasyPrint's content builder is wrapped here: a later reference whose page is the page of
the use before it prints nothing (its ", " goes with it), and the lead prints "p."
when every use is on one page. The lead counts the pages of every use, so its CSS refers to the
entry's last use: WeasyPrint computes it again when that page is settled, by which time the
pages of all the earlier uses are too.

This changes what is laid out, so it is not one of the layout fixes (which must not); it is
applied to every print layout, with the fixes or without them.
"""
from __future__ import annotations

from functools import wraps

LEAD, LATER = "pagelead", "later"


def page_of(collector, anchor: str) -> int | None:
    """The page an anchor is on, once WeasyPrint has settled it; None before."""
    item = collector.target_lookup_items.get(anchor)
    pages = item.cached_page_counter_values.get("page") if item is not None else None
    return pages[-1] if pages else None


def said_before(collector, element) -> bool:
    """Whether a later reference's page is the page of the use before it (uses are in
    document order, so their pages never go down)."""
    page = page_of(collector, (element.get("href") or "#")[1:])
    return page is not None and page == page_of(collector, element.get("data-prev") or "")


def lead_text(collector, element) -> str:
    """"p." when every use of the entry is on one page, else "pp."."""
    pages = {page_of(collector, anchor) for anchor in (element.get("data-uses") or "").split()}
    return "p." if len(pages - {None}) == 1 else "pp."


def install(build_module) -> None:
    """Wrap WeasyPrint's `compute_content_list` (weasyprint/formatting_structure/build.py),
    once."""
    original = build_module.compute_content_list
    if getattr(original, "studyguide_page_lists", False):
        return

    @wraps(original)
    def compute_content_list(content_list, parent_box, counter_values, css_token, parse_again,
                             target_collector, *args, **kwargs):
        made = original(content_list, parent_box, counter_values, css_token, parse_again, target_collector,
                        *args, **kwargs)
        element = parent_box.element
        if css_token != "content" or made is None or element is None:
            return made
        classes = (element.get("class") or "").split()
        if LEAD in classes:
            from weasyprint.formatting_structure.boxes import TextBox

            return [TextBox.anonymous_from(parent_box, lead_text(target_collector, element))]
        if LATER in classes and "pageref" in classes and said_before(target_collector, element):
            return []
        return made

    compute_content_list.studyguide_page_lists = True
    build_module.compute_content_list = compute_content_list
