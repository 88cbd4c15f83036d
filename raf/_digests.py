"""Content digests of files, remembered between runs (used by :mod:`raf.datasets`' cache).

One job: the digest of a file's *content*, cheaply. Hashing 170 MB on every load would cost more
than reading the cache it protects, so each digest is remembered in a JSON table with the file's
device, inode, size, modification and status-change times, and computed again when any of them
changes. The status-change time (``ctime``) is set by the kernel on every write or rename and
cannot be set back by a program, so a file replaced by another one -- even of the same size with
its modification time restored -- is always hashed again. A file whose ``ctime`` lies less than
:data:`RACY_SECONDS` before the moment it was hashed is hashed again next time too: a change
within the timestamps' resolution could otherwise leave every time unchanged (git calls such
entries "racily clean").
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

__all__ = ["RACY_SECONDS", "FileDigests", "file_digest"]

#: A file changed less than this long before it was hashed is hashed again on the next look-up.
RACY_SECONDS = 2.0


def file_digest(path, algo="sha256"):
    """Hex digest of the content of ``path`` with the :mod:`hashlib` algorithm ``algo``."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stat_id(st):
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


class FileDigests:
    """``digests(path)`` -> content digest, remembered in the JSON file ``memo`` (module docs).

    Parameters
    ----------
    memo : Path or None
        Where the table lives; ``None`` remembers nothing (every digest is computed).
    algo : callable ``Path -> str``, optional
        The hashlib algorithm for a file (default sha256 for all).

    Call :meth:`save` to write the table back (atomically; a failure only costs speed).
    """

    def __init__(self, memo, *, algo=None):
        self.path = None if memo is None else Path(memo)
        self.algo = algo or (lambda p: "sha256")
        self.table, self.changed = {}, False
        if self.path is not None and self.path.is_file():
            try:
                self.table = json.loads(self.path.read_text())
            except (OSError, ValueError):
                self.table = {}

    def __call__(self, path):
        f = Path(path).resolve()
        st, algo = f.stat(), self.algo(f)
        old = self.table.get(str(f))
        if (old is not None and old["stat"] == _stat_id(st) and old["algo"] == algo
                and old["hashed_at"] - st.st_ctime_ns > RACY_SECONDS * 1e9):
            return old["digest"]
        digest = file_digest(f, algo)
        self.table[str(f)] = {"stat": _stat_id(st), "algo": algo, "digest": digest,
                              "hashed_at": time.time_ns()}
        self.changed = True
        return digest

    def save(self):
        if self.path is None or not self.changed:
            return
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.table))
            os.replace(tmp, self.path)
        except OSError:  # only a speed-up: the next look-up hashes again
            tmp.unlink(missing_ok=True)
