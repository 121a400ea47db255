"""Content errors that name the file and line, collected so a run reports them all."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        kind = "warning: " if self.warning else ""
        return f"{where}: {kind}{self.message}"


class ContentError(Exception):
    """Raised once, at the end of loading, with every error found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Problems:
    """A collector: stages add errors and warnings, the loader raises once at the end."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, path: Path, line: int | None, message: str) -> None:
        self.items.append(Problem(path, line, message))

    def warn(self, path: Path, line: int | None, message: str) -> None:
        self.items.append(Problem(path, line, message, warning=True))

    def has_error_for(self, path: Path) -> bool:
        return any(p.path == path and not p.warning for p in self.items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def raise_if_errors(self) -> None:
        if self.errors:  # listed file by file, line by line
            raise ContentError(sorted(self.errors, key=lambda p: (str(p.path), p.line or 0)))
