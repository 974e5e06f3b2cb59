"""Running items against a model endpoint a few at a time, saving each result as it lands.

Judging or answering hundreds of questions through a remote API is slow one request at a
time, and a long run fails halfway sooner or later. ``run_resumable`` keeps ``workers``
items in flight, appends each finished row to the ``ResultLog`` at once, and on the first
``GenerationError`` starts nothing new, lets the running items finish (their rows are kept)
and raises with how many were saved, so the same command continues from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

from assistant.backends.base import GenerationError
from evaluation.resume import ResultLog

Item = TypeVar("Item")


def _take(items: Iterator[Item], n: int) -> list[Item]:
    return [item for _, item in zip(range(n), items, strict=False)]


def run_resumable(items: Sequence[Item] | Iterable[Item],
                  work: Callable[[Item], dict[str, Any]], log: ResultLog, workers: int = 1,
                  progress: Callable[[int], None] | None = None) -> int:
    """Append ``work(item)`` for every item to ``log``; returns how many rows were added."""
    if workers <= 0:
        raise ValueError(f"workers must be > 0, got {workers}")
    pending = iter(items)
    added = 0
    failure: GenerationError | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running: set[Future] = {pool.submit(work, item) for item in _take(pending, workers)}
        while running:
            finished = next(as_completed(running))
            running.remove(finished)
            try:
                row = finished.result()
            except GenerationError as error:
                failure = failure or error
                continue
            log.append(row)
            added += 1
            if progress:
                progress(1)
            if failure is None:
                running.update(pool.submit(work, item) for item in _take(pending, 1))
    if failure is not None:
        raise GenerationError(
            f"{failure}. {added} result(s) of this run are saved in {log.path}; run the same "
            "command again to continue from there"
        ) from failure
    return added
