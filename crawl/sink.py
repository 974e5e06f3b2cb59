"""The record file: append-only JSON Lines that a killed crawl can reopen without damage.

While a crawl runs its records go to ``OUT.part``; the finished run renames it to ``OUT``,
so a file at the output path is always a complete run's output. Reopening repairs the only
damage a kill can leave (a torn last line is cut off) and reads the ids already written,
so records of pages fetched again after a restart are not written twice.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)


def part_path(out: Path) -> Path:
    return out.with_name(out.name + ".part")


class JsonlSink:
    """Exactly-once record writer keyed by record ``id``.

    Args:
        out: final output path; records are appended to ``out.part`` until :meth:`publish`.
        fsync: fsync after every batch (survives power loss, not only a killed process).
    """

    def __init__(self, out: Path, fsync: bool = True) -> None:
        self.out = out
        self.part = part_path(out)
        self.fsync = fsync
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists() and not self.part.exists():
            os.replace(out, self.part)  # continuing a finished crawl: append to it again
        self.ids = self._recover()
        self._file = self.part.open("a", encoding="utf-8")

    @property
    def count(self) -> int:
        return len(self.ids)

    def _recover(self) -> set[str]:
        """Ids already written; cut only an unterminated last line (a write cut by a kill).

        A complete line that does not parse is not a kill's doing (an edited file, a
        damaged disk): it stops the crawl with its line number instead of being cut away
        with every record after it, whose pages are already marked done.
        """
        from index.errors import DataError

        ids: set[str] = set()
        if not self.part.exists():
            return ids
        good = 0
        with self.part.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    break
                try:
                    ids.add(json.loads(line)["id"])
                except (ValueError, KeyError, TypeError):
                    raise DataError(
                        f"{self.part}:{number}: not a crawl record; fix or remove that line, "
                        "then run the same command again to continue"
                    ) from None
                good += len(line)
        size = self.part.stat().st_size
        if good < size:
            logger.warning("cut %d bytes of a torn last record from %s", size - good, self.part)
            with self.part.open("r+b") as handle:
                handle.truncate(good)
        return ids

    def write(self, records: Iterable[dict]) -> int:
        """Append the records not written yet; flushed (and fsynced) before returning."""
        fresh = []
        for record in records:
            if record["id"] not in self.ids:
                self.ids.add(record["id"])
                fresh.append(json.dumps(record, ensure_ascii=False) + "\n")
        if fresh:
            self._file.write("".join(fresh))
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())
        return len(fresh)

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def publish(self) -> Path:
        """Close and move ``OUT.part`` to ``OUT``: the run ended normally."""
        self.close()
        os.replace(self.part, self.out)
        return self.out
