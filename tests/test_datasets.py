"""raf.datasets: both CIFAR-10 layouts, the cache, and the errors for missing/corrupt data.

Every test but the last writes a tiny fake CIFAR-10 on the fly (no network, no shared
data). The last one reads the real archive named by $RAF_CIFAR10 and is skipped when
that variable is unset or points nowhere.
"""

import io
import os
import pickle
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest

from raf import datasets
from raf._digests import file_digest
from raf.datasets import (
    CIFAR10_CLASSES,
    CIFAR10CorruptError,
    CIFAR10NotFoundError,
    load_cifar10,
)

PIL = pytest.importorskip("PIL.Image")

SHARED = os.environ.get("RAF_CIFAR10")  # read before the fixture below clears it
USER_CACHE = os.environ.get("RAF_CACHE")
CLASSES = CIFAR10_CLASSES  # the image-folder layout must hold all ten classes
N_TRAIN, N_TEST = 2, 1  # images per class


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private, empty cache folder and no $RAF_CIFAR10 for every test."""
    monkeypatch.setenv("RAF_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RAF_CIFAR10", raising=False)
    return tmp_path


def fake_arrays(seed=0):
    """Images whose content encodes (split, class, number): checkable after a round trip."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, k in (("train", N_TRAIN), ("test", N_TEST)):
        X = rng.integers(0, 256, size=(len(CLASSES) * k, 32, 32, 3), dtype=np.uint8)
        y = np.repeat(np.arange(len(CLASSES)), k)
        out[split] = (X, y)
    return out


def write_batches(folder, arrays):
    """The official pickled layout (data rows are R, G, B planes) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    Xtr, ytr = arrays["train"]
    Xtr_rows = Xtr.transpose(0, 3, 1, 2).reshape(len(Xtr), -1)
    parts = np.array_split(np.arange(len(Xtr)), 5)
    for i, idx in enumerate(parts, start=1):
        with open(folder / f"data_batch_{i}", "wb") as f:
            pickle.dump({b"data": Xtr_rows[idx], b"labels": ytr[idx].tolist(),
                         b"batch_label": b"fake"}, f)
    Xte, yte = arrays["test"]
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({b"data": Xte.transpose(0, 3, 1, 2).reshape(len(Xte), -1),
                     b"labels": yte.tolist()}, f)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CLASSES]}, f)
    return folder


def write_images(folder, arrays, ext="png"):
    """The image-folder layout {train,test}/{class}/NNNN.<ext> in ``folder``."""
    from PIL import Image

    for split, (X, y) in arrays.items():
        counters = {}
        for img, c in zip(X, y):
            name = CLASSES[c]
            k = counters.get(name, 0)
            counters[name] = k + 1
            d = folder / split / name
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(d / f"{k:04d}.{ext}")
    return folder


def tar_folder(src, dest, arcname):
    with tarfile.open(dest, "w:gz") as tf:
        tf.add(src, arcname=arcname)
    return dest


def check_equal(data, arrays):
    assert data.classes == CLASSES
    for split in ("train", "test"):
        X, y = arrays[split]
        Xd, yd = getattr(data, f"X_{split}"), getattr(data, f"y_{split}")
        assert Xd.dtype == np.uint8 and Xd.shape == X.shape
        np.testing.assert_array_equal(yd, y)
        np.testing.assert_array_equal(Xd, X)


# ----------------------------------------------------------------------------------
# layouts
# ----------------------------------------------------------------------------------


def test_pickled_batches_in_tar_gz(tmp_path):
    arrays = fake_arrays()
    src = write_batches(tmp_path / "src" / "cifar-10-batches-py", arrays)
    archive = tar_folder(src, tmp_path / "fake-cifar.tar.gz", "cifar-10-batches-py")
    check_equal(load_cifar10(archive), arrays)


def test_extracted_batches_folder_and_parent(tmp_path):
    arrays = fake_arrays(1)
    src = write_batches(tmp_path / "data" / "cifar-10-batches-py", arrays)
    check_equal(load_cifar10(src, cache=False), arrays)
    check_equal(load_cifar10(tmp_path / "data", cache=False), arrays)  # the folder above


def test_image_folder_png(tmp_path):
    arrays = fake_arrays(2)
    check_equal(load_cifar10(write_images(tmp_path / "imgs", arrays)), arrays)


def test_image_folder_tar_gz_with_top_level_folder(tmp_path):
    arrays = fake_arrays(3)
    src = write_images(tmp_path / "cifar10-png", arrays)
    archive = tar_folder(src, tmp_path / "images.tar.gz", "cifar10-png")
    check_equal(load_cifar10(archive), arrays)


def test_image_folder_jpeg_via_env_var(tmp_path, monkeypatch):
    arrays = fake_arrays(4)
    # smooth images so that JPEG's loss stays small
    for split in arrays:
        X, y = arrays[split]
        X[:] = (np.arange(32)[None, :, None, None] * 4 + 10 * np.arange(len(X))[:, None, None, None]
                + np.zeros((1, 1, 32, 3), int)) % 256
    src = write_images(tmp_path / "jpg", arrays, ext="jpg")
    archive = tar_folder(src, tmp_path / "jpg.tar.gz", "jpg")
    monkeypatch.setenv("RAF_CIFAR10", str(archive))
    data = load_cifar10()
    assert data.source == str(archive)
    assert data.X_train.shape == arrays["train"][0].shape
    np.testing.assert_array_equal(data.y_train, arrays["train"][1])
    diff = np.abs(data.X_train.astype(int) - arrays["train"][0].astype(int)).mean()
    assert diff < 12  # JPEG at default quality on a smooth ramp


def test_found_in_cache_folder(tmp_path):
    arrays = fake_arrays(5)
    write_batches(datasets.cache_dir() / "cifar-10-batches-py", arrays)
    data = load_cifar10()
    check_equal(data, arrays)
    assert "cifar-10-batches-py" in data.source


# ----------------------------------------------------------------------------------
# cache
# ----------------------------------------------------------------------------------


def test_second_load_reads_the_npz(tmp_path, monkeypatch):
    arrays = fake_arrays(6)
    src = write_images(tmp_path / "imgs", arrays)
    archive = tar_folder(src, tmp_path / "imgs.tar.gz", "imgs")
    first = load_cifar10(archive)
    assert not first.from_cache
    assert len(list(datasets.cache_dir().glob("cifar10-*.npz"))) == 1

    def no_decoding(*a, **k):
        raise AssertionError("decoded again instead of reading the cache")

    monkeypatch.setattr(datasets, "_read_archive", no_decoding)
    second = load_cifar10(archive)
    assert second.from_cache
    check_equal(second, arrays)

    # the key is the content: a new modification time alone still reads the cache
    monkeypatch.undo()
    monkeypatch.setenv("RAF_CACHE", str(tmp_path / "cache"))
    st = archive.stat()
    os.utime(archive, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert load_cifar10(archive).from_cache


def _replace_keeping_size_and_mtime(path, data):
    st = path.stat()
    assert len(data) == st.st_size
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_replaced_source_of_same_size_and_mtime_is_decoded_again(tmp_path):
    """Regression: a source replaced by a same-size file with its mtime kept was served stale."""
    a, b = fake_arrays(20), fake_arrays(21)
    src_a = write_batches(tmp_path / "a" / "cifar-10-batches-py", a)
    src_b = write_batches(tmp_path / "b" / "cifar-10-batches-py", b)
    archive = tar_folder(src_a, tmp_path / "x.tar", "cifar-10-batches-py")
    other = tar_folder(src_b, tmp_path / "y.tar", "cifar-10-batches-py")
    check_equal(load_cifar10(archive), a)
    assert load_cifar10(archive).from_cache
    new = other.read_bytes()
    new = new[:archive.stat().st_size].ljust(archive.stat().st_size, b"\0")
    _replace_keeping_size_and_mtime(archive, new)
    data = load_cifar10(archive)
    assert not data.from_cache
    check_equal(data, b)


def test_digest_memo_is_used_and_refreshed(tmp_path, monkeypatch):
    """The digest is remembered (no re-hash on an unchanged, old file) and recomputed after a
    change; a file changed just before it was hashed is hashed again (racily clean)."""
    from raf import _digests

    f = tmp_path / "f.bin"
    f.write_bytes(b"a" * 100)
    calls = []
    real = _digests.file_digest
    monkeypatch.setattr(_digests, "file_digest", lambda p, a: calls.append(p) or real(p, a))
    memo = _digests.FileDigests(tmp_path / "memo.json")
    d1 = memo(f)
    assert memo(f) == d1 and len(calls) == 2  # just written: racy, hashed again
    monkeypatch.setattr(_digests, "RACY_SECONDS", -1e9)  # as if the file were old
    assert memo(f) == d1 and len(calls) == 2  # remembered
    memo.save()
    again = _digests.FileDigests(tmp_path / "memo.json")
    assert again(f) == d1 and len(calls) == 2  # remembered across instances
    _replace_keeping_size_and_mtime(f, b"b" * 100)
    assert again(f) != d1 and len(calls) == 3  # ctime moved: hashed again


def test_unreadable_cache_is_rebuilt(tmp_path):
    arrays = fake_arrays(7)
    src = write_batches(tmp_path / "b", arrays)
    load_cifar10(src)
    (npz,) = datasets.cache_dir().glob("cifar10-*.npz")
    npz.write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="unreadable CIFAR-10 cache"):
        data = load_cifar10(src)
    check_equal(data, arrays)
    assert not data.from_cache


def test_cache_false_writes_nothing(tmp_path):
    src = write_batches(tmp_path / "b", fake_arrays(8))
    load_cifar10(src, cache=False)
    assert not datasets.cache_dir().exists() or not list(datasets.cache_dir().glob("*.npz"))


# ----------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------


def test_nothing_found_lists_every_place(tmp_path):
    with pytest.raises(CIFAR10NotFoundError) as info:
        load_cifar10()
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    cache = datasets.cache_dir()
    for p in (cache / "cifar-10-python.tar.gz", cache / "cifar-10-batches-py"):
        assert str(p) in msg
    assert "RAF_CIFAR10" in msg and "download=True" in msg and datasets.CIFAR10_URL in msg


@pytest.mark.parametrize("how", ["argument", "env"])
def test_missing_explicit_location_is_named(tmp_path, monkeypatch, how):
    missing = tmp_path / "nowhere" / "cifar-10-python.tar.gz"
    # a valid copy in the cache must not be used silently instead
    write_batches(datasets.cache_dir() / "cifar-10-batches-py", fake_arrays())
    with pytest.raises(CIFAR10NotFoundError, match="nowhere") as info:
        if how == "argument":
            load_cifar10(missing)
        else:
            monkeypatch.setenv("RAF_CIFAR10", str(missing))
            load_cifar10()
    assert "missing" in str(info.value)


def test_truncated_archive(tmp_path):
    src = write_images(tmp_path / "imgs", fake_arrays(9))
    archive = tar_folder(src, tmp_path / "imgs.tar.gz", "imgs")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(CIFAR10CorruptError, match="imgs.tar.gz") as info:
        load_cifar10(archive)
    assert "Fix" in str(info.value)


def test_bad_checksum_of_official_tarball(tmp_path):
    src = write_batches(tmp_path / "src" / "cifar-10-batches-py", fake_arrays())
    archive = tar_folder(src, tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py")
    with pytest.raises(CIFAR10CorruptError, match="md5") as info:
        load_cifar10(archive)
    assert str(archive) in str(info.value)
    data = load_cifar10(archive, verify=False)
    check_equal(data, fake_arrays())
    assert not data.verified
    # regression: the unverified cache entry is not returned by a later verify=True load
    assert load_cifar10(archive, verify=False).from_cache
    with pytest.raises(CIFAR10CorruptError, match="md5"):
        load_cifar10(archive)


def test_verified_cache_is_verified_again(tmp_path, monkeypatch):
    """A verified archive is checked on every load; tampering after caching is caught."""
    src = write_batches(tmp_path / "src" / "cifar-10-batches-py", fake_arrays())
    archive = tar_folder(src, tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py")
    monkeypatch.setitem(datasets.KNOWN_CHECKSUMS, archive.name,
                        ("md5", file_digest(archive, "md5")))
    first = load_cifar10(archive)
    assert first.verified and not first.from_cache
    second = load_cifar10(archive)
    assert second.verified and second.from_cache
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    _replace_keeping_size_and_mtime(archive, bytes(data))
    with pytest.raises(CIFAR10CorruptError, match="md5"):
        load_cifar10(archive)


@pytest.mark.parametrize("where", ["both", "train"])
def test_image_folder_missing_a_class_is_named(tmp_path, where):
    """Regression: a folder missing a class silently became nine classes with shifted indices."""
    import shutil

    src = write_images(tmp_path / "imgs", fake_arrays(12))
    for split in (("train", "test") if where == "both" else ("train",)):
        shutil.rmtree(src / split / "dog")
    with pytest.raises(CIFAR10CorruptError, match=r"class\(es\) \['dog'\]"):
        load_cifar10(src)


def test_image_folder_unexpected_class_is_named(tmp_path):
    src = write_images(tmp_path / "imgs", fake_arrays(13))
    (src / "test" / "cat").rename(src / "test" / "kitten")
    with pytest.raises(CIFAR10CorruptError, match="kitten"):
        load_cifar10(src)


def test_unreadable_image_is_named(tmp_path):
    src = write_images(tmp_path / "imgs", fake_arrays(10))
    bad = src / "train" / "cat" / "0001.png"
    bad.write_bytes(b"\x89PNG garbage")
    with pytest.raises(CIFAR10CorruptError, match="train/cat/0001.png"):
        load_cifar10(src)


def test_wrong_image_size(tmp_path):
    from PIL import Image

    src = write_images(tmp_path / "imgs", fake_arrays(11))
    Image.new("RGB", (16, 16)).save(src / "test" / "cat" / "0000.png")
    with pytest.raises(CIFAR10CorruptError, match="32x32"):
        load_cifar10(src)


def test_corrupt_pickle_batch(tmp_path):
    src = write_batches(tmp_path / "b", fake_arrays())
    (src / "data_batch_3").write_bytes(b"\x80\x04truncated")
    with pytest.raises(CIFAR10CorruptError, match="data_batch_3"):
        load_cifar10(src)


def test_pickle_with_foreign_globals_is_refused(tmp_path):
    src = write_batches(tmp_path / "b", fake_arrays())
    with open(src / "data_batch_2", "wb") as f:
        pickle.dump({b"data": os.getcwd, b"labels": []}, f)  # a reference to a function
    with pytest.raises(CIFAR10CorruptError, match="forbidden"):
        load_cifar10(src)


def test_archive_without_cifar_layout(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "readme.txt").write_text("hello")
    archive = tar_folder(tmp_path / "x", tmp_path / "other.tar.gz", "x")
    with pytest.raises(CIFAR10CorruptError, match="neither"):
        load_cifar10(archive)


def test_download_fails_cleanly_offline(monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(CIFAR10NotFoundError, match="Downloading CIFAR-10") as info:
        load_cifar10(download=True)
    assert datasets.CIFAR10_URL in str(info.value)
    assert not list(datasets.cache_dir().glob("*.part"))


def test_download_with_wrong_md5_is_discarded(monkeypatch):
    class Response(io.BytesIO):
        def __enter__(self):
            return self

    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: Response(b"not cifar"))
    with pytest.raises(CIFAR10CorruptError, match="md5"):
        load_cifar10(download=True)
    assert not any(datasets.cache_dir().iterdir())


def test_unknown_class_name_message():
    data = datasets.CIFAR10(*(np.zeros((1, 32, 32, 3), np.uint8), np.zeros(1, int)) * 2,
                            classes=CLASSES, source="fake")
    with pytest.raises(ValueError, match="'cat'"):
        data.class_index("dogg")


# ----------------------------------------------------------------------------------
# the real archive (only where $RAF_CIFAR10 names it)
# ----------------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED or not Path(SHARED).exists(),
                    reason="RAF_CIFAR10 is unset or missing: no real CIFAR-10 here")
def test_real_cifar10_from_env(monkeypatch):
    monkeypatch.setenv("RAF_CIFAR10", SHARED)
    # the user's cache (shared with the book), so the 60 000 images are decoded once
    if USER_CACHE:
        monkeypatch.setenv("RAF_CACHE", USER_CACHE)
    else:
        monkeypatch.delenv("RAF_CACHE", raising=False)
    data = load_cifar10()
    assert data.classes == CIFAR10_CLASSES
    assert data.X_train.shape == (50000, 32, 32, 3) and data.X_test.shape == (10000, 32, 32, 3)
    assert data.X_train.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(data.y_train), [5000] * 10)
    np.testing.assert_array_equal(np.bincount(data.y_test), [1000] * 10)
    assert 100 < data.X_train.mean() < 140  # natural images, not blank
