"""The glossary flashcards: one card per term, and each back behind its front when the sheet is
printed on both sides and turned on the long edge, on A4 and on Letter (positions read from
the PDF's text)."""
from __future__ import annotations

import math
import re
import subprocess
from html import unescape

import pikepdf
import pytest

from conftest import ROOT, run_build
from studyguide.load import load_guide

pytestmark = pytest.mark.layout
MM = 72 / 25.4
CARD_W, CARD_H = 90 * MM, 62 * MM  # styles/flashcards.css
PER_SHEET = 8  # studyguide/flashcards.py: COLUMNS × ROWS
WORD_RE = re.compile(r"[^\W_]+")


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    guide = load_guide(ROOT / "content")
    built = {}
    for paper in ("a4", "letter"):
        out = tmp_path_factory.mktemp(f"flashcards-{paper}")
        result = run_build("flashcards", "--out", str(out), "--paper", paper, "--strict")
        assert result.returncode == 0, result.stderr
        built[paper] = out / f"{guide.slug}-flashcards.pdf"
    return guide, built


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD_RE.findall(unescape(re.sub(r"<[^>]+>", "", str(text))))]


def blocks(pdf) -> list[tuple[int, float, list[str], float, float]]:
    """(page, page width, words, x centre, y centre) of each block of text pdftotext finds."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    found = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", xml, re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))
        for attrs, body in re.findall(r"<block ([^>]*)>(.*?)</block>", page, re.S):
            box = {k: float(v) for k, v in re.findall(r'(\w+)="([\d.]+)"', attrs)}
            text = " ".join(re.findall(r"<word [^>]*>(.*?)</word>", body))
            found.append((number, width, words(text), (box["xMin"] + box["xMax"]) / 2,
                          (box["yMin"] + box["yMax"]) / 2))
    return found


def place(found, wanted: list[str]):
    """The block whose words begin with `wanted`'s first words."""
    head = wanted[:3]
    matches = [b for b in found if b[2][:len(head)] == head]
    assert len(matches) == 1, (wanted, matches)
    return matches[0]


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_one_card_per_term_and_each_back_behind_its_front(cards, paper):
    guide, built = cards
    found = blocks(built[paper])
    sheets = math.ceil(len(guide.glossary) / PER_SHEET)
    with pikepdf.open(built[paper]) as pdf:
        assert len(pdf.pages) == 2 * sheets
        width = float(pdf.pages[0].mediabox[2])
        assert round(width) == {"a4": 595, "letter": 612}[paper]
    fronts = [place(found, words(t.term)) for t in guide.glossary]
    backs = [place(found, words(t.definition)) for t in guide.glossary]
    assert len({(f[0], round(f[3]), round(f[4])) for f in fronts}) == len(guide.glossary)  # a card each
    for term, front, back in zip(guide.glossary, fronts, backs):
        assert front[0] % 2 == 1 and back[0] == front[0] + 1, term.term  # the back on the sheet's other side
        turned_x = front[1] - back[3]  # turned over on the long edge: left and right change places
        assert abs(turned_x - front[3]) < CARD_W / 2, (term.term, turned_x, front[3])
        assert abs(back[4] - front[4]) < CARD_H / 2, (term.term, back[4], front[4])


def test_a_front_holds_the_characters_and_pinyin(cards):
    guide, built = cards
    found = blocks(built["a4"])
    term = next(t for t in guide.glossary if t.hanzi and t.pinyin)
    front = place(found, words(term.term))
    text = subprocess.run(["pdftotext", "-f", str(front[0]), "-l", str(front[0]), str(built["a4"]), "-"],
                          check=True, capture_output=True, text=True).stdout
    assert term.hanzi in text and term.pinyin.split()[0] in text


def test_the_sheet_is_tagged_pdf_ua(cards):
    guide, built = cards
    with pikepdf.open(built["letter"]) as pdf:
        assert pdf.Root.MarkInfo.Marked is True and "/StructTreeRoot" in pdf.Root
        assert str(pdf.Root.Lang) == guide.language
        with pdf.open_metadata() as xmp:
            assert xmp["pdfuaid:part"] == "1"
            assert xmp["dc:title"] == f"Glossary flashcards: {guide.title}"


def test_a_definition_too_long_for_its_card_is_a_warning(tmp_path):
    import shutil

    guide = tmp_path / "guide"
    shutil.copytree(ROOT / "tests/fixtures/minimal", guide)
    glossary = guide / "glossary.yaml"
    text = glossary.read_text(encoding="utf-8")
    short = "The land at a river's mouth, built from its sediment."
    long = " ".join([short] * 20)
    glossary.write_text(text.replace(short, long), encoding="utf-8")
    result = run_build("flashcards", "--guide", str(guide), "--out", str(tmp_path / "out"), "--strict")
    assert result.returncode == 1
    assert f"{glossary}: the definition of 'delta' does not fit on its flashcard" in result.stderr
    sidecar = tmp_path / "out" / ".rivers-flashcards.pdf.warnings"
    assert "does not fit" in sidecar.read_text(encoding="utf-8")
