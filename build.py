#!/usr/bin/env python3
"""Build a study guide: content directory -> PDF, EPUB and HTML.

    python build.py pdf  [--guide DIR] [--out DIR] [--edition teacher] [--paper letter]
    python build.py epub [--guide DIR] [--out DIR]
    python build.py html [--guide DIR] [--out DIR]
    python build.py all  [--guide DIR] [--out DIR]
    python build.py handouts [--chapter 01-background ...] [--edition student|teacher]
                                        # handouts and answer keys (one edition with --edition)
    python build.py check [--guide DIR]          # load and validate only; warnings fail
    python build.py new DIR                       # start a new guide from a scaffold

Exit codes: 0 success, 1 content error, 2 usage error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from studyguide.citeproc import use_cache_folder as use_citeproc_cache
from studyguide.errors import ContentError
from studyguide.load import load_guide
from studyguide.model import Guide
from studyguide.render import Options, use_template_cache

HERE = Path(__file__).resolve().parent


def progress(message: str) -> None:
    print(f"[studyguide] {message}", file=sys.stderr, flush=True)


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH when set; otherwise outputs take the guide's own date. Either way reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return None


def output_name(guide: Guide, options: Options, extension: str) -> str:
    suffix = "-teacher" if options.teacher else ""
    return f"{guide.slug}{suffix}.{extension}"


def build_html(guide: Guide, options: Options, out: Path) -> Path:
    from studyguide.files import atomic_write
    from studyguide.render import render_print

    target = out / output_name(guide, options, "html")
    atomic_write(target, render_print(guide, options).encode("utf-8"))
    return target


def build_pdf(guide: Guide, options: Options, out: Path, strict: bool) -> Path:
    from studyguide.pdf import write_pdf

    target = out / output_name(guide, options, "pdf")
    progress(f"laying out {target.name} ({options.paper}, {options.profile})")
    started = time.perf_counter()
    warnings = write_pdf(guide, options, target)
    for warning in warnings:
        progress(f"WeasyPrint warning: {warning}")
    record_warnings(target, warnings)
    if strict and warnings:
        raise ContentError([])  # reported above; strict mode fails on them
    progress(f"wrote {target} in {time.perf_counter() - started:.1f} s")
    return target


def record_warnings(target: Path, warnings: list[str]) -> None:
    """Keep the layout warnings beside the output, for `make check` to fail on."""
    from studyguide.files import atomic_write

    sidecar = target.with_name(f".{target.name}.warnings")
    atomic_write(sidecar, "".join(f"{w}\n" for w in warnings).encode("utf-8"))


def build_epub(guide: Guide, options: Options, out: Path) -> Path:
    from studyguide.epub import write_epub
    from studyguide.pagelist import read_page_map
    from studyguide.render import render_print

    target = out / output_name(guide, options, "epub")
    pdf = out / output_name(guide, options, "pdf")
    page_map = read_page_map(pdf, render_print(guide, options))
    write_epub(guide, options, target, page_map)
    if page_map is None:
        progress(f"wrote {target} without a page list: build {pdf} first to give it the PDF's pages")
    else:
        progress(f"wrote {target}, its page list from {pdf.name}")
    return target


def build_handouts(guide: Guide, options: Options, out: Path, args: argparse.Namespace) -> None:
    """Student handouts and the teacher's answer keys (or those of --edition), in one process:
    one model, fonts loaded once."""
    from studyguide.handouts import COMBINED, combine, handout_folder, handout_path, write_handout

    by_stem = {c.source_path.stem: c for c in guide.chapters}
    unknown = [s for s in args.chapter if s not in by_stem]
    if unknown:
        raise SystemExit(f"build.py: unknown chapter {', '.join(unknown)} (chapters: {', '.join(by_stem)})")
    chosen = [by_stem[s] for s in args.chapter] or list(guide.chapters)
    editions = [args.edition] if args.edition else ["student", "teacher"]
    warnings = []
    for edition in editions:
        edition_options = replace(options, edition=edition)
        for chapter in chosen:
            target = handout_path(out, guide, chapter, edition_options)
            found = write_handout(guide, chapter, edition_options, target)
            for warning in found:
                print(f"warning: {warning}", file=sys.stderr)
            record_warnings(target, found)
            warnings += found
        parts = [handout_path(out, guide, c, edition_options) for c in guide.chapters]
        if all(p.exists() for p in parts):  # a partial first build has nothing complete to join yet
            combine(parts, handout_folder(out, guide, edition_options) / COMBINED)
    count = f"{len(chosen)} chapter" + ("s" if len(chosen) != 1 else "")
    for edition in editions:
        made = {"student": "handouts", "teacher": "answer keys"}[edition]
        progress(f"wrote the {made} of {count} to {handout_folder(out, guide, replace(options, edition=edition))}")
    if args.strict and warnings:
        raise ContentError([])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="build.py", description="Build a study guide as PDF, EPUB or HTML.")
    parser.add_argument("target", choices=["pdf", "epub", "html", "all", "handouts", "check", "new"],
                        help="what to build ('check' validates only; 'new' starts a guide in --guide)")
    parser.add_argument("directory", nargs="?", help="for 'new': the folder to create")
    parser.add_argument("--guide", default=str(HERE / "content"), help="guide directory (default: content/)")
    parser.add_argument("--out", default=str(HERE / "build"), help="output directory (default: build/)")
    parser.add_argument("--edition", choices=["student", "teacher"],
                        help="default: student; for 'handouts', both the handouts and the answer keys")
    parser.add_argument("--paper", choices=["a4", "letter"], help="paper size (default: from guide.yaml)")
    parser.add_argument("--profile", choices=["standard", "large"], default="standard",
                        help="'large' sets body text at 16 pt for readers with low vision")
    parser.add_argument("--chapter", action="append", default=[], metavar="STEM",
                        help="handouts: only this chapter (its file name without .md); repeatable")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    if args.target == "new":
        from studyguide.scaffold import create_guide

        folder = Path(args.directory or args.guide)
        create_guide(folder)
        progress(f"created a new guide in {folder}: build it with  make pdf GUIDE={folder}")
        return 0
    if args.target != "check":  # pandoc's citations, kept with the outputs for the next process
        use_citeproc_cache(Path(args.out) / ".citeproc")
    guide = load_guide(Path(args.guide))
    for warning in guide.warnings:
        print(warning, file=sys.stderr)
    if args.strict and guide.warnings:
        print(f"{len(guide.warnings)} warning(s); failing because of --strict", file=sys.stderr)
        return 1
    options = Options(edition=args.edition or "student", paper=args.paper or guide.paper, profile=args.profile,
                      built=source_date_epoch())
    out = Path(args.out)
    use_template_cache(out / ".templates")  # compiled templates, kept with the outputs
    if args.target in ("html", "all"):
        build_html(guide, options, out)
    if args.target in ("pdf", "all"):
        build_pdf(guide, options, out, args.strict)
    if args.target in ("epub", "all"):
        build_epub(guide, options, out)
    if args.target == "handouts":
        build_handouts(guide, options, out, args)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        if error.problems:
            print(f"{len(error.problems)} error(s); nothing was written", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C: one line; outputs are written whole or not at all
        print("interrupted: no output was left half-written", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - a clear line, not a traceback, unless --debug
        if args.debug:
            raise
        print(f"error: {type(error).__name__}: {error} (run with --debug for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
