"""Glossary linking, citations, excerpts and raw-HTML cleaning in the Markdown extensions."""
from __future__ import annotations

import re

from studyguide.citation import Cite, parse_bracketed
from studyguide.markup import Converter, DocumentState, TermMatcher, join_locators, sanitize_html
from studyguide.model import Source

FORMS = {
    "people's commune": "peoples-commune", "people's communes": "peoples-commune",
    "commune": "commune", "communes": "commune",
    "close planting": "close-planting",
    "Great Leap Forward": "glf",
    "cadre": "cadre", "cadres": "cadre",
}
SOURCES = {"mao1955": Source("mao1955", "speech", "entry", "Mao, “Agricultural Cooperation”", "mao"),
           "li1994": Source("li1994", "book", "entry", "Li, <i>Private Life</i>", "li")}


def convert(text: str) -> tuple[str, DocumentState]:
    state = DocumentState(prefix="ch", chapter_number=3)
    converter = Converter(SOURCES, TermMatcher(FORMS), frozenset(FORMS.values()))
    return str(converter.convert(text, state)), state


def linked(html: str) -> list[str]:
    return re.findall(r'<a class="term"[^>]*? href="#term-([^"]+)"[^>]*>([^<]+)</a>', html)


def test_first_use_only_is_linked():
    html, state = convert("A cadre spoke. Another cadre answered. Cadres listened.")
    assert linked(html) == [("cadre", "cadre")]
    assert [t for t, _ in state.term_uses] == ["cadre"]


def test_longest_form_wins():
    html, _ = convert("The people's communes grew; each commune was large.")
    assert linked(html) == [("peoples-commune", "people’s communes"), ("commune", "commune")]


def test_curly_apostrophe_and_possessive():
    html, _ = convert("The people’s communes were vast. The cadre's ladle mattered.")
    assert ("peoples-commune", "people’s communes") in linked(html)
    assert ("cadre", "cadre") in linked(html)  # "cadre's": the possessive still links the word


def test_capitalised_sentence_start_matches():
    html, _ = convert("Close planting failed.")
    assert linked(html) == [("close-planting", "Close planting")]


def test_whole_words_only():
    html, _ = convert("The communestead and decadre are not words; communal is not commune.")
    assert linked(html) == [("commune", "commune")]


def test_never_in_headings_links_quotes_or_code():
    text = ("## The cadre\n\nSee [a cadre page](#x) and `cadre`.\n\n"
            "> A cadre said so. [@li1994]\n\n    cadre in code\n\nFinally a cadre.")
    html, _ = convert(text)
    assert linked(html) == [("cadre", "cadre")]
    assert re.search(r"Finally a <a class=\"term\"[^>]*>cadre</a>", html)


def test_explicit_mark_links_and_counts_as_first_use():
    html, state = convert("The [[new units|commune]] grew. Later each commune was audited.")
    assert linked(html) == [("commune", "new units")]
    assert len(state.term_uses) == 1


def test_citations_become_numbered_notes_with_locators():
    html, state = convert("Mao spoke [@mao1955, p. 458].\n\nLi saw it [@li1994; @mao1955, pp. 1–2].")
    assert html.count("data-note=") == 2
    assert "spoke<span" in html  # the space before the call is removed
    assert str(state.notes[0][2]).endswith(", p. 458.")
    assert '<a href="#src-li1994">' in str(state.notes[1][2]) and "pp. 1–2." in str(state.notes[1][2])
    assert [k for k, _ in state.source_uses] == ["mao1955", "li1994", "mao1955"]


def test_citations_in_one_paragraph_share_a_note_at_the_last_call():
    html, state = convert("Mao spoke [@mao1955, p. 458]. Li saw it [@li1994]. Mao again [@mao1955, p. 460]. End.")
    assert html.count("data-note=") == 1
    assert "Mao spoke. Li saw it. Mao again<span data-note=\"1\"></span>. End." in html
    note = str(state.notes[0][2])
    assert note.count('href="#src-mao1955"') == 1 and "pp. 458, 460" in note
    assert note.index("src-mao1955") < note.index("src-li1994")
    assert [k for k, _ in state.source_uses] == ["mao1955", "li1994"]


def test_notes_are_numbered_by_their_paragraphs_order():
    html, state = convert("- one [@li1994]\n- two [@mao1955]\n\nAfter [@li1994; @mao1955].")
    assert re.findall(r'data-note="(\d+)"', html) == ["1", "2", "3"]
    assert [n[3] for n in state.notes] == [("li1994",), ("mao1955",), ("li1994", "mao1955")]


def test_note_ending_in_quotation_mark_puts_full_stop_inside():
    _, state = convert("Mao spoke [@mao1955].")
    assert str(state.notes[0][2]).endswith("Cooperation.”</a>")


def test_page_locators_of_one_source_are_joined():
    assert join_locators(["p. 4", "pp. 7–9"]) == "pp. 4, 7–9"
    assert join_locators(["p. 4"]) == "p. 4"
    assert join_locators(["chap. 2", "p. 9"]) == "chap. 2, p. 9"


def test_parse_citation():
    assert parse_bracketed("@a, p. 4; @b") == [Cite("a", "p. 4", "page"), Cite("b")]


def test_blockquotes_become_numbered_excerpts():
    html, state = convert("> First. [@li1994]\n\nText.\n\n> Second. [@mao1955]")
    assert [e[0] for e in state.excerpts] == ["3.1", "3.2"]
    assert 'class="excerpt"' in html and "Excerpt 3.2" in html


def test_raw_html_is_cleaned():
    html, _ = convert('Hi <span lang="zh" onclick="x()">中</span><script>alert(1)</script>'
                      '<iframe src="https://x"></iframe> <a href="javascript:alert(1)">x</a>')
    assert "script" not in html and "onclick" not in html and "iframe" not in html
    assert "javascript:" not in html
    assert '<span lang="zh">中</span>' in html


def test_sanitize_keeps_text_of_unknown_tags():
    assert sanitize_html("<blink>hello</blink>") == "hello"


def test_notes_are_numbered_in_document_order_even_inside_quotations():
    html, state = convert("Before [@li1994].\n\n> Quoted. [@mao1955]\n\nAfter [@li1994, p. 2].")
    assert re.findall(r'data-note="(\d+)"', html) == ["1", "2", "3"]
    assert "Mao" in str(state.notes[1][2]) and str(state.notes[2][2]).endswith("p. 2.")
    assert [k for k, _ in state.source_uses] == ["li1994", "mao1955", "li1994"]


def test_straight_quotes_and_double_hyphens_are_set_as_typographers_would():
    """What a teacher types on a keyboard comes out like the default guide's text."""
    html, _ = convert('Mao called it the "great leap" -- and a cadre\'s "leap" wasn\'t small... [@mao1955]')
    text = re.sub(r"<[^>]+>", "", html)
    assert "the “great leap” – and a cadre’s “leap” wasn’t small…" in text
    assert '"' not in text and "'" not in text and "--" not in text


def test_a_term_is_still_linked_when_its_apostrophe_is_typed_straight():
    html, _ = convert("The people's communes grew.")
    assert linked(html) == [("peoples-commune", "people’s communes")]


def test_quotes_around_emphasis_open_and_close_on_the_right_side():
    html, _ = convert('He wrote "*Tombstone*" and \'*Red*\' -- twice.')
    assert "“<em>Tombstone</em>” and ‘<em>Red</em>’ – twice." in html
