"""Sphinx extension of the RAF book: each page's scripts and styles, loaded once, from the site.

``tools/build_book.py`` copies this file into the staged book (``_ext/``) and ``_config.yml``
loads it (``local_extensions``). On every page, after the other extensions have added their
assets (``html-page-context``, late priority), it

1. **drops duplicate scripts.** sphinx-thebe (and sphinx-togglebutton) register inline scripts
   (``add_js_file(None, body=...)``) after the HTML builder has started; Sphinx 7.4 then keeps
   the script twice, once under the name ``None`` and once under ``''``, which it does not
   recognise as the same. Every page declared ``const THEBE_JS_URL`` twice, and the second
   declaration threw a ``SyntaxError`` in the browser. Two scripts with the same source (or
   body), priority and attributes are one script;
2. **drops every script or stylesheet from another host** (``http:``, ``https:``, ``//``): the
   site serves everything it needs itself (MathJax, the widget manager, require.js); such an
   asset is logged, not loaded;
3. **makes the widget manager's module folder page-relative.** ``data-jupyter-widgets-cdn`` is
   where the manager would fetch widget modules it does not bundle; ``_config.yml`` gives it
   relative to the site root and it is rewritten relative to each page, at every depth;
4. **prepares the page for the widget manager** (pages that load ``embed-amd.js``), with a
   small inline script before it:

   * require.js is told where the manager's own modules live, so that the fonts it loads from
     "its folder" come from ``<site>/jupyter-widgets/`` and not from a folder named after the
     module beside the page (404s);
   * the manager typesets widget labels with the MathJax 2 call ``MathJax.Hub.Queue``; the site
     serves MathJax 3, which has no ``Hub``, so every widget threw a ``TypeError``. The script
     gives MathJax 3 that one call, mapped to ``MathJax.typesetPromise``.
"""

from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript
from sphinx.util import logging

logger = logging.getLogger(__name__)

CDN_ATTRIBUTE = "data-jupyter-widgets-cdn"
MANAGER_SCRIPT = "jupyter-widgets/embed-amd.js"
MANAGER_MODULES = "@jupyter-widgets/html-manager/dist"

# Before embed-amd.js; %(folder)s is the page-relative path of <site>/jupyter-widgets.
PREPARE_MANAGER = """require.config({paths: {"%(modules)s": "%(folder)s"}});
window.addEventListener("DOMContentLoaded", function () {
  var mj = window.MathJax;
  if (mj && mj.startup && !mj.Hub) {
    mj.Hub = {Queue: function (job) {
      var el = job && job[2];
      mj.startup.promise = mj.startup.promise.then(function () {
        return mj.typesetPromise(el ? [el] : undefined);
      });
    }};
  }
});"""
_LOGGED: set[str] = set()  # remote assets already reported


def is_remote(url: str | None) -> bool:
    """True for an address on another host (``http://``, ``https://``, protocol-relative ``//``)."""
    return bool(url) and url.strip().lower().startswith(("http://", "https://", "//"))


def _asset_key(asset) -> tuple:
    return (asset.filename or "", asset.priority, tuple(sorted(asset.attributes.items())))


def clean_assets(assets: list, rewrite=None, dropped: set | None = None) -> list:
    """``assets`` without duplicates and remote files; ``rewrite(asset)`` may return a replacement."""
    seen, kept = set(), []
    for asset in assets:
        if is_remote(asset.filename):
            if dropped is not None:
                dropped.add(asset.filename)
            continue
        if rewrite is not None:
            asset = rewrite(asset)
        key = _asset_key(asset)
        if key not in seen:
            seen.add(key)
            kept.append(asset)
    return kept


def _page_assets(app, pagename, templatename, context, doctree):
    dropped: set[str] = set()
    pathto = context.get("pathto")

    def rewrite(js):
        target = js.attributes.get(CDN_ATTRIBUTE)
        if not target or is_remote(target) or target.startswith("/") or pathto is None:
            return js
        attrs = dict(js.attributes)
        attrs[CDN_ATTRIBUTE] = pathto(target, 1)
        return _JavaScript(js.filename, priority=js.priority, **attrs)

    if "script_files" in context:
        scripts = clean_assets(list(context["script_files"]), rewrite, dropped)
        context["script_files"] = _prepare_manager(scripts, pathto)
    if "css_files" in context:
        context["css_files"] = clean_assets(list(context["css_files"]), None, dropped)
    for url in sorted(dropped - _LOGGED):
        logger.info(f"[sphinx_site] not loading {url}: the site makes no request to another host")
    _LOGGED.update(dropped)


def _prepare_manager(scripts: list, pathto) -> list:
    """``scripts`` with :data:`PREPARE_MANAGER` inserted before the widget manager, if any."""
    for i, js in enumerate(scripts):
        if js.filename and js.filename.split("?")[0].endswith(MANAGER_SCRIPT) and pathto is not None:
            folder = pathto(MANAGER_SCRIPT.rsplit("/", 1)[0], 1).rstrip("/")
            body = PREPARE_MANAGER % {"modules": MANAGER_MODULES, "folder": folder}
            return [*scripts[:i], _JavaScript(None, priority=js.priority, body=body), *scripts[i:]]
    return scripts


def setup(app):
    app.connect("html-page-context", _page_assets, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

