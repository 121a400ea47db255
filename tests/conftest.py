"""Shared fixtures: guides built once per test session into temporary folders."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))

from studyguide.load import load_guide  # noqa: E402
from studyguide.model import Guide  # noqa: E402
from studyguide.render import Options  # noqa: E402


@dataclass
class Built:
    guide: Guide
    pdf: Path
    epub: Path
    html: Path

    def pdf_text(self) -> str:
        return pdf_text(self.pdf)

    def epub_files(self) -> dict[str, str]:
        with zipfile.ZipFile(self.epub) as z:
            return {n: z.read(n).decode("utf-8") for n in z.namelist() if not n.endswith((".png", ".jpg", ".otf", ".ttf"))}


def epub_text(path: Path) -> str:
    """The XHTML of every document of an EPUB, one after the other."""
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))


def without_code(text: str) -> str:
    """XHTML with its code blocks and code spans taken out (code shows markup as typed)."""
    return re.sub(r"<pre\b.*?</pre>|<code\b[^>]*>.*?</code>", "", text, flags=re.S)


def page_with(path: Path, words: str) -> int:
    """The number of the first page of a PDF whose text holds `words`."""
    pages = pdf_text(path).split("\f")
    return next(number for number, text in enumerate(pages, 1) if words in " ".join(text.split()))


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = ["pdftotext", "-layout"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    text = subprocess.run(cmd + [str(path), "-"], check=True, capture_output=True, text=True).stdout
    return text.replace("\u2010", "-")  # WeasyPrint's hyphens


def build_all(guide_dir: Path, out: Path, options: Options | None = None) -> Built:
    sys_argv = ["all", "--guide", str(guide_dir), "--out", str(out)]
    if options and options.teacher:
        sys_argv += ["--edition", "teacher"]
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *sys_argv], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return built_in(guide_dir, out, options)


def built_in(guide_dir: Path, out: Path, options: Options | None = None) -> Built:
    """What `build_all` wrote to `out`."""
    guide = load_guide(guide_dir)
    suffix = "-teacher" if options and options.teacher else ""
    return Built(guide, out / f"{guide.slug}{suffix}.pdf", out / f"{guide.slug}{suffix}.epub",
                 out / f"{guide.slug}{suffix}.html")


def built_once(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """A folder that `build` fills once per test run, shared by pytest-xdist's workers: the
    first worker to ask builds it, under a lock; the others wait for it and read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".complete").touch()
    return folder


# Fixtures that lay out PDFs: a test using one belongs to the slow `layout` layer, as does a
# test marked `@pytest.mark.layout` (one that runs a PDF build itself). `pytest -m "not layout"`
# runs the fast rest.
LAYOUT_FIXTURES = {"minimal", "default_guide", "teacher", "handouts", "classroom"}


def pytest_collection_modifyitems(items):
    for item in items:
        if LAYOUT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.layout)


@pytest.fixture(scope="session")
def minimal(tmp_path_factory) -> Built:
    guide = FIXTURES / "minimal"
    return built_in(guide, built_once(tmp_path_factory, "minimal", lambda out: build_all(guide, out)))


@pytest.fixture(scope="session")
def default_guide(tmp_path_factory) -> Built:
    guide = ROOT / "content"
    return built_in(guide, built_once(tmp_path_factory, "default", lambda out: build_all(guide, out)))


def run_build(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})
