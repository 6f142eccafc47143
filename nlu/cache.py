"""Derived objects kept on disk between starts: built classifiers, py3langid's model.

Building the classifier takes seconds (most of it the cross-validation that calibrates it),
and so does decompressing py3langid's model; both are pure functions of their inputs. A
cache folder (the bot uses `var/nlu-cache/`) keeps them as pickles named `<kind>-<key>.pkl`.
The key is a hash of everything the object is made from, of every file of the `nlu`
package (its code and `offtopic.yaml`) and of the versions of Python, komek, NumPy, SciPy,
scikit-learn and py3langid: a change to any of them is a new key, never a stale object.

- Writes are atomic (a temporary file in the same folder, then `os.replace`), so a crash
  leaves either the old file or the new one, never half a file.
- A file that is missing, cannot be read or unpickled, or holds something else is rebuilt
  with a log line, never an error.
- Only the newest `KEEP` files of a kind stay.
- NumPy arrays are written after the pickle, out of band (pickle protocol 5), and read back
  memory-mapped, read-only: a loaded classifier's matrices are pages of its file, which
  become resident only as scoring reads them, which the kernel may drop and read again, and
  which the bot's processes share, instead of 18 MiB of heap in each (`load`).
- Pickle runs code when it loads, so a file is loaded only if it is the process's own: owned
  by the user running the bot and writable by nobody else (the files are written with mode
  0600; one with a group or other write bit is refused). Such a file was written by the bot
  itself, or by someone who can already change the bot's code and its `var/` folder.

    classifier = build_cached(examples, urgent_ids, urgent_phrases, "tfidf", cache_dir)
    # (nlu.classifier.build_cached: the classifier through this cache)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mmap
import os
import pickle
import stat
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np

log = logging.getLogger(__name__)

NLU_DIR = Path(__file__).resolve().parent
KEEP = 3  # files of one kind that stay after a write
SUFFIX = ".pkl"
ALIGN = 64  # each array's data starts at a multiple of this in its file: aligned for NumPy
T = TypeVar("T")


def digest(*parts: Any) -> str:
    """A hash of JSON-able parts (tuples become lists), 24 hex digits."""
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def files_hash(root: Path, patterns: Iterable[str] = ("**/*",)) -> str:
    """A hash of the names (relative to `root`) and bytes of the files matching `patterns`."""
    h = hashlib.sha256()
    paths = {p for pattern in patterns for p in root.glob(pattern) if p.is_file()}
    for path in sorted(paths):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:24]


def source_hash(folder: Path | None = None) -> str:
    """A hash of the `nlu` package's files (`*.py` and the data beside them)."""
    return files_hash(folder or NLU_DIR, ("*.py", "*.yaml"))


@cache
def versions() -> tuple[tuple[str, str], ...]:
    """Python and the distributions whose objects end up in the pickles."""
    result = [("python", sys.version.split()[0])]
    for name in ("komek", "numpy", "scipy", "scikit-learn", "py3langid"):
        try:
            result.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            result.append((name, "-"))
    return tuple(result)


def path_for(cache_dir: Path, kind: str, key: str) -> Path:
    return cache_dir / f"{kind}-{key}{SUFFIX}"


def _trusted(path: Path) -> str | None:
    """None if the file may be unpickled, else why not."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return "it belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "it is writable by others"
    return None


def read(path: Path, expected: type[T]) -> T | None:
    """The object in `path`, or None (logged) when it is missing, unsafe or unreadable."""
    try:
        refused = _trusted(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        log.warning("nlu cache: cannot read %s (%s); rebuilding", path, error)
        return None
    if refused:
        log.warning("nlu cache: not loading %s: %s; rebuilding", path.name, refused)
        return None
    try:
        value = load(path)
    except Exception as error:  # corrupt, truncated, or from incompatible code
        log.warning("nlu cache: %s is unreadable (%s); rebuilding", path.name, error)
        return None
    if not isinstance(value, expected):
        log.warning("nlu cache: %s holds a %s; rebuilding", path.name, type(value).__name__)
        return None
    return value


def dump(value: Any, f: BinaryIO) -> None:
    """`value` pickled with its arrays' data out of band: a header (the number of buffers,
    the pickle's length and each buffer's), the pickle, then the buffers, each aligned."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    f.write(struct.pack(f"<{len(raws) + 2}Q", len(raws), len(data), *(r.nbytes for r in raws)))
    f.write(data)
    for raw in raws:
        f.write(bytes(-f.tell() % ALIGN))
        f.write(raw)


def load(path: Path) -> Any:
    """What `dump` wrote, its arrays memory-mapped read-only from the file."""
    with path.open("rb") as f:
        length = os.fstat(f.fileno()).st_size
        count, size = struct.unpack("<2Q", f.read(16))
        if 16 + 8 * count + size > length:
            raise EOFError("the file is truncated")
        sizes = struct.unpack(f"<{count}Q", f.read(8 * count))
        data = f.read(size)
        view = memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if count else b"")
    buffers, offset = [], 16 + 8 * count + size
    for n in sizes:
        offset += -offset % ALIGN
        buffers.append(view[offset : offset + n])
        offset += n
    if offset > length:
        raise EOFError("the file is truncated")
    return pickle.loads(data, buffers=buffers)


def write(cache_dir: Path, kind: str, key: str, value: Any, keep: int = KEEP) -> None:
    """Store `value` atomically, then prune older files of its kind; failures are logged."""
    path = path_for(cache_dir, kind, key)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:  # mkstemp: mode 0600
                dump(value, f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception as error:  # a read-only or full disk: serve without a cache
        log.warning("nlu cache: cannot write %s (%s)", path, error)
        return
    prune(cache_dir, kind, keep)


def prune(cache_dir: Path, kind: str, keep: int = KEEP, suffix: str = SUFFIX) -> list[Path]:
    """Delete all but the `keep` newest files of `kind`, and temporary files of `kind` left
    by a write that crashed an hour ago or more; returns the deleted files."""
    files = []
    for p in cache_dir.glob(f"{kind}-*{suffix}"):
        with contextlib.suppress(FileNotFoundError):  # pruned by another process meanwhile
            files.append((p.stat().st_mtime_ns, p))
    files.sort(reverse=True)
    stale = [p for _, p in files[keep:]]
    for p in cache_dir.glob(f".{kind}-*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if p.stat().st_mtime < time.time() - 3600:
                stale.append(p)
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def cached(
    cache_dir: Path | None, kind: str, key: str, expected: type[T], make: Callable[[], T]
) -> T:
    """The object of `kind` with `key` from `cache_dir`, or made by `make` and stored there."""
    if cache_dir is None:
        return make()
    path = path_for(cache_dir, kind, key)
    value = read(path, expected)
    if value is not None:
        log.info("nlu cache: loaded %s", path.name)
        with contextlib.suppress(OSError):
            os.utime(path)  # the files used last are the ones kept
        return value
    value = make()
    write(cache_dir, kind, key, value)
    return value


def cached_array(
    cache_dir: Path | None, kind: str, key: str, make: Callable[[], np.ndarray]
) -> np.ndarray:
    """The array of `kind` with `key`, memory-mapped read-only from `<kind>-<key>.npy` in
    `cache_dir`: only the pages in use become resident, and the kernel may drop them again.
    Made by `make` and stored when missing or unreadable; without `cache_dir`, only made."""
    if cache_dir is None:
        return make()
    path = cache_dir / f"{kind}-{key}.npy"
    try:
        return _mapped(path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as error:  # truncated or foreign
        log.warning("nlu cache: %s is unreadable (%s); rebuilding", path.name, error)
    array = make()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, array, allow_pickle=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        log.warning("nlu cache: cannot write %s (%s)", path, error)
        return array
    prune(cache_dir, kind, KEEP, ".npy")
    return _mapped(path)


def _mapped(path: Path) -> np.ndarray:
    array = np.load(path, mmap_mode="r", allow_pickle=False)  # a plain array: no code runs
    with contextlib.suppress(OSError):
        os.utime(path)  # the files used last are the ones kept
    return array
