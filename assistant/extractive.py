"""An answer made only of retrieved text, for machines with no language model.

It quotes the best passages verbatim and says so, with numbered sources: nothing is
generated, so nothing can be invented; the reader sees which text answers the question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from index.retriever import Hit

HEADER = "پاسخ‌های بازیابی‌شده از منابع (متن بدون تغییر نقل شده است):"
NO_RESULT = "متنی مرتبط با این پرسش در منابع پیدا نشد. لطفاً پرسش را با جزئیات بیشتر بنویسید."


LABEL_WORDS = 8


@dataclass(frozen=True)
class ExtractiveAnswer:
    text: str
    sources: list[Hit] = field(default_factory=list)


class Source(Protocol):
    """A retrieved passage with where it came from (a ``Hit`` or an answer's ``Citation``)."""

    doc_id: str
    text: str
    title: str
    site: str


def source_label(source: Source) -> str:
    """The one name a source goes by, in prompts, answers, the CLI and the web app.

    Its title and site; without a title, the passage's first words (a QA record's passage
    starts with its question) and the site, so a reader never sees a bare document id such
    as ``dev-01950`` unless there is nothing else: «سردرد یک‌طرفه با تهوع و حساسیت به نور …
    · doctoreto».
    """
    heading = source.title.strip()
    if not heading:
        words = source.text.split()
        heading = " ".join(words[:LABEL_WORDS]) + (" …" if len(words) > LABEL_WORDS else "")
    return " · ".join(part for part in (heading, source.site) if part) or source.doc_id


def extractive_answer(hits: list[Hit], passages: int = 2) -> ExtractiveAnswer:
    """Quote the top ``passages`` distinct documents, numbered like citations.

    The text is the answer's body only; the pipeline adds emergency guidance and the
    disclaimer around every answer, whatever the backend.
    """
    chosen: list[Hit] = []
    for hit in hits:
        if all(hit.doc_id != other.doc_id for other in chosen):
            chosen.append(hit)
        if len(chosen) == passages:
            break
    if not chosen:
        return ExtractiveAnswer(NO_RESULT)
    quoted = "\n\n".join(f"[{n}] «{hit.text}»" for n, hit in enumerate(chosen, start=1))
    sources = "\n".join(f"[{n}] {' · '.join(p for p in (source_label(hit), hit.url) if p)}"
                        for n, hit in enumerate(chosen, start=1))
    return ExtractiveAnswer(f"{HEADER}\n\n{quoted}\n\nمنابع:\n{sources}", chosen)
