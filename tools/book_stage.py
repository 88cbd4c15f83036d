"""What Sphinx reads: the executed notebooks made fit to publish, and a page for each chapter that
has no current execution.

``tools/build_book.py`` decides the state of each notebook chapter (:class:`PageState`) and calls
:func:`stage_notebook`, which writes the ``.ipynb`` that Jupyter Book renders:

* ``current``: the executed notebook, cleaned (:func:`publishable`): the cell papermill injected
  is hidden and keeps no build path, papermill's metadata names no file of the build machine,
  and every text output has the paths of the build machine replaced (:func:`scrub`);
* ``stale`` (executed, but the chapter or ``raf`` changed since): the same, under a warning that
  says so (``html`` never shows an old execution without a word);
* ``missing-data``, ``failed``, ``not-executed``: the chapter's own text and code, without
  outputs, under a box that says why and what to do (:func:`placeholder`), so that the book
  still builds, its cross-references still resolve, and the reader is told.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

STATES = ("current", "stale", "missing-data", "failed", "not-executed")


@dataclasses.dataclass
class PageState:
    """How a notebook chapter is rendered: ``status`` is one of :data:`STATES`."""

    name: str
    status: str
    notebook: Path | None = None   # the executed notebook (current, stale)
    detail: str = ""               # what is wrong and how to fix it, Markdown (all but current)
    executed_at: str = ""

    @property
    def complete(self) -> bool:
        return self.status == "current"


# --------------------------------------------------------------------------------------------
# Paths of the build machine


def scrub(obj, replacements):
    """Copy of a notebook's JSON tree with each ``(old, new)`` string replaced in every text.

    Images (``image/*`` entries) are left alone: their base64 text is not prose.
    """
    if isinstance(obj, str):
        for old, new in replacements:
            obj = obj.replace(old, new) if isinstance(old, str) else old.sub(new, obj)
        return obj
    if isinstance(obj, list):
        return [scrub(x, replacements) for x in obj]
    if isinstance(obj, dict):
        return type(obj)((k, v if str(k).startswith("image/") else scrub(v, replacements))
                         for k, v in obj.items())
    return obj


def path_replacements(root: Path, home: Path, named=None):
    """The ``(old, new)`` pairs that hide the build machine: each path of ``named`` (path -> what
    to show instead), the checkout as ``.``, the home folder as ``~``; longest first, so that a
    path inside another is replaced first."""
    pairs = [(str(Path(p)), label) for p, label in (named or {}).items() if p]
    pairs.append((str(root), "."))
    if str(home) not in ("", "/"):
        pairs.append((re.compile(re.escape(str(home)) + r"(?=/|\b)"), "~"))
    return sorted(pairs, key=lambda p: -len(p[0] if isinstance(p[0], str) else p[0].pattern))


# --------------------------------------------------------------------------------------------
# Notebooks


def _drop_parameter(source: str, name: str) -> str:
    lines = [ln for ln in source.splitlines() if not re.match(rf"\s*{re.escape(name)}\s*=", ln)]
    return "\n".join(lines)


def publishable(nb, name: str, replacements, private_params=("results_path",)):
    """A copy of an executed notebook fit for the site and for download.

    The cell papermill injected is tagged ``remove-cell`` and loses the parameters that only
    the build uses (``results_path``); it is removed when nothing is left in it. Papermill's
    notebook metadata keeps only file names. Then :func:`scrub` with ``replacements``.
    """
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags:
            src = cell.source
            for p in private_params:
                src = _drop_parameter(src, p)
            if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in src.splitlines()):
                continue
            cell.source = src
            if "remove-cell" not in tags:
                cell.metadata["tags"] = [*tags, "remove-cell"]
        cells.append(cell)
    nb.cells = cells
    pm = nb.metadata.get("papermill")
    if pm is not None:
        pm["input_path"] = pm["output_path"] = f"{name}.ipynb"
        for p in private_params:
            (pm.get("parameters") or {}).pop(p, None)
    return scrub(nb, replacements)


def add_banner(nb, markdown: str, kind: str = "warning"):
    """Put an admonition right under the notebook's title (or at the top when it has none)."""
    box = f":::{{{kind}}}\n{markdown.strip()}\n:::\n"
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        m = re.search(r"^# .*$", cell.source, flags=re.M)
        if m:
            cell.source = cell.source[:m.end()] + "\n\n" + box + cell.source[m.end():]
            return nb
        break
    import nbformat

    nb.cells.insert(0, nbformat.v4.new_markdown_cell(box))
    return nb


def placeholder(source_nb, markdown: str, replacements=()):
    """The chapter's cells with no outputs, under a warning box saying why (``markdown``)."""
    nb = copy.deepcopy(source_nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return scrub(add_banner(nb, markdown), replacements)


def stage_notebook(state: PageState, source_nb, dest: Path, replacements) -> None:
    """Write the page of one notebook chapter (see the module docstring) to ``dest``."""
    import nbformat

    if state.status in ("current", "stale"):
        nb = publishable(nbformat.read(state.notebook, as_version=4), state.name, replacements)
        if state.status == "stale":
            add_banner(nb, state.detail)
    else:
        nb = placeholder(source_nb, state.detail, replacements)
    nbformat.write(nb, dest)


# --------------------------------------------------------------------------------------------
# The table of contents


def doc_of(entry) -> str:
    entry = str(entry)
    return str(Path(entry).with_suffix("")) if entry.endswith((".md", ".ipynb")) else entry


def prune_toc(node: dict, keep: set[str]):
    """Copy of a toc node without the entries whose file is missing, and without emptied parts."""
    new = dict(node)
    for key in ("parts", "chapters", "sections"):
        if key in node:
            kids = [k for k in (prune_toc(k, keep) for k in node[key] or []) if k is not None]
            if kids:
                new[key] = kids
            else:
                del new[key]
    if "file" in node and doc_of(node["file"]) not in keep:
        return None
    if "caption" in node and "chapters" not in new:
        return None
    return new


# --------------------------------------------------------------------------------------------
# The status page


def status_markdown(mode: str, rows, machine: str, versions) -> str:
    """Tables of the status page. ``rows``: ``(name, seconds or None, executed_at, note)``."""
    lines = ["## Execution times", ""]
    if mode != "full":
        lines += [f"*This build used the `{mode}` parameters (reduced grids for the tests).*", ""]
    lines += ["| Chapter | Execution time (s) | Executed at |", "| --- | ---: | --- |"]
    total = 0.0
    for name, seconds, executed_at, note in rows:
        if seconds is None:
            lines.append(f"| {{doc}}`{name}` | {note or 'not executed'} | |")
            continue
        total += seconds
        when = executed_at + (f" ({note})" if note else "")
        lines.append(f"| {{doc}}`{name}` | {seconds:.1f} | {when} |")
    lines += [f"| **total** | **{total:.1f}** | |", ""]
    lines += [f"Times include the start of the kernel. Machine: {machine}.", ""]
    lines += ["## Versions", "", "| Package | Version |", "| --- | --- |"]
    lines += [f"| {p} | {v} |" for p, v in versions]
    return "\n".join(lines) + "\n"
