"""What WeasyPrint 70's tagged PDF leaves out of the structure tree, added as it is built.

WeasyPrint tags the HTML (weasyprint/pdf/tags.py) but
- writes no /Scope on a TH structure element: it reads `scope="row"` only to link data cells
  to their headers (PDF/UA-1 7.5 wants the scope written on the header cell itself);
- tags a footnote as the element it is (a Span), though PDF/UA-1 7.9 wants a Note, with an ID;
- takes a chart's /Alt from its SVG <title> alone, though the SVG names its <desc> too
  (aria-labelledby="… -title … -desc"): the desc is the one place the print PDF keeps the
  chart's data, its data table being shown in the EPUB only (see print.css).

`apply` wraps WeasyPrint's `_build_box_tree`, which builds one structure element per box and
calls itself (through the module) for the box's children: each element is finished from its
box as it comes out. It changes no layout and draws nothing, so it is kept apart from
layout_fixes.py, whose output must be the same bytes with or without it.
"""
from __future__ import annotations

SVG = "{http://www.w3.org/2000/svg}"
SCOPES = {"row": "/Row", "rowgroup": "/Row", "col": "/Column", "colgroup": "/Column"}


def header_scope(box) -> str:
    """The TH's scope; without one, a column header, as WeasyPrint links it."""
    return SCOPES.get((box.element.get("scope") or "").lower(), "/Column")


def svg_text(svg, name: str) -> str:
    found = svg.find(SVG + name)
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


def is_footnote(box) -> bool:
    """A footnote as laid out in the footnote area: WeasyPrint has set its float back to none by
    then, but its first line opens with the ::footnote-marker only footnotes get."""
    from weasyprint.formatting_structure.boxes import LineBox

    first = box.children[0] if getattr(box, "children", None) else None
    if isinstance(first, LineBox):
        first = first.children[0] if first.children else None
    return first is not None and (first.element_tag or "").endswith("::footnote-marker")


def finish(box, element) -> None:
    """Add to a structure element what WeasyPrint leaves out for the box it came from."""
    import pydyf

    if box.element is None:
        return
    tag = element["S"]
    if tag == "/TH" and box.element_tag == "th":
        element["A"]["Scope"] = header_scope(box)
    elif tag == "/Span" and is_footnote(box):
        element["S"] = "/Note"
        element["ID"] = pydyf.String(f"note-{element.number}")
    elif tag == "/Figure" and box.element.tag == SVG + "svg":
        title, desc = svg_text(box.element, "title"), svg_text(box.element, "desc")
        if title and desc:
            element["Alt"] = pydyf.String(f"{title} {desc}")


def apply() -> bool:
    """Install the wrapper once; False (nothing changed) if WeasyPrint has no `_build_box_tree`."""
    from weasyprint.pdf import tags

    original = getattr(tags, "_build_box_tree", None)
    if original is None:
        return False
    if getattr(original, "studyguide_tags", False):
        return True

    def build_box_tree(box, *args):
        for element in original(box, *args):
            finish(box, element)
            yield element

    build_box_tree.studyguide_tags = True
    tags._build_box_tree = build_box_tree
    return True
