"""Run the plain and the RAG answer at the same time and merge their streams.

Each column's answer is produced by its own thread, so a slow or failing backend on one side
never holds up or breaks the other: a failure becomes that column's error text, and the
other column still completes. The consumer (the Gradio event) sees snapshots of both
columns; when it stops early (the browser tab was closed), the producers are told to stop
after their current chunk, so no work is left running for a reader who is gone.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from index.errors import GaokerenaError

logger = logging.getLogger(__name__)

Producer = Callable[[], Iterator[str]]


@dataclass(frozen=True)
class ColumnState:
    """One column's answer so far."""

    text: str = ""
    done: bool = False
    error: str | None = None


_DONE = object()


def _describe(error: BaseException) -> str:
    if isinstance(error, GaokerenaError):
        return str(error)
    return f"{type(error).__name__}: internal error (see the server log)"


def _produce(name: str, producer: Producer, out: queue.Queue, stop: threading.Event) -> None:
    chunks: Iterator[str] | None = None
    try:
        chunks = producer()
        for chunk in chunks:
            if stop.is_set():
                break
            out.put((name, chunk))
        out.put((name, _DONE))
    except Exception as error:  # shown in this column; the other one carries on
        if not isinstance(error, GaokerenaError):
            logger.exception("the %s column failed", name)
        out.put((name, error))
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def run_columns(
    producers: Mapping[str, Producer],
    batch_s: float = 0.03,
    pending_after_s: float | None = None,
    poll_s: float = 0.5,
) -> Iterator[dict[str, ColumnState]]:
    """Yield a snapshot of every column each time any of them has new text.

    Chunks arriving within ``batch_s`` of each other go out as one snapshot, so a fast
    backend does not flood the browser with one update per token (30 ms is far below what a
    reader notices). With ``pending_after_s``, an empty first snapshot is yielded when no
    column has produced anything by then, so the page can show its placeholders; a fast
    backend's first snapshot carries words instead. Closing this generator stops the
    producers.
    """
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()
    states = {name: ColumnState() for name in producers}
    threads = [
        threading.Thread(target=_produce, args=(name, producer, inbox, stop),
                         name=f"gk-{name}", daemon=True)
        for name, producer in producers.items()
    ]
    for thread in threads:
        thread.start()

    def apply(name: str, item: object) -> None:
        state = states[name]
        if item is _DONE:
            states[name] = ColumnState(state.text, True)
        elif isinstance(item, BaseException):
            states[name] = ColumnState(state.text, True, _describe(item))
        else:
            states[name] = ColumnState(state.text + str(item))

    def finished() -> bool:
        return all(state.done for state in states.values())

    first_wait = pending_after_s
    try:
        while not finished():
            try:
                apply(*inbox.get(timeout=first_wait if first_wait is not None else poll_s))
            except queue.Empty:
                if first_wait is not None:
                    yield dict(states)  # nothing yet: let the page show it is working
                first_wait = None
                continue
            first_wait = None
            deadline = time.monotonic() + batch_s
            while not finished() and (left := deadline - time.monotonic()) > 0:
                try:
                    apply(*inbox.get(timeout=left))
                except queue.Empty:
                    break
            yield dict(states)
    finally:
        stop.set()
