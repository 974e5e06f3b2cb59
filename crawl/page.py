"""What a parser returns for one page: the entries found on it and the links to follow.

Parsers are pure (``html, url -> Page``); the spider turns entries into records and links
into frontier rows. Keeping the two apart lets one page yield both (a drhast question page
is a record *and* a list of related questions).
"""

from __future__ import annotations

from dataclasses import dataclass, field

QA = "qa"
ARTICLE = "article"


@dataclass(frozen=True)
class Entry:
    """One record's content. QA entries need question and answer, articles need text."""

    url: str
    kind: str
    title: str = ""
    question: str = ""
    answer: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (QA, ARTICLE):
            raise ValueError(f"kind must be {QA!r} or {ARTICLE!r}, got {self.kind!r}")

    @property
    def complete(self) -> bool:
        """False for pages whose fields are missing: those must not become records."""
        if self.kind == QA:
            return bool(self.question.strip()) and bool(self.answer.strip())
        return bool(self.text.strip())


@dataclass(frozen=True)
class Link:
    """A URL to visit and how to parse it (``role``: listing, item, sitemap, home, ...)."""

    url: str
    role: str


@dataclass
class Page:
    entries: list[Entry] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
