"""The pages of the RAF book and the key of an execution (a part of ``tools/build_book.py``).

A *chapter* is a ``file:`` entry of ``_toc.yml``; a page whose ``book/<name>.md`` has a jupytext
header with a ``kernelspec`` is a notebook (executed by papermill), the others are plain pages.
An execution is cached under the SHA-256 of what decides its output (:func:`cache_key`) in
``_build/executed/<mode>/``, where the mode is ``full``, ``quick`` or ``custom/<hash>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import yaml

from book_stage import doc_of

ROOT = Path(__file__).resolve().parents[1]

# Bump when the way notebooks are executed changes, so every cache entry is refreshed.
PIPELINE_VERSION = "1"

MODES = {"full": {}, "quick": {"quick": True}}


def build_dir(root: Path = ROOT) -> Path:
    return root / "_build"


def executed_dir(mode: str, root: Path = ROOT) -> Path:
    return build_dir(root) / "executed" / mode


def reports_dir(mode: str, root: Path = ROOT) -> Path:
    return build_dir(root) / "reports" / mode


# --------------------------------------------------------------------------------------------
# The table of contents


@dataclasses.dataclass(frozen=True)
class Chapter:
    """One page of ``_toc.yml``: ``docname`` is the toc entry (``book/intro``), ``name`` its stem."""

    docname: str
    root: Path = ROOT

    @property
    def name(self) -> str:
        return Path(self.docname).name

    @property
    def md(self) -> Path:
        return self.root / f"{self.docname}.md"

    @property
    def ipynb(self) -> Path:
        return self.root / f"{self.docname}.ipynb"

    @property
    def exists(self) -> bool:
        return self.md.is_file()

    @property
    def is_notebook(self) -> bool:
        """True for a MyST notebook (jupytext header with a kernelspec), False for a plain page."""
        if not self.exists:
            return False
        return "kernelspec" in _front_matter(self.md)


def _front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    if end < 0:
        return {}
    return yaml.safe_load(text[3:end]) or {}


def _toc_files(node) -> list[str]:
    files: list[str] = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                files.append(str(node[key]))
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key) or []:
                files += _toc_files(child)
    return files


def toc_chapters(root: Path = ROOT) -> list[Chapter]:
    """Every page of ``_toc.yml``, in reading order, whether or not its file exists yet."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    seen: list[str] = []
    for f in _toc_files(toc):
        doc = doc_of(f)
        if doc not in seen:
            seen.append(doc)
    return [Chapter(doc, root) for doc in seen]


def notebook_chapters(root: Path = ROOT) -> list[Chapter]:
    """The pages that exist and are notebooks (the ones papermill executes)."""
    return [c for c in toc_chapters(root) if c.is_notebook]


def find_chapter(name: str, root: Path = ROOT) -> Chapter:
    for c in toc_chapters(root):
        if name in (c.name, c.docname):
            return c
    known = ", ".join(c.name for c in toc_chapters(root))
    raise ValueError(f"The 'name' parameter must be a chapter of _toc.yml ({known}). Got {name!r} instead.")



# --------------------------------------------------------------------------------------------
# Cache keys


def raf_sources(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in (root / "raf").rglob("*.py") if "__pycache__" not in p.parts)


def cache_key(chapter: Chapter, params: dict) -> str:
    """SHA-256 of what decides a chapter's output: its .md, the raf sources, parameters, data path."""
    h = hashlib.sha256()
    h.update(f"pipeline {PIPELINE_VERSION}\n".encode())
    h.update(chapter.md.read_bytes())
    for p in raf_sources(chapter.root):
        h.update(f"\n--- {p.relative_to(chapter.root).as_posix()}\n".encode())
        h.update(p.read_bytes())
    h.update(json.dumps(params, sort_keys=True, default=str).encode())
    h.update(f"\nRAF_CIFAR10={os.environ.get('RAF_CIFAR10', '')}".encode())
    return h.hexdigest()


def mode_of(params: dict) -> str:
    """``full``/``quick`` for the two standard parameter sets, ``custom/<hash>`` otherwise."""
    for mode, p in MODES.items():
        if params == p:
            return mode
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    return f"custom/{digest[:10]}"


def read_notebook(chapter: Chapter):
    """The chapter's notebook, read from its ``.md`` (jupytext)."""
    import jupytext

    return jupytext.read(chapter.md)


def cell_timeout(root: Path = ROOT) -> int:
    """Seconds a cell may run (``execute.timeout`` of ``_config.yml``, else 1800)."""
    path = root / "_config.yml"
    cfg = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    return int((cfg.get("execute") or {}).get("timeout", 1800))
