"""Citations and bibliographies through pandoc's citeproc (the CSL reference implementation).

Two stages:

* `read_library` / `library_from_entries`: a reference library as reference managers write
  it (CSL-JSON, CSL-YAML, BibTeX/BibLaTeX, RIS) -> CSL-JSON dicts, with their markup as
  CSL-JSON writes it (`<i>`, `<b>`, `<span class="nocase">` …). Problems name file and line.
* `format_citations`: every citation cluster of a build, in reading order, formatted in one
  pandoc run per (items, clusters, style, language, nocite); the result is kept, so outputs
  built in one process share it.

pandoc runs offline, reads everything from standard input and writes nothing: no temporary
file (see tests/test_sandbox_trace.py). docs/citations.md explains the choice.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from .errors import Problems
from .files import atomic_write
from .yamlfile import read_text, read_yaml

PROJECT = Path(__file__).resolve().parent.parent
STYLES = PROJECT / "styles" / "csl"
LUA_FILTER = Path(__file__).resolve().with_suffix(".lua")
BUNDLED = {"chicago-notes-bibliography": "chicago-notes-bibliography.csl", "apa": "apa.csl",
           "mla": "modern-language-association.csl",
           "modern-language-association": "modern-language-association.csl"}
CSL_NS = "{http://purl.org/net/xbiblio/csl}"
# the heading a style's bibliography goes under, by its citation format (English)
HEADINGS = {"note": "Bibliography", "author-date": "References", "author": "Works Cited",
            "numeric": "References", "label": "References"}
PANDOC_API = [1, 23, 1]
TIMEOUT = 120  # seconds; a 700-item library takes about 1.3 s

# CSL 1.0.2, appendix III
ITEM_TYPES = frozenset("""article article-journal article-magazine article-newspaper bill book broadcast
chapter classic collection dataset document entry entry-dictionary entry-encyclopedia event figure graphic
hearing interview legal_case legislation manuscript map motion_picture musical_score pamphlet
paper-conference patent performance periodical personal_communication post post-weblog regulation report
review review-book software song speech standard thesis treaty webpage""".split())
DATE_FIELDS = ("accessed", "available-date", "event-date", "issued", "original-date", "submitted")
# CSL 1.0.2 locator labels -> the English term pandoc's locator parser recognises
LOCATOR_TERMS = {"act": "act", "appendix": "appendix", "article-locator": "article", "book": "book",
                 "canon": "canon", "chapter": "chapter", "column": "column", "elocation": "location",
                 "equation": "equation", "figure": "figure", "folio": "folio", "issue": "issue",
                 "line": "line", "note": "note", "opus": "opus", "page": "page", "paragraph": "paragraph",
                 "part": "part", "rule": "rule", "scene": "scene", "section": "section",
                 "sub-verbo": "sub verbo", "supplement": "supplement", "table": "table",
                 "timestamp": "timestamp", "title-locator": "title", "verse": "verse",
                 "version": "version", "volume": "volume"}
MODES = {"normal": "NormalCitation", "suppress-author": "SuppressAuthor", "author-in-text": "AuthorInText"}
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
BIB_KEY_RE = re.compile(r"^[ \t]*@[ \t]*(\w+)[ \t]*[{(][ \t]*([^,\s]+)[ \t]*,", re.M)
RIS_ID_RE = re.compile(r"^ID  - (.+?)\s*$", re.M)
PANDOC_LINE_RE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Library:
    """Items as CSL-JSON dicts. `markup`: how their text is marked up, as pandoc will read it
    when formatting: "html" (CSL-JSON's <i>, <b>, <span class="nocase"> …) or "markdown"
    (CSL-YAML's *italics*, **bold**, [text]{.nocase}, read as pandoc reads a YAML bibliography)."""
    items: tuple[dict, ...]
    markup: str = "html"

    @property
    def ids(self) -> set[str]:
        return {item["id"] for item in self.items}


class CiteprocError(Exception):
    """pandoc failed, or was given what it cannot format (a missing style, an unknown id)."""


# --- running pandoc -------------------------------------------------------------------------

@functools.cache
def pandoc_path() -> str:
    import pypandoc  # the pypandoc-binary wheel carries pandoc itself
    return pypandoc.get_pandoc_path()


_cache_folder: list[Path] = []


@functools.cache
def pandoc_version() -> str:
    """What tells one pandoc from another, read without running it (pypandoc's own look-up
    runs `pandoc --version`): the size and time of the binary pypandoc-binary carries."""
    import importlib.util

    spec = importlib.util.find_spec("pypandoc")
    binary = Path(spec.origin).parent / "files" / "pandoc" if spec and spec.origin else None
    try:
        info = binary.stat()
    except (OSError, AttributeError):
        return pandoc_path()  # another pandoc: its path, found the slow way
    return f"{binary}:{info.st_size}:{info.st_mtime_ns}"


def use_cache_folder(folder: Path) -> None:
    """Keep pandoc's answers in `folder` (a folder of the build's output): the EPUB, the
    teacher edition and the handouts, each built by a process of its own after the PDF, then
    read the citations the PDF's build formatted instead of running pandoc again."""
    _cache_folder[:] = [Path(folder)]


def cache_key(args: list[str], text: str) -> str:
    """What pandoc's answer depends on: its version, the arguments, the files they name
    (a style the teacher edits, the filter) and the input."""
    named = [Path(a.split("=", 1)[1]).read_bytes() for a in args if a.startswith(("--csl=", "--lua-filter="))]
    digest = hashlib.sha256(json.dumps([pandoc_version(), args, text]).encode())
    for data in named:
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def run_pandoc(args: list[str], text: str) -> tuple[str, list[str]]:
    """pandoc's output and its warnings, from the cache folder when this very request has been
    answered before; CiteprocError if pandoc fails."""
    if not _cache_folder:
        return run_pandoc_now(args, text)
    kept = _cache_folder[0] / f"{cache_key(args, text)}.json"
    try:
        answer = json.loads(kept.read_text(encoding="utf-8"))
        return answer["output"], answer["warnings"]
    except (OSError, ValueError, KeyError, TypeError):
        output, warnings = run_pandoc_now(args, text)
        try:
            atomic_write(kept, json.dumps({"output": output, "warnings": warnings}).encode("utf-8"))
        except OSError:
            pass  # a read-only output folder: the build is only slower
        return output, warnings


def run_pandoc_now(args: list[str], text: str) -> tuple[str, list[str]]:
    """pandoc's output and its warnings; CiteprocError if it fails. The data directory is the
    bundled styles' folder, so nothing of the user's (~/.local/share/pandoc) changes a build."""
    command = [pandoc_path(), f"--data-dir={STYLES}", *args]
    try:
        done = subprocess.run(command, input=text, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise CiteprocError(f"pandoc took longer than {TIMEOUT} s") from exc
    if done.returncode != 0:
        raise CiteprocError(done.stderr.strip() or f"pandoc exited with status {done.returncode}")
    return done.stdout, warnings_of(done.stderr)


def warnings_of(stderr: str) -> list[str]:
    """pandoc's '[WARNING] …' messages, each with its continuation lines."""
    found: list[str] = []
    for line in stderr.splitlines():
        if line.startswith("[WARNING]"):
            found.append(line.removeprefix("[WARNING]").strip())
        elif found and line.startswith(" "):
            found[-1] += " " + line.strip()
    return found


# --- reading libraries ---------------------------------------------------------------------

PANDOC_READERS = {".bib": "biblatex", ".bibtex": "bibtex", ".ris": "ris"}


def read_library(root: Path, path: Path, problems: Problems) -> Library:
    """The items of a library file inside `root`, by its suffix: .json (CSL-JSON), .yaml/.yml
    (CSL-YAML), .bib (BibLaTeX), .bibtex (BibTeX), .ris. Problems are recorded, not raised;
    the items that could be read are returned."""
    if path.suffix in (".json", ".yaml", ".yml"):
        data = read_yaml(root, path, problems)
        markup = "html" if path.suffix == ".json" else "markdown"
        return Library((), markup) if data is None else library_from_entries(data, path, problems, markup)
    if path.suffix in PANDOC_READERS:
        text = read_text(root, path, problems)
        return Library(()) if text is None else library_from_text(text, PANDOC_READERS[path.suffix], path, problems)
    problems.error(path, None, "a library is a .json, .yaml, .yml, .bib, .bibtex or .ris file")
    return Library(())


def library_from_text(text: str, reader: str, path: Path, problems: Problems) -> Library:
    """A BibTeX, BibLaTeX or RIS file converted by pandoc, its keys checked first."""
    places = bib_keys(text) if reader != "ris" else [(m.group(1), line_at(text, m.start()))
                                                     for m in RIS_ID_RE.finditer(text)]
    report_duplicates(places, path, problems)
    try:
        output, warnings = run_pandoc(["-f", reader, "-t", "csljson"], text)
    except CiteprocError as exc:
        problems.error(path, pandoc_line(str(exc)), f"cannot read this {reader} file: {exc}")
        return Library(())
    for warning in warnings:
        problems.warn(path, pandoc_line(warning), warning)
    lines = dict(places)
    items = [without_empty_dates(item) for item in json.loads(output)]
    for item in items:
        check_item(item, path, lines.get(item.get("id")), problems)
        with_scheme(item)
    return Library(tuple(unique(items)))


def without_empty_dates(item: dict) -> dict:
    """pandoc writes an undated literal date as {date-parts: [], literal: …}, and reads that
    back as no date: the empty parts go."""
    for key in DATE_FIELDS:
        if isinstance(item.get(key), dict) and item[key].get("date-parts") == [] and item[key].get("literal"):
            del item[key]["date-parts"]
    return item


def bib_keys(text: str) -> list[tuple[str, int]]:
    """(key, line) of each entry; @string, @preamble and @comment are not entries."""
    return [(m.group(2), line_at(text, m.start(1))) for m in BIB_KEY_RE.finditer(text)
            if m.group(1).lower() not in ("string", "preamble", "comment")]


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def pandoc_line(message: str) -> int | None:
    match = PANDOC_LINE_RE.search(message)
    return int(match.group(1)) if match else None


def report_duplicates(places: list[tuple[str, int | None]], path: Path, problems: Problems) -> None:
    first: dict[str, int | None] = {}
    for key, line in places:
        if key in first:
            problems.error(path, line, f"source id '{key}' is given twice: here and at {where(path, first[key])}")
        else:
            first[key] = line


def where(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line else str(path)


def unique(items: list[dict]) -> list[dict]:
    """The first item of each id (a duplicate is already an error)."""
    seen: dict[str, dict] = {}
    for item in items:
        seen.setdefault(item.get("id"), item)
    return list(seen.values())


def library_from_entries(data, path: Path, problems: Problems, markup: str = "markdown") -> Library:
    """Items already parsed by `yamlfile` (a list, or a mapping with `references:`), whose
    mappings know their lines. `markup` says how their text is marked up (see `Library`).
    Each is checked on pandoc's reading of it; the items are kept as written (ids as text,
    YAML's dates as ISO text, https:// added), for pandoc to read the same way when formatting."""
    entries = data.get("references") if isinstance(data, dict) and "references" in data else data
    if not isinstance(entries, list):
        problems.error(path, getattr(data, "line", None), "a library is a list of sources "
                                                          "(or a mapping with the list under 'references:')")
        return Library((), markup)
    kept = [entry for entry in entries if entry_is_usable(entry, path, problems)]
    report_duplicates([(str(entry["id"]), line_of(entry, "id")) for entry in kept], path, problems)
    read = convert_entries([plain(entry) for entry in kept], markup, path, problems)
    items: dict[str, dict] = {}
    for entry in kept:
        item = read.get(str(entry["id"]))
        if item is None:
            problems.error(path, getattr(entry, "line", None), f"pandoc could not read source '{entry['id']}'")
        elif str(entry["id"]) not in items:
            check_item(item, path, getattr(entry, "line", None), problems, entry)
            items[str(entry["id"])] = with_scheme(plain(entry))
    return Library(tuple(items.values()), markup)


def entry_is_usable(entry, path: Path, problems: Problems) -> bool:
    if not isinstance(entry, dict):
        problems.error(path, getattr(entry, "line", None), "each source is a mapping of CSL fields (id, type, title …)")
        return False
    if entry.get("id") in (None, ""):
        problems.error(path, getattr(entry, "line", None), "this source has no 'id'")
        return False
    return True


def line_of(entry, key: str) -> int | None:
    return entry.line_of(key) if hasattr(entry, "line_of") else getattr(entry, "line", None)


def plain(value):
    """JSON-ready: YAML's dates as ISO text (pandoc reads them as EDTF), numbers as ids in text."""
    if isinstance(value, dict):
        return {str(k): (str(v) if k == "id" else plain(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return value


def convert_entries(entries: list[dict], markup: str, path: Path, problems: Problems) -> dict[str, dict]:
    """The entries through pandoc's reader, in one run, by id: Markdown in CSL-YAML becomes
    CSL-JSON markup, every date form becomes date-parts."""
    if not entries:
        return {}
    if markup == "html":
        reader, text = "csljson", json.dumps(entries, ensure_ascii=False)
    else:  # JSON is YAML: the list goes into a metadata block of an empty Markdown document
        reader, text = "markdown", markdown_library(entries)
    try:
        output, warnings = run_pandoc(["-f", reader, "-t", "csljson"], text)
    except CiteprocError as exc:
        problems.error(path, None, f"pandoc cannot read these sources: {exc}")
        return {}
    for warning in warnings:
        problems.warn(path, None, warning)
    return {item["id"]: item for item in json.loads(output)}


def markdown_library(entries: list[dict]) -> str:
    """An empty Markdown document whose metadata holds the entries (JSON is YAML)."""
    return "---\nreferences: " + json.dumps(entries, ensure_ascii=False) + "\n---\n"


def check_item(item: dict, path: Path, line: int | None, problems: Problems, entry=None) -> None:
    """Type and dates checked on pandoc's reading, so every form it reads is accepted.
    `entry`, the item as written, gives each field's line."""
    def at(key: str) -> int | None:
        return line_of(entry, key) if entry is not None else line
    kind = item.get("type")
    if kind not in ITEM_TYPES:
        problems.error(path, at("type"), f"source '{item.get('id')}': type '{kind}' is not a CSL 1.0.2 "
                                         "item type (book, chapter, article-journal, webpage …)")
    for key in DATE_FIELDS:
        if key in item and not date_is_readable(item[key]):
            problems.error(path, at(key), f"source '{item.get('id')}': {key} is not a date pandoc can read "
                                          "(2012, 2012-11-03, 1938/1961, {date-parts: [[2012, 11, 3]]})")


def with_scheme(item: dict) -> dict:
    """A URL written without a scheme (www.example.org/x) gets https://."""
    url = item.get("URL")
    if isinstance(url, str) and url.strip() and not SCHEME_RE.match(url.strip()):
        item["URL"] = "https://" + url.strip()
    return item


def date_is_readable(date) -> bool:
    """A date pandoc understood: parts that exist (a month 13–16 is a season), or a literal."""
    if not isinstance(date, dict):
        return False
    if date.get("literal"):
        return True
    parts = date.get("date-parts") or []
    return bool(parts) and all(part_is_valid(p) for p in parts)


def part_is_valid(part: list) -> bool:
    if not part or not all(isinstance(n, int) for n in part):
        return False
    month, day = (part + [1, 1])[1:3]
    if len(part) < 3:
        return 1 <= month <= 16  # 13–16: a season
    last = calendar.monthrange(part[0], month)[1] if part[0] > 0 and 1 <= month <= 12 else 31
    return 1 <= month <= 12 and 1 <= day <= last  # a day that exists (no 30 February)


# --- styles --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Style:
    path: Path
    citation_format: str  # note | author-date | author | numeric | label

    @property
    def is_note_style(self) -> bool:
        return self.citation_format == "note"

    @property
    def heading(self) -> str:
        return HEADINGS.get(self.citation_format, "References")


def resolve_style(style: str | Path, guide_root: Path | None = None) -> Style:
    """A bundled style by name, or a .csl file inside the guide."""
    if str(style) in BUNDLED:
        return read_style(STYLES / BUNDLED[str(style)])
    if guide_root is None:
        raise CiteprocError(f"unknown style '{style}': use one of {', '.join(sorted(BUNDLED))} or a .csl file of the guide")
    root = guide_root.resolve()
    path = (root / style).resolve()
    if not path.is_relative_to(root):
        raise CiteprocError(f"style '{style}' is outside the guide folder")
    if path.suffix != ".csl" or not path.is_file():
        raise CiteprocError(f"style '{style}' is not a .csl file of the guide")
    return read_style(path)


@functools.cache
def read_style(path: Path) -> Style:
    try:
        info = ET.parse(path).getroot().find(f"{CSL_NS}info")
    except ET.ParseError as exc:
        raise CiteprocError(f"{path}:{exc.position[0]}: not a CSL style: {exc}") from exc
    if info is None:
        raise CiteprocError(f"{path}: not a CSL style (no <info>)")
    if any(link.get("rel") == "independent-parent" for link in info.iter(f"{CSL_NS}link")):
        raise CiteprocError(f"{path}: a dependent style; give its parent style's file instead")
    formats = [c.get("citation-format") for c in info.iter(f"{CSL_NS}category") if c.get("citation-format")]
    return Style(path, formats[0] if formats else "author-date")


# --- formatting ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CitationItem:
    id: str
    locator: str = ""  # the value alone: "4", "33, 35–37", "iv"
    label: str = "page"  # CSL's name for the locator's kind: page, chapter, section …
    prefix: str = ""  # plain text
    suffix: str = ""  # plain text, written as it follows the locator (", and elsewhere")
    mode: str = "normal"  # normal | suppress-author | author-in-text


@dataclass(frozen=True)
class Cluster:
    """One citation (one note in a note style). `in_note`: the number of the author's own
    footnote the citation is written in; clusters sharing it are formatted inside that note."""
    items: tuple[CitationItem, ...]
    in_note: int | None = None


@dataclass(frozen=True)
class Rendered:
    text: Markup  # what stands in the running text: "(Smith 2001, 4)", "Smith", or "" for a note
    note: Markup | None  # the note pandoc made of it (note styles), or None
    # the same without links to the bibliography (a handout has no source list to link to)
    plain_text: Markup = Markup("")
    plain_note: Markup | None = None


@dataclass(frozen=True)
class Entry:
    id: str
    html: Markup


@dataclass(frozen=True)
class Formatted:
    clusters: tuple[Rendered, ...]  # in the order given
    bibliography: tuple[Entry, ...]  # in the style's order; cited items and nocite only
    heading: str  # Bibliography | References | Works Cited
    is_note_style: bool
    warnings: tuple[str, ...]  # pandoc's, e.g. an item type the style has no bibliography form for


_RESULTS: dict[str, Formatted] = {}


def clear_cache() -> None:
    _RESULTS.clear()


def format_citations(library: Library, clusters: list[Cluster], style: str | Path = "chicago-notes-bibliography",
                     lang: str = "en-US", nocite: tuple[str, ...] = (), guide_root: Path | None = None,
                     link_citations: bool = False) -> Formatted:
    """Every cluster of a build and the bibliography, in one pandoc run; the same request
    again (another output of the build) is answered from the kept result. `link_citations`:
    each cited item links to its bibliography entry, at the anchor `ANCHOR` + id (pandoc's
    link-citations); `Rendered.plain_text`/`plain_note` are the same without those links."""
    chosen = resolve_style(style, guide_root)
    check_request(library, clusters, lang, nocite)
    key = request_key(library, clusters, chosen, lang, (nocite, link_citations))
    if key not in _RESULTS:
        _RESULTS[key] = kept_result(key) or run_citeproc(library, clusters, chosen, lang, nocite, link_citations)
        keep_result(key, _RESULTS[key])
    return _RESULTS[key]


def kept_result(key: str) -> Formatted | None:
    """The result of this very request, as an earlier process of the build kept it."""
    if not _cache_folder:
        return None
    try:
        data = json.loads((_cache_folder[0] / f"formatted-{key}.json").read_text(encoding="utf-8"))
        markup = lambda value: None if value is None else Markup(value)  # noqa: E731
        return Formatted(tuple(Rendered(*map(markup, r)) for r in data["clusters"]),
                         tuple(Entry(i, Markup(h)) for i, h in data["bibliography"]),
                         data["heading"], data["is_note_style"], tuple(data["warnings"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_result(key: str, result: Formatted) -> None:
    if not _cache_folder:
        return
    path = _cache_folder[0] / f"formatted-{key}.json"
    if path.exists():
        return
    data = {"clusters": [[r.text, r.note, r.plain_text, r.plain_note] for r in result.clusters],
            "bibliography": [[e.id, e.html] for e in result.bibliography], "heading": result.heading,
            "is_note_style": result.is_note_style, "warnings": list(result.warnings)}
    try:
        atomic_write(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except OSError:
        pass  # a read-only output folder: the build is only slower


def check_request(library: Library, clusters: list[Cluster], lang: str, nocite: tuple[str, ...]) -> None:
    known = library.ids
    cited = [c.id for cluster in clusters for c in cluster.items] + [i for i in nocite if i != "*"]
    missing = sorted(set(cited) - known)
    if missing:
        raise CiteprocError(f"cited but not in the library: {', '.join(missing)}")
    if not LANG_RE.match(lang):
        raise CiteprocError(f"'{lang}' is not a language tag (en-US, de-DE, fr)")
    for c in (c for cluster in clusters for c in cluster.items):
        if c.mode not in MODES or (c.locator and c.label not in LOCATOR_TERMS):
            raise CiteprocError(f"citation of '{c.id}': mode '{c.mode}' or locator label '{c.label}' is not CSL's")


def request_key(library: Library, clusters, style: Style, lang: str, nocite) -> str:
    text = json.dumps([library.items, library.markup, [[c.in_note, [vars(i) for i in c.items]] for c in clusters],
                       style.path.read_text(encoding="utf-8"), lang, list(nocite)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def run_citeproc(library: Library, clusters: list[Cluster], style: Style, lang: str, nocite,
                 link_citations: bool = False) -> Formatted:
    document = citeproc_document(library, clusters, lang, nocite)
    if link_citations:
        document["meta"]["link-citations"] = {"t": "MetaBool", "c": True}
    output, warnings = run_pandoc(["-f", "json", "-t", "json", f"--lua-filter={LUA_FILTER}", "--citeproc",
                                   f"--csl={style.path}"], json.dumps(document, ensure_ascii=False))
    blocks = json.loads(output)["blocks"]
    if link_citations and lang.startswith("en-US"):  # the en-US locale puts punctuation inside quotes
        punctuation_into_links(blocks)
    return Formatted(tuple(rendered_clusters(blocks, len(clusters))), tuple(bibliography(blocks)),
                     style.heading, style.is_note_style, tuple(warnings))


# The document: one paragraph per cluster, the Cite inside a Span with the cluster's number;
# clusters written in one footnote share a paragraph inside a Note; then the #refs Div.

def citeproc_document(library: Library, clusters: list[Cluster], lang: str, nocite) -> dict:
    items = list(library.items)
    if library.markup == "markdown":
        text, reader = markdown_library(items), "markdown"
    else:
        text, reader = json.dumps(items, ensure_ascii=False), "csljson"
    meta = {"library-text": {"t": "MetaString", "c": text}, "library-format": {"t": "MetaString", "c": reader},
            "lang": {"t": "MetaString", "c": lang}, "suppress-bibliography": {"t": "MetaBool", "c": False}}
    if nocite:
        meta["nocite"] = {"t": "MetaInlines", "c": [cite_inline([CitationItem(i) for i in nocite])]}
    return {"pandoc-api-version": PANDOC_API, "meta": meta,
            "blocks": cluster_blocks(clusters) + [{"t": "Div", "c": [["refs", [], []], []]}]}


def cluster_blocks(clusters: list[Cluster]) -> list[dict]:
    blocks, open_note = [], None
    for number, cluster in enumerate(clusters):
        span = {"t": "Span", "c": [[f"cluster-{number}", [], []], [cite_inline(cluster.items)]]}
        if cluster.in_note is None:
            blocks.append({"t": "Para", "c": [span]})
            open_note = None
        elif open_note is not None and open_note[0] == cluster.in_note:
            open_note[1].extend([{"t": "Space"}, span])
        else:
            open_note = (cluster.in_note, [span])
            blocks.append({"t": "Para", "c": [{"t": "Note", "c": [{"t": "Para", "c": open_note[1]}]}]})
    return blocks


def cite_inline(items) -> dict:
    citations = [{"citationId": c.id, "citationPrefix": emphasised(c.prefix), "citationSuffix": suffix_inlines(c),
                  "citationMode": {"t": MODES[c.mode]}, "citationNoteNum": 0, "citationHash": 0} for c in items]
    return {"t": "Cite", "c": [citations, []]}


def suffix_inlines(c: CitationItem) -> list[dict]:
    """pandoc reads the locator from the start of the suffix, after its label's term:
    ', page 4', ', chapter 2' (English terms; braces would drop the label)."""
    written = f", {LOCATOR_TERMS[c.label]} {c.locator}" if c.locator else ""
    return emphasised(written + c.suffix)


# *see especially*, **passim**, _ibid._: the emphasis an author writes in a prefix or a suffix
EMPHASIS_RE = re.compile(r"(\*\*|(?<!\w)__)(?=\S)(.+?)(?<=\S)\1(?!\w)|(\*|(?<!\w)_)(?=\S)(.+?)(?<=\S)\3(?!\w)")


def emphasised(text: str) -> list[dict]:
    """A prefix or suffix as pandoc's inlines, its *emphasis* and **strong emphasis** kept."""
    inlines, at = [], 0
    for match in EMPHASIS_RE.finditer(text):
        inlines += after_emphasis(inlines, text[at:match.start()])
        strong = match.group(1) is not None
        inlines.append({"t": "Strong" if strong else "Emph", "c": emphasised(match.group(2 if strong else 4))})
        at = match.end()
    return inlines + after_emphasis(inlines, text[at:])


def after_emphasis(inlines: list[dict], text: str) -> list[dict]:
    """The words of `text`, with the space that parts them from an emphasis before them."""
    space = [{"t": "Space"}] if inlines and inlines[-1]["t"] != "Space" and text.startswith(" ") else []
    return space + words(text.lstrip(" ") if space else text)


def words(text: str) -> list[dict]:
    """Text as pandoc's inlines: words (Str) and the spaces between them."""
    inlines: list[dict] = []
    for word in text.split(" "):
        if inlines and inlines[-1]["t"] != "Space":
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


def punctuation_into_links(node) -> None:
    """With link-citations, pandoc closes the link before the note's full stop, so "“Title”."
    is not turned into "“Title.”" as the en-US locale asks: the stop moves into the link here."""
    if isinstance(node, dict):
        return punctuation_into_links(node.get("c"))
    if not isinstance(node, list):
        return None
    for here, after in zip(node, node[1:]):
        if isinstance(here, dict) and here.get("t") == "Link" and isinstance(after, dict) and after.get("t") == "Str" \
                and after["c"][:1] in (".", ","):
            last = last_str(here["c"][1])
            if last is not None and last["c"].endswith("”"):
                last["c"] = last["c"][:-1] + after["c"][0] + "”"
                after["c"] = after["c"][1:]
    for child in node:
        punctuation_into_links(child)
    return None


def last_str(inlines: list) -> dict | None:
    """The last Str of inlines (inside spans and emphasis)."""
    for node in reversed(inlines):
        if node.get("t") == "Str":
            return node
        if node.get("t") == "Span":
            return last_str(node["c"][1])
        if node.get("t") in ("Emph", "Strong"):
            return last_str(node["c"])
        if node.get("t") != "Space":
            return None
    return None


def rendered_clusters(blocks: list[dict], count: int) -> list[Rendered]:
    spans = {}
    for span in walk(blocks, "Span"):
        name = span["c"][0][0]
        if name.startswith("cluster-"):
            spans[int(name.removeprefix("cluster-"))] = span["c"][1]
    return [rendered(spans.get(number, [])) for number in range(count)]


def rendered(inlines: list[dict]) -> Rendered:
    cite = inlines[0]["c"][1] if inlines and inlines[0]["t"] == "Cite" else inlines
    notes = [i for i in cite if i["t"] == "Note"]
    text = [i for i in cite if i["t"] != "Note"]
    def note_of(links: bool):
        return Markup(" ").join(blocks_html(n["c"], links=links) for n in notes) if notes else None
    return Rendered(inlines_html(text).strip(), note_of(True), inlines_html(text, links=False).strip(), note_of(False))


def bibliography(blocks: list[dict]) -> list[Entry]:
    refs = next((d for d in walk(blocks, "Div") if d["c"][0][0] == "refs"), None)
    if refs is None:
        return []
    return [Entry(div["c"][0][0].removeprefix("ref-"), blocks_html(div["c"][1]))
            for div in refs["c"][1] if div["t"] == "Div" and "csl-entry" in div["c"][0][1]]


def walk(node, kind: str):
    """Every element of the given kind in a pandoc JSON tree, outermost first."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child, kind)
    elif isinstance(node, dict) and "t" in node:
        if node["t"] == kind:
            yield node
        yield from walk(node.get("c"), kind)


# pandoc's inlines as HTML. Text is escaped; a nested italic is set roman, as CSL's
# flip-flop asks (a book title inside a book title); nocase and other spans of citeproc's
# own vanish, csl-* spans (csl-left-margin …) keep their class for the style sheet.

ANCHOR = "src-"  # a linked citation points at #src-<id>, the builder's anchor of the entry
TAGS = {"Strong": "b", "Superscript": "sup", "Subscript": "sub", "Strikeout": "s", "Underline": "u"}


def blocks_html(blocks: list[dict], links: bool = True) -> Markup:
    return Markup(" ").join(inlines_html(b["c"], links=links) for b in blocks if b["t"] in ("Para", "Plain"))


def inlines_html(inlines: list[dict], italic: bool = False, links: bool | None = True) -> Markup:
    return Markup("").join(inline_html(i, italic, links) for i in inlines)


def inline_html(node: dict, italic: bool, links: bool | None = True) -> Markup:
    kind, content = node["t"], node.get("c")
    if kind == "Str":
        return escape(content)
    if kind in ("Space", "SoftBreak"):
        return Markup(" ")
    if kind == "LineBreak":
        return Markup("<br>")
    if kind == "Emph":
        inner = inlines_html(content, not italic, links)
        return Markup('<span style="font-style:normal">{}</span>').format(inner) if italic else Markup("<i>{}</i>").format(inner)
    if kind in TAGS:
        return Markup(f"<{TAGS[kind]}>{{}}</{TAGS[kind]}>").format(inlines_html(content, italic, links))
    if kind == "SmallCaps":
        return Markup('<span class="smallcaps">{}</span>').format(inlines_html(content, italic, links))
    return wrapper_html(kind, content, italic, links)


def wrapper_html(kind: str, content, italic: bool, links: bool | None = True) -> Markup:
    if kind == "Span":
        classes = " ".join(c for c in content[0][1] if c.startswith("csl-"))
        inner = inlines_html(content[1], italic, links)
        return Markup('<span class="{}">{}</span>').format(classes, inner) if classes else inner
    if kind == "Link":  # links: None inside a link (no link inside another)
        target = content[2][0]
        if links is None:
            return inlines_html(content[1], italic, None)
        if target.startswith("#ref-"):  # link-citations: to the entry in the builder's source list
            if links:
                return Markup('<a href="#{}{}">{}</a>').format(ANCHOR, target[5:], inlines_html(content[1], italic, None))
            return inlines_html(content[1], italic, False)
        return Markup('<a href="{}">{}</a>').format(target, inlines_html(content[1], italic, None))
    if kind == "Quoted":
        opening, closing = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        return Markup("{}{}{}").format(opening, inlines_html(content[1], italic, links), closing)
    if kind in ("Code", "Math"):
        return escape(content[1])
    if kind == "Cite":
        return inlines_html(content[1], italic, links)
    return Markup("")  # RawInline (never trusted), Image, Note (taken apart by the caller)
