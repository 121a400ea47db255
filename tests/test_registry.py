"""The registry of outputs (studyguide/outputs.py) and what must agree with it: build.py's
choices, `make help`, the Makefile's rules and `make all`; and the rules the writers keep:
no writer imports another, no epub:type in the model, charts drawn when rendered."""
from __future__ import annotations

import ast
import re
import subprocess

from conftest import FIXTURES, ROOT, run_build
from studyguide.load import load_guide
from studyguide.outputs import REGISTRY

COMMAND_RE = re.compile(r"build\.py (\w+)(?: --edition (\w+))?")


def make(*args: str) -> str:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def test_the_command_line_offers_the_registry():
    usage = run_build("--help").stdout
    choices = re.search(r"^  \{([\w,]+)\}", usage, re.M).group(1).split(",")  # the positional target
    assert choices == [o.name for o in REGISTRY] + ["all", "check", "new"]


def test_make_help_lists_every_output():
    shown = re.findall(r"^  make (\w+) ", make("help"), re.M)
    assert [o.name for o in REGISTRY] == [name for name in shown if name in {o.name for o in REGISTRY}]
    assert set(shown) >= {o.name for o in REGISTRY}


def test_make_builds_each_output_with_its_own_target(tmp_path):
    for output in REGISTRY:
        commands = COMMAND_RE.findall(make("-n", output.name, f"OUT={tmp_path}", f"GUIDE={FIXTURES / 'minimal'}"))
        assert output.name in {name for name, _ in commands}, (output.name, commands)


def test_make_all_is_every_output_in_every_edition_and_each_epub_after_its_pdf(tmp_path):
    run = make("-n", "all", f"OUT={tmp_path}", f"GUIDE={FIXTURES / 'minimal'}")
    commands = [(name, edition or "student") for name, edition in COMMAND_RE.findall(run)]
    assert sorted(commands) == sorted((o.name, e) for o in REGISTRY for e in o.editions)
    for output in (o for o in REGISTRY if o.after):
        for edition in output.editions:
            assert commands.index((output.after, edition)) < commands.index((output.name, edition))


def imported_modules(path) -> set[str]:
    """The studyguide modules a module imports (relative or by name)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x / from .x import y
                found |= {f"studyguide.{base}"} if base else {f"studyguide.{a.name}" for a in node.names}
            elif base.startswith("studyguide"):
                found |= {base} | {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("studyguide")}
    return found


def test_no_writer_imports_another_writer():
    writers = {o.writer for o in REGISTRY}
    for writer in writers:
        path = ROOT / (writer.replace(".", "/") + ".py")
        assert not imported_modules(path) & (writers - {writer}), writer


def test_the_loader_draws_no_chart_and_the_pdf_writes_no_page_map():
    assert "studyguide.pagelist" not in imported_modules(ROOT / "studyguide/pdf.py")
    load = (ROOT / "studyguide/load.py").read_text(encoding="utf-8")
    assert not re.search(r"\b(bar_chart|line_chart|proportion_chart|timeline|draw)\(", load)


def test_no_epub_vocabulary_in_the_model():
    for guide in (ROOT / "content", FIXTURES / "minimal", FIXTURES / "dialect"):
        assert "epub:type" not in repr(load_guide(guide))


def test_the_print_html_holds_no_epub_vocabulary(minimal):
    assert "epub:type" not in minimal.html.read_text(encoding="utf-8")
    assert 'role="doc-glossref"' in minimal.html.read_text(encoding="utf-8")
