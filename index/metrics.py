"""Retrieval quality: MRR@10 and Recall@k against one known relevant document per query.

A document may be cut into several passages; it counts once, at its best-ranked passage,
because a reader who finds any part of the right answer has found it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from index.errors import DataError, QueryError
from index.records import iter_jsonl

logger = logging.getLogger(__name__)

RECALL_AT = (1, 5, 20)
MRR_AT = 10


def first_relevant_rank(ranked: Iterable[str | Sequence[str]], relevant: str) -> int | None:
    """1-based rank of ``relevant`` among distinct documents, or None if absent.

    An entry is a document id, or the ids of a passage that several documents share word
    for word (``Hit.doc_ids``); a passage whose documents were all seen earlier is skipped.
    """
    seen: set[str] = set()
    rank = 0
    for entry in ranked:
        ids = (entry,) if isinstance(entry, str) else tuple(entry)
        if all(doc_id in seen for doc_id in ids):
            continue
        seen.update(ids)
        rank += 1
        if relevant in ids:
            return rank
    return None


def summarize_ranks(ranks: list[int | None]) -> dict[str, float | int]:
    """MRR@10 and Recall@1/5/20 over queries; ``None`` means not retrieved."""
    n = len(ranks)
    if n == 0:
        raise DataError("no queries to evaluate")
    result: dict[str, float | int] = {
        f"mrr@{MRR_AT}": sum(1.0 / r for r in ranks if r is not None and r <= MRR_AT) / n
    }
    for k in RECALL_AT:
        result[f"recall@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    result["n"] = n
    return {key: round(value, 4) if isinstance(value, float) else value
            for key, value in result.items()}


@dataclass(frozen=True)
class QueryFields:
    question: str = "question"
    id: str = "id"


def load_queries(path: Path, fields: QueryFields | None = None,
                 limit: int | None = None) -> list[tuple[str, str]]:
    """``(relevant_id, question)`` pairs from a JSONL file; a row without either fails."""
    fields = fields or QueryFields()
    queries = []
    for number, record in iter_jsonl(Path(path)):
        question, doc_id = record.get(fields.question), record.get(fields.id)
        if not isinstance(question, str) or doc_id is None:
            raise DataError(
                f"{path}:{number}: a query needs a {fields.question!r} text and an "
                f"{fields.id!r}; found {sorted(record)}"
            )
        queries.append((str(doc_id), question))
        if limit and len(queries) >= limit:
            break
    if not queries:
        raise DataError(f"{path}: no queries")
    return queries


def evaluate_retrieval(retriever, queries: list[tuple[str, str]], depth: int = 50,
                       progress: bool = True) -> dict[str, float | int]:
    """Search every query and score where its relevant document lands.

    Queries whose relevant id is not in the index are left out and counted as ``missing``;
    queries the retriever refuses (empty, not Persian) count as misses and as ``invalid``.
    """
    indexed = {doc_id for chunk in retriever.chunks for doc_id in chunk.doc_ids}
    ranks: list[int | None] = []
    missing = invalid = 0
    for doc_id, question in tqdm(queries, desc="queries", disable=not progress):
        if doc_id not in indexed:
            missing += 1
            continue
        try:
            hits = retriever.search(question, k=depth)
        except QueryError:
            invalid += 1
            ranks.append(None)
            continue
        ranks.append(first_relevant_rank((hit.doc_ids for hit in hits), doc_id))
    if missing:
        logger.warning("%d queries name documents that are not in the index", missing)
    result = summarize_ranks(ranks)
    result["missing"] = missing
    result["invalid"] = invalid
    return result
