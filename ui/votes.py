"""Preference votes between the two answers, kept only when the user opts in.

A vote on a pair (plain vs RAG answer to the same question) is the raw material of
preference tuning: Gaokerena-R trained with DPO on such pairs. A record holds the question,
both answers, the RAG sources, the vote, the model ids and the time, and, when one answer won,
TRL's ``prompt`` / ``chosen`` / ``rejected`` fields, so the file loads directly with
``datasets.load_dataset("json", data_files=...)`` for ``DPOTrainer``. Nothing is written
unless the server has a votes file and the user ticked the opt-in box; nothing else about a
session is ever stored.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Vote value -> what it means; "plain" and "rag" name the winning column.
#: Sides name the wide layout (right-to-left: «بدون بازیابی» on the right); the column names
#: keep the labels true on a phone, where the columns stack.
VOTES = {
    "plain": "→ راستی بهتر است («بدون بازیابی»)",
    "rag": "← چپی بهتر است («با بازیابی»)",
    "tie": "هر دو یکسان‌اند",
    "both_bad": "هر دو بد هستند",
}


@dataclass(frozen=True)
class Pair:
    """One question answered by both columns, as shown to the user."""

    question: str
    plain: str
    rag: str
    sources: list[dict[str, Any]] = field(default_factory=list)
    backend: str = ""
    model_id: str = ""
    k: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pair:
        return cls(**data)


def preference_record(pair: Pair, vote: str, layout: dict[str, str],
                      now: datetime | None = None) -> dict[str, Any]:
    """The JSONL record for one vote; ``layout`` says which column sat on which side."""
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {sorted(VOTES)}, got {vote!r}")
    record: dict[str, Any] = {
        "question": pair.question,
        "answers": {"plain": pair.plain, "rag": pair.rag},
        "sources": pair.sources,
        "vote": vote,
        "layout": dict(layout),
        "backend": pair.backend,
        "model_ids": {"plain": pair.model_id, "rag": pair.model_id},
        "k": pair.k,
        "time": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
    }
    if vote in ("plain", "rag"):
        loser = "rag" if vote == "plain" else "plain"
        record.update(prompt=[{"role": "user", "content": pair.question}],
                      chosen=[{"role": "assistant", "content": record["answers"][vote]}],
                      rejected=[{"role": "assistant", "content": record["answers"][loser]}])
    return record


class VoteStore:
    """Appends vote records to one JSONL file, one whole line per write.

    Sessions vote concurrently; a lock keeps lines from interleaving, and each record is
    written with a single ``write`` and flushed to disk, so a crash leaves at most one
    incomplete last line (which ``read_votes`` skips) and never a damaged earlier one.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as handle:
                # A line cut off by a crash has no newline: end it first, or this record
                # would be glued onto it and lost with it.
                if handle.seek(0, os.SEEK_END) > 0:
                    handle.seek(-1, os.SEEK_END)
                    if handle.read(1) != b"\n":
                        line = "\n" + line
                handle.write(line.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())


def read_votes(path: str | Path) -> list[dict[str, Any]]:
    """All complete records in a votes file (an interrupted last line is left out)."""
    path = Path(path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
