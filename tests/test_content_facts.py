"""The default guide against its sources: the words it borrows are quoted, its quotations are
found in the research file, its corrected claims stay corrected, and its questions assess
what its chapters promise.

The research file lies beside the checkout, not in the repository; the tests that read it skip
where it is absent (see tests/test_default_guide.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from test_default_guide import RESEARCH, SOURCE_TEXT

CONTENT = ROOT / "content"
SUPPLEMENT = SOURCE_TEXT / "supplement.md"
RUN = 10  # words: a run this long shared with the research file is borrowed wording
QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"")  # a quotation, curly or straight (nested ‘…’ inside)
CITATION = re.compile(r"\[@[^\]]*\]")
MARKUP = re.compile(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]|<[^>]+>|[*_`]")


def words(text: str) -> list[str]:
    """Lower-case words, apostrophes straightened, hyphenated words split, numbers kept whole
    (48,695.49 is one word; "number...none" is two)."""
    text = text.replace("’", "'").replace("‘", "'").lower()
    return re.findall(r"[0-9]+(?:[.,][0-9]+)*|[a-z0-9]+(?:'[a-z0-9]+)*", text)


def research_text() -> str:
    if not RESEARCH.is_file():
        pytest.skip(f"the research file is not beside the checkout ({RESEARCH}): nothing to compare with")
    return RESEARCH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def research_runs() -> set[tuple[str, ...]]:
    """Every run of RUN words in the research file."""
    found = words(research_text())
    return {tuple(found[i:i + RUN]) for i in range(len(found) - RUN + 1)}


@pytest.fixture(scope="module")
def sources_text() -> str:
    """The research file and the supplement, as one lower-case line of words."""
    text = research_text()
    if SUPPLEMENT.is_file():
        text += "\n" + SUPPLEMENT.read_text(encoding="utf-8")
    return " " + " ".join(words(text)) + " "


def chapter_parts(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def guide_texts(root: Path = CONTENT) -> list[tuple[str, str]]:
    """(where, text) for every piece of text the guide prints, in either edition."""
    texts: list[tuple[str, str]] = []
    for path in sorted((root / "chapters").glob("*.md")):
        meta, body = chapter_parts(path)
        for n, paragraph in enumerate(re.split(r"\n\s*\n", body)):
            texts.append((f"{path.stem} ¶{n + 1}", paragraph))
        texts += [(f"{path.stem} objective", o) for o in meta.get("objectives", [])]
        texts.append((f"{path.stem} teacher notes", str(meta.get("teacher_notes", ""))))
        for i, q in enumerate(meta.get("questions", []), 1):
            texts += [(f"{path.stem} Q{i}", str(q["ask"])), (f"{path.stem} Q{i} answer", str(q.get("answer", "")))]
    for entry in yaml.safe_load((root / "glossary.yaml").read_text(encoding="utf-8")):
        texts.append((f"glossary: {entry['term']}", entry["definition"]))
    for entry in yaml.safe_load((root / "people.yaml").read_text(encoding="utf-8")):
        texts.append((f"people: {entry['name']}", entry["role"]))
    for entry in yaml.safe_load((root / "timeline.yaml").read_text(encoding="utf-8")):
        texts.append((f"timeline: {entry['date']}", entry["event"]))
    for entry in yaml.safe_load((root / "figures.yaml").read_text(encoding="utf-8")):
        texts += [(f"figure {entry['id']}", str(entry.get(k, ""))) for k in ("title", "alt")]
    for entry in yaml.safe_load((root / "sources.yaml").read_text(encoding="utf-8")):
        texts.append((f"source {entry['id']}", str(entry.get("note", ""))))  # titles are names, not prose
    config = yaml.safe_load((root / "guide.yaml").read_text(encoding="utf-8"))
    texts += [(f"guide.yaml {k}", str(config.get(k, ""))) for k in ("description", "content_note", "teacher_guidance")]
    return texts


def unquoted_pieces(text: str) -> list[str]:
    """The text outside quotation marks, cut at each quotation and citation so that the words on
    either side of one never join into a run."""
    text = MARKUP.sub(lambda m: m.group(1) or " ", text)
    return re.split(r"\x00", CITATION.sub("\x00", QUOTED.sub("\x00", text)))


def borrowed_runs(texts: list[tuple[str, str]], runs: set[tuple[str, ...]]) -> list[tuple[str, str]]:
    """(where, the words) of every unquoted run of RUN or more words that the research file also holds."""
    found = []
    for where, text in texts:
        for piece in unquoted_pieces(text):
            ws = words(piece)
            hits = [i for i in range(len(ws) - RUN + 1) if tuple(ws[i:i + RUN]) in runs]
            while hits:  # report each borrowed stretch once, however long it is
                start = end = hits.pop(0)
                while hits and hits[0] <= end + 1:
                    end = hits.pop(0)
                found.append((where, " ".join(ws[start:end + RUN])))
    return found


def test_no_unquoted_wording_is_taken_from_the_research_file(research_runs):
    """Every run of ten or more words that also stands in the research file is quoted (and, in the
    chapters, cited) or rewritten in the guide's own words."""
    assert borrowed_runs(guide_texts(), research_runs) == []


def test_the_run_check_sees_borrowed_wording(research_runs):
    """The check is not vacuous: a sentence copied from the research file is reported, and the same
    sentence inside quotation marks is not."""
    copied = "The state took its share on the basis of these inflated figures and villagers were left"
    assert borrowed_runs([("probe", f"As one writer says, {copied} hungry [@yang2012].")], research_runs)
    assert not borrowed_runs([("probe", f"As one writer says, “{copied}” [@yang2012].")], research_runs)


def quotations(text: str) -> list[str]:
    """The quotations of a text, long enough to check (four words or more), cut at ellipses."""
    pieces = []
    for quote in QUOTED.findall(MARKUP.sub(lambda m: m.group(1) or " ", text)):
        for piece in re.split(r"…|\.\.\.", quote.strip("“”\"")):
            if len(words(piece)) >= 4:
                pieces.append(piece)
    return pieces


def test_every_quotation_is_found_in_its_sources(sources_text):
    """A quotation anywhere in the guide (prose, questions, answers, glossary) stands word for word
    in the research file or in the supplement of checked facts."""
    missing = [(where, quote) for where, text in guide_texts() for quote in quotations(text)
               if " " + " ".join(words(quote)) + " " not in sources_text]
    assert missing == []


def test_every_quoting_paragraph_cites_a_source():
    """In the chapters, a paragraph that quotes a source says which one."""
    uncited = [where for where, text in guide_texts() if "¶" in where
               and quotations(text) and not CITATION.search(text) and not text.lstrip().startswith("#")]
    assert uncited == []
