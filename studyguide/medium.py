"""What a medium makes of the shared templates and of the model's notes.

A medium is asked, never compared by name: the templates and `cite.py` ask what notes become,
whether the medium has page numbers, and which semantic vocabulary it writes. A new output
picks one of these (or makes its own) and inherits nothing by accident.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Medium:
    name: str
    notes: str  # footnotes (at the foot of the page) | endnotes (linked, after the chapter) | inline (in brackets)
    page_numbers: bool  # "Used on pp. 4, 9" (print) or "Used in Chapter 1" (no pages)
    vocabulary: str  # epub (epub:type beside the ARIA roles) | aria (roles only) | none

    @property
    def epub(self) -> bool:
        return self.vocabulary == "epub"


PRINT = Medium("print", notes="footnotes", page_numbers=True, vocabulary="aria")
EBOOK = Medium("ebook", notes="endnotes", page_numbers=False, vocabulary="epub")
HANDOUT = Medium("handout", notes="inline", page_numbers=False, vocabulary="aria")
