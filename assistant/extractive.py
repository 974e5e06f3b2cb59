"""An answer made only of retrieved text, for machines with no language model.

It quotes the best passages verbatim and says so, with numbered sources: nothing is
generated, so nothing can be invented; the reader sees which text answers the question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.retriever import Hit

HEADER = "پاسخ‌های بازیابی‌شده از منابع (متن بدون تغییر نقل شده است):"
NO_RESULT = "متنی مرتبط با این پرسش در منابع پیدا نشد. لطفاً پرسش را با جزئیات بیشتر بنویسید."


@dataclass(frozen=True)
class ExtractiveAnswer:
    text: str
    sources: list[Hit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"text": self.text, "sources": [hit.to_dict() for hit in self.sources]}


def source_label(hit: Hit) -> str:
    return " · ".join(part for part in (hit.title, hit.site, hit.url) if part) or hit.doc_id


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
    sources = "\n".join(f"[{n}] {source_label(hit)}" for n, hit in enumerate(chosen, start=1))
    return ExtractiveAnswer(f"{HEADER}\n\n{quoted}\n\nمنابع:\n{sources}", chosen)
