"""Files that several builds of the book may write at once: atomic writes, tolerant reads, locks.

Two ``make book`` (or a test and a build) may run in one checkout. A file they share is always
written whole (a temporary file in the same folder, then ``os.replace``), so a reader sees the
old or the new content, never half of it; a file that is damaged anyway (a build killed
mid-write by an older version, a full disk) reads as missing, so it is made again instead of
blocking every later build; and the work on one chapter or one staging folder is serialised by
an advisory lock (``fcntl.flock``, released when the process ends, even by a crash).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def read_json(path: Path):
    """The JSON content of ``path``, or None when it is missing, truncated or not JSON."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive advisory lock on ``path`` (created if needed) for the ``with`` block."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
