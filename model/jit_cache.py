"""Where numba keeps the model's compiled kernels: a directory named by a hash of the model's source code.

numba's `cache=True` checks only the timestamp of the file that defines a kernel, so an edit to a `*_row` rule or
`rng.uniform` (inlined into the fused passes from other modules) would leave a stale kernel in use. Keying the
cache directory by a hash of every `model/**/*.py` makes any edit start a fresh directory, so the kernels are
compiled again. `use_model_cache()` runs from `model/__init__.py`, before any kernel module is imported (numba
reads `numba.config.CACHE_DIR` when a function is decorated).

The root is `$ACTLOCALLY_NUMBA_CACHE` if set, else `.numba_cache/` in a source checkout (removed by `make clean`),
else the user's cache directory (`$XDG_CACHE_HOME` or `~/.cache`, then `actlocally/numba`). Directories of older
code beyond the `KEEP` most recently used are removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numba

MODEL_DIR = Path(__file__).resolve().parent
KEEP = 4  # cache directories of other code versions kept (switching branches back and forth stays fast)


def source_hash(root: Path = MODEL_DIR) -> str:
    """A short hash of every Python file under `root` (relative path and content), in a fixed order."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def cache_root() -> Path:
    """The directory holding one cache directory per version of the model's code."""
    if os.environ.get("ACTLOCALLY_NUMBA_CACHE"):
        return Path(os.environ["ACTLOCALLY_NUMBA_CACHE"])
    checkout = MODEL_DIR.parent
    if (checkout / "pyproject.toml").is_file() and os.access(checkout, os.W_OK):
        return checkout / ".numba_cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "actlocally" / "numba"


def _prune(root: Path, current: Path) -> None:
    """Remove the cache directories of older code, keeping the `KEEP` most recently used besides `current`."""
    try:
        others = sorted((p for p in root.iterdir() if p.is_dir() and p != current),
                        key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in others[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)


def use_model_cache() -> Path:
    """Point numba's cache at the directory for this code (made if missing) and return it."""
    root = cache_root()
    path = root / source_hash()
    path.mkdir(parents=True, exist_ok=True)
    os.utime(path)  # most recently used
    _prune(root, path)
    numba.config.CACHE_DIR = str(path)
    return path
