"""The command line: usage errors, exit codes, progress, and the `new` scaffold."""
from __future__ import annotations

import pikepdf

import pytest
from conftest import pdf_text, run_build


def test_help_lists_targets():
    result = run_build("--help")
    assert result.returncode == 0
    for word in ("pdf", "epub", "html", "all", "--guide", "--out"):
        assert word in result.stdout


def test_unknown_target_is_a_usage_error():
    result = run_build("docx")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_unknown_option_is_a_usage_error():
    result = run_build("pdf", "--colour", "red")
    assert result.returncode == 2


def test_wrong_guide_path(tmp_path):
    result = run_build("pdf", "--guide", str(tmp_path / "missing"), "--out", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'missing'}: guide directory not found" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.layout
def test_new_scaffold_builds_at_once(tmp_path):
    folder = tmp_path / "my-topic"
    assert run_build("new", str(folder)).returncode == 0
    result = run_build("pdf", "--guide", str(folder), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "[studyguide] wrote" in result.stderr  # progress lines go to stderr
    with pikepdf.open(tmp_path / "out" / "my-new-topic.pdf") as pdf:
        assert len(pdf.pages) >= 5
    assert run_build("check", "--guide", str(folder), "--strict").returncode == 0
    # the scaffold shows a callout, a footnote and a captioned picture, each rendered
    text = " ".join(pdf_text(tmp_path / "out" / "my-new-topic.pdf").split())
    assert "Think about it A box for a summary" in text
    assert "2. Footnotes are numbered with the citation notes." in text
    assert "Figure 1. A placeholder picture" in text and "refer to it as Figure 1." in text


def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    result = run_build("new", str(tmp_path))
    assert result.returncode == 1 and "not empty" in result.stderr
    assert (tmp_path / "x.txt").read_text() == "keep me"


@pytest.mark.layout
def test_paper_option_overrides_the_guide(tmp_path):
    from conftest import FIXTURES

    result = run_build("pdf", "--guide", str(FIXTURES / "minimal"), "--out", str(tmp_path), "--paper", "a4")
    assert result.returncode == 0, result.stderr
    with pikepdf.open(tmp_path / "rivers.pdf") as pdf:
        box = [round(float(v)) for v in pdf.pages[0].mediabox]
    assert box[2:] == [595, 842]
