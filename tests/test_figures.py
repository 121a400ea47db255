"""Charts as SVG strings: well-formed, accessible, photocopier-safe, and laid out without overlaps."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from studyguide.figures import (Datum, Mark, bar_chart, line_chart, proportion_chart, timeline,
                                timeline_layout)

SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"

COMMUNES = [Datum("Agricultural producers' cooperatives", 750000, "some 750,000"),
            Datum("People's communes", 23500, "about 23,500")]
DEATHS = [Datum("Dikötter: at least", 45, "at least 45 million"), Datum("Somin: up to", 45, "up to 45 million"),
          Datum("Earlier standard estimates (per Somin)", 30, "30 million or more")]
KILLED = [Datum("6 per cent (low estimate)", 6), Datum("up to 8 per cent (high estimate)", 2)]
GRAIN = [Datum("1957", 195), Datum("1958", 200), Datum("1959", 170), Datum("1960", 143.5, "143.5 Mt")]
EVENTS = [Mark("1953", "First Five-Year Plan"), Mark("1953", "Ji Yun's article"),
          Mark("1955-07", "Mao's speech on cooperation"), Mark("1958", "General Line"),
          Mark("1958", "Communes formed"), Mark("1959-04", "Liu Shaoqi succeeds Mao as chairman"),
          Mark("1959-07", "Lushan Conference", "#ch-lushan"), Mark("1959-10", "Famine in Xinyang"),
          Mark("1960", "Population falls by 10 million"), Mark("1962", "End of the Great Leap")]


def all_charts() -> dict[str, str]:
    return {
        "communes": bar_chart("fig-communes", "From cooperatives to communes, fall 1958", COMMUNES),
        "deaths": bar_chart("fig-deaths", "Estimates of deaths in the famine, 1958–1962 (millions)", DEATHS,
                            unit="millions"),
        "killed": proportion_chart("fig-killed", "Victims killed, by Dikötter's estimate", KILLED),
        "grain": line_chart("fig-grain", "Grain output & <procurement>", GRAIN, unit="million tonnes"),
        "timeline": timeline("fig-timeline", "The Great Leap, 1953–1962", EVENTS, 1953, 1962),
    }


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", list(all_charts()))
def test_root_is_accessible_scalable_svg(name):
    root = ET.fromstring(all_charts()[name])
    fig_id = root.find(f"{SVG}title").get("id").removesuffix("-title")
    assert root.tag == f"{SVG}svg"
    assert root.get("version") == "1.1" and root.get("width") == "100%" and root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    has_links = root.find(f".//{SVG}a") is not None
    assert root.get("role") == ("group" if has_links else "img") and root.get("class") == "chart"
    assert root.get("aria-labelledby") == f"{fig_id}-title {fig_id}-desc"
    assert root.find(f"{SVG}desc").get("id") == f"{fig_id}-desc"
    assert "px" not in all_charts()[name]


@pytest.mark.parametrize("name, data", [("communes", COMMUNES), ("deaths", DEATHS), ("grain", GRAIN)])
def test_desc_and_text_carry_every_label_and_value(name, data):
    root = ET.fromstring(all_charts()[name])
    desc, shown = root.find(f"{SVG}desc").text, texts(root)
    for d in data:
        value = d.display or f"{d.value:,.0f}"
        assert d.label in desc and value in desc
        assert value in shown and d.label in " ".join(shown)


def test_values_without_display_get_thousands_separators():
    root = ET.fromstring(bar_chart("f", "t", [Datum("big", 1234567), Datum("small", 2.5)]))
    assert {"1,234,567", "2.5"} <= set(texts(root))
    assert "1,250,000" in texts(root)  # a scale tick


def test_title_is_escaped_and_survives_parsing():
    root = ET.fromstring(all_charts()["grain"])
    assert root.find(f"{SVG}title").text == "Grain output & <procurement>"


def test_proportion_chart_lists_parts_and_the_rest():
    root = ET.fromstring(all_charts()["killed"])
    desc, shown = root.find(f"{SVG}desc").text, texts(root)
    for label, value in [("6 per cent (low estimate)", "6%"), ("up to 8 per cent (high estimate)", "2%"),
                         ("other", "92%")]:
        assert label in shown and value in shown and f"{label}, {value}" in desc
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count("#222") == 6 + 1  # six squares and the legend swatch
    assert fills.count("url(#fig-killed-hatch)") == 2 + 1


def test_pattern_ids_are_prefixed_with_the_figure_id():
    root = ET.fromstring(all_charts()["killed"])
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert root.find(f"{SVG}defs/{SVG}pattern") is not None
    assert ids and all(i.startswith("fig-killed-") for i in ids)


def test_small_bar_stays_visible_with_its_value_beside_it():
    root = ET.fromstring(all_charts()["communes"])
    bars = [r for r in root.iter(f"{SVG}rect")]
    assert min(float(b.get("width")) for b in bars) >= 2
    tiny = ET.fromstring(bar_chart("f", "t", [Datum("huge", 1e9), Datum("tiny", 1)]))
    tiny_bar = [r for r in tiny.iter(f"{SVG}rect")][1]
    label = next(t for t in tiny.iter(f"{SVG}text") if t.text == "1")
    assert float(tiny_bar.get("width")) == 2 and float(label.get("x")) > float(tiny_bar.get("x")) + 2


def test_timeline_shows_every_mark_with_date_and_label():
    root = ET.fromstring(all_charts()["timeline"])
    shown = " ".join(texts(root))
    for mark in EVENTS:
        assert mark.label.split()[0] in shown
    assert "Jul 1959" in shown and "Oct 1959" in shown
    assert len(root.findall(f".//{SVG}g[@class='mark']")) == len(EVENTS)
    desc = root.find(f"{SVG}desc").text
    assert all(m.label in desc for m in EVENTS)


def test_timeline_links_carry_both_href_spellings():
    root = ET.fromstring(all_charts()["timeline"])
    links = root.findall(f".//{SVG}a")
    assert [(a.get("href"), a.get(f"{XLINK}href")) for a in links] == [("#ch-lushan", "#ch-lushan")]
    assert links[0].find(f"{SVG}title").text == "Jul 1959 Lushan Conference"


@pytest.mark.parametrize("width", [640, 480, 320])
def test_timeline_labels_in_one_row_do_not_overlap(width):
    layout = timeline_layout(EVENTS, 1953, 1962, width)
    assert len(layout) == len(EVENTS)
    for i, (_, x1, row1, w1) in enumerate(layout):
        left1, right1 = label_span(x1, w1, width)
        assert 0 <= left1 and right1 <= width
        for _, x2, row2, w2 in layout[i + 1:]:
            left2, right2 = label_span(x2, w2, width)
            if row1 == row2:
                assert right1 <= left2 or right2 <= left1


def test_timeline_leaders_do_not_cross_labels_on_the_real_data():
    layout = timeline_layout(EVENTS, 1953, 1962)
    for mark, x, row, _ in layout:
        for other, other_x, other_row, other_w in layout:
            nearer = (row < 3) == (other_row < 3) and other_row < row  # rows 0-2 above the axis, 3 on below
            left, right = label_span(other_x, other_w, 640)
            assert not (nearer and left + 2 < x < right), (mark.label, other.label)


def test_timeline_skips_marks_outside_the_years_and_uses_month_precision():
    marks = [Mark("1950", "too early"), Mark("1958", "in"), Mark("1958-07", "mid"), Mark("1970", "too late")]
    layout = timeline_layout(marks, 1955, 1960)
    assert [m.label for m, *_ in layout] == ["in", "mid"]
    year_width = (640 - 12 - 26) / 6
    assert layout[1][1] - layout[0][1] == pytest.approx(year_width / 2)


def test_timeline_rejects_bad_dates():
    with pytest.raises(ValueError, match="Bad.*1958/08"):
        timeline("t", "t", [Mark("1958/08", "Bad")], 1950, 1960)


def test_output_is_deterministic():
    """The same charts from two interpreters whose string hashes (so set and dict-of-set orders)
    differ: nothing in a drawing may depend on the process that drew it."""
    draw = ("import hashlib, sys; sys.path[:0] = sys.argv[1:]; from test_figures import all_charts; "
            "print(hashlib.sha256(repr(sorted(all_charts().items())).encode()).hexdigest())")
    tests = Path(__file__).resolve().parent
    digests = {subprocess.run([sys.executable, "-c", draw, str(tests), str(tests.parent)], check=True,
                              capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(digests) == 1, digests


def test_same_date_marks_read_in_their_given_order_on_both_sides_of_the_axis():
    """Two 1958 events given in order (the launch, then the communes) read top to bottom in
    that order, whether they stand above the axis or hang below it."""
    for marks in ([Mark("1958", "Leap launched"), Mark("1958", "Communes formed")],
                  [Mark("1958", "Leap launched"), Mark("1958", "Communes formed"),
                   Mark("1958-02", "a"), Mark("1958-03", "b"), Mark("1958-04", "c")]):
        layout = timeline_layout(marks, 1955, 1960)
        rows = {mark.label: row for mark, _, row, _ in layout}

        def height(row):  # 0 at the top of the chart
            return -row if row < 3 else row

        assert height(rows["Leap launched"]) < height(rows["Communes formed"]), rows
