"""The cover: one SVG drawing (templates/parts/cover.svg.j2), the PDF's first page and the
e-book's cover image alike. Its motif is drawn from the guide's own timeline: a column of
blocks for each year, one block per dated event, so the busiest years stand tallest.

This module works out the geometry; the template draws it. Coordinates are in a drawing
600 units wide, as tall as the paper is in proportion (A4 or letter).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .model import Guide

if TYPE_CHECKING:  # render.py hands this module to the templates
    from .render import PrintOptions

WIDTH = 600
MARGIN = 48
PAPER_RATIO = {"a4": 297 / 210, "letter": 11 / 8.5}
MAROON, CREAM, INK = "#7a1f1f", "#f6f1e7", "#1a1a1a"  # print.css's accent, paper and text colours
TITLE_SIZE, TITLE_LEADING, TITLE_WIDTH = 52, 58, 17  # the title's size, line step, characters a line
COLUMN, GAP, MAX_BLOCK = 13, 3, 30  # the motif's widest column, the space between blocks, the tallest block
LABEL_ROOM = 36  # the least distance between two year labels


@dataclass(frozen=True)
class Block:
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class YearLabel:
    x: float
    text: str
    anchor: str = "middle"  # the first year starts at the margin, the last ends at it


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    band: int  # the maroon field's height
    title_lines: tuple[str, ...]
    title_top: int  # the first title line's baseline
    blocks: tuple[Block, ...]  # one per dated event
    column: float  # a block's width
    years: tuple[YearLabel, ...]
    axis: int  # the motif's baseline
    colours: dict


def layout(guide: Guide, printing: PrintOptions) -> Layout:
    height = round(WIDTH * PAPER_RATIO[printing.paper])
    band = round(height * 0.6)
    lines = tuple(wrap(guide.title, TITLE_WIDTH))
    title_top = band - MARGIN - (len(lines) - 1) * TITLE_LEADING
    axis = title_top - TITLE_SIZE - 40
    blocks, column, years = motif(guide, axis)
    return Layout(WIDTH, height, band, lines, title_top, blocks, column, years, axis,
                  {"maroon": MAROON, "cream": CREAM, "ink": INK})


def wrap(text: str, width: int) -> list[str]:
    """Words set in lines of at most `width` characters (a longer word stands alone)."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


def motif(guide: Guide, axis: int) -> tuple[tuple[Block, ...], float, tuple[YearLabel, ...]]:
    """A column per year of the timeline's span, stacked up from `axis`: a block per event, as
    tall as the room allows. The first and last years are labelled, and the decades between."""
    per_year = Counter(int(event.date[:4]) for event in guide.timeline)
    if not per_year:
        return (), 0, ()
    first, last = min(per_year), max(per_year)
    span = last - first + 1
    step = (WIDTH - 2 * MARGIN - COLUMN) / max(span - 1, 1)
    width = round(min(COLUMN, step * 0.7), 1)
    room = axis - 130  # below the kicker and its rule
    height = min(MAX_BLOCK, (room + GAP) / max(per_year.values()) - GAP)
    blocks = [Block(round(MARGIN + (year - first) * step, 1), round(axis - (k + 1) * (height + GAP) + GAP, 1),
                    round(height, 1)) for year, count in sorted(per_year.items()) for k in range(count)]
    return tuple(blocks), width, year_labels(first, last, step, width)


def year_labels(first: int, last: int, step: float, width: float) -> tuple[YearLabel, ...]:
    """The first and last years, and the decades (every year if the span is short) far enough
    from both not to run into them."""
    every = 1 if last - first < 12 else 10
    years = [first] + [y for y in range(first + 1, last) if y % every == 0] + [last] if last > first else [first]
    ends = {first, last}
    kept = [y for y in years if y in ends or all(abs(y - e) * step >= LABEL_ROOM for e in ends)]
    labels = [YearLabel(round(MARGIN + (y - first) * step + width / 2, 1), str(y)) for y in kept]
    labels[0] = YearLabel(MARGIN, str(first), "start")
    if last > first:
        labels[-1] = YearLabel(WIDTH - MARGIN, str(last), "end")
    return tuple(labels)
