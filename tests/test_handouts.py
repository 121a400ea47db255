"""Handouts: one per chapter, even page counts, answer lines, answer keys, page budget, combined job."""
from __future__ import annotations

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
