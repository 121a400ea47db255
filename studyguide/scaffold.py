"""`python build.py new DIR`: a small guide that builds at once, to start a new topic from."""
from __future__ import annotations

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

## A section

> “A short quotation from a source, a sentence or two.” [@example2020]
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


def create_guide(folder: Path) -> None:
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} already exists and is not empty")
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
