"""The source list: CSL-YAML or CSL-JSON from Zotero, formatted in Chicago notes-bibliography style."""
from __future__ import annotations

import json
import shutil

from markupsafe import Markup

from conftest import FIXTURES
from studyguide import cite
from studyguide.load import load_guide


def plain(html: Markup) -> str:
    import re

    return re.sub(r"<[^>]+>", "", str(html))


def test_book_with_editors_edition_and_volume():
    entry = cite.bibliography_entry({
        "type": "book", "title": "Sources of Chinese Tradition: From 1600 Through the Twentieth Century",
        "editor": [{"family": "de Bary", "given": "Wm. Theodore"}, {"family": "Lufrano", "given": "Richard"}],
        "edition": "2nd ed.", "volume": 2, "publisher": "Columbia University Press",
        "publisher-place": "New York", "issued": {"date-parts": [[2000]]}})
    assert plain(entry) == ("de Bary, Wm. Theodore, and Richard Lufrano, eds. Sources of Chinese Tradition: From 1600 "
                            "Through the Twentieth Century. 2nd ed. Vol. 2. New York: Columbia University Press, 2000.")
    assert "<i>Sources of Chinese Tradition" in str(entry)


def test_newspaper_and_magazine_articles():
    entry = cite.bibliography_entry({"type": "article-newspaper", "title": "China’s Bloodiest Secret",
                                     "author": [{"family": "Yang", "given": "Jisheng"}],
                                     "container-title": "The New York Times", "issued": "2012-11-13"})
    assert plain(entry) == "Yang, Jisheng. “China’s Bloodiest Secret.” The New York Times, November 13, 2012."
    short = cite.short_note({"type": "article-magazine", "title": "[Essay]", "author": [{"family": "Mishra"}],
                             "container-title": "The New Yorker", "issued": "2010-12-20"})
    assert plain(short) == "Mishra, The New Yorker, December 20, 2010"


def test_chapter_webpage_speech_and_document():
    chapter = cite.bibliography_entry({"type": "chapter", "title": "On Cooperation", "author": [{"literal": "Mao Zedong"}],
                                       "container-title": "Selected Readings", "page": "458–459",
                                       "publisher": "Press", "issued": 1977})
    assert plain(chapter) == "Mao Zedong. “On Cooperation.” In Selected Readings, 458–459. Press, 1977."
    web = cite.bibliography_entry({"type": "webpage", "title": "Primary Sources with DBQs",
                                   "author": [{"literal": "Asia for Educators"}], "URL": "https://example.org/afe"})
    assert plain(web) == "Asia for Educators. “Primary Sources with DBQs.” https://example.org/afe."
    speech = cite.bibliography_entry({"type": "speech", "title": "The Question of Agricultural Cooperation",
                                      "author": [{"literal": "Mao Zedong"}], "issued": "1955-07-31"})
    assert plain(speech) == "Mao Zedong. “The Question of Agricultural Cooperation.” Speech, July 31, 1955."
    doc = cite.bibliography_entry({"type": "document", "title": "[Research file]", "author": [{"literal": "Project"}]})
    assert plain(doc) == "Project. [Research file]."  # a supplied title closes like any other


def test_csl_json_from_zotero_drops_in(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    (guide / "sources.yaml").unlink()
    zotero = [
        {"id": "smith2001", "type": "book", "title": "Rivers: A History", "publisher": "River Press",
         "publisher-place": "London", "author": [{"family": "Smith", "given": "Anna"}],
         "issued": {"date-parts": [["2001"]]}},
        {"id": "jones1999", "type": "article-newspaper", "title": "The River of Nations",
         "container-title": "The Daily Paper", "author": [{"family": "Jones", "given": "Ben"}],
         "issued": {"date-parts": [["1999", 3, 2]]}},
    ]
    (guide / "sources.json").write_text(json.dumps(zotero, indent=2))
    loaded = load_guide(guide)
    entries = {s.id: plain(s.entry) for s in loaded.sources}
    assert entries["smith2001"] == "Smith, Anna. Rivers: A History. London: River Press, 2001."
    assert entries["jones1999"] == "Jones, Ben. “The River of Nations.” The Daily Paper, March 2, 1999."


def test_pandoc_csl_yaml_with_references_key(tmp_path):
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", guide)
    text = (guide / "sources.yaml").read_text()
    (guide / "sources.yaml").write_text("references:\n" + "".join(f"  {line}\n" for line in text.splitlines()))
    assert {s.id for s in load_guide(guide).sources} == {"smith2001", "jones1999"}


def test_source_list_is_alphabetical():
    loaded = load_guide(FIXTURES / "minimal")
    assert [s.id for s in loaded.sources] == ["jones1999", "smith2001"]


def test_a_source_s_own_short_title_is_used_in_notes():
    src = {"type": "document", "author": [{"family": "Roosevelt", "given": "Franklin D."}],
           "title": "Letter to all State Governors on a Uniform Soil Conservation Law"}
    assert plain(cite.short_note(src)) == "Roosevelt, Letter to all State"  # the first four words, by default
    src["title-short"] = "Letter to State Governors"
    assert plain(cite.short_note(src)) == "Roosevelt, Letter to State Governors"
