"""A guide's slug, the one rule the Makefile and the loader share: `slug:` when guide.yaml
gives it, else the title made a slug. Standard library only, so that Make can run it with the
system's Python before the project's venv exists:

    python3 studyguide/guideslug.py path/to/guide.yaml      # prints the slug

Make reads guide.yaml's top-level `slug:` and `title:` lines as plain text; the loader checks
that what YAML reads gives the same slug, so the two can never disagree in silence.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

TOP_LEVEL = re.compile(r"^(slug|title):[ \t]*(.*?)[ \t]*$", re.M)


def slugify(text: str) -> str:
    text = text.lower().replace("’", "").replace("'", "")
    return re.sub(r"[^\w]+", "-", text, flags=re.ASCII).strip("-") or "x"


def slug(given: str, title: str) -> str:
    return given or slugify(title)


def unquoted(value: str) -> str:
    """A one-line YAML scalar as written: quotes taken off, a trailing comment dropped."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
    return re.sub(r"\s+#.*$", "", value)


def slug_of_text(text: str) -> str:
    found = {key: unquoted(value) for key, value in reversed(TOP_LEVEL.findall(text))}
    return slug(found.get("slug", ""), found.get("title", ""))


if __name__ == "__main__":
    try:
        print(slug_of_text(Path(sys.argv[1]).read_text(encoding="utf-8")))
    except (OSError, UnicodeError, IndexError):
        print("guide")
