"""Free-form answers to a file of questions, for judging and reference metrics later.

``run_generate`` asks ``Assistant.answer(question, mode)`` (so plain and RAG answers come
from the very pipeline users get) and appends one line per question to the output JSONL.
A rerun after a failure skips the ids already answered; a file written with another mode
or model is refused rather than mixed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.safety import DISCLAIMER
from evaluation.resume import ResultLog
from index.errors import DataError, GaokerenaError, QueryError
from index.records import iter_jsonl


@dataclass(frozen=True)
class FreeQuestion:
    """A question with an optional reference (a doctor's answer in MF3QA)."""

    id: str
    question: str
    reference: str | None = None


def load_questions(path: Path, limit: int | None = None, question_field: str = "question",
                   reference_field: str = "answer") -> list[FreeQuestion]:
    """Questions of a JSONL file; rows without an id or question text fail with file:line."""
    questions: list[FreeQuestion] = []
    seen: set[str] = set()
    problems: list[str] = []
    for line, record in iter_jsonl(Path(path)):
        text = record.get(question_field)
        if record.get("id") is None or not isinstance(text, str) or not text.strip():
            problems.append(f"{path}:{line}: needs an 'id' and a non-empty {question_field!r}")
            continue
        row_id = str(record["id"])
        if row_id in seen:
            problems.append(f"{path}:{line}: the id {row_id!r} appears twice")
            continue
        seen.add(row_id)
        reference = record.get(reference_field)
        questions.append(FreeQuestion(row_id, text.strip(),
                                      reference if isinstance(reference, str) else None))
        if limit and len(questions) >= limit:
            break
    if problems:
        shown = "\n  ".join(problems[:10])
        more = f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise DataError(f"{len(problems)} question row(s) are unusable:\n  {shown}{more}")
    if not questions:
        raise DataError(f"{path}: no questions (the file is empty)")
    return questions


def answer_body(text: str) -> str:
    """The answer without the fixed disclaimer every answer ends with (it would bias metrics)."""
    return text.removesuffix(DISCLAIMER).rstrip()


def check_same_run(log: ResultLog, mode: str, model_id: str) -> None:
    """Refuse to append answers of another mode or model to an existing answer file."""
    for row in log.rows[:1]:
        if (row.get("mode"), row.get("model_id")) != (mode, model_id):
            raise GaokerenaError(
                f"{log.path} holds answers of another run (mode {row.get('mode')!r}, model "
                f"{row.get('model_id')!r}); write to another --out file, or move it away"
            )


def answer_row(question: FreeQuestion, assistant, mode: str) -> dict[str, Any]:
    """One answer as a result line; an unanswerable question is recorded, not retried."""
    started = time.perf_counter()
    row: dict[str, Any] = {"id": question.id, "question": question.question, "mode": mode,
                           "backend": assistant.backend, "model_id": assistant.model_id,
                           "reference": question.reference}
    try:
        answer = assistant.answer(question.question, mode)
    except QueryError as error:
        row.update(answer=None, text=None, error=str(error))
    else:
        row.update(answer=answer_body(answer.text), text=answer.text, error=None,
                   emergency=answer.emergency,
                   citations=[c.doc_id for c in answer.citations if c.cited],
                   passages=[c.doc_id for c in answer.citations])
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def run_generate(questions: Sequence[FreeQuestion], assistant, mode: str, log: ResultLog,
                 progress: Callable[[int], None] | None = None, workers: int = 1) -> int:
    """Answer every question not yet in ``log``; returns how many were answered now.

    ``workers`` > 1 suits API backends (a local model answers one question at a time).
    A failing backend stops the run; every answer already written stays.
    """
    from evaluation.workers import run_resumable

    check_same_run(log, mode, assistant.model_id)
    done = log.done
    todo = [question for question in questions if question.id not in done]
    return run_resumable(todo, lambda question: answer_row(question, assistant, mode), log,
                         workers, progress)
