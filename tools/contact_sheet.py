"""Tile PDF page images into one PNG, to look at a whole document at once.

    python tools/contact_sheet.py build/guide.pdf out.png [--dpi 40] [--cols 6] [--first 1 --last 12]
"""
import argparse
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("pdf")
    parser.add_argument("png")
    parser.add_argument("--dpi", type=int, default=40)
    parser.add_argument("--cols", type=int, default=6)
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--last", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["pdftoppm", "-png", "-r", str(args.dpi), "-f", str(args.first)]
        if args.last:
            cmd += ["-l", str(args.last)]
        subprocess.run(cmd + [args.pdf, f"{tmp}/p"], check=True)
        pages = [Image.open(p) for p in sorted(Path(tmp).glob("p-*.png"))]
        w, h = pages[0].size
        rows = (len(pages) + args.cols - 1) // args.cols
        sheet = Image.new("RGB", (args.cols * (w + 8), rows * (h + 8)), "#888")
        for i, page in enumerate(pages):
            sheet.paste(page, ((i % args.cols) * (w + 8) + 4, (i // args.cols) * (h + 8) + 4))
        sheet.save(args.png)


if __name__ == "__main__":
    main()
