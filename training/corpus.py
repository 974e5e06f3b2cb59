"""Reading training text: corpus documents for stage 1, question/answer pairs for stage 2.

Sources are the same as the index's (``index.records``): a JSON Lines file, a folder written
by ``datasets.save_to_disk`` or a Hugging Face dataset id. Blank lines and records whose text
is empty are skipped and counted; a line that is not JSON or not UTF-8 stops the run with its
file and line number, because silently dropping part of a corpus changes what the model
learns without anyone noticing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import DataError
from index.records import iter_jsonl
from training.recipe import DataSettings


@dataclass
class ReadReport:
    """What reading saw; it ends up in the run summary."""

    records: int = 0
    used: int = 0
    empty: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"records": self.records, "used": self.used, "empty": self.empty}


def keep_count(total: int, fraction: float, limit: int | None) -> int:
    """How many leading records to keep: ``ceil(total * fraction)``, capped by ``limit``.

    The paper's ``train[:60%]`` keeps the first 60% in file order (not a random sample), so
    the same corpus always gives the same training set.
    """
    kept = min(total, math.ceil(total * fraction - 1e-9))
    return kept if limit is None else min(kept, limit)


def _rows(settings: DataSettings) -> tuple[int, Iterable[tuple[str, dict[str, Any]]]]:
    source = settings.source
    if not source:
        raise DataError("data.source is empty: give a .jsonl file, a save_to_disk folder or a "
                        "hub dataset id (data.source=PATH)")
    path = Path(source).expanduser()
    if path.suffix == ".jsonl" or path.is_file():
        rows = [(f"{path}:{number}", record) for number, record in iter_jsonl(path)]
        return len(rows), rows
    dataset = _open_dataset(source, settings.split)
    return len(dataset), ((f"{source}[{i}]", row) for i, row in enumerate(dataset))


def _open_dataset(source: str, split: str) -> Any:
    import datasets

    path = Path(source).expanduser()
    if path.is_dir():
        try:
            loaded = datasets.load_from_disk(str(path))
        except FileNotFoundError:
            loaded = datasets.load_dataset(str(path), split=split)
    elif source.startswith((".", "/", "~")) or source.count("/") > 1:
        raise DataError(f"{source}: no such file or folder")
    else:
        try:
            loaded = datasets.load_dataset(source, split=split)
        except Exception as error:  # the hub raises many types; all mean "not reachable here"
            raise DataError(
                f"{source}: not a local file or folder, and loading it as a Hugging Face "
                f"dataset failed ({type(error).__name__}: {str(error)[:200]}). Offline, "
                "download it where there is network (datasets.load_dataset(...)"
                ".save_to_disk(DIR)) and pass data.source=DIR, or pass a .jsonl file."
            ) from None
    if isinstance(loaded, datasets.DatasetDict):
        if split not in loaded:
            raise DataError(f"{source}: no split {split!r}; it has {sorted(loaded)} "
                            "(set data.split)")
        loaded = loaded[split]
    return loaded


def _column(record: dict[str, Any], name: str, where: str, key: str) -> str:
    """The record's column ``name``, matched case-insensitively (the hub's MF3QA has
    ``Question``/``Answer``, the local files ``question``/``answer``)."""
    if name in record:
        return _text(record[name])
    lowered = {str(k).lower(): k for k in record}
    if name.lower() in lowered:
        return _text(record[lowered[name.lower()]])
    raise DataError(f"{where}: no column {name!r}; the record has {sorted(record)}. "
                    f"Choose it with {key}=NAME.")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _normalizer(settings: DataSettings):
    if not settings.normalize:
        return lambda text: text
    from index.normalize import shared_normalizer

    return shared_normalizer()


def read_corpus(settings: DataSettings, report: ReadReport | None = None) -> list[str]:
    """Stage 1: the non-empty ``text_field`` of the first ``fraction`` of the records."""
    report = report if report is not None else ReadReport()
    total, rows = _rows(settings)
    keep = keep_count(total, settings.fraction, settings.limit)
    normalize = _normalizer(settings)
    texts: list[str] = []
    for position, (where, record) in enumerate(rows):
        if position >= keep:
            break
        report.records += 1
        text = _column(record, settings.text_field, where, "data.text_field")
        if not text:
            report.empty += 1
            continue
        texts.append(normalize(text))
    report.used = len(texts)
    if not texts:
        raise DataError(f"{settings.source}: no text in column {settings.text_field!r} "
                        f"({report.records} records read, all empty)")
    return texts


def read_pairs(settings: DataSettings, report: ReadReport | None = None
               ) -> list[tuple[str, str]]:
    """Stage 2: (question, answer) pairs; a pair missing either side is skipped and counted."""
    report = report if report is not None else ReadReport()
    total, rows = _rows(settings)
    keep = keep_count(total, settings.fraction, settings.limit)
    normalize = _normalizer(settings)
    pairs: list[tuple[str, str]] = []
    for position, (where, record) in enumerate(rows):
        if position >= keep:
            break
        report.records += 1
        question = _column(record, settings.question_field, where, "data.question_field")
        answer = _column(record, settings.answer_field, where, "data.answer_field")
        if not question or not answer:
            report.empty += 1
            continue
        pairs.append((normalize(question), normalize(answer)))
    report.used = len(pairs)
    if not pairs:
        raise DataError(f"{settings.source}: no complete question/answer pair "
                        f"({report.records} records read)")
    return pairs
