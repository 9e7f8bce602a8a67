"""Read input files boundedly: regular files only, size checked before reading.

A FIFO would block `open()` forever and `/dev/zero` never ends, so files are opened
non-blocking, checked with `fstat` (regular file, size within the limit) and read with a cap
in case they grow meanwhile.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class FileRefused(Exception):
    """The file cannot be read safely; `message` and `hint` go into a Problem."""

    def __init__(self, message: str, hint: str) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def read_bounded(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of regular file `path`, refused (FileRefused) if missing, special or too big."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise FileRefused(f"{what} not found", "check the path") from None
    except OSError as exc:
        raise FileRefused(f"cannot read: {exc.strerror or exc}", "give a readable file") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise FileRefused(f"{what} is {kind}, not a regular file", "give a regular file")
        if info.st_size > limit:
            raise FileRefused(
                f"{what} is {info.st_size} bytes, over the {limit} byte limit",
                "split or shrink the file",
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileRefused(f"{what} grew past the {limit} byte limit", "split the file")
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"cannot read: {exc.strerror or exc}", "give a readable file") from None
    finally:
        os.close(fd)


def require_regular_file(path: str | Path, limit: int, what: str = "file") -> None:
    """Raise FileRefused unless `path` is a regular file of at most `limit` bytes (no read)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(f"{what} not found", "check the path") from None
    except OSError as exc:
        raise FileRefused(f"cannot read: {exc.strerror or exc}", "give a readable file") from None
    if not stat.S_ISREG(info.st_mode):
        kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise FileRefused(f"{what} is {kind}, not a regular file", "give a regular file")
    if info.st_size > limit:
        raise FileRefused(
            f"{what} is {info.st_size} bytes, over the {limit} byte limit",
            "split or shrink the file",
        )
