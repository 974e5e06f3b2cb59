"""Results written one line at a time, so an interrupted run continues where it stopped.

A long evaluation against a remote endpoint can die halfway (timeout, crash, Ctrl-C). Each
finished item is appended to a JSONL file and flushed at once; a rerun reads the file,
skips the keys it holds and redoes only the rest. A half-written last line (the process was
killed while writing) is cut off on reopening, with a warning, and that item is redone.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

from index.errors import DataError, GaokerenaError
from index.files import write_json_atomic

logger = logging.getLogger(__name__)


class ResultLog:
    """Append-only JSONL of finished items, keyed by ``key_field``."""

    def __init__(self, path: Path, key_field: str = "key") -> None:
        self.path = Path(path)
        self.key_field = key_field
        self.rows: list[dict[str, Any]] = []
        self._handle: IO[str] | None = None
        if self.path.exists():
            self._read()

    def _read(self) -> None:
        raw = self.path.read_bytes()
        good_end = 0
        for number, line in enumerate(raw.splitlines(keepends=True), start=1):
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                if not line.endswith(b"\n") and good_end + len(line) == len(raw):
                    logger.warning("%s: the last line was cut off (an interrupted run); it "
                                   "will be redone", self.path)
                    with self.path.open("r+b") as handle:
                        handle.truncate(good_end)
                    return
                raise DataError(f"{self.path}:{number}: not a JSON result line; this file "
                                "holds results of an earlier run: move it away to start "
                                "afresh") from None
            if not isinstance(row, dict) or self.key_field not in row:
                raise DataError(f"{self.path}:{number}: a result line without "
                                f"{self.key_field!r}; is this the right file?")
            self.rows.append(row)
            good_end += len(line)
        if raw and not raw.endswith(b"\n"):
            with self.path.open("ab") as handle:
                handle.write(b"\n")

    @property
    def done(self) -> set[str]:
        return {str(row[self.key_field]) for row in self.rows}

    def append(self, row: dict[str, Any]) -> None:
        """Write one finished item and flush it before going on."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._handle.flush()  # a killed process loses at most the line being written
        self.rows.append(row)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ResultLog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ResumeMismatch(GaokerenaError):
    """The output folder holds results of a run with other settings."""


def check_settings(out: Path, settings: dict[str, Any], name: str = "run_settings.json"
                   ) -> None:
    """Refuse to mix results of different settings in one folder; remember these settings."""
    path = Path(out) / name
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(key for key in set(previous) | set(settings)
                         if previous.get(key) != settings.get(key))
        if changed:
            details = ", ".join(f"{key}: {previous.get(key)!r} -> {settings.get(key)!r}"
                                for key in changed)
            raise ResumeMismatch(
                f"{out} holds results of a run with other settings ({details}); use another "
                "--out, or --restart to discard them"
            )
    write_json_atomic(path, settings)
