"""Precision and recall of a kept set against a reference kept set (e.g. a manual cleaning).

Matching rule: a raw record belongs to the reference set when its exact ``(question, answer)``
text pair occurs in the reference files. That holds for MF3QA, whose cleaned rows are verbatim
copies of crawled rows under new ids. Our kept records are mapped back to their raw text by id
(our output text is normalized and scrubbed, so it cannot be compared directly). Both sides are
counted as sets of distinct pairs, so a raw row crawled twice counts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from crawl.filter.records import CrawlRecord, site_of, text_of
from index.records import iter_jsonl

Pair = tuple[str, str]


@dataclass(frozen=True)
class Agreement:
    """How far two kept sets agree, over the distinct raw pairs of one input."""

    kept: int
    reference: int
    both: int

    @property
    def precision(self) -> float:
        return self.both / self.kept if self.kept else 0.0

    @property
    def recall(self) -> float:
        return self.both / self.reference if self.reference else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def pair_of(data: dict) -> Pair:
    return text_of(data.get("question")), text_of(data.get("answer"))


def reference_pairs(paths: Iterable[Path], site: str | None = None) -> set[Pair]:
    """The ``(question, answer)`` pairs of the reference files, optionally of one site."""
    pairs: set[Pair] = set()
    for path in paths:
        for _, data in iter_jsonl(Path(path)):
            if site is None or site_of(data) == site:
                pairs.add(pair_of(data))
    return pairs


def agreement(raw: Iterable[CrawlRecord], kept_ids: Iterable[str],
              reference: set[Pair]) -> Agreement:
    """Compare the raw pairs behind ``kept_ids`` with the reference pairs found in ``raw``."""
    by_id: dict[str, Pair] = {}
    raw_pairs: set[Pair] = set()
    for record in raw:
        pair = pair_of(record.data)
        raw_pairs.add(pair)
        by_id.setdefault(record.record_id, pair)
    ours = {by_id[record_id] for record_id in kept_ids if record_id in by_id}
    theirs = reference & raw_pairs
    return Agreement(kept=len(ours), reference=len(theirs), both=len(ours & theirs))
