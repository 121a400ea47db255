"""Teacher edition, no leaks into student copies, reproducible bytes, no lost output."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from conftest import FIXTURES, ROOT, build_all, built_in, built_once, page_with, pdf_text, run_build
from studyguide.render import Options

TEACHER_MARKERS = ("TEACHER-ONLY-GUIDANCE", "TEACHER-ONLY-NOTE", "TEACHER-ONLY-ANSWER-1", "TEACHER-ONLY-ANSWER-3")


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    guide, options = FIXTURES / "minimal", Options(edition="teacher")
    return built_in(guide, built_once(tmp_path_factory, "minimal-teacher", lambda out: build_all(guide, out, options)),
                    options)


def epub_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf", ".ncx")))


def test_teacher_edition_holds_answers_notes_and_guidance(teacher):
    text = " ".join(pdf_text(teacher.pdf).split())
    for marker in TEACHER_MARKERS:
        assert marker in text, marker
    assert "teacher edition" in pdf_text(teacher.pdf, 1, 1).lower()
    chapter_page = page_with(teacher.pdf, "Where does the Danube rise")
    assert "Teacher edition" in pdf_text(teacher.pdf, chapter_page, chapter_page)  # in the running head
    assert all(marker in epub_text(teacher.epub) for marker in TEACHER_MARKERS)
    assert teacher.pdf.name == "rivers-teacher.pdf"


def test_teacher_contents_list_the_guidance_in_reading_order(teacher):
    """The teacher guidance is in the PDF's contents where it stands in the book, and in the
    EPUB's navigation (the reading system's contents) as well as its NCX."""
    contents = next(text for text in (pdf_text(teacher.pdf, n, n) for n in range(2, 10)) if "Contents" in text)
    first_chapter = teacher.guide.chapters[0].title
    assert contents.index("Content note") < contents.index("Teaching the difficult material") < contents.index(first_chapter)
    with zipfile.ZipFile(teacher.epub) as z:
        nav = z.read("EPUB/nav.xhtml").decode("utf-8")
        ncx = z.read("EPUB/toc.ncx").decode("utf-8")
    toc = nav[:nav.index("</nav>")]
    assert '<a href="front.xhtml#teaching-guidance">Teaching the difficult material</a>' in toc
    assert toc.index("front.xhtml#teaching-guidance") < toc.index("01-")
    assert 'src="front.xhtml#teaching-guidance"' in ncx


def test_student_outputs_never_hold_teacher_material(minimal):
    texts = {"pdf": pdf_text(minimal.pdf), "epub": epub_text(minimal.epub), "html": minimal.html.read_text()}
    for kind, text in texts.items():
        leaked = [m for m in ("TEACHER-ONLY",) if m in text]
        assert not leaked, f"teacher-only text in the student {kind}"


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.layout
def test_same_input_gives_identical_bytes_in_any_folder(tmp_path):
    """Two processes, the guide in two different folders (one with its picture): the same bytes."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    digests = []
    for run in ("a", "b/deeper/and deeper"):
        guide = tmp_path / run / "guide"
        shutil.copytree(FIXTURES / "minimal", guide)
        out = tmp_path / run / "out"
        result = subprocess.run([sys.executable, str(ROOT / "build.py"), "all", "--guide", str(guide),
                                 "--out", str(out)], env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        digests.append((sha256(out / "rivers.pdf"), sha256(out / "rivers.epub")))
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "a" / "out" / "rivers.pdf")], capture_output=True,
                            text=True).stdout.splitlines()[2:]
    assert images  # the picture is in the PDF (WeasyPrint names it by its URL)
    assert digests[0] == digests[1]
    info = subprocess.run(["pdfinfo", str(tmp_path / "a" / "out" / "rivers.pdf")], capture_output=True, text=True).stdout
    assert "Nov 14 22:13:20 2023" in info  # the PDF's dates come from SOURCE_DATE_EPOCH
    with zipfile.ZipFile(tmp_path / "a" / "out" / "rivers.epub") as z:
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}


@pytest.mark.layout
def test_failed_build_leaves_last_good_outputs_untouched(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    out = tmp_path / "out"
    assert run_build("all", "--guide", str(guide), "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (guide / "sources.yaml").write_text("- id: [broken\n")
    result = run_build("all", "--guide", str(guide), "--out", str(out))
    assert result.returncode == 1
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


@pytest.mark.layout
def test_build_killed_during_layout_leaves_previous_pdf(tmp_path):
    out = tmp_path / "out"
    assert run_build("pdf", "--guide", str(ROOT / "tests/fixtures/minimal"), "--out", str(out)).returncode == 0
    good = (out / "rivers.pdf").read_bytes()
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "pdf", "--guide",
                             str(FIXTURES / "minimal"), "--out", str(out), "--paper", "a4"],
                            stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()  # "laying out ..." is printed just before layout starts
    assert "laying out" in line
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / "rivers.pdf").read_bytes() == good


def test_images_reach_both_outputs(minimal):
    listing = subprocess.run(["pdfimages", "-list", str(minimal.pdf)], capture_output=True, text=True).stdout
    assert len(listing.strip().splitlines()) == 3  # header, rule, one image
    with zipfile.ZipFile(minimal.epub) as z:
        assert "EPUB/images/river.png" in z.namelist()
        chapter = z.read("EPUB/02-rhine.xhtml").decode()
    assert '<img alt="A line sketch of the Rhine' in chapter and 'src="images/river.png"' in chapter


def test_script_in_a_chapter_never_reaches_the_epub(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    path = guide / "chapters" / "02-rhine.md"
    path.write_text(path.read_text() + '\n<div onclick="steal()">Hi<script>steal()</script>'
                    '<iframe src="https://example.com"></iframe></div>\n')
    result = run_build("epub", "--guide", str(guide), "--out", str(tmp_path / "out"))
    assert result.returncode == 0 and "unsafe HTML" in result.stderr
    text = epub_text(tmp_path / "out" / "rivers.epub")
    assert "steal" not in text and "<script" not in text and "<iframe" not in text


def test_template_cache_is_skipped_when_its_folder_is_unusable(monkeypatch, tmp_path):
    import jinja2

    from studyguide import render

    def refuse(directory):
        raise RuntimeError("Cannot create or find cache directory")

    monkeypatch.setattr(render, "_cache_folder", [tmp_path / "cache"])
    monkeypatch.setattr(jinja2, "FileSystemBytecodeCache", refuse)
    assert render.template_cache() is None
