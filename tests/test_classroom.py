"""The default guide in class: teacher material never leaks into student copies; print profiles."""
from __future__ import annotations

import re
import statistics
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, build_all, built_in, built_once, pdf_text
from studyguide.render import Options


def words(html) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", str(html)).split())


def teacher_only_snippets(guide) -> list[str]:
    """Distinctive pieces of every answer and teaching note of the guide."""
    pieces = [words(guide.teacher_guidance)]
    for chapter in guide.chapters:
        pieces += [words(q.answer) for q in chapter.questions] + [words(chapter.teacher_notes)]
    return [" ".join(p.split()[:9]) for p in pieces if len(p.split()) >= 9]


def normalised(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").replace("-\n", "").split())


@pytest.fixture(scope="module")
def classroom(tmp_path_factory, default_guide):
    def build(out):
        build_all(ROOT / "content", out, Options(edition="teacher"))
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--out", str(out)],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr

    out = built_once(tmp_path_factory, "classroom", build)
    handouts = out / "great-leap-forward-handouts"
    return default_guide, built_in(ROOT / "content", out, Options(edition="teacher")), handouts


def epub_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return words(" ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")))


def test_no_teacher_material_in_any_student_output(classroom):
    student, teacher, handouts = classroom
    snippets = teacher_only_snippets(student.guide)
    assert len(snippets) >= 30
    student_texts = {"pdf": normalised(student.pdf_text()), "epub": epub_text(student.epub)}
    student_texts |= {p.name: normalised(pdf_text(p)) for p in handouts.glob("*.pdf")}
    for name, text in student_texts.items():
        leaked = [s for s in snippets if s in text]
        assert not leaked, f"teacher-only text in the student {name}: {leaked[:2]}"
    teacher_pdf = normalised(teacher.pdf_text())
    teacher_epub = epub_text(teacher.epub)
    keys = " ".join(normalised(pdf_text(p)) for p in (handouts / "teacher").glob("0*.pdf"))
    missing = [s for s in snippets if s not in teacher_epub]
    assert not missing, missing[:3]
    # the PDF hyphenates and breaks lines: most snippets still read whole in its text
    assert sum(s in teacher_pdf for s in snippets) >= 0.8 * len(snippets)
    answers = [s for chapter in student.guide.chapters for s in teacher_only_snippets_of(chapter)]
    assert sum(s in keys for s in answers) >= 0.8 * len(answers)


def teacher_only_snippets_of(chapter) -> list[str]:
    return [" ".join(words(q.answer).split()[:9]) for q in chapter.questions if len(words(q.answer).split()) >= 9]


def word_heights(pdf, first: int, last: int) -> float:
    xml = subprocess.run(["pdftotext", "-bbox", "-f", str(first), "-l", str(last), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    boxes = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', xml)
    return statistics.median(float(b) - float(a) for a, b in boxes)


def test_large_print_profile_sets_body_text_at_16pt_or_more(tmp_path, minimal):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "pdf", "--guide", str(minimal.guide.root),
                             "--out", str(tmp_path), "--profile", "large"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    standard = word_heights(minimal.pdf, 4, 4)
    large = word_heights(tmp_path / "rivers.pdf", 4, 4)
    assert large / standard >= 16 / 11 * 0.95, (standard, large)
    css = (ROOT / "styles" / "large-print.css").read_text()
    assert re.search(r"html \{ font-size: (1[6-9]|2\d)pt", css)


def test_default_handouts_and_keys_carry_their_lesson_on_every_page(classroom):
    """Loose sheets of 30 copies can be sorted: every page of every handout and answer key
    shows its lesson, title and a Name line (or "Answer key"); padding pages are notes pages."""
    from test_handouts import check_page_furniture

    student, _, handouts = classroom
    for chapter in student.guide.chapters:
        check_page_furniture(handouts / f"{chapter.source_path.stem}.pdf", chapter, teacher=False)
        check_page_furniture(handouts / "teacher" / f"{chapter.source_path.stem}.pdf", chapter, teacher=True)


def test_default_handouts_list_their_sources_one_a_line(classroom):
    from studyguide.render import excerpt_sources
    from test_handouts import check_sources_list, source_lines

    student, _, handouts = classroom
    wrapped = 0
    for chapter in student.guide.chapters:
        path = handouts / f"{chapter.source_path.stem}.pdf"
        check_sources_list(path, len(excerpt_sources(chapter, student.guide)))
        wrapped += len(source_lines(path)) - len(excerpt_sources(chapter, student.guide))
    assert wrapped >= 1  # a long entry wraps, under a hanging indent


def test_no_question_of_the_default_guide_points_at_text_its_handout_lacks(default_guide):
    from studyguide.load import unplaced_references

    for chapter in default_guide.guide.chapters:
        for question in chapter.questions:
            assert not unplaced_references(words(question.ask), chapter.number), (chapter.number, question.ask)


def test_large_print_letter_handouts_keep_their_furniture_and_whole_sheets(tmp_path_factory, default_guide):
    """The tightest page: Letter in large print, where running heads take two lines and the
    notes page's heading wraps; every page still carries its lesson, on whole sheets."""
    from test_handouts import check_page_furniture

    def build(out):
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "handouts", "--out", str(out),
                                 "--paper", "letter", "--profile", "large"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "did not fit on one page" not in result.stderr, result.stderr

    handouts = built_once(tmp_path_factory, "classroom-large-letter", build) / "great-leap-forward-handouts"
    for chapter in default_guide.guide.chapters:
        check_page_furniture(handouts / f"{chapter.source_path.stem}.pdf", chapter, teacher=False)
        check_page_furniture(handouts / "teacher" / f"{chapter.source_path.stem}.pdf", chapter, teacher=True)
