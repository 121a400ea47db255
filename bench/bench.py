"""`make bench`: speed and memory of the builder, side by side with its floor and its peer.

For the default guide and synthetic guides 4x and 16x its size (real structure: chapters,
glossary terms, citations, questions, figures), it measures, as medians of BENCH_RUNS runs
(default 3), wall time and peak memory of:

  ours-pdf     python build.py pdf                      (the whole pipeline)
  wp-ours      WeasyPrint alone on build/<slug>.html     (the layout floor, same PDF variant)
  wp-pandoc    WeasyPrint alone on pandoc's standalone HTML of the same chapters
  wp-startup   WeasyPrint alone on a one-line document  (start-up, left out of a second per-page ratio)
  ours-epub    python build.py epub
  pandoc-epub  pandoc --toc --citeproc to EPUB           (pandoc 3 from pypandoc-binary)

and, at 1x, the classroom set (make -j2 all) against the student PDF alone, and incremental
Make runs. Ratios, not absolute times, are what to compare: these machines are noisy.
WeasyPrint alone runs with studyguide/layout_fixes.py installed, as the build runs it, on
both HTML files: the floor is the layout engine the build uses, not the pipeline around it.

    BENCH_SIZES=1,4,16 BENCH_RUNS=3 python bench/bench.py
"""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
VARIANT = "pdf/ua-1"
WEASYPRINT_ALONE = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import weasyprint; "
                    "from studyguide import layout_fixes; layout_fixes.apply(); "
                    "weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2])"
                    f".write_pdf(sys.argv[3], pdf_variant={VARIANT!r})")


def pandoc() -> str:
    try:
        import pypandoc
    except ImportError:
        subprocess.run([PY, "-m", "pip", "install", "-q", "pypandoc-binary"], check=True)
        import pypandoc
    return pypandoc.get_pandoc_path()


# --- synthetic guides -------------------------------------------------------------------------

def synthetic_guide(scale: int, dest: Path) -> Path:
    """The default guide with its chapters (and the figures they place) repeated `scale` times."""
    source = ROOT / "content"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    if scale == 1:
        return dest
    chapters = sorted((source / "chapters").glob("*.md"))
    for old in (dest / "chapters").glob("*.md"):
        old.unlink()
    figures = (source / "figures.yaml").read_text(encoding="utf-8")
    extra_figures = []
    for copy in range(scale):
        for index, path in enumerate(chapters):
            number = copy * len(chapters) + index + 1
            slug = re.sub(r"^\d+-", "", path.stem) + (f"-{copy + 1}" if copy else "")
            text = path.read_text(encoding="utf-8")
            if copy:
                text = re.sub(r"\[\[figure:([\w-]+)\]\]", rf"[[figure:\1-{copy + 1}]]", text)
                text = re.sub(r"\[\[fig:(?!timeline)([\w-]+)\]\]", rf"[[fig:\1-{copy + 1}]]", text)
            (dest / "chapters" / f"{number:03d}-{slug}.md").write_text(text, encoding="utf-8")
        if copy:
            for block in re.split(r"\n(?=- id: )", figures):
                if block.startswith("- id: ") and "kind: timeline" not in block:
                    extra_figures.append(re.sub(r"^- id: ([\w-]+)", rf"- id: \1-{copy + 1}", block))
    (dest / "figures.yaml").write_text(figures + "\n" + "\n".join(extra_figures), encoding="utf-8")
    return dest


# --- measuring --------------------------------------------------------------------------------

@dataclass
class Measure:
    """The median wall seconds over the runs, and the largest peak memory (MB) of any
    process of the command."""

    wall: float
    mb: float


def run(cmd: list[str], cwd: Path = ROOT) -> Measure:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{stderr[-2000:]}")
    return Measure(seconds, usage.ru_maxrss / 1024)


def interleaved(commands: dict[str, list[str]], runs: int, cwd: Path = ROOT) -> dict[str, Measure]:
    """Each command once per round, round after round, so that a noisy spell on the machine
    falls on all of them alike rather than on one command's consecutive runs."""
    results: dict[str, list[Measure]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            results[name].append(run(cmd, cwd))
    return {name: Measure(statistics.median(m.wall for m in ms), max(m.mb for m in ms))
            for name, ms in results.items()}


def pages(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as document:
        return len(document.pages)


def csl_json(guide: Path, target: Path) -> Path:
    """The guide's library as CSL-JSON, as the builder reads it (through pandoc)."""
    from studyguide.errors import Problems
    from studyguide.load import load_sources

    library, _ = load_sources(guide, Problems())
    target.write_text(json.dumps(list(library.items), default=str), encoding="utf-8")
    return target


def measure_size(scale: int, runs: int, work: Path) -> dict:
    guide = synthetic_guide(scale, work / f"guide-{scale}x")
    out = work / f"out-{scale}x"
    slug = "great-leap-forward"
    build = [PY, str(ROOT / "build.py")]
    run([*build, "html", "--guide", str(guide), "--out", str(out)])
    chapters = sorted(str(p) for p in (guide / "chapters").glob("*.md"))
    refs = csl_json(guide, work / f"refs-{scale}x.json")
    pandoc_cmd = [pandoc(), *chapters, "--citeproc", "--bibliography", str(refs),
                  f"--csl={ROOT / 'styles' / 'csl' / 'chicago-notes-bibliography.csl'}", "--metadata", "title=Benchmark"]
    run([*pandoc_cmd, "-s", "-o", str(out / "pandoc.html")])
    (out / "one-line.html").write_text("<p>One line.</p>", encoding="utf-8")
    result = interleaved({
        "ours_pdf": [*build, "pdf", "--guide", str(guide), "--out", str(out)],
        "wp_ours": [PY, "-c", WEASYPRINT_ALONE, str(out / f"{slug}.html"), str(guide) + "/", str(out / "wp-ours.pdf")],
        "wp_pandoc": [PY, "-c", WEASYPRINT_ALONE, str(out / "pandoc.html"), str(guide) + "/", str(out / "wp-pandoc.pdf")],
        # WeasyPrint's start-up: interpreter, imports, fonts, a one-line document
        "wp_startup": [PY, "-c", WEASYPRINT_ALONE, str(out / "one-line.html"), str(guide) + "/", str(out / "one.pdf")],
        # after its PDF, as Make runs it: the citations the PDF's build formatted are kept in OUT
        "ours_epub": [*build, "epub", "--guide", str(guide), "--out", str(out)],
        # with nothing kept (for information): pandoc's citeproc runs in the EPUB's own process
        "ours_epub_cold": ["sh", "-c", 'rm -rf "$2" && exec "$0" "$1" epub --guide "$3" --out "$2"', PY,
                           str(ROOT / "build.py"), str(work / f"cold-{scale}x"), str(guide)],
        "pandoc_epub": [*pandoc_cmd, "--toc", "-o", str(out / "pandoc.epub")],
    }, runs)
    return {"scale": scale, "pages": pages(out / f"{slug}.pdf"), "pandoc_pages": pages(out / "wp-pandoc.pdf"), **result}


def measure_make(runs: int, work: Path) -> dict:
    """At 1x: the classroom set against the student PDF, and incremental rebuilds."""
    guide = synthetic_guide(1, work / "guide-make")

    def make(*args: str) -> list[str]:
        return ["make", "--no-print-directory", f"GUIDE={guide}", *args]

    def fresh(out: str, *targets: str) -> Measure:
        shutil.rmtree(work / out, ignore_errors=True)
        return run(make(f"OUT={work / out}", *targets))

    pdf_alone, classroom = [], []
    for _ in range(runs):
        pdf_alone.append(fresh("make-pdf", "pdf").wall)
        classroom.append(fresh("make-all", "-j2", "all").wall)
    noop = statistics.median(run(make(f"OUT={work / 'make-all'}", "all")).wall for _ in range(runs))
    chapter = sorted((guide / "chapters").glob("*.md"))[2]
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    rebuilt = subprocess.run(make(f"OUT={work / 'make-all'}", "all"), cwd=ROOT, capture_output=True, text=True).stdout
    commands = [line for line in rebuilt.splitlines() if "build.py" in line]
    return {"pdf_alone": statistics.median(pdf_alone), "classroom": statistics.median(classroom), "noop": noop,
            "after_edit": [re.sub(r" --guide \S+ --out \S+ --profile \S+", "", c) for c in commands]}


# --- report -----------------------------------------------------------------------------------

def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def ratios(r: dict) -> dict[str, float]:
    """The issue's ratios for one size."""
    t = {name: r[name].wall for name in ("ours_pdf", "wp_ours", "wp_pandoc", "ours_epub", "pandoc_epub")}
    startup = r["wp_startup"].wall
    return {"overhead": t["ours_pdf"] / t["wp_ours"],
            "per_page": (t["wp_ours"] / r["pages"]) / (t["wp_pandoc"] / r["pandoc_pages"]),
            "per_page_net": ((t["wp_ours"] - startup) / r["pages"]) / ((t["wp_pandoc"] - startup) / r["pandoc_pages"]),
            "epub": t["ours_epub"] / t["pandoc_epub"],
            "memory": r["ours_pdf"].mb / r["wp_ours"].mb}


def report(sizes: list[dict], make: dict | None) -> str:
    lines = ["| size | pages | ours PDF s (MB) | WeasyPrint alone s (MB) | pandoc HTML + WeasyPrint s (pages) "
             "| ours EPUB s | pandoc EPUB s | overhead | s/page vs pandoc | EPUB vs pandoc |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sizes:
        q = ratios(r)
        lines.append(f"| {r['scale']}x | {r['pages']} | {r['ours_pdf'].wall:.2f} ({r['ours_pdf'].mb:.0f}) "
                     f"| {r['wp_ours'].wall:.2f} ({r['wp_ours'].mb:.0f}) | {r['wp_pandoc'].wall:.2f} ({r['pandoc_pages']}) "
                     f"| {r['ours_epub'].wall:.2f} | {r['pandoc_epub'].wall:.2f} | {q['overhead']:.2f} "
                     f"| {q['per_page']:.2f} | {q['epub']:.2f} |")
    lines.append("")
    targets = [("overhead", "Overhead (ours PDF / WeasyPrint alone)", 1.10),
               ("memory", "Peak memory (ours PDF / WeasyPrint alone)", 1.05),
               ("epub", "EPUB against pandoc --citeproc", 0.8)]
    for key, label, bound in targets:
        values = [ratios(r)[key] for r in sizes]
        lines.append(f"- {label} (target ≤ {bound}): "
                     + ", ".join(f"{r['scale']}x {v:.2f}" for r, v in zip(sizes, values))
                     + f" — {verdict(all(v <= bound for v in values))}")
    lines.append("- EPUB with nothing kept from the PDF's build, against pandoc (for information): "
                 + ", ".join(f"{r['scale']}x {r['ours_epub_cold'].wall / r['pandoc_epub'].wall:.2f}" for r in sizes))
    # retired as a target (it compared a study guide's pages with plain running text); kept for information
    lines.append("- Layout cost per page against pandoc's HTML (for information): "
                 + ", ".join(f"{r['scale']}x {ratios(r)['per_page']:.2f}" for r in sizes)
                 + "; with WeasyPrint's start-up (" + ", ".join(f"{r['wp_startup'].wall:.2f} s" for r in sizes)
                 + ") left out of both: " + ", ".join(f"{r['scale']}x {ratios(r)['per_page_net']:.2f}" for r in sizes))
    base = sizes[0]
    for r in sizes[1:]:
        factor = r["scale"] / base["scale"]
        growth = r["ours_pdf"].wall / base["ours_pdf"].wall
        lines.append(f"- Growth {base['scale']}x → {r['scale']}x: {growth:.1f}x the time for {factor:.0f}x the content "
                     f"(target ≤ {1.0625 * factor:.1f}x) — {verdict(growth <= 1.0625 * factor)}; "
                     f"peak memory {r['ours_pdf'].mb:.0f} MB")
    if make:
        ratio = make["classroom"] / make["pdf_alone"]
        lines.append(f"- Classroom set: make -j2 all {make['classroom']:.1f} s against make pdf {make['pdf_alone']:.1f} s: "
                     f"{ratio:.2f}x (target ≤ 2.0) — {verdict(ratio <= 2.0)}")
        lines.append(f"- Incremental: make all with nothing changed {make['noop']:.2f} s (target < 0.3 s) — "
                     f"{verdict(make['noop'] < 0.3)}")
        lines.append(f"- After editing one chapter, make all ran: " + "; ".join(make["after_edit"]))
    return "\n".join(lines)


def main() -> int:
    # Our builds are measured as a teacher's machine runs them, with Python's compiled modules
    # kept in __pycache__; a shell that sets PYTHONDONTWRITEBYTECODE (this workplace's does) would
    # make every build compile the whole package again (about 60 ms a process).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "1,4,16").split(",")]
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    with tempfile.TemporaryDirectory(prefix="studyguide-bench-") as tmp:
        work = Path(tmp)
        results = []
        for scale in sizes:
            print(f"[bench] {scale}x …", file=sys.stderr, flush=True)
            results.append(measure_size(scale, runs, work))
        print("[bench] make …", file=sys.stderr, flush=True)
        make = measure_make(runs, work) if 1 in sizes else None
    text = report(results, make)
    print(text)
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "bench.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
