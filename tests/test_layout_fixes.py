"""The fixes to WeasyPrint's quadratic loops: installed on the pinned versions, and the PDF they
give is the PDF WeasyPrint gives without them, byte for byte."""
from __future__ import annotations

import os
import subprocess
import sys

import pikepdf
import pytest
from conftest import FIXTURES, ROOT, run_build

from studyguide import layout_fixes

# Lays out one HTML file, with or without the fixes, in a fresh interpreter (the fixes are
# process-wide once installed), writes the PDF and prints how many pages it laid out,
# counting each page as often as WeasyPrint laid it out (WeasyPrint's progress log).
LAY_OUT = """
import logging, sys
sys.path.insert(0, sys.argv[4])  # the project, for studyguide
import weasyprint
from weasyprint.logger import PROGRESS_LOGGER
if sys.argv[3] == "fixed":
    from studyguide import layout_fixes
    assert layout_fixes.apply()
layouts = []
class PageLayouts(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        if "Creating layout - Page" in message and "up-to-date" not in message:
            layouts.append(message)
PROGRESS_LOGGER.addHandler(PageLayouts())
PROGRESS_LOGGER.setLevel(logging.INFO)
weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[5]).write_pdf(sys.argv[2], pdf_variant="pdf/ua-1")
print(len(layouts))
"""


def lay_out(html, pdf, mode, base) -> tuple[bytes, int]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run([sys.executable, "-c", LAY_OUT, str(html), str(pdf), mode, str(ROOT), f"{base}/"],
                          check=True, env=env, capture_output=True, text=True)
    return pdf.read_bytes(), int(done.stdout.split()[-1])


def test_the_fixes_are_installed_on_the_pinned_weasyprint_and_pydyf():
    """If WeasyPrint or pydyf moves to a new series, this fails instead of the build slowing
    down in silence: check the three loops in the new version, then move the series."""
    assert layout_fixes.apply()
    assert layout_fixes.apply()  # a second call changes nothing


def test_the_guide_laid_out_with_the_fixes_is_the_same_pdf_in_fewer_page_layouts(default_guide, tmp_path):
    base = default_guide.guide.root
    plain, plain_layouts = lay_out(default_guide.html, tmp_path / "plain.pdf", "plain", base)
    fixed, fixed_layouts = lay_out(default_guide.html, tmp_path / "fixed.pdf", "fixed", base)
    assert len(plain) > 100_000
    assert fixed == plain
    pages = len(pikepdf.open(tmp_path / "fixed.pdf").pages)
    # pages that wait for page numbers are laid out again: the contents once more, the back
    # matter not at all (stock WeasyPrint lays out both twice more)
    assert pages < fixed_layouts < plain_layouts


# Each print variant, built by build.py with the fixes and with them switched off: the same bytes.
VARIANTS = {
    "student": ("pdf",),
    "teacher": ("pdf", "--edition", "teacher"),
    "large print": ("pdf", "--profile", "large"),
    "letter": ("pdf", "--paper", "letter"),
    "handout": ("handouts", "--edition", "student", "--chapter", "05-famine"),
    "answer key": ("handouts", "--edition", "teacher", "--chapter", "03-campaigns"),
}


@pytest.mark.layout
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_print_variant_is_the_same_pdf_with_and_without_the_fixes(variant, tmp_path):
    built = {}
    for fixes in ("on", "off"):
        out = tmp_path / fixes
        env = {"SOURCE_DATE_EPOCH": "1700000000", "STUDYGUIDE_LAYOUT_FIXES": fixes}
        result = run_build(*VARIANTS[variant], "--guide", str(ROOT / "content"), "--out", str(out), env=env)
        assert result.returncode == 0, result.stderr
        assert ("layout fixes not applied" in result.stderr) == (fixes == "off"), result.stderr
        [pdf] = [p for p in out.rglob("*.pdf") if p.name != "all-handouts.pdf"]
        built[fixes] = pdf.read_bytes()
    assert len(built["on"]) > 20_000 and built["on"] == built["off"]


@pytest.mark.layout
def test_fixes_not_applied_are_announced_and_fail_make_check(tmp_path):
    env = {"STUDYGUIDE_LAYOUT_FIXES": "off"}
    result = run_build("pdf", "--guide", str(FIXTURES / "minimal"), "--out", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    announced = [line for line in result.stderr.splitlines() if "layout fixes not applied" in line]
    assert len(announced) == 1 and "switched off by STUDYGUIDE_LAYOUT_FIXES=off" in announced[0]
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "check_outputs.py"), str(tmp_path / "rivers.pdf")],
                           capture_output=True, text=True)
    assert check.returncode == 1 and "layout fixes not applied" in check.stderr
    strict = run_build("pdf", "--strict", "--guide", str(FIXTURES / "minimal"), "--out", str(tmp_path), env=env)
    assert strict.returncode == 1


def test_the_fixes_say_why_they_are_not_applied_on_another_version(monkeypatch):
    import pydyf

    monkeypatch.setattr(pydyf, "__version__", "0.14.0")
    assert "found WeasyPrint 70.0 with pydyf 0.14.0" in layout_fixes.why_not_applied()
    monkeypatch.setenv(layout_fixes.SWITCH, "off")
    assert layout_fixes.why_not_applied().startswith("switched off")


def test_waiting_footnotes_answer_none_at_once_and_stay_themselves_when_copied():
    first, second = object(), object()
    waiting = layout_fixes.WaitingFootnotes([first])
    assert None not in waiting
    assert first in waiting and second not in waiting
    copied = waiting.copy()
    assert isinstance(copied, layout_fixes.WaitingFootnotes) and copied == [first]
    copied.remove(first)
    assert first in waiting and first not in copied


def test_page_references_are_built_again_when_a_page_is_added():
    import pydyf

    layout_fixes.apply()
    pdf = pydyf.PDF()
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert len(first) == 1 and pdf.page_references is first
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 2
    assert pdf.page_references[1] == f"{pdf.pages['Kids'][3]} 0 R".encode("ascii")


def test_pseudo_element_styles_are_computed_when_first_asked_for():
    import weasyprint
    from weasyprint.css import get_all_computed_styles

    layout_fixes.apply()
    html = weasyprint.HTML(string="<ul><li>one</li></ul><p>text</p>"
                                  "<style>li::marker { color: red } p::after { content: '!' }</style>")
    style_for = get_all_computed_styles(html)
    item, paragraph = html.etree_element.find(".//li"), html.etree_element.find(".//p")
    computed = style_for.get_computed_styles()
    # WeasyPrint's stylesheet cascades ::marker and ::footnote-call onto every element;
    # none of them is computed before it is looked up
    assert (item, "marker") not in computed and (paragraph, "footnote-call") not in computed
    assert style_for(item, "marker")["color"] == (1, 0, 0, 1)
    assert style_for(paragraph, "after")["content"] == (("string", "!"),)
    assert (item, "marker") in computed and (paragraph, "footnote-call") not in computed
    # one dict stands for every element's identical cascade of ::footnote-call
    waiting = style_for._unstyled["footnote-call"]
    assert len(waiting) > 2 and len({id(cascade) for cascade in waiting.values()}) == 1


@pytest.mark.layout
def test_the_laid_out_document_keeps_no_layout_state_but_still_draws_its_svg_text(tmp_path):
    import gc
    from urllib.parse import quote

    import weasyprint
    from weasyprint.css import StyleFor
    from weasyprint.css.targets import TargetCollector

    layout_fixes.apply()
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
           '<text x="5" y="30" font-size="20">Backyard furnace</text></svg>')
    # the SVG image keeps its layout context alive as long as the document
    document = weasyprint.HTML(string=f'<h1 id="top">Title</h1><img src="data:image/svg+xml,{quote(svg)}" alt="">'
                                      '<p><a href="#top">see <span class="n"></span></a></p>'
                                      '<style>.n::after { content: "p. " target-counter("#top", page) }</style>'
                               ).render()
    gc.collect()
    assert not [obj for obj in gc.get_objects() if isinstance(obj, (StyleFor, TargetCollector))]
    document.write_pdf(tmp_path / "svg.pdf")
    text = subprocess.run(["pdftotext", str(tmp_path / "svg.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Backyard furnace" in text and "see p. 1" in text
