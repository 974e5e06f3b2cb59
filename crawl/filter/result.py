"""What a filter run produces: the rule names and the result the report is built from.

Its own module so that the pipeline (which writes the report) and the report (which reads
the result) both import it, and neither imports the other's caller.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

RULES = ("missing_fields", "spam", "greeting_only", "short_answer", "short_text", "not_persian",
         "duplicate", "near_duplicate")


@dataclass
class FilterResult:
    """Kept records (input fields, cleaned text), rejections, and what the report needs."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    read_per_site: Counter = field(default_factory=Counter)
    kept_per_site: Counter = field(default_factory=Counter)
    removed_per_rule: Counter = field(default_factory=Counter)
    pii_scrubbed: Counter = field(default_factory=Counter)
    boilerplate_lines_removed: int = 0
    tokens_before: list[int] = field(default_factory=list)
    tokens_after: list[int] = field(default_factory=list)
    kept_ids: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(self.read_per_site.values())
