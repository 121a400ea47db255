#!/usr/bin/env python3
"""SHA-256 of every output the builder writes, for the default guide and the fixtures that build.

    .venv/bin/python tools/output-hashes.py > hashes.txt                 # build all, print the hashes
    .venv/bin/python tools/output-hashes.py --compare hashes-before.txt  # and compare with a baseline

Each guide is copied to one fixed folder (warnings name its files by their path) and built
through build.py (the command line, which stays the same when the code behind it moves) with
SOURCE_DATE_EPOCH set, into a temporary folder, once for every paper
(a4, letter) and profile (standard, large): the PDF, EPUB and print HTML of both editions,
the handouts and the answer keys. Every file written is hashed, the warnings sidecars that
`make check` reads and the PDF's page map included; the build's caches (.templates,
.citeproc) and Make's own stamps are not outputs and are left out. One line per file:
`<sha256>  <guide>/<paper>-<profile>/<path>`.

With --compare, the lines are compared with a baseline's: every file of the baseline must be
there with the same hash; files the baseline does not have are listed as new. Exit 1 on any
difference.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = PROJECT / ".venv" / "bin" / "python"
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
# The default guide and the fixtures that build cleanly (real-myst is refused on purpose: an
# excerpt without its citation; hostile and libraries are not guides).
GUIDES = {
    "content": PROJECT / "content",
    "minimal": PROJECT / "tests/fixtures/minimal",
    "dialect": PROJECT / "tests/fixtures/dialect",
    "real-pandoc": PROJECT / "tests/fixtures/real-pandoc",
    "real-quarto": PROJECT / "tests/fixtures/real-quarto",
}
PAPERS = ("a4", "letter")
PROFILES = ("standard", "large")
# (target, edition) in the order Make runs them: each EPUB after the PDF whose pages it marks
RUNS = [("pdf", "student"), ("pdf", "teacher"), ("epub", "student"), ("epub", "teacher"),
        ("html", "student"), ("html", "teacher"), ("handouts", None)]
NOT_OUTPUTS = {".templates", ".citeproc"}
GUIDE_COPIES = Path(tempfile.gettempdir()) / "studyguide-output-hashes"


def build(guide: Path, out: Path, paper: str, profile: str) -> None:
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    for target, edition in RUNS:
        command = [str(PYTHON), str(PROJECT / "build.py"), target, "--guide", str(guide), "--out", str(out),
                   "--paper", paper, "--profile", profile] + (["--edition", edition] if edition else [])
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


def outputs(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file() and not NOT_OUTPUTS & set(p.relative_to(out).parts))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def guide_copies(guides: dict[str, Path]) -> dict[str, Path]:
    """Each guide copied to one fixed folder: warnings name the guide's files by their path,
    which must not depend on where the project lies (a copy of it, before and after a change)."""
    shutil.rmtree(GUIDE_COPIES, ignore_errors=True)
    for name, guide in guides.items():
        shutil.copytree(guide, GUIDE_COPIES / name)
    return {name: GUIDE_COPIES / name for name in guides}


def hash_lines(guides: dict[str, Path]) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory(prefix="output-hashes-") as temp:
        for name, guide in guide_copies(guides).items():
            for paper in PAPERS:
                for profile in PROFILES:
                    out = Path(temp) / name / f"{paper}-{profile}"
                    print(f"building {name} ({paper}, {profile})", file=sys.stderr, flush=True)
                    build(guide, out, paper, profile)
                    lines += [f"{sha256(p)}  {name}/{paper}-{profile}/{p.relative_to(out)}" for p in outputs(out)]
    return lines


def parse(lines: list[str]) -> dict[str, str]:
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line.strip())}


def compare(baseline: dict[str, str], now: dict[str, str]) -> int:
    same = [p for p in baseline if now.get(p) == baseline[p]]
    changed = [p for p in baseline if p in now and now[p] != baseline[p]]
    missing = [p for p in baseline if p not in now]
    new = [p for p in now if p not in baseline]
    for label, paths in (("CHANGED", changed), ("MISSING", missing), ("new", new)):
        for path in paths:
            print(f"{label}: {path}", file=sys.stderr)
    print(f"{len(same)} of {len(baseline)} files byte-identical, {len(changed)} changed, {len(missing)} missing, "
          f"{len(new)} new", file=sys.stderr)
    return 1 if changed or missing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="a baseline written by this script")
    parser.add_argument("--guide", action="append", choices=sorted(GUIDES), help="only this guide (repeatable)")
    parser.add_argument("--write", type=Path, help="also write the hashes to this file")
    args = parser.parse_args()
    guides = {name: GUIDES[name] for name in (args.guide or GUIDES)}
    lines = hash_lines(guides)
    text = "".join(f"{line}\n" for line in lines)
    sys.stdout.write(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    if args.compare:
        return compare(parse(args.compare.read_text(encoding="utf-8").splitlines()), parse(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
