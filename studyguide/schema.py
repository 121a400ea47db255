"""The guide format's keys. Every YAML file and every chapter's front matter is read against
them: a key the format does not know is an error naming the nearest known one (or the key a
teacher meant: `answer_guidance` is `answer`), a key in curly quotes says so. Nothing a
teacher writes is dropped in silence.

Sources are CSL, which reference managers write with fields of their own: a key that is not a
CSL 1.0.2 variable is a warning there, not an error.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from .errors import Problems
from .yamlfile import Mapping

GUIDE = {"title", "subtitle", "language", "authors", "author", "date", "edition", "paper", "slug", "description",
         "keywords", "content_note", "teacher_guidance", "handouts", "csl", "nocite", "publisher", "license",
         "researched", "cite_as", "how_to_use"}
HANDOUTS = {"page_budget", "answer_lines"}
CHAPTER = {"title", "objectives", "teacher_notes", "questions"}
QUESTION = {"ask", "level", "lines", "answer"}
TERM = {"term", "id", "definition", "forms", "pinyin", "hanzi"}
EVENT = {"date", "event", "label", "chapter"}
PERSON = {"name", "hanzi", "pinyin", "role", "chapter"}
FIGURE = {"id", "kind", "title", "alt", "unit", "source", "rest", "from", "to", "data", "columns"}
DATUM = {"label", "value", "display"}

# What a teacher may write for a key of the format: the word they meant, per kind of entry.
MEANT = {
    "question": {"answer_guidance": "answer", "guidance": "answer", "answers": "answer", "kind": "level",
                 "type": "level", "question": "ask", "prompt": "ask", "text": "ask", "answer_lines": "lines"},
    "chapter": {"objective": "objectives", "learning_objectives": "objectives", "goals": "objectives",
                "teacher_note": "teacher_notes", "notes": "teacher_notes", "question": "questions",
                "name": "title", "heading": "title"},
    "guide.yaml": {"sub-title": "subtitle", "sub_title": "subtitle", "lang": "language", "contents_note": "content_note",
                   "content-note": "content_note", "teacher-guidance": "teacher_guidance", "paper_size": "paper",
                   "papersize": "paper", "licence": "license", "rights": "license", "copyright": "license",
                   "citation": "cite_as", "cite": "cite_as", "how-to-use": "how_to_use", "research_date": "researched",
                   "publishers": "publisher"},
    "term": {"word": "term", "meaning": "definition", "definitions": "definition", "form": "forms",
             "characters": "hanzi", "chinese": "hanzi"},
    "event": {"text": "event", "description": "event", "year": "date", "short": "label", "title": "label"},
    "person": {"description": "role", "characters": "hanzi", "chinese": "hanzi"},
}

# CSL 1.0.2 variables (the specification's appendix IV), with the item's own id and type.
CSL = {
    "id", "type", "abstract", "annote", "archive", "archive_collection", "archive_location", "archive-place",
    "authority", "call-number", "chapter-number", "citation-key", "citation-label", "citation-number",
    "collection-number", "collection-title", "container-title", "container-title-short", "dimensions", "division",
    "DOI", "edition", "event", "event-title", "event-place", "first-reference-note-number", "genre", "ISBN",
    "ISSN", "issue", "jurisdiction", "keyword", "language", "license", "locator", "medium", "note", "number",
    "number-of-pages", "number-of-volumes", "original-publisher", "original-publisher-place", "original-title",
    "page", "page-first", "part-number", "part-title", "PMCID", "PMID", "printing-number", "publisher",
    "publisher-place", "references", "reviewed-genre", "reviewed-title", "scale", "section", "source", "status",
    "supplement-number", "title", "title-short", "URL", "version", "volume", "volume-title", "volume-title-short",
    "year-suffix", "shortTitle", "journalAbbreviation",
    # dates
    "accessed", "available-date", "event-date", "issued", "original-date", "submitted",
    # names
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor", "curator",
    "director", "editor", "editorial-director", "editor-translator", "executive-producer", "guest", "host",
    "illustrator", "interviewer", "narrator", "organizer", "original-author", "performer", "producer", "recipient",
    "reviewed-author", "script-writer", "series-creator", "translator",
}

CURLY = "‘’“”„‟‚‛«»"


def check_keys(entry: Mapping, known: set[str], path: Path, problems: Problems, kind: str) -> None:
    """Report every key of `entry` the format does not know, at its line."""
    for key in entry:
        name = str(key)
        if name in known:
            continue
        line = entry.line_of(key)
        if name[:1] in CURLY or name[-1:] in CURLY:
            bare = name.strip(CURLY + " ")
            problems.error(path, line, f"{name} uses curly quotes: YAML needs straight quotes (\"{bare}\") or none "
                                       f"({bare}:)" + ("" if bare in known else unknown_hint(bare, known, kind)))
        else:
            problems.error(path, line, f"unknown key '{name}' in {describe(kind)}{unknown_hint(name, known, kind)}")


def check_csl_keys(entry: Mapping, path: Path, problems: Problems) -> None:
    """A source's keys that are not CSL variables: warnings (reference managers add their own)."""
    for key in entry:
        name = str(key)
        if name not in CSL and not name.startswith("_"):
            hint = difflib.get_close_matches(name, CSL, n=1, cutoff=0.75)
            problems.warn(path, entry.line_of(key), f"'{name}' is not a CSL variable: it is not printed"
                                                    + (f" (did you mean '{hint[0]}'?)" if hint else ""))


def unknown_hint(name: str, known: set[str], kind: str) -> str:
    meant = MEANT.get(kind, {}).get(name.lower()) or MEANT.get(kind, {}).get(name.lower().replace("-", "_"))
    if meant is None:
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        meant = close[0] if close else None
    if meant:
        return f": did you mean '{meant}'?"
    return f" (known keys: {', '.join(sorted(known))})"


def describe(kind: str) -> str:
    return {"question": "a question", "chapter": "the front matter", "term": "a glossary term",
            "event": "a timeline event", "person": "a key person", "figure": "a figure", "datum": "a data row",
            "handouts": "handouts"}.get(kind, kind)
