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
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


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
    """The root element; its desc is one sentence: the kind of chart, then every item with its value."""
    if not re.fullmatch(r"[A-Za-z_][\w.-]*", fig_id):
        raise ValueError(f"figure id {fig_id!r} must start with a letter and hold only letters, digits, - _ .")
    # A chart with links is a group (its links stay reachable); a plain chart is one image.
    role = "group" if any("<a " in part for part in body) else "img"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
            f'viewBox="0 0 {width} {math.ceil(height)}" width="100%" role="{role}" '
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


def bar_chart(fig_id: str, title: str, data: list[Datum], unit: str = "", width: int = 640) -> str:
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

def line_chart(fig_id: str, title: str, data: list[Datum], unit: str = "", width: int = 640) -> str:
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


def proportion_chart(fig_id: str, title: str, data: list[Datum], width: int = 640,
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

ABOVE_ROWS = 3      # rows 0-2 stand above the axis, nearest first; rows 3 and on hang below it
PAD = 5
TL_LINE = 16


def date_parts(mark: Mark) -> list[int]:
    parts = [int(p) for p in mark.date.split("-")] if re.fullmatch(r"\d{4}(-\d\d){0,2}", mark.date) else []
    if not parts or not 1 <= (parts + [1])[1] <= 12 or not 1 <= (parts + [1, 1])[2] <= 31:
        raise ValueError(f"timeline mark {mark.label!r}: date {mark.date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return parts


def mark_time(mark: Mark) -> float:
    """'1959-07' -> 1959.5: month precision, a day nudges within the month."""
    year, month, day = (date_parts(mark) + [1, 1])[:3]
    return year + (month - 1) / 12 + (day - 1) / 372


def mark_date_text(mark: Mark) -> str:
    """The date as the timeline's table writes it (cite.format_date), the month shortened:
    'Apr 14, 1935', 'Aug 1958', '1953'."""
    parts = date_parts(mark)
    if len(parts) == 1:
        return str(parts[0])
    month = MONTHS[parts[1] - 1]
    return f"{month} {parts[2]}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def mark_lines(mark: Mark) -> list[str]:
    return [mark_date_text(mark), *wrap(mark.label, 150, SMALL)]


def label_width(mark: Mark) -> float:
    date, *rest = mark_lines(mark)
    return max([text_width(date, SMALL, bold=True)] + [text_width(r, SMALL) for r in rest]) + 2 * PAD


def label_span(x: float, label_w: float, width: int) -> tuple[float, float]:
    """A label hangs right of its date like a flag, pulled left only at the chart's edge."""
    left = max(MARGIN, min(x - 1, width - MARGIN - label_w))
    return left, left + label_w


def axis_x(t: float, start_year: int, end_year: int, width: int) -> float:
    left, right = MARGIN + 14, width - MARGIN
    return left + (t - start_year) / (end_year + 1 - start_year) * (right - left)


def side_level(row: int) -> tuple[bool, int]:
    """Row -> (above the axis?, distance from it: 0 is nearest)."""
    return (True, row) if row < ABOVE_ROWS else (False, row - ABOVE_ROWS)


def fits(row: int, x: float, span: tuple[float, float], placed: list, width: int, strict: bool) -> bool:
    """Free in its row; if strict, also no nearer label across its leader and no leader through it."""
    side, level = side_level(row)
    for _, other_x, other_row, other_w in placed:
        other_side, other_level = side_level(other_row)
        left, right = label_span(other_x, other_w, width)
        if other_side != side:
            continue
        if other_level == level and left < span[1] + 6 and span[0] < right + 6:
            return False
        if strict and other_level < level and left + 2 < x < right:
            return False
        if strict and other_level > level and span[0] + 2 < other_x < span[1]:
            return False
    return True


def timeline_layout(marks: list[Mark], start_year: int, end_year: int,
                    width: int = 640) -> list[tuple[Mark, float, int, float]]:
    """(mark, x of its date on the axis, row, label width) in date order; rows are filled greedily.

    Same-date marks keep their given order, top to bottom."""
    kept = sorted((m for m in marks if start_year <= date_parts(m)[0] <= end_year), key=mark_time)
    placed: list[tuple[Mark, float, int, float]] = []
    for mark in reversed(kept):  # latest first, so labels, which hang right, climb leftwards like stairs
        x, label_w = axis_x(mark_time(mark), start_year, end_year, width), label_width(mark)
        span = label_span(x, label_w, width)
        rows = range(len(placed) + ABOVE_ROWS + 1)
        row = next((r for r in rows if fits(r, x, span, placed, width, True)), None)
        if row is None:  # crowded: let leaders cross labels rather than labels overlap
            row = next(r for r in rows if fits(r, x, span, placed, width, False))
        placed.append((mark, x, row, label_w))
    return same_date_in_given_order(placed[::-1], width)


def same_date_in_given_order(layout: list[tuple[Mark, float, int, float]],
                             width: int) -> list[tuple[Mark, float, int, float]]:
    """Below the axis the nearest row is the top one, so same-date marks, placed latest first,
    came out upside down there ("Communes formed" over "Leap launched"): give them their rows
    top to bottom in their given order, unless that makes labels overlap."""
    result = list(layout)
    for date in {mark.date for mark, *_ in layout}:
        group = [i for i, (mark, *_) in enumerate(layout) if mark.date == date]
        rows = sorted(layout[i][2] for i in group)
        if len(group) < 2 or rows[0] < ABOVE_ROWS:
            continue
        trial = list(result)
        for i, row in zip(group, rows):
            mark, x, _, label_w = trial[i]
            trial[i] = (mark, x, row, label_w)
        if all(free_row(trial, i, width) for i in group):
            result = trial
    return result


def free_row(layout: list[tuple[Mark, float, int, float]], index: int, width: int) -> bool:
    """No other label of the layout overlaps this one in its row."""
    _, x, row, label_w = layout[index]
    return fits(row, x, label_span(x, label_w, width), layout[:index] + layout[index + 1:], width, False)


def year_step(start_year: int, end_year: int, width: int) -> int:
    spacing = axis_x(start_year + 1, start_year, end_year, width) - axis_x(start_year, start_year, end_year, width)
    return next((s for s in (1, 2, 5, 10, 25, 50) if s * spacing >= 40), 100)


def mark_label(mark: Mark, left: float, top: float, label_w: float, box_h: float) -> str:
    date, *rest = mark_lines(mark)
    parts = [rect(left, top, label_w, box_h, "#fff"), text(left + PAD, top + 15, date, SMALL, bold=True)]
    parts += [text(left + PAD, top + 15 + (k + 1) * TL_LINE, part, SMALL) for k, part in enumerate(rest)]
    group = f'<g class="mark">{"".join(parts)}</g>'
    if not mark.href:
        return group
    link = quoteattr(mark.href)  # SVG 2 href, and xlink:href for SVG 1.1 readers; the title names the link
    return f'<a href={link} xlink:href={link}><title>{escape(" ".join(mark_lines(mark)))}</title>{group}</a>'


def year_labels(start_year: int, end_year: int, width: int, axis_y: float) -> list[str]:
    """Year numbers under the ticks, on white so that leaders passing down behind them stop short."""
    parts = []
    for year in range(start_year, end_year + 1, year_step(start_year, end_year, width)):
        x = axis_x(year, start_year, end_year, width)
        parts += [rect(x - 18, axis_y + 8, 36, 16, "#fff"), text(x, axis_y + 20, str(year), SMALL, "middle")]
    return parts


def timeline(fig_id: str, title: str, marks: list[Mark], start_year: int, end_year: int, width: int = 640) -> str:
    if end_year < start_year:
        raise ValueError(f"timeline {fig_id!r}: end year {end_year} is before start year {start_year}")
    layout = timeline_layout(marks, start_year, end_year, width)
    row_h = max([len(mark_lines(m)) for m, *_ in layout] + [2]) * TL_LINE + 14
    rows = [r for _, _, r, _ in layout]
    rows_below = max([r - ABOVE_ROWS + 1 for r in rows if r >= ABOVE_ROWS] + [0])
    axis_y = min(max(rows, default=0) + 1, ABOVE_ROWS) * row_h + 16
    body = [line(axis_x(start_year, start_year, end_year, width), axis_y, width - MARGIN, axis_y, INK, 1.5)]
    ticks = [axis_x(year, start_year, end_year, width) for year in range(start_year, end_year + 1)]
    body += [line(x, axis_y, x, axis_y + 6, INK) for x in ticks]
    labels, dots = [], []
    for mark, x, row, label_w in layout:
        left, _ = label_span(x, label_w, width)
        above, level = side_level(row)
        box_h = len(mark_lines(mark)) * TL_LINE + 6
        top = axis_y - 10 - box_h - level * row_h if above else axis_y + 30 + level * row_h
        body.append(line(x, axis_y, x, top + box_h if above else top, GRAY))
        dots.append(f'<circle cx="{n(x)}" cy="{n(axis_y)}" r="4" fill="{INK}" stroke="#fff" stroke-width="1"/>')
        labels.append(mark_label(mark, left, top, label_w, box_h))
    height = axis_y + 28 + (rows_below * row_h + 4 if rows_below else 0)
    items = [f"{mark_date_text(m)}, {m.label}" for m, *_ in layout]
    body += year_labels(start_year, end_year, width, axis_y) + dots + labels
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
