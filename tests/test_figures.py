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
    assert root.get("version") == "1.1"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"  # its natural size, in CSS px
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
    assert "July 1959" in shown and "October 1959" in shown
    assert len(root.findall(f".//{SVG}g[@class='mark']")) == len(EVENTS)
    desc = root.find(f"{SVG}desc").text
    assert all(m.label in desc for m in EVENTS)


def test_timeline_links_carry_both_href_spellings():
    root = ET.fromstring(all_charts()["timeline"])
    links = root.findall(f".//{SVG}a")
    assert [(a.get("href"), a.get(f"{XLINK}href")) for a in links] == [("#ch-lushan", "#ch-lushan")]
    assert links[0].find(f"{SVG}title").text == "July 1959 Lushan Conference"


# --- what a reader sees: sizes on a phone, and the timeline's marks, read back from the SVG ----

# A phone 360 CSS px wide, less a reading system's margins (16 px a side, more than epub.css's
# 4 %): the widest column a chart can be shown at there. A chart is never shown wider than
# 26em (epub.css), 416 px at the usual 16 px text.
PHONE_COLUMN = 360 - 2 * 16


def least_text_size(svg: str, shown_width: float) -> float:
    """The smallest text of a chart, in CSS px, shown `shown_width` px wide."""
    root = ET.fromstring(svg)
    view_width = float(root.get("viewBox").split()[2])
    return min(float(t.get("font-size")) for t in root.iter(f"{SVG}text")) * shown_width / view_width


@pytest.mark.parametrize("name", list(all_charts()))
def test_every_label_is_at_least_12_px_on_a_360_px_phone(name):
    svg = all_charts()[name]
    natural = float(ET.fromstring(svg).get("width"))
    assert least_text_size(svg, min(PHONE_COLUMN, natural)) >= 12


def timeline_marks(svg: str) -> list[dict]:
    """Each mark of a drawn timeline: where its leader starts, the leader's segments, its label box,
    its date as written, and the y of 1 January of each year on the axis (the year ticks)."""
    root = ET.fromstring(svg)
    marks = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "mark":
            continue
        points = [tuple(map(float, p.split(","))) for p in group.find(f"{SVG}polyline").get("points").split()]
        box = group.find(f"{SVG}rect")
        x, y, w, h = (float(box.get(k)) for k in ("x", "y", "width", "height"))
        marks.append({"anchor": points[0], "leader": list(zip(points, points[1:])), "box": (x, y, x + w, y + h),
                      "date": group.find(f"{SVG}text").text})
    return marks


def year_starts(svg: str) -> list[float]:
    """The y of 1 January of each year, first to the year after the last: the short ticks left of the axis."""
    ticks = [e for e in ET.fromstring(svg).iter(f"{SVG}line")
             if float(e.get("x2")) - float(e.get("x1")) == 6 and e.get("y1") == e.get("y2")]
    return sorted(float(t.get("y1")) for t in ticks)


def crosses(segment, box) -> bool:
    """Whether a straight segment passes through the inside of a box (touching its edge does not count)."""
    (x1, y1), (x2, y2) = segment
    left, top, right, bottom = box
    steps = 200
    for i in range(steps + 1):
        x, y = x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps
        if left + 0.5 < x < right - 0.5 and top + 0.5 < y < bottom - 0.5:
            return True
    return False


def check_timeline_drawing(svg: str, start_year: int) -> None:
    marks = timeline_marks(svg)
    anchors = [m["anchor"] for m in marks]
    assert len(set(anchors)) == len(anchors), "two marks start their leaders at one point"
    for i, mark in enumerate(marks):
        for other in marks[i + 1:]:
            a, b = mark["box"], other["box"]
            assert a[3] <= b[1] or b[3] <= a[1] or a[2] <= b[0] or b[2] <= a[0], (mark["date"], other["date"])
        for other in marks:
            if other is not mark:
                assert not any(crosses(s, other["box"]) for s in mark["leader"]), (mark["date"], other["date"])
    starts = year_starts(svg)
    for mark in marks:
        if re.fullmatch(r"\d{4}", mark["date"]):  # dated to the year only
            year = int(mark["date"]) - start_year
            jan_1, next_jan_1 = starts[year], starts[year + 1]
            assert jan_1 + 0.2 * (next_jan_1 - jan_1) <= mark["anchor"][1] <= next_jan_1 - 0.2 * (next_jan_1 - jan_1)


def test_timeline_marks_have_their_own_places_and_no_leader_runs_behind_a_label():
    check_timeline_drawing(all_charts()["timeline"], 1953)
    crowded = [Mark("1958", f"Event {i} of 1958") for i in range(4)] + [Mark(f"1958-{m:02}", f"Month {m}")
                                                                        for m in range(1, 13)]
    check_timeline_drawing(timeline("t", "t", crowded, 1957, 1959), 1957)


def test_timeline_writes_dates_as_the_timeline_table_does():
    from studyguide.cite import format_date

    marks = [Mark("1955-07-31", "a"), Mark("1959-04", "b"), Mark("1958", "c")]
    drawn = [m["date"] for m in timeline_marks(timeline("t", "t", marks, 1953, 1962))]
    assert drawn == [format_date([int(p) for p in m.date.split("-")]) for m in sorted(marks, key=lambda m: m.date)]


def test_timeline_skips_marks_outside_the_years_and_places_months_at_their_middle():
    marks = [Mark("1950", "too early"), Mark("1958-01", "January"), Mark("1958-07", "July"), Mark("1970", "too late")]
    top, year_h, layout = timeline_layout(marks, 1955, 1960)
    assert [p.mark.label for p in layout] == ["January", "July"]
    assert layout[0].anchor_y == pytest.approx(top + (3 + 0.5 / 12) * year_h)
    assert layout[1].anchor_y - layout[0].anchor_y == pytest.approx(year_h / 2)


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


def test_same_date_marks_read_in_their_given_order():
    """Two 1958 events given in order (the launch, then the communes) read top to bottom in that order."""
    marks = [Mark("1958", "Leap launched"), Mark("1958", "Communes formed"), Mark("1958-02", "a")]
    _, _, layout = timeline_layout(marks, 1955, 1960)
    tops = {p.mark.label: p.top for p in layout}
    assert tops["a"] < tops["Leap launched"] < tops["Communes formed"], tops
