"""Glossary linking, citations, excerpts and raw-HTML cleaning in the Markdown extensions."""
from __future__ import annotations

import re

from studyguide.citation import Cite, parse_bracketed
from studyguide.markup import Converter, DocumentState, TermMatcher, sanitize_html
from studyguide.model import Source

FORMS = {
    "people's commune": "peoples-commune", "people's communes": "peoples-commune",
    "commune": "commune", "communes": "commune",
    "close planting": "close-planting",
    "Great Leap Forward": "glf",
    "cadre": "cadre", "cadres": "cadre",
}
SOURCES = {"mao1955": Source("mao1955", "speech"), "li1994": Source("li1994", "book")}


def convert(text: str, note_style: bool = True) -> tuple[str, DocumentState]:
    """The chapter's HTML, its no-break spaces written as spaces (tested on their own below)."""
    html, state = converted(text, note_style)
    return html.replace("\xa0", " "), state


def converted(text: str, note_style: bool = True) -> tuple[str, DocumentState]:
    state = DocumentState(prefix="ch", chapter_number=3)
    converter = Converter(SOURCES, TermMatcher(FORMS), frozenset(FORMS.values()), note_style=note_style)
    state.converter = converter
    return str(converter.convert(text, state)), state


def cited(state: DocumentState, note: int) -> tuple[Cite, ...]:
    """The citation data of a citation note (numbered from 1): what the renderer formats."""
    return state.converter.citations[state.notes[note - 1][4]].items


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
    assert "spoke.<span" in html  # the space before the call is removed; the call follows the full stop
    assert cited(state, 1) == (Cite("mao1955", "p. 458", "page"),)
    assert cited(state, 2) == (Cite("li1994"), Cite("mao1955", "pp. 1–2", "page"))
    assert str(state.notes[0][2]) == ""  # data, not formatted text: cite.py formats it when rendering
    assert [k for k, _ in state.source_uses] == ["mao1955", "li1994", "mao1955"]


def test_citations_in_one_paragraph_share_a_note_at_the_last_call():
    html, state = convert("Mao spoke [@mao1955, p. 458]. Li saw it [@li1994]. Mao again [@mao1955, p. 460]. End.")
    assert html.count("data-note=") == 1
    assert "Mao spoke. Li saw it. Mao again.<span data-note=\"1\"></span> End." in html
    assert cited(state, 1) == (Cite("mao1955", "p. 458, 460", "page"), Cite("li1994"))
    assert [k for k, _ in state.source_uses] == ["mao1955", "li1994"]


def test_notes_are_numbered_by_their_paragraphs_order():
    html, state = convert("- one [@li1994]\n- two [@mao1955]\n\nAfter [@li1994; @mao1955].")
    assert re.findall(r'data-note="(\d+)"', html) == ["1", "2", "3"]
    assert [n[3] for n in state.notes] == [("li1994",), ("mao1955",), ("li1994", "mao1955")]


def test_page_locators_of_one_source_are_joined_and_reach_csl_without_their_label():
    _, state = convert("A [@li1994, p. 4]. B [@li1994, pp. 7–9]. C [@li1994, chap. 2].")
    assert cited(state, 1) == (Cite("li1994", "p. 4, 7–9", "page"), Cite("li1994", "chap. 2", "chapter"))
    assert [c.value for c in cited(state, 1)] == ["4, 7–9", "2"]


def test_a_narrative_citation_is_a_note_of_its_own_and_keeps_its_place():
    html, state = convert("As @li1994 [p. 3] says, it grew [@mao1955].")
    assert re.findall(r'data-note="(\d+)"', html) == ["1", "2"]
    assert "As <span data-note" in html  # the name comes before the call, the space kept
    assert cited(state, 1) == (Cite("li1994", "p. 3", "page", mode="author-in-text"),)


def test_in_an_author_date_style_citations_stay_in_the_text_and_only_footnotes_are_notes():
    html, state = convert("Mao spoke [@mao1955, p. 4]. Li saw it [@li1994].^[As [@li1994] says.]", note_style=False)
    assert html.count("data-cite=") == 2 and html.count("data-note=") == 1
    assert "spoke <span data-cite" in html  # the space before an in-text citation stays
    assert [(c.place, c.items[0].id) for c in state.converter.citations] == [
        ("note", "mao1955"), ("note", "li1994"), ("footnote", "li1994")]
    assert 'data-cite="2"' in str(state.notes[0][2])


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
    assert cited(state, 2)[0].id == "mao1955" and cited(state, 3) == (Cite("li1994", "p. 2", "page"),)
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


def test_a_note_call_follows_the_punctuation_inside_a_closing_quotation_mark():
    """Chicago 14.26: "years.”⁵", a comma too; a semicolon stays outside the quote; a dash after it."""
    html, _ = convert('He said “wait” [@li1994]. Then he left.\n\nThen “go” [@mao1955], he said.\n\n'
                      'And “stop” [@li1994]; the end.\n\nNot “here” [@li1994] — a dash keeps its place.')
    assert 'said “wait.”<span data-note="1"></span> Then' in html
    assert '“go,”<span data-note="2"></span> he said.' in html
    assert '“stop”;<span data-note="3"></span> the end.' in html
    assert '“here”<span data-note="4"></span> — a dash' in html


def test_a_paragraph_ends_in_two_words_joined_and_numbers_keep_their_word():
    html, _ = converted("As Chapter 2 showed in Figure 4 and on p. 12, the plan failed in the villages.\n\n"
                        "It ended in *Tombstone*.\n\nShort.")
    assert "Chapter\xa02" in html and "p.\xa012" in html
    assert "the\xa0villages." in html and "in\xa0<em>Tombstone</em>." in html and "<p>Short.</p>" in html
