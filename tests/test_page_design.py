"""The page of running text, measured on the built PDFs of the default guide: the measure,
the note calls, the cross-references and bookmarks, searchable labels, the page flow, the
key-terms boxes, the teacher edition and large print (docs/design/page.md)."""
from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from statistics import median

import pikepdf
import pytest

from conftest import ROOT, built_once, pdf_text, run_build
from pdf_measure import filled, layout, outline_pages, runs

MM = 72 / 25.4
VARIANTS = {  # what build.py is asked for, and the PDF's body size in points
    "a4": ((), 12.0),
    "letter": (("--paper", "letter"), 12.0),
    "large print": (("--profile", "large"), 16.0),
    "teacher": (("--edition", "teacher"), 12.0),
}


def build_variant(out: Path, args: tuple) -> None:
    result = run_build("pdf", "--guide", str(ROOT / "content"), "--out", str(out), *args)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def variant_pdfs(tmp_path_factory, default_guide) -> dict[str, Path]:
    """The default guide's PDF in every print variant (A4 is the shared default build)."""
    found = {"a4": default_guide.pdf}
    for name, (args, _) in VARIANTS.items():
        if args:
            folder = built_once(tmp_path_factory, f"page-{name.replace(' ', '-')}",
                                lambda out, args=args: build_variant(out, args))
            [found[name]] = folder.glob("*.pdf")
    return found


def body_lines(pdf: Path):
    """The lines of running text: those of the commonest line height (the body's)."""
    _, lines, _ = layout(pdf)
    body_height = Counter(round(line.height, 1) for line in lines).most_common(1)[0][0]
    return [line for line in lines if abs(line.height - body_height) < 0.05]


@pytest.mark.parametrize("variant", ["a4", "letter", "large print"])
def test_the_measure_holds_55_to_75_characters(variant_pdfs, variant):
    """A full line of running text holds 55-75 characters (Bringhurst 2.1.2), at every size."""
    lines = body_lines(variant_pdfs[variant])
    measure = max(line.x1 - line.x0 for line in lines)
    full = [line for line in lines if line.x1 - line.x0 >= 0.9 * measure]
    assert len(full) > 300
    assert 55 <= median(len(line.text) for line in full) <= 75


def note_calls(pdf: Path, body: float) -> list[tuple]:
    """Each note call in the text: (size, the text before it, the text after it). A call is a
    run of digits smaller than the body and raised above the run before it on its line."""
    found, shown = [], runs(pdf)
    for i, run in enumerate(shown[1:-1], 1):
        before, after = shown[i - 1], shown[i + 1]
        raised = 0.5 < run.y - before.y < 0.6 * body
        if re.fullmatch(r"\d{1,3}", run.text) and run.size < body and raised and before.page == run.page:
            found.append((run.size, before.text, after.text))
    return found


@pytest.mark.parametrize("variant", ["a4", "large print"])
def test_note_calls_stand_after_the_punctuation_and_are_large_enough(variant_pdfs, default_guide, variant):
    """Chicago 14.26: "years.”⁵", not "years”⁵."; the call at 7 pt at least (13.5 in large print)."""
    calls = note_calls(variant_pdfs[variant], VARIANTS[variant][1])
    notes = sum(len(chapter.notes) for chapter in default_guide.guide.chapters)
    assert len(calls) >= notes > 50
    before_punctuation = [c for c in calls if re.match(r"[.,;:!?]", c[2])]
    assert before_punctuation == []
    assert min(size for size, _, _ in calls) >= (13.5 if variant == "large print" else 7)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_every_note_is_printed_once(variant_pdfs, default_guide, variant):
    """Each note's marker ("5. ") stands once at the notes' size: none lost when WeasyPrint
    lays a page out again (a forward page reference on a page whose notes went on to the next
    page lost them, docs/design/page.md)."""
    size = 14.0 if variant == "large print" else 8.5
    markers = [run for run in runs(variant_pdfs[variant]) if run.size == size and re.fullmatch(r"\d+\.\s*", run.text)]
    assert len(markers) == sum(len(chapter.notes) for chapter in default_guide.guide.chapters)


def test_a_rule_separates_the_notes_from_the_text(default_guide, tmp_path):
    """On a page with notes (the first chapter's first), a short horizontal line stands just
    above the first note."""
    pdf = default_guide.pdf
    page = min(n for t, n in outline_pages(pdf).items() if t.startswith("Chapter"))
    sizes, lines, _ = layout(pdf)
    note_lines = [line for line in lines if line.page == page and re.match(r"\d+\. ", line.text)
                  and line.y0 > sizes[page - 1][1] / 2]
    assert note_lines, f"page {page} has notes"
    top = min(line.y0 for line in note_lines)
    subprocess.run(["pdftoppm", "-gray", "-r", "72", "-f", str(page), "-l", str(page), "-png", str(pdf),
                    str(tmp_path / "p")], check=True)
    from PIL import Image

    [png] = tmp_path.glob("p*.png")
    image = Image.open(png).convert("L")
    width = image.size[0]

    def dark_run(y: int) -> int:
        row = [image.getpixel((x, y)) < 200 for x in range(width)]
        best = run = 0
        for dark in row:
            run = run + 1 if dark else 0
            best = max(best, run)
        return best

    rule = [y for y in range(int(top) - int(6 * MM), int(top)) if 30 * MM < dark_run(y) < 50 * MM]
    assert rule, "no rule of 30-50 mm in the 6 mm above the notes"


def test_cross_references_carry_the_page_they_point_to(default_guide):
    """Every "Excerpt 1.1" of a question gives the excerpt's page; every "Chapter 4" of the
    timeline and the key people gives the chapter's; the e-book shows no page numbers."""
    pdf = default_guide.pdf
    pages = {n: " ".join(pdf_text(pdf, n, n).split()) for n in range(1, len(pikepdf.open(pdf).pages) + 1)}
    label_page = {m: n for n, text in pages.items() for m in re.findall(r"EXCERPT (\d+\.\d+)", text)}
    chapters = {int(re.match(r"Chapter\s(\d+)", t).group(1)): n for t, n in outline_pages(pdf).items()
                if t.startswith("Chapter")}
    questions = " ".join(text for n, text in pages.items() if n >= outline_pages(pdf)["Discussion questions"])
    excerpt_refs = re.findall(r"Excerpts? (\d+\.\d+)( \(p\. (\d+)\))?", questions.split("Glossary")[0])
    assert len(excerpt_refs) >= 10
    assert [(n, page) for n, _, page in excerpt_refs] == [(n, str(label_page[n])) for n, _, _ in excerpt_refs]
    timeline = " ".join(text for n, text in pages.items()
                        if outline_pages(pdf)["Timeline and key people"] <= n < outline_pages(pdf)["Discussion questions"])
    chapter_refs = re.findall(r"Chapter (\d+)(, p\. (\d+))?", timeline)
    assert len(chapter_refs) >= 10
    assert [page for _, _, page in chapter_refs] == [str(chapters[int(n)]) for n, _, _ in chapter_refs]
    ebook = "".join(default_guide.epub_files()[n] for n in default_guide.epub_files() if n.endswith(".xhtml"))
    assert not re.search(r"Excerpt\s1\.1\s\(p\.", ebook)


def test_the_pdf_opens_with_its_bookmarks_shown(default_guide):
    with pikepdf.open(default_guide.pdf) as pdf:
        assert pdf.Root.PageMode == "/UseOutlines" and "/Outlines" in pdf.Root


def test_labels_extract_and_search_as_words(default_guide):
    """The capitals of labels are not letter-spaced: a viewer's Find reaches "Excerpt 1.1"."""
    text = pdf_text(default_guide.pdf)
    for label in ("EXCERPT 1.1", "LEARNING OBJECTIVES", "NEW TERMS IN THIS CHAPTER", "CHAPTER 1"):
        assert label in text, label
    assert not re.search(r"\b[A-Z] [A-Z]{3,}", text.replace("A STUDY", ""))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_no_page_is_less_than_half_full_but_at_a_sections_end(variant_pdfs, variant):
    """From the first chapter on, a page under half full ends a chapter or back-matter section
    (or is the blank page before a chapter that opens on a right-hand page)."""
    pdf = variant_pdfs[variant]
    sizes, _, _ = layout(pdf)
    starts = set(outline_pages(pdf).values())
    first = min(n for t, n in outline_pages(pdf).items() if t.startswith("Chapter"))
    top, bottom = 18 * MM, sizes[0][1] - 22 * MM
    fill = {n: filled(pdf, n, top, bottom) for n in range(1, len(sizes) + 1)}
    short = [n for n in range(first, len(sizes)) if fill[n] < 0.5
             and n + 1 not in starts and not (fill[n + 1] == 0 and n + 2 in starts) and fill[n] > 0]
    assert short == []


@pytest.mark.parametrize("variant", ["a4", "teacher"])
def test_chapters_open_on_right_hand_pages_after_a_blank_page(variant_pdfs, variant):
    pdf = variant_pdfs[variant]
    chapters = [n for t, n in outline_pages(pdf).items() if t.startswith("Chapter")]
    assert len(chapters) == 6 and all(n % 2 == 1 for n in chapters)
    for n in chapters:  # the page before is the end of the last section or empty, with no folio
        text = pdf_text(pdf, n - 1, n - 1).strip()
        assert text == "" or not re.fullmatch(r"\d+", text)


def test_no_break_between_a_word_and_the_number_it_names(default_guide):
    """No line ends in "Figure", "Chapter", "Excerpt" or "p." with its number on the next."""
    _, lines, _ = layout(default_guide.pdf)
    broken = [(a.page, a.text[-20:], b.text[:8]) for a, b in zip(lines, lines[1:])
              if re.search(r"\b(Figure|Chapter|Excerpt|pp?\.)$", a.text) and re.match(r"\d", b.text)]
    assert broken == []


def test_running_text_ends_no_paragraph_in_a_line_of_one_word(default_guide):
    """The last line of a paragraph of running text (two lines or more: the chapters') holds two
    words at least."""
    pages = outline_pages(default_guide.pdf)
    first, after = min(n for t, n in pages.items() if t.startswith("Chapter")), pages["Timeline and key people"]
    lines = [line for line in body_lines(default_guide.pdf) if first <= line.page < after]
    measure = max(line.x1 - line.x0 for line in lines)
    last_lines = [b for a, b in zip(lines, lines[1:]) if a.page == b.page and a.x1 - a.x0 > 0.8 * measure
                  and b.x1 - b.x0 < 0.8 * measure]
    one_word = [(b.page, b.text) for b in last_lines if len(b.text.split()) == 1]
    assert len(last_lines) > 50 and one_word == []


def test_key_terms_boxes_list_the_terms_a_chapter_introduces(default_guide):
    """Each term's short definition stands once in the chapters (in the box of the chapter that
    first uses it), once in the glossary; a later chapter names the terms it reuses."""
    pdf, guide = default_guide.pdf, default_guide.guide
    starts = outline_pages(pdf)
    first = min(n for t, n in starts.items() if t.startswith("Chapter"))
    chapters_text = " ".join(pdf_text(pdf, first, starts["Timeline and key people"] - 1).replace("-\n", "-").split())
    used = {t for chapter in guide.chapters for t in chapter.term_ids}
    counts = {t.term: chapters_text.count(" ".join(re.sub("<[^>]+>", "", str(t.short)).split()))
              for t in guide.glossary if t.id in used}
    assert len(counts) > 30 and set(counts.values()) == {1}, counts
    assert chapters_text.count("Also used here, defined in the Glossary") >= 4


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_key_terms_box_never_leaves_a_short_tail_on_a_page(variant_pdfs, default_guide, variant):
    """A box that goes on over a page carries three entries at least to the next one (p. 13 of
    an earlier draft held the last entry of a box, alone)."""
    pdf, guide = variant_pdfs[variant], default_guide.guide
    pages = {n: " ".join(pdf_text(pdf, n, n).replace("-\n", "-").split()) for n in range(1, len(layout(pdf)[0]) + 1)}
    starts = sorted(n for t, n in outline_pages(pdf).items() if t.startswith("Chapter"))
    ends = starts[1:] + [outline_pages(pdf)["Timeline and key people"]]
    tails = []
    for chapter, first, after in zip(guide.chapters, starts, ends):
        shorts = [" ".join(re.sub("<[^>]+>", "", str(guide.term(t).short)).split())[:40]
                  for t in guide.terms_introduced(chapter)]
        box = [n for n in range(first, after) if any(short in pages[n] for short in shorts)]
        if len(box) > 1:
            tails.append(sum(short in pages[box[-1]] for short in shorts))
    assert len(starts) == 6 and all(count >= 3 for count in tails), tails


def test_teaching_notes_open_each_chapter_in_one_running_head_face(variant_pdfs):
    pdf = variant_pdfs["teacher"]
    chapters = [n for t, n in outline_pages(pdf).items() if t.startswith("Chapter")]
    for n in chapters:
        text = pdf_text(pdf, n, n)
        assert "TEACHING NOTES" in text and text.index("TEACHING NOTES") < text.index("LEARNING OBJECTIVES"), n
    sizes, _, _ = layout(pdf)
    heads = {run.font for run in runs(pdf) if run.y > sizes[0][1] - 20 * MM and run.page > 1}
    assert heads == {"Linux-Libertine-O-Italic"}


def test_answers_are_a_light_labelled_panel_not_a_dashed_box(variant_pdfs):
    pdf = variant_pdfs["teacher"]
    questions = outline_pages(pdf)["Discussion questions"]
    text = pdf_text(pdf, questions, outline_pages(pdf)["Glossary"] - 1)
    assert text.count("ANSWER GUIDANCE") >= 30
    with pikepdf.open(pdf) as doc:
        pages = list(enumerate(doc.pages, 1))[questions - 1:outline_pages(pdf)["Glossary"] - 1]
        dashed = [n for n, page in pages for operands, op in pikepdf.parse_content_stream(page)
                  if str(op) == "d" and len(operands[0])]
    assert dashed == []


def test_large_print_sets_no_letter_below_13_5_pt(variant_pdfs):
    """Letters under 13.5 pt in the large-print PDF, the charts' labels apart (the figures'
    drawings set their own sizes): none."""
    shown = runs(variant_pdfs["large print"])
    letters = sum(len(run.text.replace(" ", "")) for run in shown if not run.in_figure)
    small = [(run.page, run.size, run.text) for run in shown if run.size < 13.5 and not run.in_figure
             and run.text.strip()]
    assert letters > 50_000 and small == []


def test_large_print_contents_keep_their_hanging_indent(variant_pdfs):
    """A list-of-figures entry that wraps goes on under its title, not under its number."""
    pdf = variant_pdfs["large print"]
    figures = outline_pages(pdf)["List of figures"]
    _, lines, _ = layout(pdf)
    entries = [line for line in lines if line.page == figures and line.text not in ("List of figures", str(figures))]
    numbers = [line for line in entries if re.fullmatch(r"\d+", line.text)]
    titles = [line for line in entries if line not in numbers]
    wrapped = [line for line in titles if not re.search(r"\d$", line.text)]  # no page number: it goes on
    assert len(numbers) >= 2 and wrapped, "no entry wraps"
    number_x = min(line.x0 for line in numbers)
    assert all(line.x0 > number_x + 6 * MM for line in titles)
