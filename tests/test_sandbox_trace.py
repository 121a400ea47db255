"""A build traced with strace: it opens nothing outside the guide, OUT, the project, Python
and its venv, and the system's libraries, fonts and settings, and connects nowhere."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT

pytestmark = pytest.mark.layout

SYSTEM = ("/usr/lib/", "/usr/share/", "/lib/", "/lib64/", "/usr/lib64/", "/etc/ld.so.", "/etc/fonts/",
          "/etc/localtime", "/etc/mime.types", "/etc/ssl/", "/etc/os-release", "/proc/self/", "/proc/filesystems",
          "/sys/", "/dev/null", "/dev/urandom", "/var/cache/fontconfig/", "/usr/local/share/fonts",
          "/etc/locale.alias")


def opened_paths(log: str) -> set[str]:
    """The paths a traced process opened for real (a failed look-up, ENOENT, reads nothing)."""
    found = set()
    for line in log.splitlines():
        match = re.search(r'open(?:at)?\((?:AT_FDCWD|\d+), "([^"]+)"', line)
        if match and "ENOENT" not in line and "ENOTDIR" not in line:
            found.add(os.path.realpath(match.group(1)))
    return found


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (tools/setup-system.sh test)")
def test_a_hostile_build_opens_nothing_outside_and_connects_nowhere(tmp_path):
    guide, out = tmp_path / "guide", tmp_path / "out"
    shutil.copytree(FIXTURES / "minimal", guide)
    (tmp_path / "secret.txt").write_text("TOP SECRET\n")
    chapter = guide / "chapters" / "01-danube.md"
    chapter.write_text(chapter.read_text() + '\nText <script>alert(1)</script> and <img src="x" onerror="alert(1)">.'
                       '\n<a href="https://example.org/x.png">a web page</a>\n')
    log = tmp_path / "trace.log"
    env = {**os.environ, "HOME": str(tmp_path / "home")}  # no cache of the user's outside the allowed set
    result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,connect", "-o", str(log),
                             sys.executable, str(ROOT / "build.py"), "all", "--guide", str(guide), "--out", str(out)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    allowed = tuple(os.path.realpath(p) + "/" for p in (guide, out, ROOT, sys.prefix, sys.base_prefix,
                                                       tmp_path / "home"))
    trace = log.read_text()
    outside = sorted(p for p in opened_paths(trace) if not (p + "/").startswith(allowed + SYSTEM))
    assert outside == [], outside
    assert "connect(" not in trace
    assert "TOP SECRET" not in (out / "rivers.html").read_text()


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed (tools/setup-system.sh test)")
def test_the_epub_after_its_pdf_reads_the_citations_the_pdf_build_formatted(tmp_path):
    """pandoc runs in the PDF's build; the EPUB's process (Make runs it after) finds its answers
    kept in OUT and runs no pandoc of its own."""
    out = tmp_path / "out"
    build = [sys.executable, str(ROOT / "build.py"), "--guide", str(FIXTURES / "minimal"), "--out", str(out)]

    def pandoc_runs(target: str) -> int:
        log = tmp_path / f"{target}.log"
        result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(log), build[0], build[1],
                                 target, *build[2:]], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return sum("pandoc" in line and "ENOENT" not in line for line in log.read_text().splitlines())

    assert pandoc_runs("pdf") >= 1
    assert pandoc_runs("epub") == 0
