"""The assistant as the page uses it: one answer stream per column and the RAG sources.

The text of both columns comes from the assistant's own flow (``Assistant.plan`` then
``Assistant.stream_plan``), the one the command line's answers are built from, so the page
shows exactly what the assistant says. The RAG column's plan also gives the numbered passages
its prompt holds, from the same single retrieval, so the sources panel's numbers are the
``[n]`` in the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from assistant.pipeline import Assistant, Citation, cited_numbers


def with_k(assistant: Assistant, k: int) -> Assistant:
    """A view of ``assistant`` that retrieves ``k`` passages; the shared one is untouched.

    The page lets each user pick k, and sessions run concurrently, so the setting travels
    with the request instead of being written into the shared assistant.
    """
    if k == assistant.config.k:
        return assistant
    return Assistant(assistant.retriever, assistant.generator,
                     replace(assistant.config, k=int(k)), assistant.detector)


#: The plain column of a server started without a model. The assistant's own message names
#: command-line flags for the terminal; on the page, say what the column is and how to fill
#: it (code spans keep the flags left-to-right inside the Persian sentence).
NEEDS_MODEL = (
    "این سرور بدون مدل زبانی اجرا شده است (موتور `extractive`)، پس ستون «بدون بازیابی» پاسخی "
    "ندارد و ستون «با بازیابی» متن منابع را عیناً نقل می‌کند. برای مقایسه‌ی پاسخ مدل با و "
    "بدون بازیابی، سرور را با یک مدل اجرا کنید: `gaokerena serve --backend hf` یا "
    "`--backend openai`."
)


def answer_stream(assistant: Assistant, question: str, mode: str) -> Iterator[str]:
    """The growing answer text of one column (emergency guidance first, disclaimer last).

    ``question`` was checked once by ``ui.requests.check_request``; it is not checked again.
    """
    if mode == "plain" and assistant.generator is None:
        yield NEEDS_MODEL
        return
    yield from assistant.stream_plan(assistant.plan(question, mode))


def mark_cited(citations: list[Citation], answer: str) -> list[Citation]:
    """Flag the citations whose ``[n]`` appears in ``answer`` (Persian or Latin digits)."""
    numbers = cited_numbers(answer)
    return [replace(c, cited=c.cited or c.number in numbers) for c in citations]
