"""Charts drawn as inline SVG strings, the same string for the PDF and the EPUB.

Every chart is well-formed XML and SVG 1.1, with real <text> so words stay searchable.
It has to survive a black-and-white photocopier: dark ink, gray levels and hatching,
never colour alone. The visible caption belongs to the page (<figcaption>); the SVG
carries the title and a one-sentence summary for screen readers.
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from html import escape as html_escape

from .model import Datum, Figure, Mark


def escape(text: str) -> str:
    """Text content for XML (the standard html module, cheaper to import than xml.sax)."""
    return html_escape(text, quote=False)


def quoteattr(text: str) -> str:
    return '"' + html_escape(text, quote=True) + '"'


FONT = "Lato, 'DejaVu Sans', sans-serif"
INK = "#222"       # text and marks: 15.9:1 on white
BAR = "#4d4d4d"    # bar fill: white text on it is 8.4:1
GRAY = "#595959"   # axes and leader lines: 7:1 on white
SIZE = 14          # labels
SMALL = 13         # ticks and values
LINE_H = 17
MARGIN = 12
# Every chart is drawn 340 units wide, its smallest text 13 units: shown as wide as a phone's
# column (about 331 CSS px at 360 px), a label is still 12.7 px; print sizes it (print.css).
CHART_W = 340


# --- drawing helpers ---------------------------------------------------------------------------

def fmt(value: float) -> str:
    """1234567 -> '1,234,567'; 2.5 -> '2.5'."""
    value = round(float(value), 6)
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def shown(datum: Datum, suffix: str = "") -> str:
    return datum.display or fmt(datum.value) + suffix


def n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def text_width(content: str, size: float = SIZE, bold: bool = False) -> float:
    """A generous estimate of rendered width, used for layout."""
    return len(content) * size * (0.6 if bold else 0.55)


def wrap(content: str, room: float, size: float = SIZE) -> list[str]:
    return textwrap.wrap(content, max(8, int(room / (size * 0.55)))) or [""]


def text(x: float, y: float, content: str, size: float = SIZE, anchor: str = "start",
         bold: bool = False, fill: str = INK) -> str:
    extra = (f' text-anchor="{anchor}"' if anchor != "start" else "") + (' font-weight="bold"' if bold else "")
    return f'<text x="{n(x)}" y="{n(y)}" font-size="{size}" fill="{fill}"{extra}>{escape(content)}</text>'


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRAY, width: float = 1) -> str:
    return f'<line x1="{n(x1)}" y1="{n(y1)}" x2="{n(x2)}" y2="{n(y2)}" stroke="{stroke}" stroke-width="{width}"/>'


def rect(x: float, y: float, w: float, h: float, fill: str, stroke: str = "none") -> str:
    return f'<rect x="{n(x)}" y="{n(y)}" width="{n(w)}" height="{n(h)}" fill="{fill}" stroke="{stroke}"/>'


def svg(fig_id: str, title: str, kind: str, items: list[str], width: int, height: float, body: list[str],
        defs: str = "") -> str:
    """The root element; its desc is one sentence: the kind of chart, then every item with its value.

    Its width and height are its natural size in CSS px, the size the stylesheets scale from
    (a reading system that ignores `height: auto` on inline SVG keeps the proportions)."""
    if not re.fullmatch(r"[A-Za-z_][\w.-]*", fig_id):
        raise ValueError(f"figure id {fig_id!r} must start with a letter and hold only letters, digits, - _ .")
    # A chart with links is a group (its links stay reachable); a plain chart is one image.
    role = "group" if any("<a " in part for part in body) else "img"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
            f'viewBox="0 0 {width} {math.ceil(height)}" width="{width}" height="{math.ceil(height)}" role="{role}" '
            f'aria-labelledby="{fig_id}-title {fig_id}-desc" class="chart" font-family={quoteattr(FONT)}>')
    desc = f"{kind}: {'; '.join(items)}."
    meta = f'<title id="{fig_id}-title">{escape(title)}</title><desc id="{fig_id}-desc">{escape(desc)}</desc>'
    defs = f"<defs>{defs}</defs>" if defs else ""
    return "\n".join([head, meta + defs, *body, "</svg>"])


def nice_ticks(top: float) -> list[float]:
    """0 up to a round number at or above top, in 3 to 5 equal steps."""
    top = top if top > 0 else 1
    magnitude = 10 ** math.floor(math.log10(top / 5))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if math.ceil(top / (m * magnitude) - 1e-9) <= 5)
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 9) for i in range(count + 1)]


def require(data: list, what: str) -> None:
    if not data:
        raise ValueError(f"{what} needs at least one datum")
    bad = next((d for d in data if not (math.isfinite(d.value) and d.value >= 0)), None)
    if bad:
        raise ValueError(f"{what}: value {bad.value!r} of {bad.label!r} is not a number of 0 or more")


def data_items(data: list[Datum]) -> list[str]:
    return [f"{d.label}, {shown(d)}" for d in data]


# --- bar chart ---------------------------------------------------------------------------------

BAR_H = 24


def bar_value(datum: Datum, x: float, y: float, bar_w: float, room: float) -> str:
    """The value inside the end of a long bar (white), else beside it (dark)."""
    label = shown(datum)
    width = text_width(label, SMALL)
    baseline = y + BAR_H / 2 + SMALL * 0.36
    if width + 14 <= bar_w and (bar_w + 8 + width > room or bar_w > room / 2):
        return text(x + bar_w - 7, baseline, label, SMALL, "end", bold=True, fill="#fff")
    return text(x + bar_w + 6, baseline, label, SMALL, bold=True)


def bar_chart(fig_id: str, title: str, data: list[Datum], unit: str = "", width: int = CHART_W) -> str:
    require(data, "bar_chart")
    ticks = nice_ticks(max(d.value for d in data))
    left, right = MARGIN + 4, width - MARGIN - 24
    scale = (right - left) / ticks[-1]
    body, y = [], 4.0
    for d in data:
        for label_line in wrap(d.label, width - 2 * MARGIN):
            y += LINE_H
            body.append(text(left, y, label_line))
        y += 6
        bar_w = max(2.0, max(d.value, 0) * scale)
        body += [line(left, y - 3, left, y + BAR_H + 10, INK, 1.5), rect(left, y, bar_w, BAR_H, BAR),
                 bar_value(d, left, y, bar_w, right - left)]
        y += BAR_H + 10
    axis_y = y
    body.append(line(left, axis_y, right, axis_y, INK))
    for t in ticks:
        x = left + t * scale
        body += [line(x, axis_y, x, axis_y + 5, INK), text(x, axis_y + 19, fmt(t), SMALL, "middle")]
    height = axis_y + 26
    if unit:
        body.append(text(right, axis_y + 38, unit, SMALL, "end"))
        height += 16
    return svg(fig_id, title, f"Bar chart ({unit})" if unit else "Bar chart", data_items(data), width, height + 4, body)


# --- line chart --------------------------------------------------------------------------------

def line_chart(fig_id: str, title: str, data: list[Datum], unit: str = "", width: int = CHART_W) -> str:
    require(data, "line_chart")
    ticks = nice_ticks(max(d.value for d in data))
    left = MARGIN + max(text_width(fmt(t), SMALL) for t in ticks) + 8
    right, top, plot_h = width - MARGIN - 8, 40.0, 200
    bottom = top + plot_h
    step = (right - left) / len(data)
    xs = [left + step * (i + 0.5) for i in range(len(data))]
    ys = [bottom - max(d.value, 0) / ticks[-1] * plot_h for d in data]
    body = [text(MARGIN, 16, unit, SMALL)] if unit else []
    for t in ticks:
        y = bottom - t / ticks[-1] * plot_h
        body += [line(left, y, right, y, "#d0d0d0"), text(left - 6, y + 4, fmt(t), SMALL, "end")]
    body += [line(left, top - 8, left, bottom, INK), line(left, bottom, right, bottom, INK, 1.5)]
    points = " ".join(f"{n(x)},{n(y)}" for x, y in zip(xs, ys))
    body.append(f'<polyline points="{points}" fill="none" stroke="{INK}" stroke-width="2"/>')
    crowded = max(text_width(shown(d), SMALL) for d in data) > step - 6
    deepest = 1
    for i, (d, x, y) in enumerate(zip(data, xs, ys)):
        below = crowded and i % 2 == 1
        body.append(f'<circle cx="{n(x)}" cy="{n(y)}" r="4.5" fill="{INK}" stroke="#fff" stroke-width="1.5"/>')
        body.append(text(x, y + 20 if below else y - 10, shown(d), SMALL, "middle", bold=True))
        labels = wrap(d.label, step - 6)
        deepest = max(deepest, len(labels))
        body += [text(x, bottom + 20 + k * LINE_H, part, SIZE, "middle") for k, part in enumerate(labels)]
    height = bottom + 20 + (deepest - 1) * LINE_H + 10
    return svg(fig_id, title, f"Line chart ({unit})" if unit else "Line chart", data_items(data), width, height, body)


# --- proportion (waffle) chart -----------------------------------------------------------------

CELL, GAP, SWATCH = 18, 3, 18
PATTERNS = {
    "hatch": f'<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="{INK}" stroke-width="1.6"/>',
    "cross": f'<path d="M0,3 H6 M3,0 V6" stroke="{INK}" stroke-width="1.2"/>',
    "dots": f'<circle cx="3" cy="3" r="1.5" fill="{INK}"/>',
}
FILLS = (INK, "hatch", "#8c8c8c", "cross", "dots", "#c8c8c8")  # told apart by pattern and by gray level


def pattern_defs(fig_id: str, used: list[str]) -> str:
    return "".join(f'<pattern id="{fig_id}-{name}" width="6" height="6" patternUnits="userSpaceOnUse">'
                   f'<rect width="6" height="6" fill="#fff"/>{PATTERNS[name]}</pattern>'
                   for name in PATTERNS if name in used)


def waffle(counts: list[int], fills: list[str]) -> list[str]:
    """100 squares, filled row by row from the top left; the rest are outlines."""
    owners = [i for i, count in enumerate(counts) for _ in range(count)][:100]
    cells = []
    for k in range(100):
        x, y = MARGIN + (k % 10) * (CELL + GAP), 8 + (k // 10) * (CELL + GAP)
        filled = k < len(owners)
        cells.append(rect(x, y, CELL, CELL, fills[owners[k]] if filled else "#fff", INK if filled else "#8c8c8c"))
    return cells


def proportion_chart(fig_id: str, title: str, data: list[Datum], width: int = CHART_W,
                     rest_label: str = "other") -> str:
    require(data, "proportion_chart")
    if len(data) > len(FILLS):
        raise ValueError(f"proportion_chart tells apart at most {len(FILLS)} parts, got {len(data)}")
    styles = list(FILLS[:len(data)])
    fills = [f"url(#{fig_id}-{s})" if s in PATTERNS else s for s in styles]
    rest = 100 - sum(d.value for d in data)
    entries = [(shown(d, "%"), d.label, f) for d, f in zip(data, fills)]
    if rest > 0:
        entries.append((fmt(rest) + "%", rest_label, "#fff"))
    grid = 10 * (CELL + GAP) - GAP
    beside = width - grid - 3 * MARGIN >= 200
    x0 = MARGIN + grid + 2 * MARGIN if beside else MARGIN
    y = 8.0 if beside else 8 + grid + 20
    body = waffle([round(d.value) for d in data], fills)
    for value, label, fill in entries:
        body.append(rect(x0, y, SWATCH, SWATCH, fill, INK if fill != "#fff" else "#8c8c8c"))
        body.append(text(x0 + SWATCH + 8, y + 14, value, SIZE, bold=True))
        for part in wrap(label, width - x0 - SWATCH - 8 - MARGIN):
            y += LINE_H
            body.append(text(x0 + SWATCH + 8, y + 14, part))
        y += LINE_H + 14
    height = max(y, 8 + grid + 12)
    items = [f"{label}, {value}" for value, label, _ in entries]
    return svg(fig_id, title, "Chart of 100 squares, one per cent each", items, width, height, body,
               pattern_defs(fig_id, styles))


# --- timeline ----------------------------------------------------------------------------------
# Drawn down the page, as a phone reads it: years in bands on the left, the axis, and one label
# per mark in a column on the right, in date order, each joined to its date by a leader that
# stays left of the label column (so no leader passes behind a label). A mark dated to the day
# or month is a dot at the middle of that day or month; a mark dated only to a year is a
# bracket spanning the whole year, its leader leaving the bracket part-way down (two marks of
# one year leave it at a third and two thirds), never from 1 January.

PAD = 5
TL_LINE = 16
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # as the timeline's table writes dates (cite.format_date)
AXIS_X = MARGIN + 44       # the axis; year numbers end left of it
SPAN_X = AXIS_X + 5        # year brackets stand just right of the axis
ELBOW_X = AXIS_X + 18      # a leader runs level from its date to here, then slants to its label
LABEL_X = AXIS_X + 46      # the label column
LABEL_GAP = 6
YEAR_MIN = 34              # the least height of one year on the axis


@dataclass(frozen=True)
class Placed:
    """A mark laid out: where its leader starts (anchor), the top of its label box, the box's size."""
    mark: Mark
    anchor_x: float
    anchor_y: float
    top: float
    box_w: float
    box_h: float


def date_parts(mark: Mark) -> list[int]:
    parts = [int(p) for p in mark.date.split("-")] if re.fullmatch(r"\d{4}(-\d\d){0,2}", mark.date) else []
    if not parts or not 1 <= (parts + [1])[1] <= 12 or not 1 <= (parts + [1, 1])[2] <= 31:
        raise ValueError(f"timeline mark {mark.label!r}: date {mark.date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return parts


def mark_time(mark: Mark) -> float:
    """The middle of the day or month a mark is dated to: '1959-07' -> 1959.54 (mid-July)."""
    year, month, day = (date_parts(mark) + [0, 0])[:3]
    if not month:
        return year + 0.5
    return year + (month - 1) / 12 + ((day - 0.5) / 31 if day else 0.5) / 12


def year_only(mark: Mark) -> bool:
    return len(date_parts(mark)) == 1


def mark_date_text(mark: Mark) -> str:
    """The date as the timeline's table writes it: 'July 31, 1955', 'April 1959', '1953'."""
    parts = date_parts(mark)
    if len(parts) == 1:
        return str(parts[0])
    month = MONTHS[parts[1] - 1]
    return f"{month} {parts[2]}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def mark_lines(mark: Mark, width: int) -> list[str]:
    return [mark_date_text(mark), *wrap(mark.label, width - MARGIN - LABEL_X - 2 * PAD, SMALL)]


def box_width(mark: Mark, width: int) -> float:
    date, *rest = mark_lines(mark, width)
    return max([text_width(date, SMALL, bold=True)] + [text_width(r, SMALL) for r in rest]) + 2 * PAD


def box_height(mark: Mark, width: int) -> float:
    return len(mark_lines(mark, width)) * TL_LINE + 6


def year_height(marks: list[Mark], start_year: int, end_year: int, width: int) -> float:
    """The least height of a year (at least YEAR_MIN) at which every label stands within a year
    and a quarter of its date once the labels are stacked (a crowd of labels spreads)."""
    for year_h in range(YEAR_MIN, 200, 2):
        placed = place_labels(marks, start_year, year_h, width, 0)
        if all(abs(p.top + 11 - p.anchor_y) <= 1.25 * year_h for p in placed):
            return year_h
    return 200


def anchors(marks: list[Mark], start_year: int, top: float, year_h: float) -> list[tuple[float, float]]:
    """(x, y) where each mark's leader starts: the dot on the axis, or a point down its year's bracket."""
    result = []
    for mark in marks:
        if year_only(mark):
            same_year = [m for m in marks if year_only(m) and m.date == mark.date]
            k = same_year.index(mark)
            t = date_parts(mark)[0] + (k + 1) / (len(same_year) + 1)
            result.append((SPAN_X + 4, top + (t - start_year) * year_h))
        else:
            result.append((AXIS_X, top + (mark_time(mark) - start_year) * year_h))
    return result


def stack_labels(wanted: list[float], heights: list[float], floor: float) -> list[float]:
    """Label tops in order, none overlapping the next, each crowd of labels centred on where its
    labels want to be (the mean of their wanted places), none above floor."""
    clusters: list[tuple[list[int], float]] = []  # (indices, top of the first)
    for i in range(len(wanted)):
        members, top = [i], max(wanted[i], floor)
        while clusters and clusters[-1][1] + stack_height(clusters[-1][0], heights) > top:
            before, _ = clusters.pop()
            members = before + members
            offsets = stack_offsets(members, heights)
            top = max(floor, sum(wanted[j] - o for j, o in zip(members, offsets)) / len(members))
        clusters.append((members, top))
    tops = []
    for members, top in clusters:
        tops += [top + o for o in stack_offsets(members, heights)]
    return tops


def stack_offsets(members: list[int], heights: list[float]) -> list[float]:
    offsets, y = [], 0.0
    for j in members:
        offsets.append(y)
        y += heights[j] + LABEL_GAP
    return offsets


def stack_height(members: list[int], heights: list[float]) -> float:
    return sum(heights[j] + LABEL_GAP for j in members)


def place_labels(marks: list[Mark], start_year: int, year_h: float, width: int, top: float) -> list[Placed]:
    points = anchors(marks, start_year, top, year_h)
    order = sorted(range(len(marks)), key=lambda i: points[i][1])
    heights = [box_height(marks[i], width) for i in order]
    tops = stack_labels([points[i][1] - 11 for i in order], heights, 0)
    return [Placed(marks[i], *points[i], t, box_width(marks[i], width), h) for i, t, h in zip(order, tops, heights)]


def timeline_layout(marks: list[Mark], start_year: int, end_year: int,
                    width: int = CHART_W) -> tuple[float, float, list[Placed]]:
    """(top of the axis, height of a year, every mark within the years in date order, same-date
    marks in their given order)."""
    kept = [m for m in marks if start_year <= date_parts(m)[0] <= end_year]
    year_h = year_height(kept, start_year, end_year, width)
    top = 10.0
    layout = place_labels(kept, start_year, year_h, width, top)
    return top, year_h, layout


def year_band(year: int, start_year: int, top: float, year_h: float, labelled: bool) -> list[str]:
    y = top + (year - start_year) * year_h
    parts = [line(AXIS_X - 6, y, AXIS_X, y, INK)]
    if labelled:
        parts.append(text(AXIS_X - 9, y + year_h / 2 + SMALL * 0.36, str(year), SMALL, "end"))
    return parts


def year_brackets(marks: list[Mark], start_year: int, top: float, year_h: float) -> list[str]:
    years = sorted({date_parts(m)[0] for m in marks if year_only(m)})
    return [rect(SPAN_X, top + (y - start_year) * year_h + 1.5, 4, year_h - 3, GRAY) for y in years]


def mark_group(p: Placed, width: int) -> str:
    """The leader, the dot (a dated mark), the label box and its lines; a link if the mark has one."""
    date, *rest = mark_lines(p.mark, width)
    label_y = p.top + 11
    parts = [f'<polyline points="{n(p.anchor_x)},{n(p.anchor_y)} {n(ELBOW_X)},{n(p.anchor_y)} '
             f'{n(LABEL_X - 3)},{n(label_y)} {n(LABEL_X)},{n(label_y)}" fill="none" stroke="{GRAY}"/>']
    if not year_only(p.mark):
        parts.append(f'<circle cx="{n(p.anchor_x)}" cy="{n(p.anchor_y)}" r="4" fill="{INK}" '
                     'stroke="#fff" stroke-width="1"/>')
    parts += [rect(LABEL_X, p.top, p.box_w, p.box_h, "#fff"), text(LABEL_X + PAD, p.top + 15, date, SMALL, bold=True)]
    parts += [text(LABEL_X + PAD, p.top + 15 + (k + 1) * TL_LINE, part, SMALL) for k, part in enumerate(rest)]
    group = f'<g class="mark">{"".join(parts)}</g>'
    if not p.mark.href:
        return group
    link = quoteattr(p.mark.href)  # SVG 2 href, and xlink:href for SVG 1.1 readers; the title names the link
    return f'<a href={link} xlink:href={link}><title>{escape(date + " " + p.mark.label)}</title>{group}</a>'


def timeline(fig_id: str, title: str, marks: list[Mark], start_year: int, end_year: int, width: int = CHART_W) -> str:
    if end_year < start_year:
        raise ValueError(f"timeline {fig_id!r}: end year {end_year} is before start year {start_year}")
    top, year_h, layout = timeline_layout(marks, start_year, end_year, width)
    years = end_year + 1 - start_year
    bottom = top + years * year_h
    step = 1 if year_h >= 18 else 2
    body = [line(AXIS_X, top, AXIS_X, bottom, INK, 1.5)]
    for year in range(start_year, end_year + 2):
        body += year_band(year, start_year, top, year_h, year <= end_year and (year - start_year) % step == 0)
    body += year_brackets([p.mark for p in layout], start_year, top, year_h)
    body += [mark_group(p, width) for p in layout]
    height = max([bottom + 8] + [p.top + p.box_h + 4 for p in layout])
    items = [f"{mark_date_text(p.mark)}, {p.mark.label}" for p in layout]
    return svg(fig_id, title, f"Timeline {start_year}–{end_year}", items, width, height, body)


def draw(figure: Figure) -> str:
    """The figure's SVG, drawn from the data the model holds for it ("" for a picture)."""
    fig_id = f"fig-{figure.id}"
    if figure.kind == "timeline":
        return timeline(fig_id, figure.alt, list(figure.marks), *figure.years)
    if figure.kind == "proportion":
        return proportion_chart(fig_id, figure.alt, list(figure.data), rest_label=figure.rest or "other")
    if figure.kind in ("bar", "line"):
        drawer = bar_chart if figure.kind == "bar" else line_chart
        return drawer(fig_id, figure.alt, list(figure.data), unit=figure.unit)
    return ""
