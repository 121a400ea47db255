"""Handouts: one per chapter, even page counts, answer lines, answer keys, page budget, combined job."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys

import pikepdf
import pytest

from conftest import FIXTURES, ROOT, built_once, pdf_text


@pytest.fixture(scope="module")
def handouts(tmp_path_factory):
    def build(out):
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--guide",
                                 str(FIXTURES / "minimal"), "--out", str(out)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    return built_once(tmp_path_factory, "minimal-handouts", build) / "rivers-handouts"


def pages(path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def test_one_handout_per_chapter_each_with_even_pages(handouts):
    names = sorted(p.name for p in handouts.glob("*.pdf"))
    assert names == ["01-danube.pdf", "02-rhine.pdf", "all-handouts.pdf"]
    for name in ("01-danube.pdf", "02-rhine.pdf"):
        assert pages(handouts / name) % 2 == 0
    assert pages(handouts / "all-handouts.pdf") == pages(handouts / "01-danube.pdf") + pages(handouts / "02-rhine.pdf")


def test_handout_holds_header_objectives_terms_excerpts_and_questions(handouts):
    text = " ".join(pdf_text(handouts / "01-danube.pdf").split())
    for expected in ("Name", "Class", "Date", "The Danube", "Name the countries the Danube flows through.",
                     "Key terms", "tributary — A river that flows into a larger river.", "Excerpt 1.1",
                     "“The Danube is the river of many nations.” (Jones, “The River of Nations”)",
                     "Where does the Danube rise?", "Read Excerpt 1.1."):
        assert expected.lower() in text.lower(), expected
    assert "TEACHER-ONLY" not in text


def test_answer_lines_follow_each_question(tmp_path):
    sys.path.insert(0, str(ROOT))
    from studyguide.load import load_guide
    from studyguide.render import Options, render_handout

    guide = load_guide(FIXTURES / "minimal")
    html = render_handout(guide, guide.chapter("danube"), Options())
    blocks = html.split('<div class="answer-lines" aria-hidden="true">')[1:]
    assert [b.split("</div></li>")[0].count('<div class="rule">') for b in blocks[:2]] == [3, 6]  # default 3, then 6


def test_answer_keys_for_the_teacher(handouts):
    keys = handouts / "teacher"
    assert sorted(p.name for p in keys.glob("*.pdf")) == ["01-danube.pdf", "02-rhine.pdf", "all-handouts.pdf"]
    text = pdf_text(keys / "01-danube.pdf")
    assert "TEACHER-ONLY-ANSWER-1" in text and "Answer key" in text
    assert "teaching notes" in text.lower() and "TEACHER-ONLY-NOTE: bring a map." in text  # the chapter's notes
    assert "Name ____" not in text


def test_page_budget_overrun_is_a_warning_naming_the_chapter(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    text = (guide / "guide.yaml").read_text().replace("page_budget: 2", "page_budget: 1")
    text = text.replace("answer_lines: 3", "answer_lines: 30")
    (guide / "guide.yaml").write_text(text)
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--guide", str(guide),
                             "--out", str(tmp_path / "out"), "--chapter", "01-danube"], capture_output=True, text=True)
    assert result.returncode == 0
    assert re.search(r"01-danube.md: handout for chapter 1 ‘The Danube’ has [2-9] pages, over the page budget of 1",
                     result.stderr)
    strict = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--guide", str(guide), "--strict",
                             "--out", str(tmp_path / "out"), "--chapter", "01-danube"], capture_output=True, text=True)
    assert strict.returncode == 1


def test_one_edition_of_handouts_on_its_own(tmp_path):
    """What Make runs as two jobs: answer keys alone, for one chapter."""
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--edition", "teacher",
                             "--chapter", "01-danube", "--guide", str(FIXTURES / "minimal"), "--out", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    built = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.pdf"))
    assert built == ["rivers-handouts/teacher/01-danube.pdf"]
    assert "wrote the answer keys of 1 chapter to" in result.stderr
    assert "TEACHER-ONLY-ANSWER-1" in " ".join(pdf_text(tmp_path / "rivers-handouts/teacher/01-danube.pdf").split())


def internal_links(path) -> tuple[list[str], set[str]]:
    """The named destinations the PDF's links go to, and the names it defines."""
    with pikepdf.open(path) as pdf:
        names = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys()) if "/Names" in pdf.Root else set()
        links = [str(annot.Dest) for page in pdf.pages for annot in page.get("/Annots", [])
                 if annot.get("/Subtype") == "/Link" and "/Dest" in annot]
    return links, names


def test_a_question_links_to_its_excerpt_in_each_handout_and_in_the_combined_job(handouts):
    """ "Read Excerpt 1.1" goes to the excerpt, in the chapter's handout and in the one print
    job of all handouts (whose pages are copied with their destinations)."""
    for name in ("01-danube.pdf", "all-handouts.pdf"):
        links, names = internal_links(handouts / name)
        assert "danube-excerpt-1" in links, name
        assert set(links) <= names, name


# --- page furniture: what a teacher needs to photocopy, sort and hand back 30 copies ----------

def page_texts(path) -> list[str]:
    """Each page's text, its words joined by single spaces (pdftotext ends every page with \\f)."""
    return [" ".join(page.split()) for page in pdf_text(path).split("\f")[:-1]]


def furniture(chapter, teacher: bool) -> list[str]:
    """What every page of a chapter's handout (or answer key) must show."""
    return [f"Lesson {chapter.number}", chapter.title, "Answer key" if teacher else "Name"]


def check_page_furniture(path, chapter, teacher: bool) -> None:
    """Every page: the lesson's number and title, a Name line (the key: "Answer key"), its page
    of the lesson's pages ("Page 2 of 3"; the notes page: "Lesson 2 · Notes"); an even page count;
    a notes page only as the padding last page, labelled; no page holding nothing but its
    furniture (a blank that looks like a misprint)."""
    texts = page_texts(path)
    assert len(texts) % 2 == 0, f"{path.name}: {len(texts)} pages"
    notes_label = f"Notes — Lesson {chapter.number}: {chapter.title}"
    has_notes = notes_label in texts[-1]
    lesson_pages = len(texts) - has_notes
    label = furniture(chapter, teacher)[-1]
    for number, text in enumerate(texts, 1):
        assert label in text, f"{path.name}, page {number}: no ‘{label}’ in: {text[:200]}"
        # a long title wraps beside the Name line: the text then reads "… from the Name Soviet Model"
        read = " ".join(text.replace(label, " ", 1).split())
        footer = f"Page {number} of {lesson_pages}" if number <= lesson_pages else f"Lesson {chapter.number} · Notes"
        for expected in furniture(chapter, teacher)[:-1] + [footer]:
            assert expected in read, f"{path.name}, page {number}: no ‘{expected}’ in: {text[:200]}"
        rest = text
        for piece in furniture(chapter, teacher) + [footer, "·"]:
            rest = rest.replace(piece, " ")
        assert len(rest.split()) >= 5, f"{path.name}, page {number} holds only its running head and footer"
        assert (notes_label in text) == (number == len(texts) and has_notes), (path.name, number)


def ruled_lines(path, page: int) -> int:
    """How many ruled lines run across most of the text block of a page, counted on the rendered page."""
    from PIL import Image

    png = subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "72", "-gray", "-png", str(path)],
                         capture_output=True, check=True).stdout
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    pixels = image.load()
    dark_rows = [y for y in range(height) if sum(pixels[x, y] < 200 for x in range(width)) > 0.6 * width]
    return sum(1 for i, y in enumerate(dark_rows) if i == 0 or y - dark_rows[i - 1] > 2)


@pytest.fixture(scope="module")
def longer_handouts(tmp_path_factory):
    """The small guide with 24 answer lines to its first question: handouts of several pages."""
    def build(out):
        guide = out / "guide"
        shutil.copytree(FIXTURES / "minimal", guide)
        text = (guide / "guide.yaml").read_text()
        (guide / "guide.yaml").write_text(text.replace("page_budget: 2", "page_budget: 0")
                                          .replace("answer_lines: 3", "answer_lines: 24"))
        for paper, profile in (("a4", "standard"), ("letter", "standard"), ("a4", "large")):
            result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--guide", str(guide),
                                     "--out", str(out / f"{paper}-{profile}"), "--paper", paper,
                                     "--profile", profile], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr

    return built_once(tmp_path_factory, "minimal-longer-handouts", build)


def variants(folder):
    """(variant, student folder, teacher folder) of each paper and profile built."""
    return [(v.name, v / "rivers-handouts", v / "rivers-handouts" / "teacher") for v in sorted(folder.iterdir())
            if (v / "rivers-handouts").is_dir()]


@pytest.fixture(scope="module")
def rivers():
    sys.path.insert(0, str(ROOT))
    from studyguide.load import load_guide

    return load_guide(FIXTURES / "minimal")


def test_every_page_carries_the_lesson_its_title_and_a_name_line(handouts, longer_handouts, rivers):
    """A4, Letter and large print; handouts and answer keys; one page padded and several."""
    checked = {}
    for variant, students, keys in [("a4", handouts, handouts / "teacher")] + variants(longer_handouts):
        for chapter in rivers.chapters:
            for folder, teacher in ((students, False), (keys, True)):
                path = folder / f"{chapter.source_path.stem}.pdf"
                check_page_furniture(path, chapter, teacher)
                checked[(variant, path.name, teacher)] = pages(path)
    assert len(checked) == 16
    assert max(checked.values()) >= 4, checked  # several pages of questions, not only padded ones


def test_the_padding_page_is_a_ruled_notes_page(handouts):
    """The Danube's handout holds one page of work: its second is a labelled page of ruled lines."""
    path = handouts / "01-danube.pdf"
    texts = page_texts(path)
    assert len(texts) == 2
    assert "Notes — Lesson 1: The Danube" in texts[1]
    assert ruled_lines(path, 2) >= 15, ruled_lines(path, 2)
    assert "Notes — Lesson" not in " ".join(page_texts(handouts / "all-handouts.pdf")[0::2])  # never a lesson's first


SOURCES_HEADING = "SOURCES OF THE EXCERPTS"
BBOX_LINE_RE = re.compile(r'<line xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</line>', re.S)


def source_lines(path) -> list[tuple[float, str]]:
    """(left edge, text) of each line of the handout's sources block, read from the page's layout."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    found, inside = [], False
    for page in xml.split("<page ")[1:]:
        for x, _y, words in BBOX_LINE_RE.findall(page):
            text = " ".join(re.findall(r">([^<]*)</word>", words))
            if text == SOURCES_HEADING:
                inside = True
            elif inside and re.match(r"Lesson \d+ · Page", text):
                inside = False
            elif inside:
                found.append((float(x), text))
    return found


def check_sources_list(path, sources: int) -> None:
    """One source a line: as many lines begin at the block's edge as there are sources, and
    every wrapped line stands 5 mm further in (a hanging indent)."""
    lines = source_lines(path)
    assert lines, f"{path.name}: no sources block"
    edge = min(x for x, _ in lines)
    starts = [text for x, text in lines if abs(x - edge) < 1]
    wrapped = [x - edge for x, _ in lines if abs(x - edge) >= 1]
    assert len(starts) == sources, (path.name, starts)
    assert all(abs(indent - 14.17) < 1.5 for indent in wrapped), (path.name, wrapped)


def test_the_sources_read_as_a_list_one_source_a_line(handouts):
    check_sources_list(handouts / "01-danube.pdf", 1)
    assert not source_lines(handouts / "02-rhine.pdf")  # no excerpts, no sources block


# --- questions that stand on their own ---------------------------------------------------------

def test_a_question_pointing_at_text_its_handout_lacks_is_a_warning(tmp_path):
    """"The paragraph that follows it", "this chapter", another chapter's excerpt: warned, with
    file and line; the same words with a place in the guide named are not."""
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    chapter = guide / "chapters" / "02-rhine.md"
    text = chapter.read_text()
    asks = ["Read the sketch and the paragraph that follows it. Where do barges go?",
            "How far does the evidence in this chapter support the claim?",
            "Read Excerpt 1.1. Why is the Danube called the river of many nations?",
            "Read the section *Trade* in Chapter 2 of the study guide. Why did the Rhine matter?",
            "Read Excerpt 1.1 (Chapter 1 of the study guide). Who is quoted?"]
    added = "".join(f"  - ask: {ask}\n    answer: TEACHER-ONLY.\n" for ask in asks)
    assert "questions:\n" in text
    chapter.write_text(text.replace("questions:\n", "questions:\n" + added, 1))
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "check", "--strict", "--guide", str(guide)],
                            capture_output=True, text=True)
    lines = chapter.read_text().split("\n")
    line_of = {ask: next(i for i, line in enumerate(lines, 1) if ask in line) for ask in asks}
    warned = re.findall(r"02-rhine\.md:(\d+): warning: the question points at (.*?), which its handout",
                        result.stderr)
    assert warned == [(str(line_of[asks[0]]), "‘the paragraph’, ‘that follows’"),
                      (str(line_of[asks[1]]), "‘this chapter’"),
                      (str(line_of[asks[2]]), "‘Excerpt 1.1’")], result.stderr
    assert result.returncode == 1  # `make check` fails on warnings
