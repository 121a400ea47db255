"""studyguide/citeproc.py: libraries read as reference managers write them, citations and
bibliographies formatted by pandoc's citeproc in one run. The reference for the output is
pandoc itself, run the ordinary way: a Markdown document with `--bibliography=<the file>`."""
from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from studyguide import citeproc
from studyguide.citeproc import CitationItem, CiteprocError, Cluster, format_citations, read_library
from studyguide.errors import Problems

LIBRARIES = FIXTURES / "libraries"
CONTENT = ROOT / "content"
STYLES = ("chicago-notes-bibliography", "apa", "mla")
FIXTURE_FILES = ("adunning-guides.bib", "adunning-zotero-subset.csl.json", "bbt-original-date-range.csl.yml",
                 "bbt-pandoc-citation.csl.json", "bbt-pandoc-citation.csl.yml")


# --- helpers ---------------------------------------------------------------------------------

def library(root: Path, name: str) -> citeproc.Library:
    problems = Problems()
    items = read_library(root, root / name, problems)
    assert problems.errors == [], [str(p) for p in problems.errors]
    return items


def written(root: Path, name: str, text: str) -> Path:
    (root / name).write_text(text, encoding="utf-8")
    return root / name


def errors_of(root: Path, name: str) -> list[str]:
    problems = Problems()
    read_library(root, root / name, problems)
    return [str(p) for p in problems.errors]


def one(item_id: str, **fields) -> Cluster:
    return Cluster((CitationItem(item_id, **fields),))


def markdown_of(cluster: Cluster) -> str:
    """The cluster as an author writes it in pandoc Markdown."""
    def item(c: CitationItem) -> str:
        locator = f", {c.locator}" if c.locator else ""
        if c.mode == "author-in-text":
            return f"@{{{c.id}}}" + (f" [{c.locator}]" if c.locator else "")
        return f"{c.prefix + ' ' if c.prefix else ''}{'-' if c.mode == 'suppress-author' else ''}@{{{c.id}}}{locator}{c.suffix}"
    if len(cluster.items) == 1 and cluster.items[0].mode == "author-in-text":
        return item(cluster.items[0])
    return "[" + "; ".join(item(c) for c in cluster.items) + "]"


def pandoc_reference(bibliography: Path, clusters: list[Cluster], style: str, nocite: str = "") -> dict:
    """What pandoc itself makes of the same citations: {'clusters': [(text, note)], 'entries': [(id, html)]}."""
    body = "\n\n".join(f"::: {{#c{n}}}\n{markdown_of(c)}\n:::" for n, c in enumerate(clusters))
    meta = f"---\nnocite: '{nocite}'\n---\n\n" if nocite else ""
    csl = citeproc.resolve_style(style).path
    out = subprocess.run([citeproc.pandoc_path(), "-f", "markdown", "-t", "html", "--wrap=none", "--citeproc",
                          f"--bibliography={bibliography}", f"--csl={csl}", "-M", "lang=en-US"],
                         input=meta + body, capture_output=True, text=True, check=True).stdout
    notes = dict(re.findall(r'<li id="fn(\d+)"><p>(.*?)<a href="#fnref\d+" class="footnote-back"', out))
    found = []
    for paragraph in re.findall(r'<div id="c\d+">\n<p>(.*?)</p>\n</div>', out):
        numbers = re.findall(r'href="#fn(\d+)"', paragraph)
        text = re.sub(r'<a href="#fn\d+"[^>]*><sup>\d+</sup></a>', "", paragraph)
        found.append((normal(text), normal(" ".join(notes[n] for n in numbers)) if numbers else None))
    entries = re.findall(r'<div id="ref-(.*?)" class="csl-entry" role="listitem">\n(.*?)\n</div>', out, re.S)
    return {"clusters": found, "entries": [(html.unescape(i), normal(e)) for i, e in entries]}


def normal(fragment: str) -> str:
    """HTML compared by what it shows: italics (pandoc's <em>, our <i>; a roman span inside
    italics is pandoc's nested <em>), bold, super/subscript, links and text."""
    fragment = re.sub(r'<span style="font-style:normal">(.*?)</span>', r"<i>\1</i>", fragment)
    fragment = re.sub(r"</?span[^>]*>", "", fragment)
    fragment = fragment.replace("<em>", "<i>").replace("</em>", "</i>")
    fragment = fragment.replace("<strong>", "<b>").replace("</strong>", "</b>")
    fragment = re.sub(r'<a href="([^"]*)"[^>]*>', r'<a href="\1">', fragment)
    fragment = re.sub(r"<span class=\"citation\"[^>]*>|</span>", "", fragment)
    return html.unescape(" ".join(fragment.split())).strip()


def ours(items, clusters, style, nocite=()) -> dict:
    result = format_citations(items, clusters, style, nocite=nocite)
    return {"clusters": [(normal(r.text), normal(r.note) if r.note is not None else None) for r in result.clusters],
            "entries": [(e.id, normal(e.html)) for e in result.bibliography]}


def guide_clusters() -> list[Cluster]:
    """The default guide's bracketed citations in chapter order; a page on every fifth."""
    clusters = []
    for chapter in sorted((CONTENT / "chapters").glob("*.md")):
        for inner in re.findall(r"\[([^\]]*@[^\]]*)\]", chapter.read_text(encoding="utf-8")):
            items = []
            for piece in inner.split(";"):
                match = re.fullmatch(r"\s*@([\w-]+)(?:, p\. (\d+))?\s*", piece)
                assert match, piece
                items.append(CitationItem(match.group(1), match.group(2) or ""))
            if len(clusters) % 5 == 4 and not items[0].locator:
                items[0] = CitationItem(items[0].id, str(len(clusters)))
            clusters.append(Cluster(tuple(items)))
    return clusters


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# --- the same output as pandoc ---------------------------------------------------------------

@pytest.mark.parametrize("style", STYLES)
def test_the_default_guide_is_formatted_as_pandoc_formats_it(style):
    items = library(CONTENT, "sources.yaml")
    clusters = guide_clusters()
    assert len(items.items) == 24 and len(clusters) == 183
    expected = pandoc_reference(CONTENT / "sources.yaml", clusters, style)
    got = ours(items, clusters, style)
    assert got["clusters"] == expected["clusters"]
    assert got["entries"] == expected["entries"]


@pytest.mark.parametrize("style", STYLES)
def test_emphasis_in_a_prefix_or_suffix_is_formatted_as_pandoc_formats_it(style):
    items = library(CONTENT, "sources.yaml")
    clusters = [one("yang2012", prefix="*see especially*", locator="12", suffix=", **passim**"),
                one("dikotter2010", prefix="_cf._", suffix=", and _Tombstone_ on the same years"),
                Cluster((CitationItem("mishra2010", prefix="see *also*"), CitationItem("yang2012", suffix=", *ibid.*")))]
    got = ours(items, clusters, style)
    assert got["clusters"] == pandoc_reference(CONTENT / "sources.yaml", clusters, style)["clusters"]
    assert all("*" not in text + (note or "") and "_cf" not in text + (note or "") for text, note in got["clusters"])
    assert any(re.search(r"<(strong|b)>passim</", text + (note or "")) for text, note in got["clusters"])


@pytest.mark.parametrize("name", FIXTURE_FILES)
@pytest.mark.parametrize("style", STYLES)
def test_a_reference_managers_library_is_formatted_as_pandoc_formats_it(name, style):
    items = library(LIBRARIES, name)
    clusters = [one(i["id"]) for i in items.items] + [one(i["id"], locator="12") for i in items.items]
    expected = pandoc_reference(LIBRARIES / name, clusters, style)
    got = ours(items, clusters, style)
    assert got == expected


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_markup_in_fields_becomes_formatting_never_literal_characters(name):
    items = library(LIBRARIES, name)
    result = format_citations(items, [one(i["id"]) for i in items.items], "chicago-notes-bibliography")
    shown = [r.note for r in result.clusters] + [e.html for e in result.bibliography]
    for fragment in shown:
        text = visible_text(fragment)
        assert not re.search(r"[*{}<>\\]|~\d", text), text
        assert "&lt;" not in fragment, fragment
    assert any("<i>" in f for f in shown)


def test_markup_of_each_kind_arrives_as_html():
    by_file = {name: format_citations(library(LIBRARIES, name), [], "apa", nocite=("*",))
               for name in ("bbt-pandoc-citation.csl.json", "bbt-pandoc-citation.csl.yml")}
    for result in by_file.values():
        entries = {e.id: e.html for e in result.bibliography}
        assert "<b>Huaynaputina</b>" in entries["Adams2001"]
        assert "<i>Prouerbia</i>" in entries["Berndt1994"]
    assert "<sub>1</sub>" in "".join(e.html for e in by_file["bbt-pandoc-citation.csl.yml"].bibliography)


def test_bibtex_braces_protect_case_and_vanish(tmp_path):
    items = library(LIBRARIES, "adunning-guides.bib")
    entries = {e.id: visible_text(e.html) for e in format_citations(items, [], "chicago-notes-bibliography",
                                                                     nocite=("*",)).bibliography}
    assert "Laine H. McCarthy" in entries["walker-esbaugh_dunmore_2004"]
    assert not any(c in "".join(entries.values()) for c in "{}\\")
    written(tmp_path, "case.bib", "@book{k,\n  title = {The {NASA} history of the {iPhone} in {Europe}},\n  date = {2001},\n}\n")
    (entry,) = format_citations(library(tmp_path, "case.bib"), [one("k")], "apa").bibliography
    assert "<i>The NASA history of the iPhone in Europe</i>" in entry.html  # sentence case spares the braced words


# --- reading --------------------------------------------------------------------------------

def test_every_csl_date_form_is_read(tmp_path):
    written(tmp_path, "dates.yaml", """\
- {id: parts, type: book, title: Parts, issued: {date-parts: [[2012, 11, 3]]}}
- {id: raw, type: book, title: Raw, issued: {raw: "2013-05"}}
- {id: literal, type: book, title: Literal, issued: {literal: "about 1910"}}
- {id: edtf, type: book, title: EDTF, issued: "1938/1961"}
- {id: yamldate, type: book, title: YAML date, issued: 2014-06-07}
- id: bbt
  type: book
  title: Better BibTeX
  issued:
    - year: 2014
      month: 12
    - year: 2015
""")
    items = library(tmp_path, "dates.yaml")
    result = format_citations(items, [], "chicago-notes-bibliography", nocite=("*",))
    entries = {e.id: visible_text(e.html) for e in result.bibliography}
    assert "2012" in entries["parts"] and "2013" in entries["raw"] and "about 1910" in entries["literal"]
    assert "1938–61" in entries["edtf"] or "1938–1961" in entries["edtf"]
    assert "2014" in entries["yamldate"] and re.search("2014–(20)?15", entries["bbt"])
    (original,) = format_citations(library(LIBRARIES, "bbt-original-date-range.csl.yml"), [], "apa",
                                   nocite=("*",)).bibliography
    assert "(Original work published 1938–1961, Seccovii)" in visible_text(original.html)


def test_a_date_pandoc_cannot_read_is_an_error_with_its_line(tmp_path):
    written(tmp_path, "bad.yaml", "- id: a\n  type: book\n  title: A\n  issued: sometime soon\n")
    assert errors_of(tmp_path, "bad.yaml") == [f"{tmp_path / 'bad.yaml'}:4: source 'a': issued is not a date "
                                               "pandoc can read (2012, 2012-11-03, 1938/1961, {date-parts: [[2012, 11, 3]]})"]


def test_every_csl_item_type_is_read_and_formatted_in_each_style(tmp_path):
    entries = [{"id": f"t-{kind}", "type": kind, "title": f"A {kind}", "author": [{"family": "Doe", "given": "Ann"}],
                "issued": {"date-parts": [[2001]]}} for kind in sorted(citeproc.ITEM_TYPES)]
    written(tmp_path, "types.json", json.dumps(entries))
    items = library(tmp_path, "types.json")
    assert len(items.items) == 45
    for style in STYLES:
        result = format_citations(items, [one(i["id"]) for i in items.items], style)
        assert all(visible_text(r.note or r.text) for r in result.clusters)
        left_out = {w.rsplit(": ", 1)[1] for w in result.warnings if "no printed form" in w}
        assert {e.id for e in result.bibliography} | left_out == items.ids


def test_an_unknown_item_type_is_an_error_with_its_line(tmp_path):
    written(tmp_path, "t.yaml", "- id: a\n  title: A\n  type: blog-post\n")
    assert errors_of(tmp_path, "t.yaml") == [f"{tmp_path / 't.yaml'}:3: source 'a': type 'blog-post' is not a CSL "
                                             "1.0.2 item type (book, chapter, article-journal, webpage …)"]


@pytest.mark.parametrize("name, text", [
    ("lib.yaml", "- {id: a, type: book, title: A, URL: www.example.org/a}\n"),
    ("lib.json", '[{"id": "a", "type": "book", "title": "A", "URL": "www.example.org/a"}]\n'),
    ("lib.bib", "@book{a,\n  title = {A},\n  url = {www.example.org/a},\n}\n"),
    ("lib.ris", "TY  - BOOK\nID  - a\nTI  - A\nUR  - www.example.org/a\nER  - \n"),
])
def test_a_url_without_a_scheme_gets_https(tmp_path, name, text):
    written(tmp_path, name, text)
    items = library(tmp_path, name)
    assert items.items[0]["URL"] == "https://www.example.org/a"
    entry = format_citations(items, [one("a")], "apa").bibliography[0].html
    assert '<a href="https://www.example.org/a">' in entry


def test_a_url_with_a_scheme_is_kept(tmp_path):
    written(tmp_path, "lib.yaml", "- {id: a, type: book, title: A, URL: 'http://example.org/a'}\n")
    assert library(tmp_path, "lib.yaml").items[0]["URL"] == "http://example.org/a"


@pytest.mark.parametrize("name, text, lines", [
    ("lib.yaml", "- id: a\n  type: book\n  title: A\n- id: b\n  type: book\n  title: B\n- id: a\n  type: book\n  title: C\n",
     (7, 1)),
    ("lib.json", '[\n  {"id": "a", "type": "book", "title": "A"},\n  {"id": "a", "type": "book", "title": "B"}\n]\n', (3, 2)),
    ("lib.bib", "@book{a,\n  title = {A},\n}\n\n@string{x = {y}}\n@article{a,\n  title = {B},\n}\n", (6, 1)),
    ("lib.ris", "TY  - BOOK\nID  - a\nTI  - A\nER  - \nTY  - BOOK\nID  - a\nTI  - B\nER  - \n", (6, 2)),
])
def test_an_id_given_twice_is_an_error_naming_both_places(tmp_path, name, text, lines):
    written(tmp_path, name, text)
    path = tmp_path / name
    assert errors_of(tmp_path, name) == [f"{path}:{lines[0]}: source id 'a' is given twice: here and at {path}:{lines[1]}"]


def test_references_key_or_bare_list_both_read(tmp_path):
    written(tmp_path, "a.yaml", "references:\n- {id: a, type: book, title: A}\n")
    written(tmp_path, "b.yaml", "- {id: a, type: book, title: A}\n")
    assert library(tmp_path, "a.yaml") == library(tmp_path, "b.yaml")


def test_an_id_yaml_reads_as_a_number_is_text(tmp_path):
    written(tmp_path, "n.yaml", "- {id: 1984, type: book, title: Orwell}\n")
    assert library(tmp_path, "n.yaml").items[0]["id"] == "1984"


def test_a_broken_bib_file_is_an_error_with_its_line(tmp_path):
    written(tmp_path, "broken.bib", "@book{a,\n  title = {A},\n}\n\n@book{b,\n  title = {B\n")
    (error,) = errors_of(tmp_path, "broken.bib")
    assert error.startswith(f"{tmp_path / 'broken.bib'}:") and "cannot read this biblatex file" in error


# --- formatting -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small(tmp_path_factory) -> citeproc.Library:
    root = tmp_path_factory.mktemp("small")
    written(root, "s.yaml", """\
- {id: smith, type: book, title: The *Nice* Book, author: [{family: Smith, given: John}], issued: 2001,
   publisher: Press}
- {id: doe, type: article-journal, title: Second Thoughts, container-title: Journal, author: [{family: Doe, given: Jane}],
   issued: 2012-11, volume: 3, page: 1-20}
- {id: uncited, type: book, title: Never Cited, author: [{family: Roe, given: Rick}], issued: 1999}
""")
    return library(root, "s.yaml")


def test_only_cited_items_are_in_the_bibliography(small):
    result = format_citations(small, [one("smith"), one("doe", locator="4")], "chicago-notes-bibliography")
    assert [e.id for e in result.bibliography] == ["doe", "smith"]  # the style's order: by author


def test_nocite_all_lists_every_item_and_nocite_ids_add_theirs(small):
    every = format_citations(small, [one("smith")], "apa", nocite=("*",))
    assert {e.id for e in every.bibliography} == {"smith", "doe", "uncited"}
    some = format_citations(small, [one("smith")], "apa", nocite=("uncited",))
    assert {e.id for e in some.bibliography} == {"smith", "uncited"}


def test_first_note_is_full_and_later_notes_short_in_chicago(small):
    result = format_citations(small, [one("smith"), one("doe"), one("smith", locator="7")],
                              "chicago-notes-bibliography")
    first, _, later = result.clusters
    assert first.text == "" and first.note == "John Smith, <i>The <span style=\"font-style:normal\">Nice</span> Book</i> (Press, 2001)."
    assert later.note == "Smith, <i>The <span style=\"font-style:normal\">Nice</span> Book</i>, 7."


def test_suppress_author_and_author_in_text(small):
    apa = format_citations(small, [one("smith"), one("smith", mode="suppress-author"),
                                   one("smith", mode="author-in-text", locator="4")], "apa").clusters
    assert [r.text for r in apa] == ["(Smith, 2001)", "(2001)", "Smith (2001, p. 4)"]
    assert all(r.note is None for r in apa)
    chicago = format_citations(small, [one("doe"), one("smith", mode="author-in-text", locator="4"),
                                       one("doe", mode="suppress-author"),
                                       one("smith", mode="author-in-text")], "chicago-notes-bibliography").clusters
    assert chicago[1].text == "John Smith" and chicago[1].note.startswith("<i>The ") and chicago[1].note.endswith(" 4.")
    assert chicago[3].text == "Smith" and chicago[3].note.startswith("<i>The ")
    assert chicago[2].text == "" and not visible_text(chicago[2].note).startswith("Doe")


def test_prefix_suffix_and_locator_labels(small):
    (result,) = format_citations(small, [Cluster((CitationItem("smith", "2", "chapter", "see", ", and elsewhere"),))],
                                 "apa").clusters
    assert result.text == "(see Smith, 2001, Chapter 2, and elsewhere)"


@pytest.mark.parametrize("label", sorted(set(citeproc.LOCATOR_TERMS) - {"page"}))
def test_each_locator_label_reaches_citeproc_as_that_label(small, label):
    (result,) = format_citations(small, [one("smith", locator="2", label=label)], "apa").clusters
    assert "p. " not in result.text and "2" in result.text, result.text  # an unread label would be a page


def test_citations_written_in_one_footnote_are_formatted_inside_it(small):
    clusters = [one("smith"), Cluster((CitationItem("doe"),), in_note=2), Cluster((CitationItem("smith", "3"),), in_note=2)]
    result = format_citations(small, clusters, "chicago-notes-bibliography").clusters
    assert result[1].note is None and visible_text(result[1].text).startswith("(Jane Doe, “Second Thoughts,”")
    assert result[2].note is None and visible_text(result[2].text) == "(Smith, The Nice Book, 3)"


def test_note_style_and_heading_are_read_from_the_style(small, tmp_path):
    expected = {"chicago-notes-bibliography": (True, "Bibliography"), "apa": (False, "References"),
                "mla": (False, "Works Cited")}
    for style, (note, heading) in expected.items():
        result = format_citations(small, [one("smith")], style)
        assert (result.is_note_style, result.heading) == (note, heading)
    csl = (ROOT / "styles/csl/apa.csl").read_text().replace('citation-format="author-date"', 'citation-format="note"')
    written(tmp_path, "house.csl", csl)
    assert format_citations(small, [one("smith")], "house.csl", guide_root=tmp_path).is_note_style


def test_a_style_outside_the_guide_or_unknown_is_refused(small, tmp_path):
    with pytest.raises(CiteprocError, match="outside the guide folder"):
        format_citations(small, [], "../apa.csl", guide_root=tmp_path)
    with pytest.raises(CiteprocError, match="unknown style 'harvard'"):
        format_citations(small, [], "harvard")


def test_an_id_missing_from_the_library_is_refused(small):
    with pytest.raises(CiteprocError, match="cited but not in the library: nobody"):
        format_citations(small, [one("nobody")], "apa")


def test_the_language_chooses_the_locale_offline(small):
    german = format_citations(small, [one("smith"), one("doe")], "chicago-notes-bibliography", lang="de-DE")
    assert "November 2012" in german.clusters[1].note and "Hrsg" not in german.clusters[0].note
    undated = citeproc.Library(({"id": "x", "type": "book", "title": "Undatiert"},))
    assert "o.\u00a0J." in format_citations(undated, [one("x")], "apa", lang="de-DE").clusters[0].text


def test_text_of_a_library_is_escaped_not_trusted(tmp_path):
    written(tmp_path, "x.json", '[{"id": "x", "type": "book", "title": "A <script>alert(1)</script> & <i>B</i>"}]')
    (entry,) = format_citations(library(tmp_path, "x.json"), [one("x")], "apa").bibliography
    assert "<script>" not in entry.html and "&lt;script&gt;" in entry.html and '<span style="font-style:normal">B</span>' in entry.html


def test_one_pandoc_run_per_request_and_outputs_share_the_result(small, monkeypatch):
    citeproc.clear_cache()
    runs = []
    real = citeproc.run_pandoc
    monkeypatch.setattr(citeproc, "run_pandoc", lambda args, text: runs.append(args) or real(args, text))
    clusters = [one("smith"), one("doe", locator="3"), one("smith")]
    pdf = format_citations(small, clusters, "chicago-notes-bibliography")
    epub = format_citations(small, list(clusters), "chicago-notes-bibliography")
    assert epub is pdf and len(runs) == 1
    format_citations(small, clusters, "apa")
    assert len(runs) == 2
