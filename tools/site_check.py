"""Checks of a built site that need no browser: no path of the build machine, no outside asset.

:func:`leaked_paths` finds the build machine's folders (the checkout, the home folder, the
temporary folder) in the pages, their downloadable notebooks and the search index.
:func:`remote_assets` finds a script, stylesheet, image or frame that a page would load from
another host. ``tools/build_book.py`` runs both after every HTML build (errors in strict mode,
warnings otherwise); ``tests/test_site.py`` checks the same in a browser with the network cut.
"""

from __future__ import annotations

import re
from pathlib import Path

# Our own pages and what is generated from them; vendored folders (MathJax, the widget manager,
# the in-browser Python distribution) are third-party files copied unchanged.
TEXT_SUFFIXES = (".html", ".ipynb", ".md", ".txt", ".json")
OWN_SCRIPTS = ("searchindex.js", "documentation_options.js")
SKIP_DIRS = {"mathjax", "jupyter-widgets", "_static"}

_REMOTE = r"""(?:https?:)?//[^"'\s>)]+"""
_ASSET_PATTERNS = [
    re.compile(rf"""<script\b[^>]*\bsrc\s*=\s*["']({_REMOTE})""", re.I),
    re.compile(rf"""<link\b(?=[^>]*\brel\s*=\s*["'](?:stylesheet|preload|modulepreload|icon)["'])[^>]*\bhref\s*=\s*["']({_REMOTE})""", re.I),
    re.compile(rf"""<(?:img|iframe|source|video|audio|embed)\b[^>]*\bsrc\s*=\s*["']({_REMOTE})""", re.I),
    re.compile(rf"""@import\s+(?:url\()?\s*["']?({_REMOTE})""", re.I),
]


def site_files(html: Path, suffixes=TEXT_SUFFIXES, names=OWN_SCRIPTS, skip=SKIP_DIRS):
    for p in sorted(html.rglob("*")):
        rel = p.relative_to(html)
        if not p.is_file() or (len(rel.parts) > 1 and rel.parts[0] in skip):
            continue
        if p.suffix in suffixes or p.name in names:
            yield p


def leaked_paths(html: Path, needles) -> list[str]:
    """``file: ...context...`` for every occurrence of one of ``needles`` (folder paths)."""
    needles = [n.rstrip("/") for n in needles if n and n.rstrip("/")]
    pattern = re.compile("|".join(re.escape(n) + r"(?=/|\b)" for n in sorted(set(needles), key=len, reverse=True)))
    found = []
    for p in site_files(html):
        text = p.read_text(encoding="utf-8", errors="replace")
        for m in pattern.finditer(text):
            ctx = text[max(0, m.start() - 60):m.end() + 60].replace("\n", " ")
            found.append(f"{p.relative_to(html)}: ...{ctx}...")
            break
    return found


def remote_assets(html: Path) -> list[str]:
    """``page: url`` for every asset a page (or a stylesheet of the site) loads from another host."""
    found = []
    for p in site_files(html, suffixes=(".html", ".css"), names=(), skip={"mathjax", "jupyter-widgets"}):
        text = p.read_text(encoding="utf-8", errors="replace")
        for pat in _ASSET_PATTERNS:
            for m in pat.finditer(text):
                found.append(f"{p.relative_to(html)}: {m.group(1)}")
    return found
