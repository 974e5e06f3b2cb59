"""Thresholds and switches of the crawl filter, in one validated dataclass.

Every rule of :mod:`crawl.filter.pipeline` reads its threshold from :class:`FilterConfig`, so a
run is fully described by the config written into ``report.json``. The defaults were chosen on
general grounds and the length floor was tuned on half of the raw niniban crawl (see
``docs/crawl_filter.md``: it is reported on the other half).
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any

SHINGLE_KINDS = ("chars", "words")


def _at_least(name: str, value: float, low: float, example: float) -> None:
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r} (for example {name}={example})")


def _fraction(name: str, value: float, example: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(
            f"{name} must be within [0, 1], got {value!r} (for example {name}={example})"
        )


@dataclass(frozen=True)
class FilterConfig:
    """What the filter keeps.

    Attributes:
        normalize_output: write hazm-normalized text (the rules always look at normalized
            text; this only decides what the kept file contains).
        min_answer_tokens: QA records whose answer has fewer hazm word tokens are dropped
            (the paper discarded short answers; 44 was tuned on half of the raw niniban
            crawl against its manual cleaning, see docs/crawl_filter.md).
        min_answer_chars: an optional second floor in characters (0 = off).
        min_question_tokens: QA records whose question, greetings removed, is shorter are
            dropped as greeting-only.
        min_article_tokens: article records whose text is shorter are dropped.
        min_persian_ratio: share of Arabic-script letters below which a record is not Persian.
        reject_arabic: also call text with more Arabic than Persian function words not
            Persian: Arabic shares the script, so the ratio alone lets it through.
        spam_min_signals: a record showing this many distinct advertising signals (links or
            handles, sales words, calls to contact, shouting repetition) is spam.
        dedup_exact: drop later records whose normalized key equals an earlier kept one. The
            key of a QA record is its question (what MF3QA did), of an article its text.
        near_dedup: drop near duplicates of earlier kept records. MinHash/LSH over the
            question (QA) or text (article) finds candidates; a QA candidate must be alike
            in question *and* answer, so a doctor's templated answer under different
            questions, or a re-asked question answered differently, is kept.
        near_dup_threshold: Jaccard similarity of shingle sets (measured exactly on the
            candidates) from which two records are near duplicates.
        num_perm: MinHash permutations (more = fewer missed candidates, slower).
        shingle: ``chars`` (character n-grams, robust to spacing) or ``words``.
        shingle_size: n of the n-grams.
        scrub_pii: replace phone numbers, emails, national ids and links by placeholders.
        scrub_doctor_names: also replace the name after «دکتر» in questions.
        remove_boilerplate_lines: cut site chrome lines («آیا این مقاله برای شما مفید بود؟»,
            share/comment prompts) out of article text and answers.
    """

    normalize_output: bool = True
    min_answer_tokens: int = 44
    min_answer_chars: int = 0
    min_question_tokens: int = 3
    min_article_tokens: int = 80
    min_persian_ratio: float = 0.6
    reject_arabic: bool = True
    spam_min_signals: int = 2
    dedup_exact: bool = True
    near_dedup: bool = True
    near_dup_threshold: float = 0.85
    num_perm: int = 128
    shingle: str = "chars"
    shingle_size: int = 5
    scrub_pii: bool = True
    scrub_doctor_names: bool = True
    remove_boilerplate_lines: bool = True

    def __post_init__(self) -> None:
        _at_least("min_answer_tokens", self.min_answer_tokens, 0, 44)
        _at_least("min_answer_chars", self.min_answer_chars, 0, 150)
        _at_least("min_question_tokens", self.min_question_tokens, 0, 3)
        _at_least("min_article_tokens", self.min_article_tokens, 0, 80)
        _fraction("min_persian_ratio", self.min_persian_ratio, 0.6)
        _at_least("spam_min_signals", self.spam_min_signals, 1, 2)
        _fraction("near_dup_threshold", self.near_dup_threshold, 0.85)
        if self.near_dup_threshold == 0:
            raise ValueError("near_dup_threshold must be > 0 (for example 0.85)")
        _at_least("num_perm", self.num_perm, 16, 128)
        if self.shingle not in SHINGLE_KINDS:
            raise ValueError(f"shingle must be one of {SHINGLE_KINDS}, got {self.shingle!r}")
        _at_least("shingle_size", self.shingle_size, 1, 5)

    def replace(self, **changes: Any) -> FilterConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
