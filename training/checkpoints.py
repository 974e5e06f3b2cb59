"""Checkpoints and output folders that are either complete or absent, on public APIs only.

transformers' Trainer writes ``checkpoint-N`` in place and writes ``trainer_state.json``
last, so a checkpoint whose state file reads as JSON is complete; a full disk or a kill
half-way leaves one without it. Such folders are removed when a save fails and before a run
starts, so resuming always finds a good checkpoint (and ``get_last_checkpoint`` agrees);
rotation is the Trainer's own ``save_total_limit``, which deletes old checkpoints only after
the new one is written. No Trainer method is overridden. Adapters and merged models are
written through ``index.files.write_folder_atomic``.
"""

from __future__ import annotations

import errno
import json
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from index.errors import GaokerenaError
from index.files import write_folder_atomic

logger = logging.getLogger(__name__)

STAGING_PREFIX = ".partial-"
STATE_FILE = "trainer_state.json"


class SaveError(GaokerenaError):
    """Writing a checkpoint, adapter or model failed (disk full, permissions)."""


def _is_disk_full(error: BaseException) -> bool:
    # safetensors reports a full disk as SafetensorError("... StorageFull ... os error 28").
    text = str(error)
    return (getattr(error, "errno", None) == errno.ENOSPC or "No space left" in text
            or "StorageFull" in text or "os error 28" in text)


def _is_write_failure(error: BaseException) -> bool:
    return isinstance(error, OSError) or _is_disk_full(error)


def _save_error(what: str, error: BaseException, run_dir: Path | None = None) -> SaveError:
    reason = ("no space left on the device" if _is_disk_full(error)
              else f"{type(error).__name__}: {error}")
    latest = latest_checkpoint(run_dir) if run_dir is not None else None
    resume = (f"; the newest complete checkpoint is {latest}: free space and run the same "
              "command again to resume from it") if latest else ""
    return SaveError(f"writing {what} failed ({reason}). The partial files were removed"
                     f"{resume}.")


def _step(path: Path) -> int | None:
    prefix = f"{PREFIX_CHECKPOINT_DIR}-"
    if path.name.startswith(prefix) and path.name[len(prefix):].isdigit():
        return int(path.name[len(prefix):])
    return None


def is_complete(checkpoint: Path) -> bool:
    """Whether the Trainer finished writing ``checkpoint``: its state file (written last) parses."""
    try:
        json.loads((checkpoint / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


def latest_checkpoint(run_dir: Path | None) -> Path | None:
    """The complete checkpoint with the highest step in ``run_dir``, or ``None``."""
    if run_dir is None or not run_dir.is_dir():
        return None
    complete = [(step, path) for path in run_dir.iterdir()
                if path.is_dir() and (step := _step(path)) is not None and is_complete(path)]
    return max(complete)[1] if complete else None


def remove_incomplete(run_dir: Path) -> list[Path]:
    """Delete checkpoints a failed or killed save left half-written (and older staging folders)."""
    removed = []
    if run_dir.is_dir():
        for path in run_dir.iterdir():
            stale = path.name.startswith(STAGING_PREFIX)  # left by versions that staged saves
            if path.is_dir() and (stale or (_step(path) is not None and not is_complete(path))):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@contextmanager
def complete_checkpoints(run_dir: Path, should_save: bool = True) -> Iterator[None]:
    """Around ``trainer.train()``: only complete ``checkpoint-N`` folders outlive it.

    A save that fails (a full disk) or is interrupted leaves its half-written folder behind;
    it is removed here, and a write failure becomes a :class:`SaveError` that names the
    newest complete checkpoint to resume from. ``should_save``: the process that writes
    checkpoints (``TrainingArguments.should_save``); the others leave the folder alone.
    """
    if should_save:
        remove_incomplete(run_dir)
    try:
        yield
    except BaseException as error:
        removed = remove_incomplete(run_dir) if should_save else []
        if removed and _is_write_failure(error) and not isinstance(error, GaokerenaError):
            raise _save_error(removed[0].name, error, run_dir) from error
        raise


@contextmanager
def atomic_folder(final: Path, what: str) -> Iterator[Path]:
    """``index.files.write_folder_atomic``, with a failed write explained as a :class:`SaveError`.

    ``what`` names the output in the message ("the adapter", "the merged model").
    """
    try:
        with write_folder_atomic(final) as staging:
            yield staging
    except BaseException as error:
        if _is_write_failure(error) and not isinstance(error, GaokerenaError):
            raise _save_error(what, error) from error
        raise
