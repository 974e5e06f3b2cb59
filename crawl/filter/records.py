"""Reading raw crawl records of either shape, without losing any of them.

Two shapes arrive here: the spiders' ``{id, url, site, kind: qa|article, title, question,
answer, text, crawled_at}`` and the MF3QA-shaped ``{id, question, answer, source}``. A record
is never silently skipped: one that cannot be filtered (no id, no text) becomes a rejection
with rule ``missing_fields`` so it is listed in ``rejected.jsonl``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.records import iter_jsonl

KINDS = ("qa", "article")


@dataclass(frozen=True)
class CrawlRecord:
    """One input line: the original object plus what the rules need to know about it."""

    line: int
    data: dict[str, Any]
    record_id: str
    site: str
    kind: str
    missing: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.missing


def text_of(value: Any) -> str:
    """A field as text: ``None`` and spreadsheet NaN are empty; numbers become strings."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value if isinstance(value, str) else str(value)


def site_of(data: dict[str, Any]) -> str:
    """``site`` or ``source`` as a bare host: ``https://www.niniban.com/x`` -> ``niniban.com``."""
    raw = text_of(data.get("site")).strip() or text_of(data.get("source")).strip()
    host = raw.split("://", 1)[-1].split("/", 1)[0].lower()
    return host.removeprefix("www.") or "unknown"


def kind_of(data: dict[str, Any]) -> str:
    """The declared ``kind``; else ``qa`` when a question or answer has text, ``article`` when
    only ``text`` has, and ``qa`` when nothing has (so the record is reported as missing its
    question and answer)."""
    declared = text_of(data.get("kind")).strip().lower()
    if declared in KINDS:
        return declared
    if any(text_of(data.get(name)).strip() for name in ("question", "answer")):
        return "qa"
    return "article" if text_of(data.get("text")).strip() else "qa"


def to_record(line: int, data: dict[str, Any]) -> CrawlRecord:
    """Classify one parsed object; list the fields it lacks for its kind."""
    kind = kind_of(data)
    needed = ("id", "question", "answer") if kind == "qa" else ("id", "text")
    missing = tuple(name for name in needed if not text_of(data.get(name)).strip())
    return CrawlRecord(line=line, data=data, record_id=text_of(data.get("id")).strip(),
                       site=site_of(data), kind=kind, missing=missing)


def read_records(path: Path) -> Iterator[CrawlRecord]:
    """Yield every record of a JSONL file; a malformed line raises DataError with file:line."""
    for line, data in iter_jsonl(path):
        yield to_record(line, data)
