"""Third-party files the site serves itself: pinned npm packages, checked and cached.

The site makes no request to any other host, so the scripts it needs are copied into it at
build time (Sphinx ``html_extra_path``, never ``_static``: Jupyter Book adds every ``*.js``
under ``_static`` to every page):

* ``jupyter-widgets/``: the ipywidgets HTML manager (``@jupyter-widgets/html-manager``,
  ``dist/embed-amd.js`` and the fonts it loads from its own folder) and ``require.js``
  (``requirejs``), which render the widget state saved in the executed notebooks;
* ``mathjax/``: MathJax 3 from the pinned ``django-static-mathjax`` wheel (a Python package,
  installed with the environment).

An npm package is one tarball, pinned here by name, version and the ``sha512`` integrity that
the registry publishes for it. :func:`npm_tarball` returns it from the cache folder
(``$RAF_BOOK_CACHE/npm`` or ``~/.cache/raf-book/npm``) after checking that hash, or fetches it
once (``npm pack``, or a plain download from the registry where npm is missing), checks it and
caches it. A file that does not match its pin is never used: the error names the file, the
expected and the actual hash, and where it came from.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from pathlib import Path

DEFAULT_REGISTRY = "https://registry.npmjs.org/"


@dataclasses.dataclass(frozen=True)
class NpmPackage:
    """A pinned npm package: ``integrity`` is the registry's ``dist.integrity`` (``sha512-...``)."""

    name: str
    version: str
    integrity: str
    license: str

    @property
    def filename(self) -> str:
        """The tarball's name as ``npm pack`` writes it (``@scope/name`` -> ``scope-name``)."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"

    def url(self, registry: str = DEFAULT_REGISTRY) -> str:
        base = self.name.split("/")[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{base}-{self.version}.tgz"


HTML_MANAGER = NpmPackage(
    "@jupyter-widgets/html-manager", "1.0.15",
    "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
    "BSD-3-Clause")
REQUIREJS = NpmPackage(
    "requirejs", "2.3.8",
    "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
    "MIT")


class VendorError(RuntimeError):
    """A pinned third-party file is missing, cannot be fetched, or does not match its hash."""


def cache_dir() -> Path:
    """Where fetched tarballs are kept: ``$RAF_BOOK_CACHE/npm`` or ``~/.cache/raf-book/npm``."""
    root = os.environ.get("RAF_BOOK_CACHE")
    if root:
        return Path(root).expanduser() / "npm"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "raf-book" / "npm"


def integrity_of(path: Path, algorithm: str = "sha512") -> str:
    """The Subresource-Integrity string of a file, as npm reports it (``sha512-<base64>``)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"{algorithm}-{base64.b64encode(h.digest()).decode()}"


def check_integrity(path: Path, expected: str, origin: str) -> None:
    """Raise :class:`VendorError` unless ``path`` has the pinned ``expected`` integrity."""
    algorithm = expected.split("-", 1)[0]
    actual = integrity_of(path, algorithm)
    if actual != expected:
        raise VendorError(
            f"{path} (from {origin}) does not match its pinned hash:\n"
            f"  expected {expected}\n  found    {actual}\n"
            "The file was not used. Delete it to fetch it again; if the registry serves it with "
            "another hash, the pin in tools/vendor.py is wrong or the package was replaced.")


def _registry() -> str:
    return (os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")
            or DEFAULT_REGISTRY)


def _fetch(pkg: NpmPackage, folder: Path) -> tuple[Path, str]:
    """Fetch ``pkg``'s tarball into ``folder``; return the file and where it came from."""
    npm = shutil.which("npm")
    errors = []
    if npm:
        cmd = [npm, "pack", f"{pkg.name}@{pkg.version}", "--pack-destination", str(folder),
               "--silent", "--ignore-scripts"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        path = folder / pkg.filename
        if proc.returncode == 0 and path.is_file():
            return path, f"`npm pack {pkg.name}@{pkg.version}`"
        errors.append(f"`{' '.join(cmd[1:])}` failed: {(proc.stderr or proc.stdout).strip()[-800:]}")
    else:
        errors.append("npm is not installed")
    url = pkg.url(_registry())
    path = folder / pkg.filename
    try:
        with urllib.request.urlopen(url, timeout=120) as resp, open(path, "wb") as out:
            shutil.copyfileobj(resp, out)
        return path, url
    except OSError as exc:
        errors.append(f"download of {url} failed: {exc}")
    raise VendorError(
        f"Cannot fetch the npm package {pkg.name}@{pkg.version}, which the site serves itself:\n  "
        + "\n  ".join(errors)
        + f"\nThe book needs the npm registry once; the tarball is then kept in {cache_dir()}. "
        f"Without a network, put {pkg.filename} (sha512 {pkg.integrity}) there.")


def npm_tarball(pkg: NpmPackage, *, cache: Path | None = None, fetch=_fetch) -> Path:
    """The checked tarball of ``pkg``: from the cache, else fetched once and cached.

    A cached file that fails the check is fetched again; a fetched file that fails it raises
    :class:`VendorError` and is removed.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    cached = cache / pkg.filename
    if cached.is_file():
        try:
            check_integrity(cached, pkg.integrity, f"the cache {cache}")
            return cached
        except VendorError:
            cached.unlink()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".fetch-") as tmp:
        path, origin = fetch(pkg, Path(tmp))
        check_integrity(path, pkg.integrity, origin)
        os.replace(path, cached)  # same folder: atomic, so a parallel build never sees half a file
    return cached


def _extract(tarball: Path, members: dict[str, Path]) -> None:
    """Copy ``package/<member>`` of an npm tarball to the given destinations."""
    with tarfile.open(tarball, "r:gz") as tar:
        names = set(tar.getnames())
        for member, dest in members.items():
            name = f"package/{member}"
            if name not in names:
                raise VendorError(f"{tarball} has no {name}: the pinned package changed layout.")
            src = tar.extractfile(name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            with src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)


# Files that embed-amd.js loads from its own folder (webpack's public path): fonts and icons.
_ASSET_RE = re.compile(r'n\.p\+"([0-9a-f]{20}\.(?:woff2|woff|ttf|eot|svg))"')


def stage_widget_manager(dest: Path, *, cache: Path | None = None) -> list[Path]:
    """Write ``require.js``, ``embed-amd.js`` and its fonts into ``dest`` (``<site>/jupyter-widgets``).

    Returns the files written. ``_config.yml``'s ``nb_ipywidgets_js`` points at them.
    """
    dest.mkdir(parents=True, exist_ok=True)
    manager, requirejs = npm_tarball(HTML_MANAGER, cache=cache), npm_tarball(REQUIREJS, cache=cache)
    _extract(requirejs, {"require.js": dest / "require.js"})
    _extract(manager, {"dist/embed-amd.js": dest / "embed-amd.js",
                       "dist/embed.js.LICENSE.txt": dest / "embed-amd.js.LICENSE.txt"})
    assets = sorted(set(_ASSET_RE.findall((dest / "embed-amd.js").read_text(encoding="utf-8"))))
    if not any(a.endswith(".woff2") for a in assets):
        raise VendorError(f"found no font that {HTML_MANAGER.name} loads: the pinned package changed layout.")
    _extract(manager, {f"dist/{a}": dest / a for a in assets})
    (dest / "SOURCES.txt").write_text(
        "Served by the site itself (no request to a CDN); written by tools/vendor.py.\n\n"
        + "".join(f"{p.name}@{p.version} ({p.license}), npm tarball {p.integrity}\n"
                  for p in (HTML_MANAGER, REQUIREJS))
        + "  require.js         <- requirejs/require.js\n"
        + "  embed-amd.js       <- @jupyter-widgets/html-manager/dist/embed-amd.js\n"
        + f"  {len(assets)} font files <- @jupyter-widgets/html-manager/dist/ (Font Awesome, loaded by embed-amd.js)\n",
        encoding="utf-8")
    return sorted(dest.iterdir())


def stage_mathjax(dest: Path) -> None:
    """Copy MathJax 3 (from the pinned ``django-static-mathjax`` wheel) into ``dest`` (``<site>/mathjax``).

    Only the TeX-to-CommonHTML component and what it loads on demand are copied;
    ``_config.yml``'s ``mathjax_path`` points at it.
    """
    import mathjax  # the package of django-static-mathjax; nothing but static files

    src = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "tex-chtml.js", dest / "tex-chtml.js")
    for sub in ("output", "input", "ui", "a11y", "adaptors"):
        if (src / sub).is_dir():
            shutil.copytree(src / sub, dest / sub, dirs_exist_ok=True)
    if (src.parent / "LICENSE").is_file():
        shutil.copy2(src.parent / "LICENSE", dest / "LICENSE")
