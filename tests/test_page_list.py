"""The EPUB's page list: a marker where each page of the PDF begins, checked against the
text of the PDF's pages as pdftotext reads them."""
from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import pytest
from conftest import FIXTURES, pdf_text, run_build
from pdf_measure import outline_pages

from studyguide.pagelist import PageMap, place_page_breaks, placements


def words(text: str) -> list[str]:
    """Letters and digits apart: pdftotext runs a note's number into the word before it."""
    return re.findall(r"[^\W\d_]+|\d+", text.casefold())

MARKER_RE = re.compile(r'<span epub:type="pagebreak" role="doc-pagebreak" id="print-page-(\d+)" aria-label="Page \1">'
                       r'</span>')
PAGE_LINK_RE = re.compile(r'<a href="([^"#]+)#print-page-(\d+)">(\d+)</a>')


def page_list(files: dict[str, str]) -> list[tuple[str, str, str]]:
    nav = files["EPUB/nav.xhtml"]
    block = re.search(r'<nav epub:type="page-list".*?</nav>', nav, re.S)
    return PAGE_LINK_RE.findall(block.group()) if block else []


def words_around_markers(files: dict[str, str], document: str) -> dict[int, tuple[list[str], list[str] | None]]:
    """For each page marker of a document: the words of the body before it and after it
    (None after it when the next page's marker follows at once: a page with no text here)."""
    xhtml = files[f"EPUB/{document}"]
    body = xhtml[xhtml.index("<body"):]
    # what print has elsewhere, otherwise or as an image: note calls (footnotes in print), the
    # glossary's and source list's links to chapters (page numbers in print), SVG figures
    body = re.sub(r'<a [^>]*epub:type="noteref"[^>]*>[^<]*</a>|<span class="uses">.*?</span>|<svg\b.*?</svg>',
                  " ", body, flags=re.S)
    text = lambda markup: words(re.sub(r"<[^>]+>", " ", re.sub(r"&#?\w+;", " ", markup)))  # noqa: E731
    return {int(m.group(1)): (text(body[:m.start()]),
                              None if MARKER_RE.match(body, m.end()) else text(body[m.end():]))
            for m in MARKER_RE.finditer(body)}


PRINTED_PAGE_RE = re.compile(r",? \(?p\. \d+\)?")  # "Chapter 4, p. 23", "Excerpt 1.1 (p. 5)": print only


def pdf_words(pdf, page: int) -> list[str]:
    """The words of one PDF page, as pdftotext reads them (running heads included), without the
    page numbers print adds to cross-references."""
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return words(PRINTED_PAGE_RE.sub("", text))


def run_of(needle: list[str], haystack: list[str]) -> bool:
    """The words of `needle` one after the other in `haystack`, word breaks aside: pdftotext
    joins a word broken at a hyphen at a line's end ("right-" / "opportunism")."""
    return "".join(needle) in "".join(haystack)


def test_the_page_list_has_every_pdf_page_in_order_with_a_marker_for_each(default_guide):
    import pikepdf

    files = default_guide.epub_files()
    entries = page_list(files)
    pages = len(pikepdf.open(default_guide.pdf).pages)
    assert [int(number) for _, number, _ in entries] == list(range(1, pages + 1))
    assert all(number == label for _, number, label in entries)
    spine = ["title.xhtml", "front.xhtml", *sorted(n.removeprefix("EPUB/") for n in files if re.match(r"EPUB/\d\d-", n)),
             "timeline.xhtml", "questions.xhtml", "glossary.xhtml", "sources.xhtml"]
    assert [spine.index(document) for document, _, _ in entries] == sorted(spine.index(d) for d, _, _ in entries)
    for document, number, _ in entries:
        assert len(re.findall(f'id="print-page-{number}"', files[f"EPUB/{document}"])) == 1


def unplaced_pages_after_checking_the_rest(built) -> list[int]:
    """Check that the words after each page's marker are on that PDF page and the words just
    before it on the page before; return the pages whose marker stands with the next page's
    (no text of theirs in the e-book)."""
    files = built.epub_files()
    entries = page_list(files)
    around = {}
    for document in {d for d, _, _ in entries}:
        around.update(words_around_markers(files, document))
    unplaced = []
    for _, number, _ in entries:
        page = int(number)
        before, after = around[page]
        if after is None:
            unplaced.append(page)
            continue
        # pdftotext splits letter-spaced headings ("K EY TERMS"): a run of three of the first words
        assert any(run_of(after[k:k + 3], pdf_words(built.pdf, page)) for k in range(6)), page
        if before and page > 1:
            assert run_of(before[-4:], pdf_words(built.pdf, page - 1)), page
    return unplaced


def blank_pages(pdf) -> list[int]:
    """The pages left empty before a chapter that opens on a right-hand page."""
    import pikepdf

    return [n for n in range(1, len(pikepdf.open(pdf).pages) + 1) if not pdf_text(pdf, n, n).strip()]


def test_each_marker_sits_where_its_pdf_page_begins(default_guide):
    # every page is placed but the cover, the printed contents, the list of figures and the
    # blank pages (the inside of the cover, a page before a chapter on a right-hand page): their
    # markers stand with the next page's
    pdf, blank = default_guide.pdf, blank_pages(default_guide.pdf)
    listed = [outline_pages(pdf)["Contents"], outline_pages(pdf)["List of figures"]]
    assert len(blank) >= 3
    assert unplaced_pages_after_checking_the_rest(default_guide) == sorted({1, *listed, *blank})


def test_the_markers_of_a_small_guide_on_letter_paper(minimal):
    # the cover, the contents and the blank pages (the cover's inside, the page before chapter 1)
    listed = outline_pages(minimal.pdf)["Contents"]
    assert unplaced_pages_after_checking_the_rest(minimal) == sorted({1, listed, *blank_pages(minimal.pdf)})


def test_the_package_names_the_source_of_its_pages(default_guide):
    opf = default_guide.epub_files()["EPUB/content.opf"]
    assert '<meta property="pageBreakSource">' in opf and f"{default_guide.pdf.name}, a4" in opf
    assert ">pageNavigation</meta>" in opf and ">pageBreakMarkers</meta>" in opf


@pytest.mark.layout
def test_no_page_list_without_the_pdf_or_from_a_pdf_of_other_content(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    out = tmp_path / "out"
    alone = run_build("epub", "--guide", str(guide), "--out", str(out))
    assert alone.returncode == 0 and "without a page list" in alone.stderr
    assert run_build("pdf", "--guide", str(guide), "--out", str(out)).returncode == 0
    assert run_build("epub", "--guide", str(guide), "--out", str(out)).returncode == 0
    epub = next(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        assert 'epub:type="page-list"' in z.read("EPUB/nav.xhtml").decode()
    chapter = next((guide / "chapters").glob("*.md"))
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    stale = run_build("epub", "--guide", str(guide), "--out", str(out))
    assert stale.returncode == 0 and "without a page list" in stale.stderr
    with zipfile.ZipFile(epub) as z:
        nav = z.read("EPUB/nav.xhtml").decode()
        assert 'epub:type="page-list"' not in nav and "pageBreakSource" not in z.read("EPUB/content.opf").decode()


def test_a_printed_contents_page_does_not_pull_the_pages_after_it_out_of_place():
    stream = "chapter one the sea rose high and chapter two the land fell low".split()
    pages = [["contents", "chapter", "one", "the", "sea", "chapter", "two", "the", "land", "fell"],
             ["chapter", "one", "the", "sea", "rose"], ["high", "and", "chapter", "two", "the"],
             ["land", "fell", "low"]]
    assert placements(pages, stream) == [None, 0, 5, 10]


def test_unfound_pages_are_marked_with_the_next_page_found_and_markers_keep_page_order():
    documents = ['<html><body><h1>Title</h1><p>alpha beta gamma delta epsilon</p></body></html>',
                 '<html><body><p>zeta eta theta iota kappa</p></body></html>']
    page_map = PageMap("x", "book.pdf", [["cover"], ["title", "alpha", "beta", "gamma", "delta"],
                                         ["zeta", "eta", "theta", "iota", "kappa"], ["colophon"]])
    marked, pages = place_page_breaks(documents, page_map)
    assert pages == [("1", 0), ("2", 0), ("3", 1), ("4", 1)]
    assert [m.group(1) for m in MARKER_RE.finditer(marked[0])] == ["1", "2"]
    assert marked[0].index('id="print-page-2"') < marked[0].index("<h1>")  # before the heading, not inside it
    assert marked[1].index('id="print-page-3"') < marked[1].index("<p>")  # before the paragraph it begins
    assert marked[1].index('id="print-page-4"') > marked[1].index("</p>")


def test_a_page_that_begins_with_a_glossary_term_is_marked_before_the_term_not_inside_it():
    """A marker inside <dfn> would make "Page 2" part of the defined term; a <dl> cannot
    hold it bare, so it goes first in the <dt>."""
    documents = ['<html><body><dl><dt id="t1"><dfn>alpha</dfn></dt><dd>beta gamma delta epsilon</dd>'
                 '<dt id="t2"><dfn>zeta</dfn> <span lang="zh">字</span></dt><dd>eta theta iota kappa</dd>'
                 '</dl></body></html>']
    page_map = PageMap("x", "book.pdf", [["alpha", "beta", "gamma", "delta", "epsilon"],
                                         ["zeta", "字", "eta", "theta", "iota", "kappa"]])
    marked, _ = place_page_breaks(documents, page_map)
    assert re.search(r'<dt id="t2"><span epub:type="pagebreak"[^>]*id="print-page-2"[^>]*></span><dfn>zeta',
                     marked[0])
