"""`python build.py new DIR`: a small guide that builds at once, to start a new topic from."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

FILES = {
    "guide.yaml": """\
title: My New Topic
subtitle: A study guide
authors: [Your Name]
language: en
date: 2026-09-01
edition: First edition
paper: a4
slug: my-new-topic
description: A one-sentence summary of the guide.
keywords: [history]
content_note: |
  Say here if the guide deals with difficult material, so readers can prepare.
teacher_guidance: |
  Notes for teachers only: how to introduce the difficult material in class.
handouts: {page_budget: 2, answer_lines: 4}
""",
    "chapters/01-introduction.md": """\
---
title: Introduction
objectives:
  - Say what this topic is about.
teacher_notes: |
  Teacher-only notes for this lesson.
questions:
  - ask: What is this topic about?
    level: recall
    answer: Guidance for teachers on a good answer.
  - ask: Read Excerpt 1.1. What does the author claim?
    level: document
    lines: 6
    answer: Guidance for teachers on reading the excerpt.
---

Write the lesson here in Markdown. Cite sources like this [@example2020, p. 12].
The first use of a glossary term, such as primary source, is linked automatically.
A footnote explains a point without interrupting the text.[^why]

[^why]: Footnotes are numbered with the citation notes.

::: {.callout-note}
## Think about it
A box for a summary or a question to think about: it is not a source excerpt.
:::

## A section

> “A short quotation from a source, a sentence or two.” [@example2020]

A picture alone in its paragraph is a numbered figure with a caption and a credit;
refer to it as @fig-placeholder.

![A placeholder picture: replace images/placeholder.png with your own](images/placeholder.png){#fig-placeholder width=50% credit="Made by the study-guide builder"}
""",
    "glossary.yaml": """\
- term: primary source
  forms: [primary sources]
  definition: A document or object made at the time being studied.
""",
    "sources.yaml": """\
- id: example2020
  type: book
  author: [{family: Example, given: Ada}]
  title: "An Example Book: Its Subtitle"
  publisher: Example Press
  publisher-place: London
  issued: 2020
""",
    "timeline.yaml": """\
- date: 2020
  event: Something happened.
  chapter: introduction
""",
}


def placeholder_png(width: int = 320, height: int = 180) -> bytes:
    """A grey picture with a darker frame and diagonal, to stand in for the teacher's own."""
    def pixel(x: int, y: int) -> int:
        frame = min(x, y, width - 1 - x, height - 1 - y) < 4
        diagonal = abs(x * height - y * width) < width * 2
        return 90 if frame or diagonal else 200

    rows = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def create_guide(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} already exists and is not empty")
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "images").mkdir(exist_ok=True)
    (folder / "images" / "placeholder.png").write_bytes(placeholder_png())
