"""One command at a time per output folder: an OS lock on `<folder>/.actlocally.lock`, which holds the owner's pid.

The lock is `fcntl.flock` on the open file, so the kernel drops it when the owner exits, however it exits (a
`kill -9` leaves no stale lock to clear by hand). A second command on the same folder refuses at once with a
message naming the first (its pid and command line). Holding the lock, the command also removes the temporary
files an interrupted write left behind (`.<name>.*.tmp`, see `runtime.storage.atomic_path`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from actlocally.model.errors import InputError

LOCK_NAME = ".actlocally.lock"


@contextlib.contextmanager
def folder_lock(folder: Path | str, command: str | None = None) -> Iterator[Path]:
    """Hold the folder's lock (creating the folder) for the duration, or raise InputError naming the holder."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise InputError(folder, None, f"cannot use as an output folder ({err.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(folder, None, f"in use by another actlocally command ({_owner(fd)}); wait for it to "
                             "finish, or give another output folder") from None
        owner = {"pid": os.getpid(), "command": command or " ".join(["actlocally", *sys.argv[1:]])[:300],
                 "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(owner).encode(), 0)
        clean_temporary_files(folder)
        yield folder
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _owner(fd: int) -> str:
    """'pid 123: actlocally compare ... since ...' from the lock file, or what could be read of it."""
    try:
        owner = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {owner['pid']}: {owner['command']}, since {owner['since']}"
    except (ValueError, KeyError, TypeError, OSError):
        return "pid unknown"


def clean_temporary_files(folder: Path) -> list[Path]:
    """Remove `.<name>.*.tmp` files left in `folder` (and its sub-folders) by an interrupted atomic write."""
    removed = []
    for path in folder.rglob(".*.tmp"):
        if path.is_file() and "runs.zarr" not in path.parts:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
