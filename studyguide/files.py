"""Files: what the builder may read of a guide, and writing outputs safely.

Reading: every file of a guide the builder opens goes through `read_guide_file`, the one
place that decides whether a path belongs to the guide: it resolves (symbolic links
followed) inside the guide folder and is a regular file of bounded size. A link out of the
guide, a FIFO, a device or a folder named like a chapter is refused, never opened.

Writing: atomic replacement, so a failed build never loses the last good file.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

MAX_FILE_BYTES = 20_000_000  # far above any chapter, list or picture of a study guide


class GuideFileError(Exception):
    """A path that is not a readable file of the guide; the message says why."""


def inside_guide(root: Path, path: Path) -> Path:
    """`path` resolved (links followed); GuideFileError unless it lies inside the guide folder `root`."""
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(os.path.realpath(root)):
        raise GuideFileError("is outside the guide directory")
    return resolved


def guide_folder(root: Path, folder: Path) -> Path:
    """A folder of the guide (chapters/), resolved; GuideFileError if it is not one."""
    resolved = inside_guide(root, folder)
    if not resolved.is_dir():
        raise GuideFileError("not found" if not resolved.exists() else "is not a folder")
    return resolved


def read_guide_file(root: Path, path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file inside the guide `root`, at most `limit` of them.

    Opened without following a last link (the path is already resolved) and without waiting
    on a FIFO; the type and size are checked on the open file, so nothing is swapped in between."""
    resolved = inside_guide(root, path)
    try:
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise GuideFileError("file not found") from None
    except OSError as exc:
        raise GuideFileError(f"cannot read file: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        if info.st_size > limit:
            raise GuideFileError(f"is too large ({info.st_size:,} bytes; at most {limit:,})")
        raise GuideFileError("is not a regular file" + (" (a folder)" if stat.S_ISDIR(info.st_mode) else ""))
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise GuideFileError(f"is too large (more than {limit:,} bytes)")
    return data


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
