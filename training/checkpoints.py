"""Checkpoints and output folders that are either complete or absent.

transformers' Trainer writes ``checkpoint-N`` in place: a full disk or a kill half-way leaves
a folder that ``get_last_checkpoint`` picks as the newest, and resuming from it fails or,
worse, loads a truncated optimizer state. Here every checkpoint is written into a hidden
``.partial-checkpoint-N`` folder and renamed into place only when complete, so the newest
``checkpoint-N`` is always a good one. Adapters and merged models are written the same way.
"""

from __future__ import annotations

import errno
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from transformers import Trainer
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from index.errors import GaokerenaError
from index.files import replace_folder, write_folder_atomic

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


def latest_checkpoint(run_dir: Path | None) -> Path | None:
    """The complete checkpoint with the highest step in ``run_dir``, or ``None``."""
    if run_dir is None or not run_dir.is_dir():
        return None
    complete = [(step, path) for path in run_dir.iterdir()
                if path.is_dir() and (step := _step(path)) is not None
                and (path / STATE_FILE).is_file()]
    return max(complete)[1] if complete else None


def remove_stale_partials(run_dir: Path) -> list[Path]:
    """Delete ``.partial-*`` folders an earlier, interrupted run left behind."""
    removed = []
    if run_dir.is_dir():
        for path in run_dir.iterdir():
            if path.name.startswith(STAGING_PREFIX) and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


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


class AtomicCheckpointTrainer(Trainer):
    """A Trainer whose ``checkpoint-N`` folders appear only once fully written."""

    _staging_root: Path | None = None

    def _get_output_dir(self, trial: Any) -> str:
        if self._staging_root is not None:
            return str(self._staging_root)
        return super()._get_output_dir(trial)

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        run_dir = Path(super()._get_output_dir(trial))
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging = run_dir / f"{STAGING_PREFIX}{name}"
        if self.args.should_save and staging.exists():
            shutil.rmtree(staging)
        self.accelerator.wait_for_everyone()  # no rank writes into it before it is clean
        self._staging_root = staging
        try:
            super()._save_checkpoint(model, trial)
            self.accelerator.wait_for_everyone()  # every rank's RNG file is in place
        except BaseException as error:  # interrupted or failed: no half checkpoint stays
            if self.args.should_save:
                shutil.rmtree(staging, ignore_errors=True)
            if _is_write_failure(error):
                raise _save_error(name, error, run_dir) from error
            raise
        finally:
            self._staging_root = None
        if self.args.should_save:
            final = run_dir / name  # may exist: the same step saved again after resuming
            replace_folder(staging / name, final)
            shutil.rmtree(staging, ignore_errors=True)
            self._rotate(run_dir, keep=final)
        self.accelerator.wait_for_everyone()

    def _rotate(self, run_dir: Path, keep: Path) -> None:
        limit = self.args.save_total_limit
        if not limit:
            return
        complete = sorted((_step(p), p) for p in run_dir.iterdir()
                          if p.is_dir() and _step(p) is not None)
        excess = len(complete) - max(limit, 1)
        for _, path in complete:
            if excess <= 0:
                break
            if path != keep:
                shutil.rmtree(path, ignore_errors=True)
                excess -= 1
