"""Measures of a laid-out PDF for the page-design tests: the text of each line with its place
(pdftotext -bbox-layout) and the size of every glyph (the pages' content streams, via pikepdf)."""
from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf

XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Run:
    """One text-showing operation: its glyphs' text, size in points and baseline."""
    page: int
    text: str
    size: float
    x: float
    y: float
    in_figure: bool  # drawn inside a /Figure marked-content sequence (a chart's SVG)
    font: str  # the font's name without its subset tag: "Linux-Libertine-O-Italic"


@lru_cache(maxsize=16)
def layout(pdf: Path) -> tuple[list[tuple[float, float]], list[Line], list[list[tuple[float, float]]]]:
    """Page sizes, every line of text, and for each page its text blocks' vertical extents."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    root = ET.fromstring(xml)
    sizes, lines, blocks = [], [], []
    for number, page in enumerate(root.iter(f"{XHTML}page"), 1):
        sizes.append((float(page.get("width")), float(page.get("height"))))
        extents = []
        for block in page.iter(f"{XHTML}block"):
            extents.append((float(block.get("yMin")), float(block.get("yMax"))))
            for line in block.iter(f"{XHTML}line"):
                words = [w.text or "" for w in line.iter(f"{XHTML}word")]
                lines.append(Line(number, float(line.get("xMin")), float(line.get("yMin")),
                                  float(line.get("xMax")), float(line.get("yMax")), " ".join(words)))
        blocks.append(extents)
    return sizes, lines, blocks


def to_unicode(font) -> dict[int, str]:
    """A Type0 font's glyph ids -> text, from its ToUnicode CMap (bfchar and bfrange)."""
    if "/ToUnicode" not in font:
        return {}
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    found = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            found[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for a, b, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int.from_bytes(bytes.fromhex(dst), "big")
            for k, gid in enumerate(range(int(a, 16), int(b, 16) + 1)):
                found[gid] = chr(start + k)
    return found


def multiply(m, n):
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


@lru_cache(maxsize=16)
def runs(pdf: Path) -> tuple[Run, ...]:
    """Every text-showing operation of the PDF, in the order of the content streams, with the
    size it is set at (the font size times the text and graphics matrices' scale)."""
    found = []
    with pikepdf.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            fonts = page.Resources.get("/Font", {})
            maps = {name: to_unicode(fonts[name]) for name in fonts.keys()}
            names = {name: str(fonts[name].get("/BaseFont", "")).lstrip("/").split("+")[-1] for name in fonts.keys()}
            ctm, stack = (1, 0, 0, 1, 0, 0), []
            tm, font, size = (1, 0, 0, 1, 0, 0), None, 0.0
            marked: list[str] = []
            for operands, op in pikepdf.parse_content_stream(page):
                op = str(op)
                if op in ("BDC", "BMC"):
                    marked.append(str(operands[0]))
                elif op == "EMC" and marked:
                    marked.pop()
                elif op == "q":
                    stack.append(ctm)
                elif op == "Q":
                    ctm = stack.pop()
                elif op == "cm":
                    ctm = multiply(tuple(float(v) for v in operands), ctm)
                elif op == "Tm":
                    tm = tuple(float(v) for v in operands)
                elif op == "Tf":
                    font, size = str(operands[0]), float(operands[1])
                elif op == "TJ":
                    glyphs = b"".join(bytes(x) for x in operands[0] if isinstance(x, pikepdf.String))
                    text = "".join(maps.get(font, {}).get(int.from_bytes(glyphs[i:i + 2], "big"), "\ufffd")
                                   for i in range(0, len(glyphs), 2))
                    m = multiply(tm, ctm)
                    scale = abs(m[3]) or abs(m[2])
                    found.append(Run(number, text, round(size * scale, 2), m[4], m[5], "/Figure" in marked,
                                     names.get(font, "")))
    return tuple(found)


@lru_cache(maxsize=8)
def page_images(pdf: Path, dpi: int = 36) -> tuple:
    """Every page rendered in grey at `dpi` (pdftoppm), as Pillow images."""
    import tempfile

    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-gray", "-r", str(dpi), "-png", str(pdf), f"{folder}/p"], check=True)
        return tuple(Image.open(f).convert("L") for f in sorted(Path(folder).glob("p-*.png")))


def filled(pdf: Path, page: int, top: float, bottom: float, dpi: int = 36) -> float:
    """The share of the text block's height (from `top` to `bottom`, in points from the page's
    top) that holds something printed (text, a chart, a box's tint), as the rendered page shows
    it: the rows with ink, the gaps between lines and paragraphs (under 6 mm) counted in."""
    image = page_images(pdf, dpi)[page - 1]
    scale = dpi / 72
    first, last = int(top * scale), int(bottom * scale)
    width = image.size[0]
    inked = [any(image.getpixel((x, y)) < 245 for x in range(width)) for y in range(first, last)]
    gap_max = 6 * 72 / 25.4 * scale
    covered, run_start, previous = 0, None, None
    for y, ink in enumerate(inked):
        if not ink:
            continue
        if previous is not None and y - previous <= gap_max:
            covered += y - previous
        else:
            covered += 1
        previous = y
    return covered / len(inked)


def outline_pages(pdf: Path) -> dict[str, int]:
    """The top-level bookmarks' titles and the pages (1-based) they open."""
    with pikepdf.open(pdf) as doc:
        numbers = {page.objgen: n for n, page in enumerate(doc.pages, 1)}
        with doc.open_outline() as outline:
            return {item.title: numbers[item.destination[0].objgen] for item in outline.root}
