"""The passage store read lazily: ``chunks.jsonl`` memory-mapped, one record parsed per hit.

Parsing every passage into a Python object at load costs seconds and about a kilobyte of
RAM per passage (a gigabyte at a million); a search needs ten of them. The file stays the
readable JSON-lines docstore it always was; a row's byte offset comes from a small
``chunks.offsets.npy`` written beside it at build time (or, for an index built before it
existed or one that no longer matches, from one scan of the file for line ends), and the
operating system's page cache does the rest.
"""

from __future__ import annotations

import json
import logging
import mmap
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.errors import IndexFormatError

logger = logging.getLogger(__name__)

OFFSETS_SUFFIX = ".offsets.npy"


def offsets_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".jsonl") + OFFSETS_SUFFIX)


def write_docstore(path: Path, records: Iterable[str]) -> int:
    """Write one JSON record per line to ``path`` and their start offsets beside it."""
    starts = [0]
    with path.open("wb") as handle:
        for record in records:
            data = (record + "\n").encode("utf-8")
            handle.write(data)
            starts.append(starts[-1] + len(data))
    np.save(offsets_path(path), np.asarray(starts, dtype=np.int64), allow_pickle=False)
    return len(starts) - 1


class Docstore(Sequence):
    """A read-only sequence of passages; ``store[row]`` parses that one line.

    ``parse`` turns a record dict into the stored object (index.build.Chunk) and raises
    TypeError, ValueError or AttributeError on a damaged record, reported with its line.
    """

    def __init__(self, path: Path, parse, cache_size: int = 4096) -> None:
        self.path = Path(path)
        self._parse = parse
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            raise IndexFormatError(f"{path}: missing; rebuild the index") from None
        with handle:
            size = handle.seek(0, 2)
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self._starts = self._load_offsets(size)
        self.get = lru_cache(maxsize=cache_size)(self._read)
        if len(self):  # a wrong format or a cut file shows at once, not at the first search
            self.get(0)
            self.get(len(self) - 1)

    def _load_offsets(self, size: int) -> np.ndarray:
        stored = offsets_path(self.path)
        if stored.is_file():
            try:
                starts = np.load(stored, allow_pickle=False)
            except ValueError:
                starts = None
            if starts is not None and starts.ndim == 1 and starts.size and starts[-1] == size:
                return starts.astype(np.int64, copy=False)
            logger.warning("%s does not match %s; finding the lines by reading it", stored,
                           self.path.name)
        if not size:
            return np.zeros(1, dtype=np.int64)
        ends = np.flatnonzero(np.frombuffer(self._data, dtype=np.uint8) == ord("\n")) + 1
        if ends.size == 0 or ends[-1] != size:
            ends = np.append(ends, size)
        return np.concatenate(([0], ends)).astype(np.int64)

    def __len__(self) -> int:
        return int(self._starts.size - 1)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self.get(i) for i in range(*row.indices(len(self)))]
        row = int(row)
        if row < 0:
            row += len(self)
        if not 0 <= row < len(self):
            raise IndexError(f"passage {row} is outside 0..{len(self) - 1}")
        return self.get(row)

    def _read(self, row: int):
        line = self._data[int(self._starts[row]):int(self._starts[row + 1])]
        try:
            return self._parse(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError, ValueError,
                AttributeError):
            raise IndexFormatError(f"{self.path}:{row + 1}: damaged passage record") from None
