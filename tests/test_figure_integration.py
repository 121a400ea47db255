"""Figures in the guide: placed, numbered, cross-referenced, listed, and the same SVG in both outputs."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import FIXTURES, pdf_text, run_build
from studyguide.errors import ContentError
from studyguide.figures import draw
from studyguide.load import load_guide


def test_default_pdf_has_numbered_figures_a_list_and_a_text_timeline(default_guide):
    guide = default_guide.guide
    assert [f.kind for f in guide.figures].count("timeline") == 1 and len(guide.figures) >= 3
    text = " ".join(default_guide.pdf_text().split())
    for figure in guide.figures:
        assert f"Figure {figure.number}. {figure.title}." in text
    assert "List of figures" in text
    lof = text[text.index("List of figures"):]
    assert re.search(r"1 From cooperatives to communes, fall 1958 \.*\s*\d+", lof)
    # The timeline's axis years are real text: 1954, 1956 and 1957 have no event, so only the
    # SVG axis can put them in the PDF's text.
    timeline_page = next(pdf_text(default_guide.pdf, p, p) for p in range(1, 60)
                         if "Figure 4. Timeline" in pdf_text(default_guide.pdf, p, p))
    axis = [int(y) for y in re.findall(r"^\s*(19\d\d)\b", timeline_page, re.M)]  # a year opens each of its lines
    assert {1954, 1956, 1957} <= set(axis)
    assert "Lushan Conference" in text and "Figure 1 shows the difference in scale" in text


def test_default_epub_figures_are_inline_svg_with_alternatives(default_guide):
    files = default_guide.epub_files()
    opf = next(t for n, t in files.items() if n.endswith(".opf"))
    launch = files["EPUB/02-launch.xhtml"]
    assert "<svg" in launch and 'class="figure-data"' in launch and "Data for Figure 1" in launch
    assert re.search(r'href="02-launch.xhtml"[^>]*properties="svg"|properties="svg"[^>]*href="02-launch.xhtml"', opf)
    assert re.search(r'<title id="fig-communes-title">Bar chart comparing', launch)
    nav = files["EPUB/nav.xhtml"]
    assert 'epub:type="lof"' in nav and "Figure 4. Timeline of the Great Leap Forward" in nav
    assert 'href="timeline.xhtml#fig-timeline"' in files["EPUB/01-background.xhtml"]  # a cross-document reference


@pytest.fixture
def guide(tmp_path):
    target = tmp_path / "guide"
    shutil.copytree(FIXTURES / "minimal", target)
    (target / "figures.yaml").write_text(
        "- id: lengths\n  kind: bar\n  title: River lengths\n  alt: Bar chart of river lengths.\n"
        "  unit: km\n  data:\n    - {label: Danube, value: 2850}\n    - {label: Rhine, value: 1230}\n"
        "  source: smith2001\n")
    return target


def add_to_chapter(guide, text):
    path = guide / "chapters" / "01-danube.md"
    path.write_text(path.read_text() + text)
    return path


def test_figure_placed_and_referenced(guide):
    add_to_chapter(guide, "\nAs [[fig:lengths]] shows, it is long.\n\n[[figure:lengths]]\n")
    loaded = load_guide(guide)
    assert [f.number for f in loaded.figures] == [1]
    body = str(loaded.chapter("danube").body)
    assert '<a class="figref" href="#fig-lengths">Figure\xa01</a>' in body and 'data-figure="lengths"' in body
    assert loaded.chapter("danube").figure_ids == ("lengths",)


def test_unknown_figure_reference_is_a_file_line_error(guide):
    path = add_to_chapter(guide, "\nSee [[fig:widths]].\n\n[[figure:lengths]]\n")
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    line = next(i for i, t in enumerate(path.read_text().split("\n"), 1) if "[[fig:widths]]" in t)
    assert f"{path}:{line}: unknown figure 'widths' in '[[fig:widths]]'" in str(caught.value)


def test_figure_never_placed_is_a_warning(guide):
    loaded = load_guide(guide)
    assert any("figure 'lengths' is never placed" in w for w in loaded.warnings)


def test_figure_needs_alt_text(guide):
    path = guide / "figures.yaml"
    path.write_text(path.read_text().replace("  alt: Bar chart of river lengths.\n", ""))
    add_to_chapter(guide, "\n[[figure:lengths]]\n")
    with pytest.raises(ContentError) as caught:
        load_guide(guide)
    assert f"{path}:1: figure 'lengths' needs 'alt'" in str(caught.value)


def test_a_proportion_chart_data_table_holds_every_part_the_chart_draws(guide):
    """The data table is the chart's text alternative: the part drawn as outlines (what is left
    of 100) is a row too."""
    (guide / "figures.yaml").write_text(
        "- id: share\n  kind: proportion\n  title: Share of the river basin\n  alt: Grid of 100 squares.\n"
        "  data:\n    - {label: Forest, value: 30}\n    - {label: Farmland, value: 45}\n"
        "  rest: Towns and water\n  source: smith2001\n")
    add_to_chapter(guide, "\n\n[[figure:share]]\n")
    figure = load_guide(guide).figures[0]
    assert figure.rows == (("Forest", "30%"), ("Farmland", "45%"), ("Towns and water", "25%"))
    svg = draw(figure)  # drawn when rendered, from the data the model holds
    assert "Towns and water" in svg and "25%" in svg


def test_a_data_table_is_headed_by_what_the_chart_shows_or_by_the_guide_s_own_columns(guide, tmp_path):
    add_to_chapter(guide, "\n\n[[figure:lengths]]\n")
    assert load_guide(guide).figures[0].columns == ("Item", "Km")  # the unit, by default
    figures = guide / "figures.yaml"
    figures.write_text(figures.read_text() + "  columns: [River, Length (km)]\n")
    assert load_guide(guide).figures[0].columns == ("River", "Length (km)")
    result = run_build("html", "--guide", str(guide), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '<th scope="col">River</th><th scope="col">Length (km)</th>' in next(tmp_path.glob("*.html")).read_text()


# --- the data table: the EPUB's text alternative; in print, the chart's tagged /Alt -----------

def structure_elements(pdf_path) -> list[dict]:
    """Every structure element of a tagged PDF, in tree order: its tag (S), and its Alt, ID and
    attributes' Scope where it has them, as text."""
    import pikepdf

    found = []

    def walk(element):
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            attributes = element.get("/A")
            scope = attributes.get("/Scope") if isinstance(attributes, pikepdf.Dictionary) else None
            found.append({"S": str(element.S), "Alt": str(element.get("/Alt", "")),
                          "ID": str(element.get("/ID", "")), "Scope": str(scope) if scope is not None else None})
        kids = element.get("/K") if isinstance(element, pikepdf.Dictionary) else None
        for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
            walk(kid)

    with pikepdf.open(pdf_path) as pdf:
        walk(pdf.Root.StructTreeRoot)
    return found


def test_print_shows_no_chart_data_table_but_the_chart_s_alt_carries_its_data(default_guide):
    guide = default_guide.guide
    charts = [f for f in guide.figures if f.kind in ("bar", "line", "proportion")]
    assert charts
    text = " ".join(default_guide.pdf_text().split())
    assert "Data for Figure" not in text
    alts = [e["Alt"] for e in structure_elements(default_guide.pdf) if e["S"] == "/Figure"]
    for figure in charts:
        [alt] = [a for a in alts if a.startswith(figure.alt)]
        for label, value in figure.rows:
            assert f"{label}, {value}" in alt, (figure.id, label)
    # the e-book keeps the table, with every row
    epub = "\n".join(default_guide.epub_files().values())
    for figure in charts:
        table = re.search(rf"<caption>Data for Figure {figure.number}</caption>(.*?)</table>", epub, re.S).group(1)
        for label, value in figure.rows:
            assert f'<th scope="row">{label}</th><td>{value}</td>' in table.replace("&amp;", "&")


def test_every_table_header_cell_has_a_scope_and_every_footnote_is_a_note(default_guide):
    elements = structure_elements(default_guide.pdf)
    headers = [e for e in elements if e["S"] == "/TH"]
    scopes = [e["Scope"] for e in headers]
    assert headers and set(scopes) == {"/Row", "/Column"}, set(scopes)  # none without
    html = default_guide.html.read_text()
    notes = [e for e in elements if e["S"] == "/Note"]
    assert len(notes) == html.count('<span class="footnote">') > 0
    assert len({e["ID"] for e in notes}) == len(notes) and all(e["ID"] for e in notes)  # PDF/UA-1 7.9: each note has its own ID


def test_the_default_timeline_gives_every_mark_its_place(default_guide):
    from test_figures import check_timeline_drawing

    [timeline] = [f for f in default_guide.guide.figures if f.kind == "timeline"]
    check_timeline_drawing(draw(timeline), 1953)


# Measured in Chromium (puppeteer, which Ace by DAISY brings): the smallest text of each chart
# in CSS px, at a viewport 360 px (a phone) and 1280 px wide.
MEASURE = """
const puppeteer = require("puppeteer");
(async () => {
  const [url, ...widths] = process.argv.slice(1);
  const browser = await puppeteer.launch({executablePath: "/usr/bin/chromium", args: ["--no-sandbox"]});
  const page = await browser.newPage();
  const result = {};
  for (const width of widths) {
    await page.setViewport({width: Number(width), height: 800});
    await page.goto(url, {waitUntil: "load"});
    result[width] = await page.evaluate(() => Array.from(document.querySelectorAll("svg.chart"), svg =>
      Math.min(...Array.from(svg.querySelectorAll("text"),
                             t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))));
  }
  console.log(JSON.stringify(result));
  await browser.close();
})();
"""


def test_epub_chart_labels_are_at_least_12_px_on_a_phone_in_chromium(default_guide, tmp_path):
    import json
    import subprocess
    import zipfile

    from conftest import ROOT

    if not (ROOT / "node_modules" / "puppeteer").exists() or not shutil.which("chromium"):
        pytest.skip("needs puppeteer (npm ci) and chromium")
    zipfile.ZipFile(default_guide.epub).extractall(tmp_path)
    pages = [p for p in sorted((tmp_path / "EPUB").glob("*.xhtml")) if 'class="chart"' in p.read_text()]
    assert len(pages) >= 2
    for page in pages:
        done = subprocess.run(["node", "-e", MEASURE, page.as_uri(), "360", "1280"], capture_output=True,
                              text=True, timeout=120, env={**__import__("os").environ,
                                                           "NODE_PATH": str(ROOT / "node_modules")})
        assert done.returncode == 0, done.stderr
        sizes = json.loads(done.stdout)
        assert sizes["360"] and min(sizes["360"]) >= 12, (page.name, sizes)
        assert min(sizes["1280"]) >= 14, (page.name, sizes)  # at its 26em cap, near the text's 16 px
