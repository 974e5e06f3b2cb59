"""The filter's order of steps, and the file-level run.

Per record, in order (the first rule that fires is the one reported):

1. ``missing_fields``: no id, or no question/answer (QA) / text (article).
2. PII scrubbing (text changes, nothing is dropped), then hazm normalization and removal of
   site-chrome lines, answer (or article text) first.
3. ``spam``: advertising signals, looked for in the text as crawled (before links are
   scrubbed).
4. ``short_answer`` / ``short_text``: below the token (and optional character) floor
   (``greeting_only`` when a short answer is nothing but greetings). These need only the
   body, so the other fields of the many short records are never normalized.
5. ``not_persian``: too few Arabic-script letters, or more Arabic than Persian function words.
6. ``greeting_only``: the question is nothing but greetings and thanks.
7. ``duplicate``: same normalized question (QA) or text (article) as an earlier kept record.
8. ``near_duplicate``: MinHash/LSH Jaccard above the threshold with an earlier kept record.

Quality rules run before deduplication, so a good copy is not lost because a bad copy of the
same question came first; deduplication then keeps the first surviving copy.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from crawl.filter.config import FilterConfig
from crawl.filter.pii import PiiConfig, scrub
from crawl.filter.records import CrawlRecord, read_records, text_of
from crawl.filter.report import build_report, write_report
from crawl.filter.result import FilterResult
from crawl.filter.rules import (
    not_persian,
    remove_boilerplate_lines,
    spam_signals,
    strip_greetings,
)
from index.errors import DataError
from index.files import write_jsonl_atomic

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "question", "answer", "text")


@dataclass
class Assessment:
    """What the per-record rules found: a rejection, or the cleaned record and its dedup keys."""

    record: CrawlRecord
    rule: str | None = None
    detail: str = ""
    tokens: int | None = None
    output: dict[str, Any] | None = None
    exact_key: str = ""
    near_parts: tuple[str, ...] = ()
    scrubbed: Counter = field(default_factory=Counter)
    boilerplate_lines: int = 0


class Tools:
    """The heavy helpers (hazm normalizer and tokenizer), built once per process."""

    def __init__(self) -> None:
        from hazm import WordTokenizer

        from index.normalize import shared_normalizer

        self.normalize = shared_normalizer()
        self._tokenizer = WordTokenizer()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.tokenize(text)) if text else 0


def assess(record: CrawlRecord, config: FilterConfig, tools: Tools) -> Assessment:
    """Apply every per-record rule (all but deduplication) to one record; pure given tools."""
    if record.missing:
        return Assessment(record, "missing_fields",
                          f"no {', '.join(record.missing)} (record has {sorted(record.data)})")
    data = record.data
    fields = {name: text_of(data[name]) for name in TEXT_FIELDS if data.get(name) is not None}
    qa = record.kind == "qa"
    body_field = "answer" if qa else "text"
    pii = PiiConfig(doctor_names=config.scrub_doctor_names)
    scrubbed: dict[str, str] = {}
    normalized: dict[str, str] = {}
    counts: Counter = Counter()

    def clean(name: str) -> str:
        """Scrub then normalize one field (normalizing first would split emails and links)."""
        value = fields[name]
        if config.scrub_pii:
            # A QA record's title is often its question, and its text is "question\n\nanswer"
            # (the spiders' shape): the question part of both loses the doctor's name too,
            # while the answer part keeps its public signature, as the answer field does.
            question = fields.get("question", "")
            if qa and name == "text" and question and value.startswith(question):
                head, found = scrub(question, pii, is_question=True)
                tail, more = scrub(value[len(question):], pii)
                value = head + tail
                found.update(more)
            else:
                patient_wrote = name == "question" or (qa and name == "title")
                value, found = scrub(value, pii, is_question=patient_wrote)
            counts.update(found)
        scrubbed[name] = value
        normalized[name] = tools.normalize(value)
        return normalized[name]

    # The body first: most rejections are for length, and they need nothing else normalized.
    body = clean(body_field)
    removed_lines = 0
    if config.remove_boilerplate_lines:
        body, removed_lines = remove_boilerplate_lines(body)
        normalized[body_field] = body
        if removed_lines:
            scrubbed[body_field] = remove_boilerplate_lines(scrubbed[body_field])[0]
    tokens = tools.count_tokens(body)

    def reject(rule: str, detail: str) -> Assessment:
        return Assessment(record, rule, detail, tokens=tokens)

    signals = spam_signals("\n".join(fields.values()))  # as crawled, before links are scrubbed
    if len(signals) >= config.spam_min_signals:
        return reject("spam", "signals: " + ", ".join(signals))
    if qa:
        if tokens < config.min_answer_tokens or len(body) < config.min_answer_chars:
            if not strip_greetings(body):
                return reject("greeting_only", "answer is only greetings")
            return reject("short_answer", f"{tokens} tokens, {len(body)} characters")
    elif tokens < config.min_article_tokens:
        return reject("short_text", f"{tokens} tokens")
    for name in fields:
        if name not in normalized:
            clean(name)
    reason = not_persian("\n".join(v for k, v in normalized.items() if k != "title"),
                         config.min_persian_ratio, config.reject_arabic)
    if reason:
        return reject("not_persian", reason)
    if qa:
        question_left = tools.count_tokens(strip_greetings(normalized["question"]))
        if question_left < config.min_question_tokens:
            return reject("greeting_only", f"question has {question_left} tokens besides "
                          "greetings")

    output = dict(data)
    for name in fields:
        output[name] = normalized[name] if config.normalize_output else scrubbed[name]
    return Assessment(
        record, tokens=tokens, output=output,
        exact_key=normalized["question"] if qa else body,
        near_parts=(normalized["question"], body) if qa else (body,),
        scrubbed=counts, boilerplate_lines=removed_lines,
    )


@lru_cache(maxsize=1)
def shared_tools() -> Tools:
    """One set of tools per process. Built before a pool forks, the workers inherit it."""
    return Tools()


def _assess_in_worker(item: tuple[CrawlRecord, FilterConfig]) -> Assessment:
    record, config = item
    return assess(record, config, shared_tools())


def _assessments(records: Sequence[CrawlRecord], config: FilterConfig, workers: int,
                 ) -> Iterator[Assessment]:
    tools = shared_tools()  # in this process; forked workers get a copy for free
    if workers <= 1 or len(records) < 500:
        for record in records:
            yield assess(record, config, tools)
        return
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        yield from pool.imap(_assess_in_worker, ((r, config) for r in records), chunksize=64)


def filter_records(
    records: Sequence[CrawlRecord], config: FilterConfig, progress: bool = False,
    workers: int = 1,
) -> FilterResult:
    """Run every rule over ``records`` in input order; the core of ``gaokerena crawl filter``.

    Per-record rules run in ``workers`` processes (they are independent); deduplication then
    runs in one pass in input order, so the result does not depend on ``workers``.
    """
    from tqdm.auto import tqdm

    from crawl.filter.dedup import ExactDeduper, NearDeduper

    exact = ExactDeduper()
    near = (NearDeduper(config.near_dup_threshold, config.num_perm, config.shingle,
                        config.shingle_size) if config.near_dedup else None)
    result = FilterResult()
    lsh_names: Counter = Counter()

    def reject(record: CrawlRecord, rule: str, detail: str) -> None:
        result.removed_per_rule[rule] += 1
        result.rejected.append({"id": record.record_id, "line": record.line,
                                "site": record.site, "kind": record.kind, "rule": rule,
                                "detail": detail})

    stream = _assessments(records, config, workers)
    for item in tqdm(stream, total=len(records), disable=not progress, unit="rec",
                     desc="filter"):
        record = item.record
        result.read_per_site[record.site] += 1
        if item.tokens is not None:
            result.tokens_before.append(item.tokens)
        if item.rule is not None:
            reject(record, item.rule, item.detail)
            continue
        if config.dedup_exact:
            earlier = exact.earlier(item.exact_key)
            if earlier is not None:
                what = "question" if record.kind == "qa" else "text"
                reject(record, "duplicate", f"same {what} as {earlier}")
                continue
        if near is not None:
            lsh_names[record.record_id] += 1
            count = lsh_names[record.record_id]
            name = record.record_id if count == 1 else f"{record.record_id}#{count}"
            match = near.first_similar(item.near_parts, name)
            if match is not None:
                reject(record, "near_duplicate", f"like {match[0]} (Jaccard {match[1]:.2f})")
                continue
        assert item.output is not None
        exact.remember(item.exact_key, record.record_id)
        result.kept.append(item.output)
        result.kept_ids.append(record.record_id)
        result.kept_per_site[record.site] += 1
        result.tokens_after.append(item.tokens or 0)
        result.pii_scrubbed.update(item.scrubbed)
        result.boilerplate_lines_removed += item.boilerplate_lines
    return result


def load_records(path: Path) -> list[CrawlRecord]:
    """Read the whole input first: a malformed line fails the run before anything is written."""
    records = list(read_records(path))
    if not records:
        raise DataError(f"{path}: no records (the file is empty); expected one JSON object "
                        "per line with id, question and answer (or text)")
    if all(record.missing for record in records):
        first = records[0]
        raise DataError(
            f"{path}: none of the {len(records)} records has the fields to filter; line "
            f"{first.line} lacks {', '.join(first.missing)} (it has {sorted(first.data)}). "
            "Expected {id, question, answer} for QA or {id, text} for articles."
        )
    return records


def filter_file(
    input_path: Path, out_path: Path, report_dir: Path, config: FilterConfig,
    plots: bool = True, progress: bool = False, workers: int = 1,
) -> dict[str, Any]:
    """Filter ``input_path`` into ``out_path`` and write the report folder; return the summary.

    Raises:
        DataError: unreadable input (with file:line), an empty file, no usable record, or an
            output path that would overwrite the input.
    """
    input_path, out_path = Path(input_path), Path(out_path)
    if out_path.resolve() == input_path.resolve():
        raise DataError(f"--out {out_path} is the input file; choose another path")
    started = time.perf_counter()
    records = load_records(input_path)
    result = filter_records(records, config, progress=progress, workers=workers)
    seconds = time.perf_counter() - started
    write_jsonl_atomic(out_path, result.kept)
    report = build_report(result, config, input_path=input_path, out_path=out_path,
                          report_dir=Path(report_dir), seconds=seconds)
    write_report(report, result, Path(report_dir), plots=plots)
    logger.info("kept %d of %d records in %.1f s", len(result.kept), result.read, seconds)
    return report
