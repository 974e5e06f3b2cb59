"""Scoring exam questions in plain and RAG mode, one result line per question.

The same model, prompt format and questions serve both modes; RAG only adds the passages
retrieved with the question (MIRAGE's protocol), fitted to the context window. Local models
are scored by option log-likelihood (``evaluation.loglik``); API models answer in text,
which ``evaluation.answer_parse`` reads. Every finished question is appended to
``predictions_<mode>.jsonl`` at once, so a run that stops (an endpoint timing out, Ctrl-C)
continues where it stopped when started again with the same settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.backends.base import GenerationConfig
from assistant.extractive import source_label
from assistant.prompts import Passage, fit_passages
from evaluation.answer_parse import parse_choice
from evaluation.mcq_data import MCQuestion
from evaluation.mcq_prompts import (
    FORMATS,
    continuations,
    generation_messages,
    mcq_messages,
    mcq_text,
    question_block,
)
from evaluation.resume import ResultLog
from index.errors import DataError, QueryError

logger = logging.getLogger(__name__)

MODES = ("plain", "rag")
SCORINGS = ("loglik", "generate")


@dataclass(frozen=True)
class McqConfig:
    """What is measured. ``context_tokens`` caps prompt + passages (and the answer)."""

    fmt: str = "numbers"
    scoring: str = "loglik"
    k: int = 5
    context_tokens: int = 2048
    max_new_tokens: int = 16

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.fmt!r}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, got {self.scoring!r}")
        for name in ("k", "context_tokens", "max_new_tokens"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")


class PassageFitter:
    """Retrieves passages for a question and keeps the best ones that fit the budget."""

    def __init__(self, retriever, k: int, count_tokens: Callable[[str], int],
                 budget: int) -> None:
        self.retriever = retriever
        self.k = k
        self.count_tokens = count_tokens
        self.budget = budget

    def __call__(self, question: MCQuestion, fmt: str) -> tuple[list[Passage], dict[str, Any]]:
        started = time.perf_counter()
        try:
            hits = self.retriever.search(question.question, k=self.k)
        except QueryError as error:  # e.g. a question written mostly in Latin letters
            return [], {"retrieval_s": 0.0, "passages": [], "retrieval_note": str(error)}
        candidates = [Passage(i, hit.text, source_label(hit))
                      for i, hit in enumerate(hits, start=1)]
        fitted = fit_passages(question_block(question, fmt), candidates, self.count_tokens,
                              self.budget)
        used = [hits[position].doc_id for position, _ in fitted]
        return [passage for _, passage in fitted], {
            "retrieval_s": round(time.perf_counter() - started, 5), "passages": used,
            "retrieval_note": None}


def _row(question: MCQuestion, mode: str, choice: int | None, extra: dict[str, Any]
         ) -> dict[str, Any]:
    return {"key": question.key, "id": question.id, "source": question.source,
            "topic": question.topic, "exam": question.exam, "mode": mode,
            "answer": question.answer, "choice": choice,
            "correct": choice == question.answer, **extra}


def _batches(items: Sequence, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def score_loglik(questions: Sequence[MCQuestion], mode: str, scorer, config: McqConfig,
                 log: ResultLog, fitter: PassageFitter | None = None,
                 progress: Callable[[int], None] | None = None) -> None:
    """Score the questions not yet in ``log`` by option log-likelihood, batch by batch."""
    for batch in _batches(list(questions), scorer.config.batch_questions):
        started = time.perf_counter()
        items, extras = [], []
        for question in batch:
            passages: list[Passage] = []
            extra: dict[str, Any] = {}
            if mode == "rag":
                passages, extra = fitter(question, config.fmt)
            if scorer.chat:
                prompt = scorer.prompt_ids(mcq_messages(question, config.fmt, passages))
            else:
                prompt = scorer.prompt_ids(text=mcq_text(question, config.fmt, passages))
            items.append((prompt, continuations(question, config.fmt, scorer.chat)))
            extras.append(extra)
        results = scorer.score(items)
        seconds = (time.perf_counter() - started) / len(batch)
        for question, result, extra in zip(batch, results, extras, strict=True):
            log.append(_row(question, mode, result.choice, {
                "logprobs": [round(v, 4) for v in result.logprobs],
                "tokens": list(result.tokens), "seconds": round(seconds, 5), **extra}))
        if progress:
            progress(len(batch))


def score_generate(questions: Sequence[MCQuestion], mode: str, generator, config: McqConfig,
                   log: ResultLog, fitter: PassageFitter | None = None,
                   progress: Callable[[int], None] | None = None, workers: int = 1) -> None:
    """Ask the model each question not yet in ``log`` and parse its answer.

    ``workers`` questions are in flight at a time (for API backends). A failing endpoint
    stops the run with what to do; every answer already written stays.
    """
    from evaluation.workers import run_resumable

    generation = GenerationConfig(max_new_tokens=config.max_new_tokens)

    def work(question: MCQuestion) -> dict[str, Any]:
        started = time.perf_counter()
        passages: list[Passage] = []
        extra: dict[str, Any] = {}
        if mode == "rag":
            passages, extra = fitter(question, "numbers")  # what generation_messages asks
        text = generator.generate(generation_messages(question, passages), generation)
        choice = parse_choice(text, question.options)
        return _row(question, mode, choice, {
            "raw": text, "parsed": choice is not None,
            "seconds": round(time.perf_counter() - started, 5), **extra})

    run_resumable(questions, work, log, workers, progress)


def run_mcq(questions: Sequence[MCQuestion], modes: Sequence[str], out: Path,
            config: McqConfig, *, scorer=None, generator=None, retriever=None,
            show_progress: bool = True, workers: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Score every question in every mode; returns the result rows per mode (in file order).

    Questions already in ``out/predictions_<mode>.jsonl`` are not scored again.
    """
    from tqdm.auto import tqdm

    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if "rag" in modes and retriever is None:
        raise DataError("rag mode needs an index: pass --index DIR")
    if config.scoring == "loglik" and scorer is None:
        raise ValueError("loglik scoring needs a LoglikScorer")
    if config.scoring == "generate" and generator is None:
        raise ValueError("generate scoring needs a generator")
    fitter = None
    if retriever is not None:
        if config.scoring == "loglik":
            count, window = scorer.count_tokens, scorer.max_length
            reserve = 16  # the longest continuation is short next to the passages
        else:
            count = getattr(generator, "count_tokens", None) or (lambda text: len(text) // 3)
            window = getattr(generator, "context_window", None) or config.context_tokens
            reserve = config.max_new_tokens
        budget = min(config.context_tokens, window) - reserve
        fitter = PassageFitter(retriever, config.k, count, budget)
    results: dict[str, list[dict[str, Any]]] = {}
    for mode in modes:
        with ResultLog(Path(out) / f"predictions_{mode}.jsonl") as log:
            done = log.done
            todo = [q for q in questions if q.key not in done]
            bar = tqdm(total=len(questions), initial=len(questions) - len(todo),
                       desc=f"{mode}", unit="q", disable=not show_progress)
            with bar:
                if config.scoring == "loglik":
                    score_loglik(todo, mode, scorer, config, log, fitter, bar.update)
                else:
                    score_generate(todo, mode, generator, config, log, fitter, bar.update,
                                   workers)
            wanted = {q.key for q in questions}
            by_key = {row["key"]: row for row in log.rows if row["key"] in wanted}
            results[mode] = [by_key[q.key] for q in questions]
    return results


def settings_record(config: McqConfig, model_id: str, index: str | None,
                    extra: dict[str, Any]) -> dict[str, Any]:
    return {**asdict(config), "model": model_id, "index": index, **extra}
