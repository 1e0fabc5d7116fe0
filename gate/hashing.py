"""Streaming SHA-256 with one reused buffer per thread: flat memory at any file size.

Kept free of the models (and so of pydantic) so `gate evidence verify` starts fast.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
_local = threading.local()


@dataclass(frozen=True)
class Digest:
    """A SHA-256 digest and the number of bytes it covers."""

    hex: str
    size: int


def sha256_file(path: Path) -> Digest:
    """Hash a file by streaming through one reused per-thread buffer (flat memory at any size)."""
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(CHUNK)
    view = memoryview(buf)
    digest = hashlib.sha256()
    size = 0
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(view):
            digest.update(view[:n])
            size += n
    return Digest(digest.hexdigest(), size)


def workers() -> int:
    """Hashing threads: hashlib releases the GIL on large updates, so one per core pays off."""
    return max(1, min(32, os.cpu_count() or 1))
