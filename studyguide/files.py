"""Writing outputs safely, and the sandbox for every resource WeasyPrint loads."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    A failed or interrupted build never leaves a half-written output, and the last
    good file stays as it was until the new one is complete.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class SandboxFetcher(URLFetcher):
    """Loads only local files inside the allowed folders (and data: URLs); refuses the rest."""

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols={"file", "data"})
        self.allowed = [p.resolve() for p in allowed]
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parsed = urlparse(url)
        if parsed.scheme != "file":
            self.refused.append(url)
            raise ValueError(f"refused (only files inside the guide are used): {url}")
        target = Path(unquote(parsed.path)).resolve()
        if not any(target.is_relative_to(root) for root in self.allowed):
            self.refused.append(url)
            raise ValueError(f"refused (outside the guide): {url}")
        return super().fetch(url, headers)
