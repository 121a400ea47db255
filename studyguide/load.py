"""Read and validate a guide directory -> one frozen `Guide`.

Every problem is collected with its file and line; the loader raises one
`ContentError` listing them all before any output is written.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from markupsafe import Markup

from . import cite, citeproc, guideslug, schema
from .errors import Problems
from .files import GuideFileError, guide_folder, inside_guide
from .markup import (Converter, DocumentState, TermMatcher, fill_figure_numbers, slugify, typographic,
                     url_problem)
from .model import (LEVELS, Chapter, Datum, Event, Excerpt, Figure, Guide, HandoutSettings, Note, Person, Question,
                    Mark, Source, Term, Use)
from .citation import Cite
from .yamlfile import Mapping, Sequence, parse_yaml, read_text, read_yaml

# names and ids are matched whole (fullmatch): '$' would let a trailing line break through
CHAPTER_NAME = re.compile(r"(\d+)-([a-z0-9][a-z0-9-]*)\.md")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
SOURCE_ID = re.compile(r"[^\W][\w:.+-]*")  # what a citation [@key] can name, and an id attribute can hold
# BCP 47: language (extlang), script, region, variants, extensions (a singleton and subtags), private use
LANGUAGE_TAG = re.compile(r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?"
                          r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[\da-wy-z](?:-[a-z\d]{2,8})+)*"
                          r"(?:-x(?:-[a-z\d]{1,8})+)?|x(?:-[a-z\d]{1,8})+", re.I)
HEADING_RE = re.compile(r"^(#{1,6})\s")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
LANG_SPAN_RE = re.compile(r"<span\s+lang=\"[^\"]+\"[^>]*>.*?</span>")
# "Excerpt 2.1", "Excerpts 1.2 and 1.3", "Excerpts 5.1, 5.2 and 5.3" in a question
EXCERPT_REFERENCE_RE = re.compile(r"\bExcerpts?[ \xa0]\d+\.\d+(?:(?:,? and |, )\d+\.\d+)*")
# A question is printed on its chapter's handout, which holds the chapter's objectives, key terms,
# excerpts and pictures but not its text: words that point at the text must say where it is.
# "This chapter" never does (a handout is not a chapter); the others do when the same sentence
# names a place in the guide ("in Chapter 3 of the study guide", "p. 14").
UNPLACED_RE = re.compile(r"\b(?:this|that|the same|the previous|the next|the following|the preceding) chapter\b"
                         r"|\b(?:in|from|of) the chapter\b", re.I)
POINTING_RE = re.compile(r"\b(?:the|this|that|these|those) (?:paragraph|passage|section|sentence|page|story|chart"
                         r"|graph|timeline|map|text)s?\b|\b(?:(?:that|which) follows?|follows it|the following"
                         r"|the preceding|the rest of|above|below|(?:earlier|later) in)\b", re.I)
GUIDE_PLACE_RE = re.compile(r"\bChapters? \d+|\bpp?\. ?\d+|\bstudy guide\b", re.I)
SENTENCE_END_RE = re.compile(r"[.?!:;](?=\s+[A-Z“\"(]|\s*$)")
UNSAFE_HTML_RE = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=|javascript:", re.I)


@dataclass(frozen=True)
class RawChapter:
    path: Path
    number: int
    slug: str
    meta: Mapping
    body: str
    body_line: int  # line of the body's first line in the file


def load_guide(root: Path) -> Guide:
    """Load the guide in `root`; raise ContentError with every problem found.

    Every Markdown field is converted before the errors are raised: what the rendered text
    points at (links, images, #anchors) is checked on the element tree, with the others."""
    root = Path(root)
    problems = Problems()
    if not root.is_dir():
        problems.error(root, None, "guide directory not found")
        problems.raise_if_errors()
    check_guide_files(root, problems)
    config = load_config(root, problems)
    terms = load_glossary(root, problems)
    library, places = load_sources(root, problems)
    sources = {item["id"]: item for item in library.items}
    source_ids = known_ids(sources, [root / n for n in LIBRARY_NAMES], problems)
    raw_chapters = load_chapters(root, problems)
    slugs = chapter_slugs(root / "chapters")
    timeline = load_timeline(root, slugs, problems)
    people = load_people(root, slugs, problems)
    matcher = build_matcher(terms, root / "glossary.yaml", problems)
    figures = load_figures(root, source_ids, problems)
    check_events_in_timeline_years(timeline, figures, root, problems)
    excerpts = excerpt_numbers(raw_chapters)
    for chapter in raw_chapters:
        check_chapter_text(chapter, problems)
        check_questions(chapter, excerpts, problems)
    guide, converter, states = assemble(root, config, terms, library, places, source_ids, raw_chapters, timeline,
                                        people, matcher, figures, problems)
    numbers = number_figures(raw_chapters, states, figures, converter, root / "figures.yaml", problems)
    check_anchor_links(guide, converter, numbers, problems)
    problems.raise_if_errors()
    guide = draw_figures(with_figure_numbers(guide, numbers), figures, numbers, states)
    guide = replace(guide, citations=tuple(converter.citations))  # with those of fields converted since
    check_citations(guide, places, root / "guide.yaml", problems)
    problems.raise_if_errors()
    return replace(guide, warnings=tuple(str(w) for w in problems.warnings))


def check_citations(guide: Guide, places: dict, guide_yaml: Path, problems: Problems) -> None:
    """Format the guide's citations once (the outputs of this process share the result) and
    pass citeproc's warnings on, at the source they are about."""
    try:
        done = cite.typeset(guide)
    except citeproc.CiteprocError as exc:
        problems.error(guide_yaml, None, f"the citations cannot be formatted: {exc}")
        return
    for warning in done.warnings:
        key = warning.rsplit(": ", 1)[-1].strip()
        path, line = places.get(key, (guide_yaml, None))
        problems.warn(path, line, warning.removeprefix("Citeproc: ") + " in this style (give it a type the style lists)"
                      if "no printed form" in warning else warning)


LIBRARY_NAMES = ("sources.yaml", "sources.yml", "sources.json", "sources.bib", "sources.ris")
GUIDE_FILES = {"guide.yaml", "glossary.yaml", *LIBRARY_NAMES, "timeline.yaml", "people.yaml", "figures.yaml"}
REFERENCE_FORMATS = {".bib": "BibTeX", ".bibtex": "BibTeX", ".biblatex": "BibLaTeX", ".ris": "RIS",
                     ".enl": "EndNote", ".xml": "EndNote XML", ".nbib": "PubMed"}


def check_guide_files(root: Path, problems: Problems) -> None:
    """Files in the guide folder meant for the builder under a name it does not read: an error
    each, never a guide built without them (other files, a README, are the teacher's own)."""
    for path in sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")):
        name, stem, suffix = path.name, path.name.split(".")[0].lower(), path.suffix.lower()
        if name in GUIDE_FILES:
            continue
        if suffix in (".bib", ".ris") and stem in ("references", "bibliography", "library"):
            problems.error(path, None, f"'{name}' is not read under this name: rename it to sources{suffix}")
        elif suffix in REFERENCE_FORMATS and stem in ("sources", "references", "bibliography", "library"):
            problems.error(path, None, f"a {REFERENCE_FORMATS[suffix]} file is not read: export the library as "
                                       "CSL-JSON and save it as sources.json (Zotero: File > Export Library > "
                                       "CSL JSON), as BibTeX in sources.bib, as RIS in sources.ris, or as "
                                       "CSL-YAML in sources.yaml")
        elif stem in {n.split(".")[0] for n in GUIDE_FILES}:
            wanted = "sources.yaml, sources.json, sources.bib or sources.ris" if stem == "sources" else f"{stem}.yaml"
            problems.error(path, None, f"'{name}' is not read under this name: rename it to {wanted}")
        elif suffix in (".md", ".qmd", ".docx") and re.match(r"\d\d", name):
            problems.error(path, None, f"'{name}' looks like a chapter: chapters go in the chapters/ folder")


def chapter_slugs(folder: Path) -> set[str]:
    """The slugs the chapter files are named with, read or not: the timeline may name a
    chapter whose front matter is broken without a second error."""
    names = [path.name for path in folder.glob("*.md")] if folder.is_dir() else []
    return {match.group(2) for match in map(CHAPTER_NAME.fullmatch, names) if match}


def present(path: Path) -> bool:
    """The guide has this optional file (a link to nowhere counts: reading it says why it fails)."""
    return os.path.lexists(path)


class Unchecked(frozenset):
    """Stands for a list that could not be read: every name counts as known, so that one
    broken file is one error, not one more for each name it should have held."""

    def __contains__(self, name) -> bool:
        return True


def known_ids(entries: dict, paths: list[Path], problems: Problems) -> frozenset:
    return Unchecked() if any(problems.has_error_for(p) for p in paths) else frozenset(entries)


# --- guide.yaml -------------------------------------------------------------------------------

def load_config(root: Path, problems: Problems) -> dict:
    path = root / "guide.yaml"
    data = read_yaml(root, path, problems)
    if not isinstance(data, Mapping):
        if not problems.has_error_for(path):
            problems.error(path, 1, "guide.yaml must be a mapping of settings (title: …, language: …)")
        data = Mapping()  # the defaults, so that the chapters can still be checked
        data.line, data.key_lines, data.text_lines = 1, {}, {}
        return settings(data, path, Problems())
    config = settings(data, path, problems)
    made = guideslug.slug_of_text(read_text(root, path, Problems()) or "")
    if made != config["slug"] and not problems.has_error_for(path):
        problems.error(path, data.line_of("slug") or data.line_of("title"),
                       f"Make reads this guide's slug as '{made}' from its plain 'slug:' and 'title:' lines, "
                       f"YAML as '{config['slug']}': give it on a line of its own (slug: {config['slug']})")
    return config


def settings(data: Mapping, path: Path, problems: Problems) -> dict:
    schema.check_keys(data, schema.GUIDE, path, problems, "guide.yaml")
    config = {"lines": {key: data.text_line(key) for key in ("content_note", "teacher_guidance", "license", "cite_as",
                                                             "how_to_use")}}
    for key in ("title", "language"):
        if not str(data.get(key) or "").strip():
            problems.error(path, data.line, f"missing required setting '{key}'")
    config["title"] = str(data.get("title") or "").strip()
    config["subtitle"] = str(data.get("subtitle") or "").strip()
    config["language"] = str(data.get("language") or "en").strip()
    if config["language"] and not LANGUAGE_TAG.fullmatch(config["language"]):
        problems.error(path, data.line_of("language"), f"language '{config['language']}' is not a BCP 47 tag (e.g. en, en-GB)")
    authors = data.get("authors") or data.get("author") or []
    config["authors"] = tuple(str(a) for a in (authors if isinstance(authors, list) else [authors]))
    config["date"] = parse_date(data.get("date"), path, data.line_of("date"), problems)
    config["edition"] = str(data.get("edition") or "")
    config["paper"] = str(data.get("paper") or "a4").lower()
    if config["paper"] not in ("a4", "letter"):
        problems.error(path, data.line_of("paper"), f"paper must be a4 or letter, not '{config['paper']}'")
    config["slug"] = guideslug.slug(str(data.get("slug") or ""), config["title"])
    if not SLUG.fullmatch(config["slug"]):
        problems.error(path, data.line_of("slug"), f"slug '{config['slug']}' may hold only a-z, 0-9 and '-'")
    config["description"] = str(data.get("description") or "").strip()
    keywords = data.get("keywords") or []
    config["keywords"] = tuple(str(k) for k in (keywords if isinstance(keywords, list) else [keywords]))
    config["content_note"] = str(data.get("content_note") or "")
    config["teacher_guidance"] = str(data.get("teacher_guidance") or "")
    config.update(front_matter_settings(data, path, problems))
    config["handouts"] = load_handout_settings(data.get("handouts"), path, data.line_of("handouts"), problems)
    config["csl"], config["note_style"] = citation_style(data, path, problems)
    config["nocite"] = nocite_ids(data, path, problems)
    return config


def front_matter_settings(data: Mapping, path: Path, problems: Problems) -> dict:
    """What the title page, the imprint and the "How to use this guide" page say beyond the title."""
    how_to_use = data.get("how_to_use")
    if how_to_use is not None and not isinstance(how_to_use, (str, bool)):
        problems.error(path, data.line_of("how_to_use"), "how_to_use must be Markdown text, or false to leave "
                                                         "the page out")
        how_to_use = None
    researched = data.get("researched")
    return {
        "publisher": str(data.get("publisher") or "").strip(),
        "license": str(data.get("license") or "").strip(),
        "cite_as": str(data.get("cite_as") or "").strip(),
        "researched": None if researched is None else parse_date(researched, path, data.line_of("researched"),
                                                                  problems),
        "how_to_use": how_to_use if isinstance(how_to_use, str) else "",
        "show_how_to_use": how_to_use is not False,
    }


def citation_style(data: Mapping, path: Path, problems: Problems) -> tuple[str, bool]:
    """`csl:` names a bundled style (chicago-notes-bibliography, apa, mla) or a .csl file of the guide."""
    name = str(data.get("csl") or "chicago-notes-bibliography").strip()
    try:
        return name, citeproc.resolve_style(name, path.parent).is_note_style
    except citeproc.CiteprocError as exc:
        problems.error(path, data.line_of("csl"), f"csl: {exc}")
        return "chicago-notes-bibliography", True


def nocite_ids(data: Mapping, path: Path, problems: Problems) -> tuple[str, ...]:
    """`nocite:` the sources listed though not cited: '@*' for all, or '@a, @b' (a list too)."""
    value = data.get("nocite")
    if value is None:
        return ()
    written = " ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    found = re.findall(r"@([\w*][\w:.#$%&+?<>~/-]*)", written)
    if not found:
        problems.error(path, data.line_of("nocite"), "nocite: write '@*' for every source, or '@a, @b'")
    return tuple("*" if key == "*" else key for key in found)


EARLIEST, LATEST = dt.date(1980, 1, 1), dt.date(2107, 12, 31)  # the dates a ZIP file (the EPUB) can hold


def parse_date(value, path: Path, line: int, problems: Problems) -> dt.date:
    if value is None:
        return dt.date(2000, 1, 1)
    try:
        date = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        problems.error(path, line, f"date '{value}' is not a date like 2026-11-01")
        return dt.date(2000, 1, 1)
    if not EARLIEST <= date <= LATEST:
        problems.error(path, line, f"date '{value}' must lie between {EARLIEST.year} and {LATEST.year}")
        return dt.date(2000, 1, 1)
    return date


def load_handout_settings(data, path: Path, line: int, problems: Problems) -> HandoutSettings:
    if data is None:
        return HandoutSettings()
    if not isinstance(data, Mapping):
        problems.error(path, line, "handouts must be a mapping (page_budget: 2, answer_lines: 4)")
        return HandoutSettings()
    schema.check_keys(data, schema.HANDOUTS, path, problems, "handouts")
    values = {}
    for key in ("page_budget", "answer_lines"):
        if key in data:
            if not isinstance(data[key], int) or isinstance(data[key], bool) or not 0 <= data[key] <= 40:
                problems.error(path, data.line_of(key), f"handouts.{key} must be a whole number (0–40)")
            else:
                values[key] = data[key]
    return HandoutSettings(**values)


# --- glossary.yaml ----------------------------------------------------------------------------

def load_glossary(root: Path, problems: Problems) -> list[dict]:
    path = root / "glossary.yaml"
    if not present(path):
        return []
    data = read_yaml(root, path, problems)
    if data is None:
        return []
    if not isinstance(data, Sequence):
        problems.error(path, 1, "the glossary must be a list of terms (- term: …)")
        return []
    terms, seen = [], {}
    for entry, line in zip(data, data.item_lines):
        if not isinstance(entry, Mapping):
            problems.error(path, line, "each glossary entry must be a mapping with term and definition")
            continue
        schema.check_keys(entry, schema.TERM, path, problems, "term")
        term = str(entry.get("term") or "").strip()
        definition = str(entry.get("definition") or "").strip()
        if not term:
            problems.error(path, line, "glossary entry without 'term'")
            continue
        if not definition:
            problems.error(path, line, f"glossary term '{term}' has no definition")
        term_id = str(entry.get("id") or slugify(term))
        if not SLUG.fullmatch(term_id.replace("_", "-")):
            problems.error(path, entry.line_of("id"), f"glossary id '{term_id}' may hold only a-z, 0-9, '-' and '_'")
            continue
        if term_id in seen:
            problems.error(path, line, f"duplicate glossary term '{term}' (first at line {seen[term_id]})")
            continue
        seen[term_id] = line
        forms = entry.get("forms") or []
        if not isinstance(forms, list) or not all(isinstance(f, (str, int, float)) and str(f).strip() for f in forms):
            problems.error(path, entry.line_of("forms"), "forms must be a list of words, e.g. [communes, commune]")
            forms = []
        terms.append({"id": term_id, "term": term, "forms": [str(f) for f in forms], "definition": definition,
                      "pinyin": str(entry.get("pinyin") or ""), "hanzi": str(entry.get("hanzi") or ""),
                      "line": line, "definition_line": entry.text_line("definition")})
    return terms


def build_matcher(terms: list[dict], path: Path, problems: Problems) -> TermMatcher:
    forms: dict[str, str] = {}
    owner_line: dict[str, int] = {}
    for t in terms:
        for form in [t["term"], *t["forms"]]:
            key = TermMatcher.normal(form)
            if key in forms and forms[key] != t["id"]:
                problems.error(path, t["line"], f"form '{form}' of '{t['term']}' already belongs to "
                                                f"'{forms[key]}' (line {owner_line[key]})")
                continue
            forms[key] = t["id"]
            owner_line[key] = t["line"]
    return TermMatcher(forms)


# --- the library: sources.yaml, .json, .bib or .ris ---------------------------------------------

def load_sources(root: Path, problems: Problems) -> tuple[citeproc.Library, dict]:
    """The guide's library, read by citeproc as reference managers write it; and where each
    source is written, (path, line) by id. One library file per guide."""
    paths = [root / name for name in LIBRARY_NAMES if present(root / name)]
    if len(paths) > 1:
        problems.error(paths[1], None, f"the guide has more than one library ({', '.join(p.name for p in paths)}): "
                                       "keep one")
    if not paths:
        return citeproc.Library(()), {}
    path = paths[0]
    if path.suffix in (".yaml", ".yml", ".json"):
        data = read_yaml(root, path, problems)  # JSON is read by the YAML parser, keeping line numbers
        if data is None:
            return citeproc.Library(()), {}
        library = citeproc.library_from_entries(data, path, problems, "html" if path.suffix == ".json" else "markdown")
        entries = data.get("references") if isinstance(data, Mapping) and "references" in data else data
        places = {}
        for entry in entries if isinstance(entries, Sequence) else []:
            if isinstance(entry, Mapping):
                schema.check_csl_keys(entry, path, problems)
                check_names(entry, path, problems)
                places.setdefault(str(entry.get("id")), (path, entry.line, entry))
    else:
        library = citeproc.read_library(root, path, problems)
        text = read_text(root, path, Problems()) or ""
        keys = citeproc.bib_keys(text) if path.suffix == ".bib" else [
            (m.group(1), citeproc.line_at(text, m.start())) for m in citeproc.RIS_ID_RE.finditer(text)]
        places = {key: (path, line, None) for key, line in reversed(keys)}
    items = tuple(checked_source(dict(item), places.get(item["id"], (path, None, None)), problems)
                  for item in library.items)
    return citeproc.Library(items, library.markup), {key: place[:2] for key, place in places.items()}


def check_names(entry: Mapping, path: Path, problems: Problems) -> None:
    for role in ("author", "editor", "translator"):
        people = entry.get(role)
        if people is not None and not (isinstance(people, list) and all(isinstance(p, dict) for p in people)):
            problems.error(path, entry.line_of(role), f"{role} of '{entry.get('id')}' must be a list like "
                                                      "[{family: Mishra, given: Pankaj}]")


def checked_source(item: dict, place: tuple, problems: Problems) -> dict:
    """An id a citation can name; a URL a reader can open (else a warning, and no link)."""
    path, line, entry = place
    key = item["id"]
    if not SOURCE_ID.fullmatch(key):  # an export may hold such ids (Better BibTeX's "????"): harmless until cited
        problems.warn(path, line, f"source id '{key}' cannot be cited: an id holds only letters, digits and _ - . : +")
    url = item.get("URL")
    if url is not None and url_problem(str(url)):
        url_line = entry.line_of("URL") if entry is not None and entry.line_of("URL") else line
        problems.warn(path, url_line, f"source '{key}': {url_problem(str(url))}; it is left out")
        del item["URL"]
    return item


def without(entry: Mapping, key: str) -> Mapping:
    """The entry without one of its settings, still knowing its lines."""
    kept = Mapping({k: v for k, v in entry.items() if k != key})
    kept.line, kept.key_lines, kept.text_lines = entry.line, entry.key_lines, entry.text_lines
    return kept


# --- chapters ---------------------------------------------------------------------------------

def load_chapters(root: Path, problems: Problems) -> list[RawChapter]:
    folder = root / "chapters"
    if not present(folder):
        problems.error(folder, None, "no chapters folder: a guide needs chapters/01-name.md files")
        return []
    try:
        guide_folder(root, folder)
    except GuideFileError as error:
        problems.error(folder, None, f"the chapters folder {error}")
        return []
    # every file, and any folder named like a chapter (refused when read): a folder of pictures may stay
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (not p.is_dir() or p.suffix == ".md"))
    chapters, seen = [], {}
    for path in files:
        match = CHAPTER_NAME.fullmatch(path.name)
        if not match:
            problems.error(path, None, not_a_chapter_name(path.name))
            continue
        number, slug = int(match.group(1)), match.group(2)
        if slug in seen:
            problems.error(path, None, f"duplicate chapter slug '{slug}' (also {seen[slug].name})")
            continue
        seen[slug] = path
        chapter = read_chapter(root, path, number, slug, problems)
        if chapter:
            chapters.append(chapter)
    if not files:
        problems.error(folder, None, "the guide has no chapters (add chapters/01-name.md)")
    chapters.sort(key=lambda c: c.number)
    return [replace(c, number=i) for i, c in enumerate(chapters, 1)]


def not_a_chapter_name(name: str) -> str:
    """What to do with a file in chapters/ that is not named NN-slug.md: every file there is a chapter."""
    stem, _, suffix = name.partition(".")
    wanted = (f"{stem[:2]}-{slugify(stem[2:])}" if re.match(r"\d\d", stem) else f"01-{slugify(stem)}") + ".md"
    lower = name.lower()
    if lower.endswith((".docx", ".doc", ".odt", ".rtf", ".pages")):
        return (f"'{name}' is a word-processor file, which the builder cannot read: save it as Markdown, e.g. "
                f"pandoc 'chapters/{name}' -t markdown -o chapters/{wanted}, then add the front matter")
    if lower.endswith((".md.txt", ".markdown.txt")):
        return f"'{name}' has a second extension (.txt, added by the editor): rename it to {wanted}"
    if lower.endswith((".qmd", ".rmd", ".markdown", ".mdown")):
        return f"'{name}' is Markdown under another extension: rename it to {wanted} (front matter as in docs/content-format.md)"
    if lower.endswith(".md"):
        return (f"'{name}': chapter file names are a number, a dash and a lower-case slug, ending in .md "
                f"(rename it to {wanted})")
    return f"'{name}' is not a chapter: chapters/ holds only chapter files named like 01-background.md"


def read_chapter(root: Path, path: Path, number: int, slug: str, problems: Problems) -> RawChapter | None:
    text = read_text(root, path, problems)
    if text is None:
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.error(path, 1, "a chapter starts with YAML front matter between '---' lines (title: …)")
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        problems.error(path, 1, "front matter is not closed with a '---' line")
        return None
    meta = parse_yaml("\n".join(lines[1:end]), path, problems, first_line=2)
    if meta is None:
        return None
    if not isinstance(meta, Mapping):
        problems.error(path, 2, "front matter must be a mapping (title: …)")
        return None
    schema.check_keys(meta, schema.CHAPTER, path, problems, "chapter")
    if not str(meta.get("title") or "").strip():
        problems.error(path, meta.line or 2, "chapter has no title in its front matter")
    body = "\n".join(lines[end + 1:])
    if not body.strip():
        problems.error(path, end + 2, "chapter has no text after its front matter")
    return RawChapter(path, number, slug, meta, body, end + 2)


def check_questions(chapter: RawChapter, excerpts: set[str], problems: Problems) -> None:
    meta, path = chapter.meta, chapter.path
    for key in ("objectives", "questions"):
        if key in meta and not isinstance(meta[key], list):
            problems.error(path, meta.line_of(key), f"{key} must be a list")
    questions = meta.get("questions") or []
    if not isinstance(questions, Sequence):
        return
    for q, line in zip(questions, questions.item_lines):
        if not isinstance(q, Mapping) or not str(q.get("ask") or "").strip():
            problems.error(path, line, "each question needs 'ask' (the question text)")
            continue
        schema.check_keys(q, schema.QUESTION, path, problems, "question")
        if not str(q.get("answer") or "").strip():
            problems.warn(path, line, "question without 'answer': the teacher edition and answer key have no "
                                      "guidance for it")
        level = str(q.get("level") or "analysis")
        if level not in LEVELS:
            problems.error(path, q.line_of("level"), f"question level '{level}' is not one of {', '.join(LEVELS)}")
        lines = q.get("lines")
        if lines is not None and (not isinstance(lines, int) or not 0 <= lines <= 40):
            problems.error(path, q.line_of("lines"), "lines must be a whole number of answer lines (0–40)")
        check_excerpt_references(str(q.get("ask")), chapter, q.line_of("ask"), excerpts, problems)
        check_stands_alone(str(q.get("ask")), chapter, q.line_of("ask"), problems)


def excerpt_count(chapter: RawChapter) -> int:
    """How many numbered excerpts the chapter holds, counted from its source so that a wrong
    reference is reported with the other errors, before any Markdown is converted."""
    return sum(quotation.top_level for quotation in block_quotations(chapter))


def excerpt_numbers(chapters: list[RawChapter]) -> set[str]:
    """Every excerpt of the guide, numbered as the reader sees it: 1.1, 1.2, 2.1 …"""
    return {f"{c.number}.{i}" for c in chapters for i in range(1, excerpt_count(c) + 1)}


def check_excerpt_references(ask: str, chapter: RawChapter, line: int, excerpts: set[str],
                             problems: Problems) -> None:
    """A question's "Excerpt 2.3" must be an excerpt of the guide (usually of its own chapter)."""
    for phrase in EXCERPT_REFERENCE_RE.finditer(ask):
        for number in re.findall(r"\d+\.\d+", phrase.group()):
            if number not in excerpts:
                own = [f"{chapter.number}.{i}" for i in range(1, excerpt_count(chapter) + 1)]
                problems.error(chapter.path, line, f"the question asks about Excerpt {number}, which the guide "
                                                   f"does not hold (this chapter has {excerpts_held(own)})")


def check_stands_alone(ask: str, chapter: RawChapter, line: int, problems: Problems) -> None:
    """A question must make sense on its handout: a phrase pointing at the chapter's text, or at
    an excerpt of another chapter, is a warning unless its sentence says where in the guide."""
    phrases = unplaced_references(ask, chapter.number)
    if phrases:
        n = chapter.number
        problems.warn(chapter.path, line, f"the question points at {', '.join(f'‘{p}’' for p in phrases)}, which "
                                          "its handout does not hold (a handout has the chapter's excerpts and key "
                                          f"terms, not its text): say where in the guide (‘Chapter {n} of the study "
                                          f"guide’, ‘the section … in Chapter {n}’, ‘p. 14’) or reword it")


def unplaced_references(ask: str, chapter_number: int) -> list[str]:
    """The phrases of a question that point at text its handout does not hold, with no place named."""
    found = [m.group() for m in UNPLACED_RE.finditer(ask)]
    for sentence in sentences(ask):
        if GUIDE_PLACE_RE.search(sentence):
            continue
        found += [m.group() for m in POINTING_RE.finditer(sentence)]
        found += [phrase.group() for phrase in EXCERPT_REFERENCE_RE.finditer(sentence)
                  if any(not n.startswith(f"{chapter_number}.") for n in re.findall(r"\d+\.\d+", phrase.group()))]
    return found


def sentences(text: str) -> list[str]:
    bounds = [0] + [m.end() for m in SENTENCE_END_RE.finditer(text)] + [len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def excerpts_held(held: list[str]) -> str:
    if len(held) > 1:
        return f"excerpts {held[0]}–{held[-1]}"
    return f"Excerpt {held[0]}" if held else "no excerpts"


def body_lines(chapter: RawChapter):
    """(line number, text) of the body's lines, code spans and fenced code blocks left out."""
    fence = ""
    for offset, line in enumerate(chapter.body.split("\n")):
        opening = FENCE_LINE_RE.match(line)
        if fence:
            fence = "" if line.strip() == fence else fence
        elif opening:
            fence = opening.group(1)
        else:
            yield chapter.body_line + offset, CODE_SPAN_RE.sub("", line)


CODE_SPAN_RE = re.compile(r"(?<![\\`])(`+)(?!`).+?(?<!`)\1(?!`)")
FENCE_LINE_RE = re.compile(r"^(`{3,}|~{3,})")


def check_chapter_text(chapter: RawChapter, problems: Problems) -> None:
    """The checks that read the source's lines; citations, glossary marks, footnotes, links and
    images are checked on the rendered tree (markup.Converter)."""
    path, last_level = chapter.path, 1
    for number, line in body_lines(chapter):
        if CJK_RE.search(LANG_SPAN_RE.sub("", line)):
            problems.error(path, number, 'Chinese text must be marked with its language: '
                                         '<span lang="zh-Hans">…</span> (or put the term in the glossary)')
        if UNSAFE_HTML_RE.search(line):
            problems.warn(path, number, "unsafe HTML (script, frame, event attribute or javascript: URL) removed")
        heading = HEADING_RE.match(line)
        if heading:
            level = len(heading.group(1))
            if level == 1:
                problems.error(path, number, "the chapter title is the only level-1 heading: start sections at ##")
            elif level > last_level + 1:
                problems.error(path, number, f"heading level skips from {last_level} to {level}")
            last_level = max(level, 2) if level > 1 else last_level
    for quotation in block_quotations(chapter):
        check_excerpt_ends_with_citation(path, quotation.start, quotation.last, problems)


@dataclass(frozen=True)
class Quotation:
    start: int  # line number of its first line
    last: str  # its last line of text
    top_level: bool  # not inside a list: a numbered excerpt


def block_quotations(chapter: RawChapter):
    """The chapter's block quotations (source excerpts), as the Markdown source lays them out."""
    start, last, top_level = None, "", False
    for number, line in body_lines(chapter):
        if line.lstrip().startswith(">"):
            if start is None:
                start, top_level = number, line.startswith(">")
            last = line if line.strip(" >") else last
        elif start and line.strip() and last:
            last = line  # a lazy continuation line of the quotation
        elif start:
            yield Quotation(start, last, top_level)
            start, last = None, ""
    if start:
        yield Quotation(start, last, top_level)


def check_excerpt_ends_with_citation(path: Path, line: int, last: str, problems: Problems) -> None:
    if not re.search(r"\[[^\[\]]*@[^\[\]]+\]\s*$", last):
        problems.error(path, line, "a block quotation is a source excerpt: end it with a citation, e.g. [@key]")


# --- timeline.yaml, people.yaml ---------------------------------------------------------------

def load_list(root: Path, path: Path, problems: Problems, what: str) -> list[tuple[Mapping, int]]:
    if not present(path):
        return []
    data = read_yaml(root, path, problems)
    if data is None:
        return []
    if not isinstance(data, Sequence):
        problems.error(path, 1, f"{path.name} must be a list of {what}")
        return []
    items = []
    for entry, line in zip(data, data.item_lines):
        if isinstance(entry, Mapping):
            items.append((entry, line))
        else:
            problems.error(path, line, f"each entry of {path.name} must be a mapping")
    return items


def check_chapter_ref(entry: Mapping, path: Path, slugs: set, problems: Problems) -> str:
    slug = str(entry.get("chapter") or "")
    if slug and slug not in slugs:
        problems.error(path, entry.line_of("chapter"), f"unknown chapter '{slug}' (chapters: {', '.join(sorted(slugs))})")
        return ""
    return slug


def load_timeline(root: Path, slugs: set, problems: Problems) -> list[dict]:
    path, events = root / "timeline.yaml", []
    for entry, line in load_list(root, path, problems, "events (- date: 1958, event: …)"):
        schema.check_keys(entry, schema.EVENT, path, problems, "event")
        date = str(entry.get("date") or "")
        if not real_date(date):
            problems.error(path, entry.line_of("date"), f"event date '{date}' must be YYYY, YYYY-MM or YYYY-MM-DD "
                                                        "(a month and day that exist)")
            continue
        if not str(entry.get("event") or "").strip():
            problems.error(path, line, "event without text ('event: …')")
        events.append({"date": date, "text": str(entry.get("event") or ""), "short": str(entry.get("label") or ""),
                       "chapter": check_chapter_ref(entry, path, slugs, problems), "line": entry.text_line("event")})
    return sorted(events, key=lambda e: e["date"])


def check_events_in_timeline_years(events: list[dict], figures: list[dict], root: Path, problems: Problems) -> None:
    """An event the timeline figure would draw (it has a label) outside the figure's years: a warning."""
    for figure in (f for f in figures if f["kind"] == "timeline" and "from" in f):
        for event in (e for e in events if e["short"]):
            year = int(event["date"][:4])
            if not figure["from"] <= year <= figure["to"]:
                problems.warn(root / "timeline.yaml", event["line"],
                              f"event '{event['short']}' ({year}) lies outside the years of timeline figure "
                              f"'{figure['id']}' ({figure['from']}–{figure['to']}, figures.yaml:{figure['line']}): "
                              "it is not drawn")


def real_date(date: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD, naming a month and day that exist."""
    return bool(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", date)) and date_exists([int(p) for p in date.split("-")])


def date_exists(parts: list[int]) -> bool:
    """[year], [year, month] or [year, month, day] of a day that exists (no month 0 or 13, no 30 February)."""
    if not 1 <= len(parts) <= 3:
        return False
    year, month, day = (list(parts) + [1, 1])[:3]
    try:  # any year, before the common era too: the day is checked in a year of the same kind
        return bool(dt.date(2000 if calendar.isleap(year) else 2001, month, day))
    except (ValueError, TypeError):
        return False


def load_people(root: Path, slugs: set, problems: Problems) -> list[dict]:
    path, people = root / "people.yaml", []
    for entry, line in load_list(root, path, problems, "people (- name: …)"):
        schema.check_keys(entry, schema.PERSON, path, problems, "person")
        if not str(entry.get("name") or "").strip():
            problems.error(path, line, "person without 'name'")
            continue
        people.append({"name": str(entry["name"]), "hanzi": str(entry.get("hanzi") or ""),
                       "pinyin": str(entry.get("pinyin") or ""), "role": str(entry.get("role") or ""),
                       "chapter": check_chapter_ref(entry, path, slugs, problems), "line": entry.text_line("role")})
    return people


# --- assembling the model ---------------------------------------------------------------------

def assemble(root, config, terms, library, places, source_ids, raw_chapters, timeline, people, matcher, figures,
             problems) -> tuple[Guide, Converter, dict[str, DocumentState]]:
    """The model, every Markdown field converted (what the trees point at is checked there),
    figures not yet numbered nor drawn; the converter, which holds the links to #anchors and
    the figure references; and what converting each chapter found."""
    bare_sources = {item["id"]: Source(item["id"], str(item.get("type") or "book")) for item in library.items}
    converter = Converter(bare_sources, matcher, frozenset(t["id"] for t in terms),
                          {f["id"]: f["kind"] for f in figures}, root=root, problems=problems, source_ids=source_ids,
                          note_style=config["note_style"])
    chapters, states = [], {}
    for raw in raw_chapters:
        chapter, state = convert_chapter(raw, converter)
        chapters.append(chapter)
        states[raw.slug] = state
        state.figure_sources = {f["id"]: f["sources"] for f in figures}
    glossary_path = root / "glossary.yaml"
    glossary = tuple(sorted((make_term(t, converter, states, glossary_path) for t in terms),
                            key=lambda t: t.term.lower()))
    marks = {c.anchor: f'data-cite="{c.number}"' for c in converter.citations}
    bodies = {c.slug: (str(c.body), marks | {n.ref_anchor: f'data-note="{n.number}"' for n in c.notes})
              for c in chapters}
    source_list = tuple(with_uses(s, states, bodies) for s in bare_sources.values())
    for f in figures:  # a figure's sources: one citation, its source line
        if f["sources"]:
            f["citation"] = converter.register([Cite(k) for k in f["sources"] if k in bare_sources], "bare").number
    for term in glossary:
        if not term.uses:
            problems.warn(glossary_path, next(t["line"] for t in terms if t["id"] == term.id),
                          f"glossary term '{term.term}' is never used in a chapter")
    listed = set(config["nocite"])
    for src in source_list:
        if not src.uses and "*" not in listed and src.id not in listed:
            problems.warn(*places.get(src.id, (root, None)), f"source '{src.id}' is never cited")
    for key in sorted(listed - set(bare_sources) - {"*"}):
        problems.error(root / "guide.yaml", None, f"nocite: '@{key}' is not in the library")
    events = tuple(make_event(e, converter, root / "timeline.yaml") for e in timeline)
    guide_yaml = root / "guide.yaml"
    guide = Guide(
        root=root, title=typographic(config["title"]), subtitle=typographic(config["subtitle"]),
        authors=config["authors"], language=config["language"], date=config["date"], edition=config["edition"],
        paper=config["paper"],
        slug=config["slug"], description=config["description"], keywords=config["keywords"],
        content_note=converter.fragment(config["content_note"], (guide_yaml, config["lines"]["content_note"])),
        teacher_guidance=converter.fragment(config["teacher_guidance"],
                                            (guide_yaml, config["lines"]["teacher_guidance"])),
        handouts=config["handouts"], chapters=tuple(chapters), glossary=glossary, sources=source_list,
        timeline=events, library=library.items, library_markup=library.markup, csl=config["csl"],
        note_style=config["note_style"], nocite=config["nocite"], citations=tuple(converter.citations),
        publisher=config["publisher"], researched=config["researched"], show_how_to_use=config["show_how_to_use"],
        license=converter.inline(config["license"], (guide_yaml, config["lines"]["license"])),
        cite_as=converter.inline(config["cite_as"], (guide_yaml, config["lines"]["cite_as"])),
        how_to_use=converter.fragment(config["how_to_use"], (guide_yaml, config["lines"]["how_to_use"])),
        people=tuple(Person(p["name"], p["hanzi"], p["pinyin"],
                            converter.inline(p["role"], (root / "people.yaml", p["line"])), p["chapter"])
                     for p in people),
        warnings=(),
    )
    return guide, converter, states


def check_anchor_links(guide: Guide, converter: Converter, numbers: dict, problems: Problems) -> None:
    """Every link to a #place names a heading, chapter, term, source, figure or excerpt of the guide."""
    known = converter.ids | {f"fig-{figure_id}" for figure_id in numbers}
    known |= {item.anchor for items in (guide.chapters, guide.glossary, guide.sources) for item in items}
    known |= {excerpt.anchor for chapter in guide.chapters for excerpt in chapter.excerpts}
    for anchor, path, line in converter.anchor_links:
        if anchor not in known:
            problems.error(path, line, f"link to '#{anchor}': no heading, chapter, glossary term, source, figure "
                                       "or excerpt of the guide has that id")


def draw_figures(guide: Guide, figures: list[dict], numbers: dict, states: dict[str, DocumentState]) -> Guide:
    """The guide with its figures drawn (once the content is known to be sound) and its pictures."""
    sources = {s.id: s for s in guide.sources}
    chapters = {c.slug: c for c in guide.chapters}
    placed_in = {figure_id: c.slug for c in guide.chapters for figure_id in c.figure_ids}
    drawn = [make_figure(f, numbers[f["id"]], placed_in.get(f["id"], ""), sources, guide.timeline, chapters)
             for f in figures if f["id"] in numbers]
    drawn += [make_picture(p, numbers[p["id"]], slug) for slug, st in states.items() for p in st.pictures]
    return replace(guide, figures=tuple(sorted(drawn, key=lambda f: f.number)))


def make_picture(p: dict, number: int, chapter: str) -> Figure:
    """A picture of a chapter as a figure of the guide: its caption (without note calls) for the
    lists of figures, its whole <figure> for the chapter's handout."""
    html = fill_figure_numbers(p.get("html", Markup("")), {p["id"]: number})
    return Figure(id=p["id"], number=number, kind="picture", title=Markup(p.get("caption", "")), alt=p.get("alt", ""),
                  rows=(), source=Markup(""), chapter=chapter, columns=("", ""), html=html)


def with_uses(source: Source, states: dict[str, DocumentState], bodies: dict[str, tuple[str, dict]]) -> Source:
    """Every citation of the source, in document order: the places the source list links back
    to (a figure placed in a chapter cites its sources there too)."""
    uses = []
    for slug, st in states.items():
        here = [ref for key, ref in st.source_uses if key == source.id]
        here += [f"fig-{figure_id}" for figure_id in st.figures if source.id in st.figure_sources.get(figure_id, ())]
        uses += [Use(slug, ref) for ref in sorted(here, key=lambda ref: place_in(*bodies[slug], ref))]
    return replace(source, uses=tuple(uses))


def place_in(body: str, marks: dict[str, str], anchor: str) -> int:
    """Where the place an anchor names is in a chapter's HTML: a note call or a citation (by
    its placeholder, `marks`), a chart (by its placeholder) or a picture (by its id). A page
    list in document order has its pages in order."""
    if anchor in marks:
        return body.find(marks[anchor])
    at = body.find(f'id="{anchor}"')
    return body.find(f'data-figure="{anchor[4:]}"') if at < 0 and anchor.startswith("fig-") else at


def make_term(t: dict, converter: Converter, states: dict[str, DocumentState], path: Path) -> Term:
    uses = tuple(Use(slug, anchor) for slug, st in states.items() for term_id, anchor in st.term_mentions
                 if term_id == t["id"])
    return Term(id=t["id"], term=typographic(t["term"]), forms=tuple(t["forms"]),
                definition=converter.inline(t["definition"], (path, t["definition_line"])),
                short=converter.inline(first_sentence(t["definition"].strip())),
                pinyin=t["pinyin"], hanzi=t["hanzi"], uses=uses)


# Words a full stop ends without ending the sentence ("Franklin D. Roosevelt", "the U.S. Army").
ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "col", "capt", "lt", "gov", "sen", "rep", "prof",
                 "rev", "mt", "ft", "no", "nos", "vol", "vols", "p", "pp", "c", "ca", "cf", "e.g", "i.e", "vs", "inc",
                 "co", "ltd", "approx", "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "fig"}
SENTENCE_END = re.compile(r"([.!?])([”’)]*)\s+(?=[A-Z“‘(])")


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence, for the key-terms box: a full stop after an
    initial, an abbreviation or a dotted acronym (U.S.) does not end it."""
    for end in SENTENCE_END.finditer(text):
        word = text[:end.start()].rsplit(None, 1)[-1].lstrip("(“‘").lower()
        if end.group(1) == "." and (len(word) == 1 or word in ABBREVIATIONS or re.fullmatch(r"(\w\.)+\w", word)):
            continue
        return text[:end.end(2)]
    return text


def link_excerpts(html: Markup, anchors: dict[str, str]) -> Markup:
    """A question's "Read Excerpts 1.2 and 1.3": each number links to that excerpt of the chapter
    (a cross-reference: in print it is followed by the excerpt's page)."""
    def link(number: re.Match) -> str:
        anchor = anchors.get(number.group())
        return f'<a class="xref" href="#{anchor}">{number.group()}</a>' if anchor else number.group()

    return Markup(EXCERPT_REFERENCE_RE.sub(lambda phrase: re.sub(r"\d+\.\d+", link, phrase.group()), str(html)))


def convert_chapter(raw: RawChapter, converter: Converter) -> tuple[Chapter, DocumentState]:
    """The chapter's body and fields converted. Entries check_questions refused are left out:
    the chapter is converted even when the guide has errors, to check what it points at."""
    state = DocumentState(prefix=raw.slug, chapter_number=raw.number)
    meta, path = raw.meta, raw.path
    body = converter.convert(raw.body, state, (path, raw.body_line))
    excerpt_anchors = {number: anchor for number, anchor, _, _ in state.excerpts}
    asked = [q for q in listed(meta, "questions") if isinstance(q, Mapping) and str(q.get("ask") or "").strip()]
    questions = tuple(
        Question(number=i, ask=link_excerpts(converter.inline(str(q["ask"]), (path, q.text_line("ask"))),
                                             excerpt_anchors),
                 level=str(q.get("level") or "analysis"),
                 answer=converter.fragment(str(q.get("answer") or ""), (path, q.text_line("answer"))),
                 lines=q.get("lines") if isinstance(q.get("lines"), int) else -1)
        for i, q in enumerate(asked, 1))
    objectives = listed(meta, "objectives")
    excerpts = tuple(Excerpt(number, anchor, Markup(html), keys) for number, anchor, html, keys in state.excerpts)
    notes = tuple(Note(i, anchor, ref, html, keys, citation)
                  for i, (anchor, ref, html, keys, citation) in enumerate(state.notes, 1))
    term_ids = tuple(dict.fromkeys(term_id for term_id, _ in state.term_uses))
    chapter = Chapter(
        number=raw.number, slug=raw.slug, title=typographic(str(meta.get("title")).strip()),
        objectives=tuple(converter.inline(str(o), (path, line))
                         for o, line in zip(objectives, objectives.item_lines if objectives else ())),
        teacher_notes=converter.fragment(str(meta.get("teacher_notes") or ""), (path, meta.text_line("teacher_notes"))),
        questions=questions, body=body, notes=notes, excerpts=excerpts, term_ids=term_ids,
        words=state.words, images=tuple(dict.fromkeys(state.images)), figure_ids=tuple(state.figures),
        source_path=raw.path, boxes=tuple(state.boxes))
    return chapter, state


def listed(meta: Mapping, key: str) -> list:
    """A list setting of the front matter; [] if it is not a list (check_questions said so)."""
    value = meta.get(key)
    return value if isinstance(value, Sequence) else []


def make_event(e: dict, converter: Converter, path: Path) -> Event:
    parts = [int(p) for p in e["date"].split("-")]
    return Event(date=e["date"], label=cite.format_date(parts), short=e["short"],
                 text=converter.inline(e["text"], (path, e["line"])), chapter=e["chapter"])


# --- figures.yaml -----------------------------------------------------------------------------

FIGURE_KINDS = ("bar", "line", "proportion", "timeline")
MAX_ROWS = 200  # rows of a chart's data
MAX_VALUE = 1e15
MAX_YEARS = 500  # the span of a timeline figure, a tick for every year
MAX_PARTS = 6  # a proportion chart tells its parts apart by six patterns and grays (figures.FILLS)


def load_figures(root: Path, source_ids: set, problems: Problems) -> list[dict]:
    path = root / "figures.yaml"
    figures, seen = [], {}
    for entry, line in load_list(root, path, problems, "figures (- id: …, kind: bar, …)"):
        schema.check_keys(entry, schema.FIGURE, path, problems, "figure")
        fid = str(entry.get("id") or "")
        if not SLUG.fullmatch(fid):
            problems.error(path, line, f"figure id '{fid}' must be a slug (a-z, 0-9, '-')")
            continue
        if fid in seen:
            problems.error(path, line, f"duplicate figure id '{fid}' (first at line {seen[fid]})")
            continue
        seen[fid] = line
        kind = str(entry.get("kind") or "")
        if kind not in FIGURE_KINDS:
            problems.error(path, entry.line_of("kind"), f"figure kind '{kind}' is not one of {', '.join(FIGURE_KINDS)}")
            continue
        for key in ("title", "alt"):
            if not str(entry.get(key) or "").strip():
                problems.error(path, line, f"figure '{fid}' needs '{key}'"
                               + (" (a text alternative for readers who can't see it)" if key == "alt" else ""))
        keys = entry.get("source") or []
        keys = [str(k) for k in (keys if isinstance(keys, list) else [keys])]
        for key in keys:
            if key not in source_ids:
                problems.error(path, entry.line_of("source"), f"unknown source '@{key}' in figure '{fid}'")
        figure = {"id": fid, "kind": kind, "title": str(entry.get("title") or ""), "alt": str(entry.get("alt") or ""),
                  "unit": str(entry.get("unit") or ""), "sources": keys, "rest": str(entry.get("rest") or ""),
                  "line": line, "data": [], "columns": figure_columns(entry, kind, path, problems)}
        if kind == "timeline":
            figure["from"], figure["to"] = check_years(entry, path, line, fid, problems)
        else:
            figure["data"] = load_figure_data(entry, root, path, fid, problems)
            check_rows(figure, path, entry.line_of("data"), problems)
        figures.append(figure)
    return figures


def check_years(entry: Mapping, path: Path, line: int, fid: str, problems: Problems) -> tuple[int, int]:
    """A timeline figure's 'from' and 'to' years: in order, at most MAX_YEARS apart."""
    start, end = entry.get("from"), entry.get("to")
    if not all(isinstance(year, int) and not isinstance(year, bool) for year in (start, end)):
        problems.error(path, line, f"timeline figure '{fid}' needs 'from' and 'to' years (from: 1953)")
        return 0, 0
    if not 1 <= start <= end <= 9999:
        problems.error(path, entry.line_of("to"), f"timeline figure '{fid}': 'from' ({start}) and 'to' ({end}) "
                                                  "must be years in order")
    elif end - start > MAX_YEARS:
        problems.error(path, entry.line_of("to"), f"timeline figure '{fid}' spans {end - start} years; "
                                                  f"a timeline shows at most {MAX_YEARS}")
    return start, end


def check_rows(figure: dict, path: Path, line: int, problems: Problems) -> None:
    """A chart has rows to draw, not too many; a proportion chart at most MAX_PARTS parts."""
    rows, fid = figure["data"], figure["id"]
    if len(rows) > MAX_ROWS:
        problems.error(path, line, f"figure '{fid}' has {len(rows)} rows of data; a chart shows at most {MAX_ROWS}")
    if figure["kind"] == "proportion" and len(rows) > MAX_PARTS:
        problems.error(path, line, f"proportion figure '{fid}' has {len(rows)} parts; it can tell apart at most "
                                   f"{MAX_PARTS}")


def figure_columns(entry: Mapping, kind: str, path: Path, problems: Problems) -> tuple[str, str]:
    """The headings of a chart's data table: `columns: [Year, Storms]`, or what the chart shows."""
    columns = entry.get("columns")
    if columns is not None:
        if isinstance(columns, list) and len(columns) == 2 and all(str(c).strip() for c in columns):
            return str(columns[0]), str(columns[1])
        problems.error(path, entry.line_of("columns"), "columns names the data table's two columns: [Year, Storms]")
    if kind == "proportion":
        return "Part", "Share"
    unit = str(entry.get("unit") or "").strip()
    return "Item", unit[:1].upper() + unit[1:] if unit else "Value"


def load_figure_data(entry: Mapping, root: Path, path: Path, fid: str, problems: Problems) -> list[dict]:
    data, line = entry.get("data"), entry.line_of("data")
    if isinstance(data, str):
        file = root / data
        try:
            inside_guide(root, file)
        except GuideFileError as error:
            problems.error(path, line, f"data file '{data}' of figure '{fid}' {error}")
            return []
        if not present(file):
            problems.error(path, line, f"data file '{data}' of figure '{fid}' not found")
            return []
        text = read_text(root, file, problems)
        return [] if text is None else csv_rows(text, file, path, line, fid, problems)
    if not isinstance(data, Sequence) or not data:
        problems.error(path, line, f"figure '{fid}' needs 'data': a list of {{label, value}} or a CSV file name")
        return []
    for row in data:
        if isinstance(row, Mapping):
            schema.check_keys(row, schema.DATUM, path, problems, "datum")
    return [checked_datum(row if isinstance(row, dict) else {}, path, row_line, fid, problems)
            for row, row_line in zip(data, data.item_lines)]


def csv_rows(text: str, file: Path, path: Path, line: int, fid: str, problems: Problems) -> list[dict]:
    """The rows of a figure's CSV file (label,value[,display]), each checked with its line."""
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error as error:
        problems.error(file, None, f"cannot read the CSV file: {error}")
        return []
    if not rows:
        problems.error(path, line, f"data file '{file.name}' of figure '{fid}' has no rows of data "
                                   "(a heading line label,value, then one line per row)")
    return [checked_datum(row, file, i + 2, fid, problems) for i, row in enumerate(rows)]


def checked_datum(row: dict, path: Path, line: int, fid: str, problems: Problems) -> dict:
    label = str(row.get("label") or "").strip()
    try:
        value = float(str(row.get("value")).replace(",", ""))
    except ValueError:
        problems.error(path, line, f"figure '{fid}': value '{row.get('value')}' is not a number")
        value = 0.0
    if not (math.isfinite(value) and 0 <= value <= MAX_VALUE):
        problems.error(path, line, f"figure '{fid}': value '{row.get('value')}' must be a number from 0 "
                                   "to 1,000,000,000,000,000")
        value = 0.0
    if not label:
        problems.error(path, line, f"figure '{fid}': a data row without 'label'")
    return {"label": label, "value": value, "display": str(row.get("display") or "").strip()}


def number_figures(chapters: list[RawChapter], states: dict[str, DocumentState], figures: list[dict],
                   converter: Converter, path: Path, problems: Problems) -> dict:
    """Figures (charts and pictures) are numbered in the order the chapters show them, as their
    trees hold them; the timeline figure comes last. A reference to no figure is an error."""
    numbers: dict[str, int] = {}
    for chapter in chapters:
        state = states[chapter.slug]
        for picture in state.pictures:
            if picture["id"] in numbers or any(f["id"] == picture["id"] for f in figures):
                problems.error(chapter.path, line_in_body(chapter, picture["written"]),
                               f"figure id 'fig-{picture['id']}' is already used by another figure")
        for figure_id in state.figures:
            numbers.setdefault(figure_id, len(numbers) + 1)
    for f in figures:
        if f["kind"] == "timeline":
            numbers.setdefault(f["id"], len(numbers) + 1)
        elif f["id"] not in numbers:
            problems.warn(path, f["line"], f"figure '{f['id']}' is never placed in a chapter ([[figure:{f['id']}]])")
    for figure_id, written, ref_path, line in converter.figure_refs:
        if figure_id not in numbers:
            problems.error(ref_path, line, f"unknown figure '{figure_id}' in '{written}'")
    return numbers


def line_in_body(chapter: RawChapter, needle: str) -> int:
    at = chapter.body.find(needle)
    return chapter.body_line + (chapter.body.count("\n", 0, at) if at >= 0 else 0)


def with_figure_numbers(value, numbers: dict):
    """The guide with "Figure N" written in every figure reference and picture caption: each
    Markdown field of the model, once every chapter has shown its figures."""
    if isinstance(value, Markup):
        return fill_figure_numbers(value, numbers)
    if isinstance(value, tuple):
        return tuple(with_figure_numbers(item, numbers) for item in value)
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        changed = {name: with_figure_numbers(getattr(value, name), numbers) for name in value.__dataclass_fields__}
        return replace(value, **{k: v for k, v in changed.items() if v is not getattr(value, k)})
    return value


def make_figure(f: dict, number: int, chapter: str, sources: dict, events: tuple, chapters: dict) -> Figure:
    """A chart or the timeline: the data it is drawn from when rendered, and its data table."""
    from .figures import fmt, shown

    data = tuple(Datum(d["label"], d["value"], d["display"]) for d in f["data"])
    drawn: dict = {"data": data}
    if f["kind"] == "timeline":
        marks = tuple(Mark(e.date, e.short, f"#{chapters[e.chapter].anchor}" if e.chapter else "")
                      for e in events if e.short)  # the events given a short label are the ones drawn
        drawn = {"marks": marks, "years": (f["from"], f["to"])}
        rows = tuple((e.label, e.short) for e in events if e.short)
    else:
        drawn.update({"rest": f["rest"] or "other"} if f["kind"] == "proportion" else {"unit": f["unit"]})
        percent = "%" if f["kind"] == "proportion" else ""
        rows = tuple((d.label, shown(d, percent)) for d in data)
        rest = 100 - sum(d.value for d in data)
        if percent and rest > 0:  # the chart's last part, drawn as outlines
            rows += ((f["rest"] or "other", fmt(rest) + "%"),)
    source = Markup('<span data-cite="{}"></span>').format(f["citation"]) if "citation" in f else Markup("")
    return Figure(id=f["id"], number=number, kind=f["kind"], title=typographic(f["title"]), alt=f["alt"],
                  rows=rows, source=source, chapter=chapter, columns=f["columns"], **drawn)
