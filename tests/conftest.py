"""Shared fixtures: guides built once per test session into temporary folders."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
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
            return {n: z.read(n).decode("utf-8") for n in z.namelist() if not n.endswith((".png", ".jpg"))}


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
    guide = load_guide(guide_dir)
    suffix = "-teacher" if options and options.teacher else ""
    return Built(guide, out / f"{guide.slug}{suffix}.pdf", out / f"{guide.slug}{suffix}.epub",
                 out / f"{guide.slug}{suffix}.html")


@pytest.fixture(scope="session")
def minimal(tmp_path_factory) -> Built:
    return build_all(FIXTURES / "minimal", tmp_path_factory.mktemp("minimal"))


@pytest.fixture(scope="session")
def default_guide(tmp_path_factory) -> Built:
    return build_all(ROOT / "content", tmp_path_factory.mktemp("default"))


def run_build(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})
