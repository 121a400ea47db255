"""The PDF, checked by structure: pages, outline, metadata, text, page references."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from xml.etree import ElementTree

import pikepdf
import pytest

from conftest import ROOT, page_with, pdf_text
from studyguide.load import load_guide


def outline_titles(path) -> list[tuple[int, str]]:
    with pikepdf.open(path) as pdf:
        found = []

        def walk(items, depth):
            for item in items:
                found.append((depth, item.title))
                walk(item.children, depth + 1)

        with pdf.open_outline() as outline:
            walk(outline.root, 0)
    return found


def test_paper_size_from_guide_config(minimal):
    with pikepdf.open(minimal.pdf) as pdf:
        box = [float(v) for v in pdf.pages[0].mediabox]
    assert box[2:] == pytest.approx([612, 792], abs=1)  # the fixture asks for letter


def test_outline_has_chapters_and_back_matter(minimal):
    titles = [t for _, t in outline_titles(minimal.pdf)]
    for expected in ("Contents", "Chapter 1 The Danube", "Chapter 2 The Rhine", "Discussion questions",
                     "Glossary", "Bibliography"):
        assert expected in titles, titles
    assert len(titles) >= 5


def test_document_metadata(minimal):
    with pikepdf.open(minimal.pdf) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == "Rivers of Europe"
        assert str(info["/Author"]) == "Test Author, Second Author"
        assert str(info["/Subject"]).startswith("A two-chapter guide")
        assert "rivers" in str(info["/Keywords"])
        assert str(pdf.Root.Lang) == "en"
        assert "/StructTreeRoot" in pdf.Root


def test_table_of_contents_has_page_numbers(minimal):
    contents = page_with(minimal.pdf, "Contents")
    text = pdf_text(minimal.pdf, contents, contents)
    assert "Contents" in text
    chapter_line = next(line for line in text.splitlines() if "The Danube" in line)
    page = int(re.search(r"(\d+)\s*$", chapter_line).group(1))
    assert "The Danube" in pdf_text(minimal.pdf, page, page)


def test_text_holds_chapters_questions_glossary_sources(minimal):
    text = minimal.pdf_text()
    for expected in ("The Danube is a long river", "Where does the Danube rise?", "Glossary",
                     "A river that flows into a larger river.", "Smith, Anna. Rivers: A History. River Press, 2001."):
        assert expected in " ".join(text.split()), expected


def test_footnotes_hold_short_citations(minimal):
    first = page_with(minimal.pdf, "The Danube is a long river")
    text = " ".join(pdf_text(minimal.pdf, first, first).split())
    # The first paragraph's citations share note 1, each source named once, its pages joined;
    # the first note of a source is in full, later ones short (Chicago, as pandoc's citeproc writes it).
    assert "1. Anna Smith, Rivers: A History (River Press, 2001), 4, 7–9; Ben Jones, “The River of Nations,” " \
           "The Daily Paper, March 2, 1999." in text
    assert "2. Jones, “The River of Nations.”" in text


def test_glossary_lists_the_pages_of_each_use(minimal):
    text = " ".join(minimal.pdf_text().split())
    chapter_pages = {}
    first = page_with(minimal.pdf, "The Danube is a long river")
    second = page_with(minimal.pdf, "Tributaries of the Rhine")  # each chapter opens on a right-hand page
    for page in (first, second):
        chapter_pages[page] = pdf_text(minimal.pdf, page, page)
    assert "tributaries" in chapter_pages[first] and "Tributaries" in chapter_pages[second]
    assert re.search(rf"A river that flows into a larger river\. Used on pp\. {first}, {second}", text)
    assert re.search(rf"Europe['’]s second-longest river\. Used on p\. {first}", text)
    assert f"Cited on pp. {first}, {second}" in text


def destination_pages(path) -> dict[str, int]:
    """The page (from 1) of every named destination of the PDF: where each link lands."""
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages, 1)}
        return {str(name): pages[dest[0].objgen] for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def page_list(pages: set[int]) -> str:
    return ("p. " if len(pages) == 1 else "pp. ") + ", ".join(str(p) for p in sorted(pages))


def check_page_lists(guide, pdf) -> None:
    """The glossary's "Used on" and the source list's "Cited on" give each page where the term
    is used (or the source cited) once, in order: the pages the uses' destinations are on."""
    where = destination_pages(pdf)
    text = " ".join(pdf_text(pdf).split())
    several = 0
    for entry, lead in [*((t, "Used on") for t in guide.glossary), *((s, "Cited on") for s in guide.sources)]:
        pages = {where[use.anchor] for use in entry.uses}
        assert len(entry.uses) >= len(pages)
        several += len(pages) > len({use.chapter for use in entry.uses})  # more than a page a chapter
        assert f"{lead} {page_list(pages)}" in text, (entry.id, page_list(pages))
    assert several >= 5  # terms used more than once a chapter: not only the first use in each


def test_page_lists_name_every_page_of_every_use_once(default_guide):
    check_page_lists(default_guide.guide, default_guide.pdf)


@pytest.mark.layout
@pytest.mark.parametrize("args", [("--edition", "teacher", "--paper", "letter"), ("--profile", "large")])
def test_page_lists_hold_in_every_print_variant(tmp_path, args):
    subprocess.run([sys.executable, str(ROOT / "build.py"), "pdf", "--out", str(tmp_path), *args], check=True,
                   capture_output=True)
    check_page_lists(load_guide(ROOT / "content"), next(tmp_path.glob("*.pdf")))


def page_words(path) -> list[list[tuple[float, str]]]:
    """(top, word) of every word of every page, from pdftotext's bounding boxes."""
    xhtml = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    ns = "{http://www.w3.org/1999/xhtml}"
    return [[(float(w.get("yMin")), w.text) for w in page.iter(f"{ns}word")] for page in root.iter(f"{ns}page")]


def test_running_head_shows_chapter_title_but_not_on_its_first_page(default_guide):
    """The head (the words above the text block) is empty on a chapter's opening page and
    names that chapter on the page after it."""
    pages = page_words(default_guide.pdf)
    top_margin = 22 / 25.4 * 72 - 1  # print.css: the text block starts 22 mm down
    openers = {}
    for index, words in enumerate(pages):
        body = [w for y, w in words if y >= top_margin]
        if body[:1] == ["CHAPTER"]:
            openers[int(body[1])] = index
    assert sorted(openers) == [c.number for c in default_guide.guide.chapters]
    for chapter in default_guide.guide.chapters:
        opener = openers[chapter.number]
        head = [w for y, w in pages[opener] if y < top_margin]
        assert head == [], (chapter.number, head)
        following = " ".join(w for y, w in pages[opener + 1] if y < top_margin)
        assert following == " ".join(html.unescape(chapter.title).split()), chapter.number


def test_student_edition_has_no_teacher_material(minimal):
    text = minimal.pdf_text()
    assert "TEACHER-ONLY" not in text


def lines_by_block(path, first: int, last: int) -> list[list[tuple[float, str]]]:
    """(width, words) of each line, grouped in pdftotext's blocks (one per paragraph or entry)."""
    xhtml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(first), "-l", str(last), str(path), "-"],
                           check=True, capture_output=True, text=True).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", xhtml))
    ns = "{http://www.w3.org/1999/xhtml}"
    return [[(float(line.get("xMax")) - float(line.get("xMin")), " ".join(w.text for w in line.iter(f"{ns}word")))
             for line in block.iter(f"{ns}line")] for block in root.iter(f"{ns}block")]


def test_glossary_and_source_lines_do_not_end_early(default_guide):
    """No line of a glossary or source-list entry stops at under half the entry's width while
    the entry goes on (WeasyPrint once set "Great / Leap / Forward" on three lines)."""
    with pikepdf.open(default_guide.pdf) as pdf:
        pages = len(pdf.pages)
    glossary = next(n for n in range(1, pages + 1)
                    if pdf_text(default_guide.pdf, n, n).lstrip().startswith("Glossary"))
    blocks = lines_by_block(default_guide.pdf, glossary, pages)
    assert sum(len(b) for b in blocks) > 100
    early = [(lines[i][1], lines[i + 1][1][:30]) for lines in blocks if len(lines) >= 3
             for i in range(len(lines) - 1) if lines[i][0] < 0.5 * max(w for w, _ in lines)]
    assert early == []


def test_no_block_of_the_print_html_ends_its_text_in_white_space(default_guide):
    """WeasyPrint 70 may break a line too early when a block's text ends in a space
    (docs/weasyprint-upstream.md, 6.): the templates end every text flush with its tag."""
    html = default_guide.html.read_text(encoding="utf-8")
    blocks = "p|li|dd|dt|td|th|figcaption|caption|h[1-6]"
    inline_end = r"(?:[^>\s]|</(?:a|span|i|em|strong|b|dfn|cite|abbr|sup|sub)>)"
    endings = re.findall(rf".{{0,40}}{inline_end}\s+</(?:{blocks})>", html)
    assert endings == []


def words(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def names_entry(line: str, name: str) -> bool:
    """A glossary or key-people entry's first line: the name alone, or followed by its characters."""
    return line == name or (line.startswith(name + " ") and not line[len(name) + 1].isascii())


def test_no_glossary_term_or_key_person_is_parted_from_its_description(default_guide):
    """A page never ends with a glossary term or a key person's name while the description
    starts on the next page: the name's page also holds the description's first words."""
    with pikepdf.open(default_guide.pdf) as pdf:
        pages = len(pdf.pages)
    texts = [subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(default_guide.pdf), "-"],
                            check=True, capture_output=True, text=True).stdout for n in range(1, pages + 1)]
    people = next(n for n, text in enumerate(texts) if "Key people" in text.splitlines())
    glossary = next(n for n, text in enumerate(texts) if text.lstrip().startswith("Glossary"))
    guide = default_guide.guide
    entries = ([(people, p.name, p.role) for p in guide.people]
               + [(glossary, t.term, t.definition) for t in guide.glossary])
    assert len(entries) > 30
    parted = []
    for start, name, description in entries:
        page = next(n for n in range(start, pages) if any(names_entry(line, name) for line in texts[n].splitlines()))
        opening = " ".join(words(description).split()[:4])
        if opening not in words(texts[page]):
            parted.append((name, page + 1))
    assert parted == []


def notes_away_from_their_calls(html: str, guide) -> tuple[int, list[tuple[int, int | None]]]:
    """(number of notes, [(page of the call, page of the note)] for each note not on its call's page)."""
    from studyguide.pdf import Layout

    calls, notes = {}, {}

    def find_calls(box, page):
        if (getattr(box, "element_tag", None) or "").endswith("::footnote-call"):
            calls.setdefault(box.element, page)
        for child in getattr(box, "children", ()):
            find_calls(child, page)

    for number, page in enumerate(Layout(html, guide).document.pages, 1):
        find_calls(page._page_box.children[0], number)
        for footnote_area in page._page_box.children[1:2]:  # not on pages without a body (the cover)
            for note in footnote_area.children:
                notes.setdefault(note.element, number)
    return len(calls), [(page, notes.get(element)) for element, page in calls.items() if notes.get(element) != page]


def test_notes_are_printed_on_the_page_of_their_call(default_guide):
    """`footnote-policy: line` moves a line to the next page rather than its note. WeasyPrint
    70 still carries a note over when it makes room for a page's last lines
    (docs/weasyprint-upstream.md, 9.): no more than 3 % of the notes, each to the next page."""
    count, away = notes_away_from_their_calls(default_guide.html.read_text(encoding="utf-8"), default_guide.guide)
    assert count > 90
    assert all(note == call + 1 for call, note in away)
    assert len(away) <= 0.03 * count, away


def early_lines(html: str, guide) -> list[tuple[int, str]]:
    """(page, text) of each line that stops before half its paragraph's width, mid-sentence,
    while the paragraph goes on."""
    from weasyprint.formatting_structure import boxes

    from studyguide.pdf import Layout

    def text(box):
        return "".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox)).strip()

    found = []
    for number, page in enumerate(Layout(html, guide).document.pages, 1):
        for block in page._page_box.descendants():
            lines = getattr(block, "children", [])
            if not isinstance(block, boxes.BlockContainerBox) or len(lines) < 2 \
                    or not all(isinstance(line, boxes.LineBox) for line in lines):
                continue
            for line in lines[:-1]:
                right = max((c.position_x + c.margin_width() for c in line.children), default=line.position_x)
                if right - block.content_box_x() < 0.5 * block.width and not text(line).endswith((".", ":", "?", "!")):
                    found.append((number, text(line)))
    return found


def test_no_line_of_the_large_print_edition_breaks_far_too_early(default_guide):
    """WeasyPrint 70 once left "Behind" alone on a line of the large-print edition, before
    "the slogans … the author of *Tombstone*" (docs/weasyprint-upstream.md, 6.)."""
    from studyguide.render import Options, PrintOptions, render_print

    guide = default_guide.guide
    html = render_print(guide, Options(edition="student"), PrintOptions(paper=guide.paper, profile="large"))
    assert early_lines(html, guide) == []


def test_a_key_terms_box_breaks_between_entries(default_guide):
    """A long key-terms box may go on over a page, but never in the middle of a definition:
    each short definition is whole on one page, in every chapter that lists it (and in the
    glossary, whose definitions begin with the same sentence)."""
    def plain(text):
        return " ".join(text.replace("-\n", "-").split())

    with pikepdf.open(default_guide.pdf) as pdf:
        pages = [plain(pdf_text(default_guide.pdf, n, n)) for n in range(1, len(pdf.pages) + 1)]
    guide = default_guide.guide
    broken = []
    for term in guide.glossary:
        short = words(str(term.short))
        expected = 1 + sum(term.id in guide.terms_introduced(chapter) for chapter in guide.chapters)
        if sum(page.count(short) for page in pages) < expected:
            broken.append(term.term)
    assert broken == []
