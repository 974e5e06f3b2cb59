"""Reading four-option exam questions (Persian MMLU, IBMSEE) from JSON Lines files.

Each row is ``{"id", "question", "options": [4 texts], "answer": 1-4}`` with optional
``topic`` and ``exam`` (IBMSEE rows carry both). A row that cannot be scored (a missing
option, an answer outside 1-4) is never dropped silently: it comes back as a
``RowProblem`` with its file and line, and the caller decides whether to stop or go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import DataError
from index.records import iter_jsonl

N_OPTIONS = 4
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


@dataclass(frozen=True)
class MCQuestion:
    """One scorable question. ``source`` is the file's stem (an MMLU subject, an exam file)."""

    key: str
    id: str
    question: str
    options: tuple[str, ...]
    answer: int
    source: str
    topic: str | None = None
    exam: str | None = None
    path: str = ""
    line: int = 0


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be scored, with where it is and why."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class McqData:
    questions: list[MCQuestion] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def parse_answer_number(value: Any) -> int | None:
    """The answer as 1-4 from an int or a digit string (Persian digits too); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().translate(_DIGITS).isdigit():
        number = int(value.strip().translate(_DIGITS))
    else:
        return None
    return number if 1 <= number <= N_OPTIONS else None


def row_problem(record: dict[str, Any]) -> str | None:
    """Why a row cannot be scored, or None when it can (pure; the loader adds file/line)."""
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        return "the 'question' text is missing or empty"
    options = record.get("options")
    if not isinstance(options, list):
        return f"'options' must be a list of {N_OPTIONS} texts, found {type(options).__name__}"
    if len(options) != N_OPTIONS:
        return f"'options' has {len(options)} entries; exactly {N_OPTIONS} are needed"
    for number, option in enumerate(options, start=1):
        if not isinstance(option, str) or not option.strip():
            return f"option {number} is missing or empty"
    if parse_answer_number(record.get("answer")) is None:
        return f"'answer' must be 1-{N_OPTIONS}, found {record.get('answer')!r}"
    if record.get("id") is None:
        return "the row has no 'id'"
    return None


def mcq_files(paths: Iterable[Path]) -> list[Path]:
    """The .jsonl files named or inside the folders named, in a stable order."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(path.glob("*.jsonl"))
            if not found:
                raise DataError(f"{path}: the folder has no .jsonl files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return files


def load_mcq_file(path: Path, limit: int | None = None
                  ) -> tuple[list[MCQuestion], list[RowProblem]]:
    """Questions and unusable rows of one file; an empty file is an error."""
    questions: list[MCQuestion] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    rows = 0
    for line, record in iter_jsonl(path):
        rows += 1
        reason = row_problem(record)
        row_id = str(record.get("id"))
        if reason is None and row_id in seen:
            reason = f"the id {row_id!r} appears twice in this file"
        if reason:
            problems.append(RowProblem(str(path), line, reason))
            continue
        seen.add(row_id)
        topic, exam = record.get("topic"), record.get("exam")
        questions.append(MCQuestion(
            key=f"{path.stem}:{row_id}", id=row_id, question=record["question"].strip(),
            options=tuple(option.strip() for option in record["options"]),
            answer=parse_answer_number(record["answer"]) or 0, source=path.stem,
            topic=topic.strip() if isinstance(topic, str) and topic.strip() else None,
            exam=exam.strip() if isinstance(exam, str) and exam.strip() else None,
            path=str(path), line=line,
        ))
        if limit and len(questions) >= limit:
            break
    if rows == 0:
        raise DataError(f"{path}: the file is empty; expected one JSON question per line")
    return questions, problems


def load_mcq(paths: Sequence[Path], limit: int | None = None) -> McqData:
    """All questions of the files and folders given; ``limit`` applies per file."""
    data = McqData()
    sources: dict[str, str] = {}
    for path in mcq_files(paths):
        if path.stem in sources:
            raise DataError(f"{path}: another file with the same name ({sources[path.stem]}) "
                            "was given; results are grouped by file name, so rename one")
        sources[path.stem] = str(path)
        questions, problems = load_mcq_file(path, limit)
        data.questions.extend(questions)
        data.problems.extend(problems)
        data.files.append(str(path))
    return data


def problems_message(problems: Sequence[RowProblem], shown: int = 10) -> str:
    """One readable message listing the first ``shown`` unusable rows."""
    lines = [str(problem) for problem in problems[:shown]]
    more = len(problems) - shown
    if more > 0:
        lines.append(f"... and {more} more")
    return (f"{len(problems)} row(s) cannot be scored:\n  " + "\n  ".join(lines) +
            "\nFix them, or pass --skip-invalid to score the rest (they are listed in the "
            "report).")
