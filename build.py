#!/usr/bin/env python3
"""Build a study guide: content directory -> PDF, EPUB and HTML.

    python build.py pdf  [--guide DIR] [--out DIR] [--edition teacher] [--paper letter]
    python build.py epub [--guide DIR] [--out DIR]
    python build.py html [--guide DIR] [--out DIR]
    python build.py flashcards [--guide DIR] [--out DIR] [--paper letter]
    python build.py handouts [--chapter 01-background ...] [--edition student|teacher]
                                        # handouts and answer keys (one edition with --edition)
    python build.py all  [--guide DIR] [--out DIR] [--edition teacher]
                                        # every output of studyguide/outputs.py, in that edition
    python build.py check [--guide DIR]          # load and validate only; warnings fail
    python build.py new DIR                       # start a new guide from a scaffold

Exit codes: 0 success, 1 content error, 2 usage error.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from studyguide.citeproc import use_cache_folder as use_citeproc_cache
from studyguide.errors import ContentError
from studyguide.load import load_guide
from studyguide.model import Guide
from studyguide.outputs import EDITIONS, REGISTRY, Job, Output, build, named, progress
from studyguide.render import Options, PrintOptions, use_template_cache

HERE = Path(__file__).resolve().parent


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH when set; otherwise outputs take the guide's own date. Either way reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).replace(tzinfo=None)
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="build.py", description="Build a study guide as PDF, EPUB or HTML.")
    parser.add_argument("target", choices=[o.name for o in REGISTRY] + ["all", "check", "new"],
                        help="an output of studyguide/outputs.py, or 'all' of them ('check' validates only; "
                             "'new' starts a guide in --guide)")
    parser.add_argument("directory", nargs="?", help="for 'new': the folder to create")
    parser.add_argument("--guide", default=str(HERE / "content"), help="guide directory (default: content/)")
    parser.add_argument("--out", default=str(HERE / "build"), help="output directory (default: build/)")
    parser.add_argument("--edition", choices=list(EDITIONS),
                        help="default: student; for 'handouts', both the handouts and the answer keys")
    parser.add_argument("--paper", choices=["a4", "letter"], help="paper size (default: from guide.yaml)")
    parser.add_argument("--profile", choices=["standard", "large"], default="standard",
                        help="'large' sets body text at 16 pt for readers with low vision")
    parser.add_argument("--chapter", action="append", default=[], metavar="STEM",
                        help="handouts: only this chapter (its file name without .md); repeatable")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks")
    return parser.parse_args(argv)


def jobs(args: argparse.Namespace, guide: Guide) -> list[tuple[Output, Job]]:
    """Each output asked for, in each of its editions asked for (or built by default), in the
    registry's order: a PDF before the EPUB that reads its page map. 'all' is every output in
    one edition (student unless --edition): `make all` is 'all' in both."""
    if args.target == "check":
        return []
    every = args.target == "all"
    printing = PrintOptions(paper=args.paper or guide.paper, profile=args.profile)
    found = []
    for output in REGISTRY if every else [named(args.target)]:
        editions = [args.edition or "student"] if every else [args.edition] if args.edition else output.default_editions
        for edition in (e for e in editions if e in output.editions):
            options = Options(edition=edition, built=source_date_epoch())
            found.append((output, Job(Path(args.out), options, printing, tuple(args.chapter))))
    return found


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
    use_template_cache(Path(args.out) / ".templates")  # compiled templates, kept with the outputs
    for output, job in jobs(args, guide):
        warnings = build(output, guide, job)
        if args.strict and warnings:
            print(f"{len(warnings)} warning(s) in {output.name}; failing because of --strict", file=sys.stderr)
            return 1
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
