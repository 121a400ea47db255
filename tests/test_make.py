"""The Makefile: real file dependencies, other guides, paper changes trigger rebuilds."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import zipfile

import pikepdf

import pytest
from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.layout  # every test here runs make, which lays out PDFs


def make(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, env=env)


def test_second_run_has_nothing_to_do_and_paper_change_rebuilds(tmp_path):
    guide = f"GUIDE={FIXTURES / 'minimal'}"
    out = f"OUT={tmp_path}"
    first = make(guide, out, "pdf", "epub")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "rivers.pdf").exists() and (tmp_path / "rivers.epub").exists()

    again = make(guide, out, "pdf", "epub")
    assert again.returncode == 0
    assert "Nothing to be done for 'pdf'" in again.stdout
    assert "Nothing to be done for 'epub'" in again.stdout

    a4 = make(guide, out, "PAPER=a4", "pdf")
    assert a4.returncode == 0 and "build.py pdf" in a4.stdout
    with pikepdf.open(tmp_path / "rivers.pdf") as pdf:
        assert round(float(pdf.pages[0].mediabox[2])) == 595
    assert "Nothing to be done" in make(guide, out, "PAPER=a4", "pdf").stdout
    # the EPUB's page list follows the PDF's pages: it is made again from the A4 PDF, once
    assert "build.py epub" in make(guide, out, "PAPER=a4", "epub").stdout
    assert "Nothing to be done for 'epub'" in make(guide, out, "PAPER=a4", "epub").stdout
    with zipfile.ZipFile(tmp_path / "rivers.epub") as book:
        assert "rivers.pdf, a4" in book.read("EPUB/content.opf").decode()


def test_parallel_build_is_safe(tmp_path):
    result = make(f"GUIDE={FIXTURES / 'minimal'}", f"OUT={tmp_path}", "-j2", "pdf", "epub", "html")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "rivers.epub", "rivers.html", "rivers.pdf"]
    assert not list(tmp_path.glob("*.tmp"))


def test_help_lists_targets():
    result = make("help")
    for target in ("pdf", "epub", "html", "all", "test", "check", "clean"):
        assert f"make {target}" in result.stdout


def test_editing_one_chapter_rebuilds_only_what_depends_on_it(tmp_path):
    import shutil

    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    args = (f"GUIDE={guide}", f"OUT={tmp_path / 'out'}")
    first = make(*args, "-j2", "all")
    assert first.returncode == 0, first.stderr
    out = tmp_path / "out"
    for name in ("rivers.pdf", "rivers.epub", "rivers.html", "rivers-teacher.pdf", "rivers-teacher.epub",
                 "rivers-handouts/01-danube.pdf", "rivers-handouts/02-rhine.pdf", "rivers-handouts/all-handouts.pdf",
                 "rivers-handouts/teacher/01-danube.pdf", "rivers-handouts/teacher/02-rhine.pdf"):
        assert (out / name).exists(), name
    assert make(*args, "-q", "all").returncode == 0  # -q: exit 0 means everything is up to date

    chapter = guide / "chapters" / "02-rhine.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence about barges.\n")
    second = make(*args, "all")
    assert second.returncode == 0, second.stderr
    commands = [line for line in second.stdout.splitlines() if "build.py" in line]
    assert any("--chapter 02-rhine" in c for c in commands)
    assert not any("--chapter 01-danube" in c for c in commands)


def test_paths_with_spaces_build_and_a_chapter_edit_rebuilds_only_its_handouts(tmp_path):
    guide = tmp_path / "My Documents" / "river guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    (guide / "images" / "a photo.png").write_bytes((guide / "images" / "river.png").read_bytes())
    (guide / "images" / "odd;name: $(x) #1.png").write_bytes(b"")  # Make's syntax in a name breaks nothing
    out = tmp_path / "My Outputs"
    args = (f"GUIDE={guide}", f"OUT={out}")
    first = make(*args, "all")
    assert first.returncode == 0, first.stderr
    assert (out / "rivers.pdf").exists() and (out / "rivers-handouts" / "02-rhine.pdf").exists()
    assert make(*args, "-q", "all").returncode == 0
    chapter = guide / "chapters" / "02-rhine.md"
    chapter.write_text(chapter.read_text() + "\nOne more sentence about barges.\n")
    commands = [c for c in make(*args, "all").stdout.splitlines() if "build.py handouts" in c]
    assert len(commands) == 2 and all(c.endswith("--chapter 02-rhine") for c in commands), commands
    os.utime(guide / "images" / "a photo.png")  # a shared file (with a space) changed: every handout
    commands = [c for c in make(*args, "all").stdout.splitlines() if "build.py handouts" in c]
    assert len(commands) == 2 and not any("--chapter" in c for c in commands), commands


def test_no_chapter_file_name_reaches_the_shell(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    args = (f"GUIDE={guide}", f"OUT={tmp_path / 'out'}")
    assert make(*args, "handouts").returncode == 0
    (guide / "chapters" / "03-x`touch${IFS}PWNED`.md").write_text("---\ntitle: x\n---\nText.\n")
    for targets in (("handouts",), ("-k", "all"), ("-j4", "all")):
        result = make(*args, *targets)
        assert result.returncode != 0 and "03-x`touch${IFS}PWNED`.md" in result.stderr  # the loader names it
    assert not list(tmp_path.rglob("PWNED")) and not (ROOT / "PWNED").exists()


def test_an_interrupted_make_keeps_the_pdf_it_has_just_written(tmp_path):
    """Ctrl-C after the new PDF is renamed into place (while the page map and layout record
    are still being written) must not make Make delete it."""
    pdf = tmp_path / "rivers.pdf"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    build = subprocess.Popen(["make", "--no-print-directory", f"GUIDE={FIXTURES / 'minimal'}", f"OUT={tmp_path}", "pdf"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    deadline = time.monotonic() + 120
    while not pdf.exists() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    interrupted = build.poll() is None
    os.killpg(build.pid, signal.SIGINT)
    _, stderr = build.communicate()
    assert interrupted, "the build ended before it could be interrupted"
    assert "Deleting file" not in stderr and pdf.exists(), stderr
