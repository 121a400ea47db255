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


LEVELS = ("**Weak:**", "**Sound:**", "**Strong:**")
OBJECTIVE_LINE = re.compile(r"\*\*Objectives?:\*\* (.+?)\. \*\*Draws on:\*\* (.+)")


def chapters() -> list[tuple[str, dict, str]]:
    return [(path.stem, *chapter_parts(path)) for path in sorted((CONTENT / "chapters").glob("*.md"))]


def marking_problems(chapter_list: list[tuple[str, dict, str]]) -> list[str]:
    """What keeps the answer guidance from being a marking aid: an answer without the three levels,
    without the objective it assesses or the material it draws on; an objective no question
    assesses; a section, excerpt or figure named in 'Draws on' that the guide does not hold."""
    headings = {h.strip() for _, _, body in chapter_list for h in re.findall(r"^##+ (.+)$", body, flags=re.M)}
    excerpts = {f"{int(stem[:2])}.{i}" for stem, _, body in chapter_list  # a top-level block quotation
                for i in range(1, len(re.findall(r"(?:^|\n\n)>", body)) + 1)}
    problems = []
    for stem, meta, _ in chapter_list:
        objectives = [o.rstrip(".") for o in meta["objectives"]]
        assessed = set()
        for i, q in enumerate(meta["questions"], 1):
            answer = str(q.get("answer", ""))
            where = f"{stem} Q{i}"
            problems += [f"{where}: no {level}" for level in LEVELS if level not in answer]
            if not all(answer.index(a) < answer.index(b) for a, b in zip(LEVELS, LEVELS[1:]) if a in answer and b in answer):
                problems.append(f"{where}: levels out of order")
            line = OBJECTIVE_LINE.search(answer)
            if not line:
                problems.append(f"{where}: no '**Objective:** … **Draws on:** …' line")
                continue
            for objective in line.group(1).split("; "):
                if objective in objectives:
                    assessed.add(objective)
                else:
                    problems.append(f"{where}: '{objective}' is not an objective of the chapter")
            drawn = line.group(2)
            problems += [f"{where}: draws on a section the guide does not have: {name}"
                         for name in re.findall(r"\*([^*]+)\*", drawn) if not any(h.startswith(name) for h in headings)]
            problems += [f"{where}: draws on Excerpt {n}, which the guide does not hold"
                         for n in re.findall(r"\b\d+\.\d+\b", drawn) if n not in excerpts]
            if not re.search(r"\*[^*]+\*|Excerpts? \d|\[\[fig:|Chapter \d|whole chapter", drawn):
                problems.append(f"{where}: 'Draws on' names no section, excerpt or figure")
        problems += [f"{stem}: no question assesses '{o}'" for o in objectives if o not in assessed]
    return problems


def test_answer_guidance_is_a_marking_aid():
    """Each answer says what a weak, a sound and a strong answer holds, which objective it assesses
    and what it draws on; every learning objective is assessed by at least one question."""
    assert marking_problems(chapters()) == []


def test_the_marking_check_sees_gaps():
    """Take away one level, one objective's only question and one real section name: each is reported."""
    stem, meta, body = next(c for c in chapters() if c[0].startswith("04"))
    broken = {**meta, "questions": [dict(q) for q in meta["questions"]]}
    broken["questions"][0]["answer"] = broken["questions"][0]["answer"].replace("**Weak:**", "Weak:")
    broken["questions"][-1]["answer"] = broken["questions"][-1]["answer"].replace("*A cycle of exaggeration*",
                                                                                  "*A cycle of exaggerations*")
    only = [q for q in broken["questions"] if meta["objectives"][-1].rstrip(".") in q["answer"]]
    broken["questions"] = [q for q in broken["questions"] if q not in only] + [
        {**q, "answer": q["answer"].replace(meta["objectives"][-1].rstrip("."), meta["objectives"][0].rstrip("."))}
        for q in only]
    problems = marking_problems([(stem, broken, body)])
    assert any("no **Weak:**" in p for p in problems), problems
    assert any("no question assesses" in p for p in problems), problems
    assert any("A cycle of exaggerations" in p for p in problems), problems


def test_corrected_claims_stay_corrected():
    """Claims that the supplement of checked facts contradicts are not taught as facts: the net-exporter
    claim appears only as a quotation that the guide goes on to correct, and household registration is
    never said to have been created for the famine."""
    found = []
    for where, text in guide_texts():
        plain = " ".join(words(" ".join(unquoted_pieces(text))))
        if re.search(r"net exporter of grain", plain):
            found.append((where, "net exporter, unquoted"))
        if re.search(r"(introduced|created|set up|brought in)\b[^.]{0,80}\b(famished|starving|hungry)", plain) \
                and not re.search(r"1958|date of the regulations", text):
            found.append((where, "household registration for the famine, with no date to correct it"))
    assert found == []
    death_toll = next(f for f in yaml.safe_load((CONTENT / "figures.yaml").read_text(encoding="utf-8"))
                      if f["id"] == "death-toll")
    labels = " ".join(d["label"] for d in death_toll["data"])
    assert "Somin" not in labels  # he reports Dikötter's figure; he made no estimate of his own
    assert all(name in labels for name in ("Dikötter", "Yang", "Earlier")), labels


def test_the_death_toll_section_names_three_estimates_by_their_authors():
    body = chapter_parts(CONTENT / "chapters" / "05-famine.md")[1]
    section = body[body.index("## Counting the dead"):body.index("\n## ", body.index("## Counting the dead") + 5)]
    for who, figure in (("Dikötter", "at least 45 million"), ("Yang", "36 million"), ("Somin", "30 million or more")):
        assert who in section and figure in section, (who, figure)
    assert "criticised" in section or "criticized" in section  # the highest estimate is contested


def test_no_student_text_names_the_research_file():
    """Students cannot consult the compilation the guide was written from: no text they read names it,
    and its source-list entry describes it without the phrase (teacher notes and answers neither)."""
    named = [where for where, text in guide_texts() if re.search(r"research[- ]file", text, flags=re.I)
             and not re.search(r"\[@research-file", text)]
    named += [where for where, text in guide_texts() if "research file" in CITATION.sub("", text).lower()]
    assert named == []


DERIVED = {"100", "92"}  # the proportion figure's grid: 100 squares, 100 - 8 = 92 left over
NUMBER = re.compile(r"\d[\d,.]*\d|\d")
NOT_FACTS = re.compile(r"\[@[^\]]*\]|Excerpts? [\d., and–]+|Chapters? \d( and \d)?|\[\[fig:[^\]]*\]\]")


def test_every_number_stands_in_the_sources():
    """Each figure and date the guide gives (counts, tonnages, years, days) is found in the research
    file or the supplement; only chapter and excerpt numbers, and the arithmetic of a drawn figure,
    are the guide's own."""
    text = research_text() + (SUPPLEMENT.read_text(encoding="utf-8") if SUPPLEMENT.is_file() else "")
    known = {n.rstrip(".,") for n in NUMBER.findall(text)} | DERIVED
    unknown = [(where, n.rstrip(".,")) for where, piece in guide_texts()
               for n in NUMBER.findall(NOT_FACTS.sub(" ", piece)) if n.rstrip(".,") not in known]
    assert unknown == []
