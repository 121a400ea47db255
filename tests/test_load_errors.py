"""Bad content gives `path:line: message` errors, all of a run together."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_build
from studyguide.errors import ContentError
from studyguide.load import load_guide


@pytest.fixture
def guide(tmp_path) -> Path:
    target = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def errors_of(guide: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if needle in line)


CASES = {
    # name: (file, old, new, expected file:line marker (text on that line), message part)
    "yaml syntax in guide.yaml": ("guide.yaml", "paper: letter", "paper: [letter", "slug:", "invalid YAML"),
    "missing title": ("guide.yaml", "title: Rivers of Europe", "titel: Rivers", "titel:", "missing required setting 'title'"),
    "bad paper": ("guide.yaml", "paper: letter", "paper: a5", "paper: a5", "paper must be a4 or letter"),
    "bad date": ("guide.yaml", "date: 2025-01-15", "date: 15/01/2025", "date:", "is not a date"),
    "bad slug": ("guide.yaml", "slug: rivers", "slug: Rivers Guide", "slug:", "may hold only"),
    "bad language": ("guide.yaml", "language: en", "language: english!", "language:", "BCP 47"),
    "front matter yaml": ("chapters/01-danube.md", "title: The Danube", "title: [The Danube", "objectives:", "invalid YAML"),
    "unknown citation": ("chapters/01-danube.md", "[@smith2001, p. 4]", "[@smyth2001, p. 4]", "smyth2001", "unknown source '@smyth2001'"),
    "unknown glossary mark": ("chapters/02-rhine.md", "[[delta]]", "[[estuary]]", "[[estuary]]", "unknown glossary term 'estuary'"),
    "excerpt without citation": ("chapters/01-danube.md", "nations.” [@jones1999]", "nations.”", "> “The Danube", "end it with a citation"),
    "heading skips a level": ("chapters/01-danube.md", "## The delta", "#### The delta", "#### The delta", "heading level skips"),
    "level-1 heading": ("chapters/01-danube.md", "## The delta", "# The delta", "# The delta", "only level-1 heading"),
    "question level": ("chapters/01-danube.md", "level: recall", "level: remember", "level: remember", "question level 'remember'"),
    "question without ask": ("chapters/02-rhine.md", "  - ask: Why did the Rhine matter for trade?", "  - asked: Why?", "asked:", "needs 'ask'"),
    "answer lines not a number": ("chapters/01-danube.md", "lines: 6", "lines: many", "lines: many", "lines must be a whole number"),
    "glossary without definition": ("glossary.yaml", "  definition: A river that flows into a larger river.\n", "", "term: tributary", "has no definition"),
    "duplicate glossary term": ("glossary.yaml", "- term: delta", "- term: tributary", "- term: tributary\n  forms: [deltas]", "duplicate glossary term"),
    "form owned twice": ("glossary.yaml", "forms: [deltas]", "forms: [tributaries]", "- term: delta", "already belongs to"),
    "duplicate source id": ("sources.yaml", "- id: jones1999", "- id: smith2001", "- id: smith2001\n  type: article", "is given twice: here and at"),
    "unknown source type": ("sources.yaml", "type: article-newspaper", "type: newspaper", "type: newspaper", "type 'newspaper' is not a CSL 1.0.2 item type"),
    "author not a list": ("sources.yaml", "author: [{family: Jones, given: Ben}]", "author: Ben Jones", "author: Ben Jones", "must be a list"),
    # no case for a source without a title: CSL processors format it (untitled items exist in real libraries)
    "timeline bad date": ("timeline.yaml", "date: 1856", "date: 'in 1856'", "in 1856", "must be YYYY"),
    "timeline unknown chapter": ("timeline.yaml", "chapter: rhine", "chapter: seine", "chapter: seine", "unknown chapter 'seine'"),
    "image without alt": ("chapters/02-rhine.md", "Its [[delta]]", "![](map.png) Its [[delta]]", "![](map.png)", "no alt text"),
    "image missing": ("chapters/02-rhine.md", "Its [[delta]]", "![A map](map.png) Its [[delta]]", "![A map]", "image 'map.png' not found"),
    "image outside the guide": ("chapters/02-rhine.md", "Its [[delta]]", "![A map](../../../etc/hostname) Its [[delta]]", "![A map]", "outside the guide"),
    "remote image": ("chapters/02-rhine.md", "Its [[delta]]", "![A map](https://example.com/a.png) Its [[delta]]", "![A map]", "only files inside the guide"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_names_file_and_line(guide, name):
    file, old, new, marker, message = CASES[name]
    path = guide / file
    edit(path, old, new)
    errors = errors_of(guide)
    matching = [e for e in errors if message in e]
    assert matching, f"no error containing {message!r} in {errors}"
    first_marker_line = marker.split("\n")[0]
    expected_line = line_of(path, first_marker_line)
    if "\n" in marker:  # the second occurrence: the duplicate
        expected_line = [i for i, line in enumerate(path.read_text().split("\n"), 1) if first_marker_line in line][-1]
    assert any(e.startswith(f"{path}:{expected_line}:") for e in matching), (expected_line, matching)


def test_non_utf8_file(guide):
    (guide / "chapters" / "02-rhine.md").write_bytes("---\ntitle: Rh\xefne\n---\ntext\n".encode("latin-1"))
    errors = errors_of(guide)
    assert any(re.match(rf"{re.escape(str(guide / 'chapters' / '02-rhine.md'))}:2: not valid UTF-8", e) for e in errors)


def test_empty_guide(tmp_path):
    (tmp_path / "g").mkdir()
    errors = errors_of(tmp_path / "g")
    assert any("guide.yaml: file not found" in e for e in errors)
    assert any("no chapters folder" in e for e in errors)


def test_missing_guide_directory(tmp_path):
    errors = errors_of(tmp_path / "nowhere")
    assert errors == [f"{tmp_path / 'nowhere'}: guide directory not found"]


def test_all_errors_reported_together(guide):
    edit(guide / "chapters/01-danube.md", "[@smith2001, p. 4]", "[@nope1]")
    edit(guide / "chapters/02-rhine.md", "[[delta]]", "[[nonterm]]")
    edit(guide / "timeline.yaml", "chapter: rhine", "chapter: loire")
    errors = errors_of(guide)
    assert len(errors) == 3, errors


@pytest.mark.layout
def test_cli_reports_errors_without_traceback(guide, tmp_path):
    edit(guide / "glossary.yaml", "- term: delta", "- term: delta\n  forms: [oops")
    result = run_build("pdf", "--guide", str(guide), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"{guide / 'glossary.yaml'}:" in result.stderr and "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "rivers.pdf").exists()


def test_unused_term_and_uncited_source_are_warnings(guide):
    with (guide / "glossary.yaml").open("a") as f:
        f.write("- term: estuary\n  definition: The tidal mouth of a river.\n")
    with (guide / "sources.yaml").open("a") as f:
        f.write("- id: unused2000\n  type: book\n  title: Unused\n  issued: 2000\n")
    loaded = load_guide(guide)
    assert any("glossary.yaml:" in w and "'estuary' is never used" in w for w in loaded.warnings)
    assert any("sources.yaml:" in w and "'unused2000' is never cited" in w for w in loaded.warnings)
    result = run_build("check", "--guide", str(guide), "--strict")
    assert result.returncode == 1 and "never used" in result.stderr


def test_symlink_pointing_out_of_the_guide_is_refused(guide, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes((guide / "images" / "river.png").read_bytes())
    (guide / "images" / "link.png").symlink_to(secret)
    path = guide / "chapters" / "01-danube.md"
    edit(path, "## The delta", "![A map](images/link.png)\n\n## The delta")
    errors = errors_of(guide)
    line = line_of(path, "images/link.png")
    assert f"{path}:{line}: image 'images/link.png' is outside the guide directory" in errors


def test_unsafe_html_is_reported_with_its_line(guide):
    path = guide / "chapters" / "01-danube.md"
    edit(path, "## The delta", '<script>alert("x")</script>\n\n## The delta')
    loaded = load_guide(guide)
    line = line_of(path, "<script>")
    assert f"{path}:{line}: warning: unsafe HTML (script, frame, event attribute or javascript: URL) removed" in loaded.warnings
    assert "alert" not in str(loaded.chapter("danube").body)


@pytest.mark.parametrize("text", ["[here](https://example.org)", "[https://example.org](https://example.org)",
                                  "[Click here](https://example.org)"])
def test_link_text_must_be_descriptive(guide, text):
    path = guide / "chapters" / "02-rhine.md"
    edit(path, "Its [[delta]]", f"See {text}. Its [[delta]]")
    assert f"{path}:{line_of(path, text)}: link text" in "\n".join(errors_of(guide))


def test_chinese_text_needs_a_language_mark(guide):
    path = guide / "chapters" / "02-rhine.md"
    edit(path, "Its [[delta]]", "The river is called 莱茵河. Its [[delta]]")
    assert any(e.startswith(f"{path}:{line_of(path, '莱茵河')}: Chinese text must be marked") for e in errors_of(guide))
    edit(path, "莱茵河", '<span lang="zh-Hans">莱茵河</span>')
    loaded = load_guide(guide)
    assert '<span lang="zh-Hans">莱茵河</span>' in str(loaded.chapter("rhine").body)


def test_duplicate_chapter_slug(guide):
    (guide / "chapters" / "03-danube.md").write_text((guide / "chapters" / "01-danube.md").read_text())
    assert f"{guide / 'chapters' / '03-danube.md'}: duplicate chapter slug 'danube' (also 01-danube.md)" in errors_of(guide)


@pytest.mark.parametrize("old, new, hint", [
    ("title: The Danube", "title: The Danube: a river", "Put the whole value in quotes"),
    ("  - Name the countries", "\t- Name the countries", "not tabs"),
    ("    level: recall\n    answer: TEACHER-ONLY-ANSWER-1", "    level: recall\n   answer: TEACHER-ONLY-ANSWER-1",
     "indentation"),
])
def test_a_yaml_mistake_says_what_to_do_about_it(guide, old, new, hint):
    """The commonest YAML slips of a teacher: a colon in a title, a tab, a list item out of line."""
    edit(guide / "chapters/01-danube.md", old, new)
    errors = errors_of(guide)
    assert any("invalid YAML" in e and hint in e and "01-danube.md:" in e for e in errors), errors


def test_a_file_that_cannot_be_read_brings_no_cascade_of_unknown_names(guide):
    """A broken source list is one error, not one more for each citation of its sources; a
    chapter whose front matter is broken is still a chapter the timeline may name."""
    edit(guide / "sources.yaml", "- id: smith2001", "- id: smith2001\n\tbroken: tab")
    edit(guide / "chapters/01-danube.md", "title: The Danube", "title: The Danube: a river")
    errors = errors_of(guide)
    assert len(errors) == 2 and all("invalid YAML" in e for e in errors), errors
    assert "01-danube.md" in errors[0] and "sources.yaml" in errors[1]  # file by file


def test_a_question_about_an_excerpt_the_chapter_does_not_hold_is_an_error(guide):
    edit(guide / "chapters/01-danube.md", "Read Excerpt 1.1.", "Read Excerpts 1.1 and 1.2.")
    errors = errors_of(guide)
    line = line_of(guide / "chapters/01-danube.md", "Read Excerpts 1.1 and 1.2.")
    assert errors == [f"{guide / 'chapters/01-danube.md'}:{line}: the question asks about Excerpt 1.2, "
                      "which the guide does not hold (this chapter has Excerpt 1.1)"]
