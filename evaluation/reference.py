"""Free-form answers against doctors' answers: ROUGE-L and BERTScore, as BioPars reports.

ROUGE-L (``rouge_score``) compares the longest common subsequence of tokens; its default
tokenizer keeps only ``[a-z0-9]`` and would see no Persian word at all, so the tokens here
are the project's: hazm-normalized text (letter variants, digits, half-spaces unified) cut
by hazm's word tokenizer, punctuation dropped. BERTScore (``bert-score``) matches contextual
token embeddings of a local encoder folder; without one (or without the package) it is
reported as unavailable, never invented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

_WORD = re.compile(r"\w", re.UNICODE)


class PersianTokens:
    """A ``rouge_score`` tokenizer: ``tokenize(text)`` -> normalized Persian word tokens.

    Example:
        >>> PersianTokens().tokenize("كتاب ها را مي‌خوانم.")  # doctest: +SKIP
        ['کتاب‌ها', 'را', 'می‌خوانم']
    """

    def __init__(self) -> None:
        from hazm import WordTokenizer

        from index.normalize import shared_normalizer

        self._normalize = shared_normalizer()
        self._tokenizer = WordTokenizer(join_verb_parts=False)

    def tokenize(self, text: str) -> list[str]:
        if not text:
            return []
        return [token for token in self._tokenizer.tokenize(self._normalize(text))
                if _WORD.search(token)]


@lru_cache(maxsize=1)
def shared_persian_tokens() -> PersianTokens:
    """One tokenizer per process: hazm's WordTokenizer takes seconds to build."""
    return PersianTokens()


def rouge_l(predictions: Sequence[str], references: Sequence[str],
            tokenizer: PersianTokens | None = None) -> list[float]:
    """ROUGE-L F1 of each prediction against its reference, on Persian tokens."""
    from rouge_score.rouge_scorer import RougeScorer

    if len(predictions) != len(references):
        raise ValueError(f"{len(predictions)} predictions but {len(references)} references")
    scorer = RougeScorer(["rougeL"], tokenizer=tokenizer or shared_persian_tokens())
    return [scorer.score(ref, pred)["rougeL"].fmeasure
            for pred, ref in zip(predictions, references, strict=True)]


@dataclass(frozen=True)
class BertScoreConfig:
    """A local encoder folder (any transformers encoder); ``num_layers`` None = all layers."""

    model: str
    num_layers: int | None = None
    batch_size: int = 16
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.num_layers is not None and self.num_layers <= 0:
            raise ValueError(f"num_layers must be > 0, got {self.num_layers}")
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {self.batch_size}")


def bertscore_unavailable(config: BertScoreConfig | None) -> str | None:
    """Why BERTScore cannot run here, or None when it can."""
    if config is None:
        return "no encoder given (pass --bertscore-model DIR, a local transformers encoder)"
    try:
        import bert_score  # noqa: F401
    except ImportError:
        return "the bert-score package is not installed (pip install bert-score)"
    if not (Path(config.model) / "config.json").is_file():
        return f"{config.model} is not a model folder (no config.json)"
    return None


def bertscore(predictions: Sequence[str], references: Sequence[str],
              config: BertScoreConfig) -> dict[str, list[float]]:
    """BERTScore precision, recall and F1 per pair (text normalized first, no baseline)."""
    import json

    from bert_score import BERTScorer

    from index.normalize import shared_normalizer

    normalize = shared_normalizer()
    layers = config.num_layers or json.loads(
        (Path(config.model) / "config.json").read_text())["num_hidden_layers"]
    scorer = BERTScorer(model_type=config.model, num_layers=layers,
                        batch_size=config.batch_size, device=config.device)
    precision, recall, f1 = scorer.score([normalize(p) for p in predictions],
                                         [normalize(r) for r in references])
    return {"precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist()}


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def reference_report(rows: Sequence[dict[str, Any]], bert: BertScoreConfig | None = None
                     ) -> dict[str, Any]:
    """Mean ROUGE-L (and BERTScore) over rows holding both ``answer`` and ``reference``."""
    usable = [row for row in rows if row.get("answer") and row.get("reference")]
    predictions = [row["answer"] for row in usable]
    references = [row["reference"] for row in usable]
    report: dict[str, Any] = {"n": len(usable), "left_out": len(rows) - len(usable)}
    scores = rouge_l(predictions, references) if usable else []
    report["rouge_l_f1"] = _mean(scores)
    reason = bertscore_unavailable(bert)
    if reason is None and usable:
        found = bertscore(predictions, references, bert)
        report["bertscore"] = {"available": True, "model": bert.model,
                               **{key: _mean(values) for key, values in found.items()}}
    else:
        report["bertscore"] = {"available": False, "reason": reason or "no answers to score"}
    report["per_question"] = [{"id": row.get("id"), "rouge_l_f1": round(score, 4)}
                              for row, score in zip(usable, scores, strict=True)]
    return report
