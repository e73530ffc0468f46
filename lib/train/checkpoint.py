"""Checkpoints that are whole or absent: written to a temporary file, then renamed.

A rename within one folder is atomic: a reader, an interrupt or a second run writing the same
name sees the old file or the new one, never a mixture. The weights (NAME.pt) and the run's
record (NAME.json) are written as a pair while holding a lock on the folder, so two runs into
one folder leave both files from the same run; both carry the same `run_id`.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import torch


def check_writable(folder: Path) -> None:
    """Creates `folder` if needed and writes a file there; raises OSError naming why not."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


def atomic_write(path: Path, write) -> None:
    """Calls `write(file)` on a temporary file beside `path`, then renames it to `path`.
    On any failure or interrupt the temporary file is removed and `path` is untouched."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's file is private; a checkpoint is not
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def folder_lock(folder: Path):
    """An exclusive lock on `folder` (POSIX; elsewhere only the renames protect the files)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(folder / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def save(folder: Path, name: str, state: dict, record: dict) -> tuple[Path, Path]:
    """Writes NAME.pt (`state` and `record`) and NAME.json (`record`, strict JSON) together."""
    weights, summary = folder / f"{name}.pt", folder / f"{name}.json"
    text = json.dumps(record, indent=2, allow_nan=False).encode()
    with folder_lock(folder):
        atomic_write(weights, lambda f: torch.save({**state, "record": record}, f))
        atomic_write(summary, lambda f: f.write(text))
    return weights, summary


def save_record(path: Path, record: dict) -> None:
    """Writes `record` alone as strict JSON (for a run whose weights are not kept)."""
    text = json.dumps(record, indent=2, allow_nan=False).encode()
    atomic_write(path, lambda f: f.write(text))
