"""``gaokerena crawl filter``: clean a raw crawl JSONL into a kept JSONL plus a report folder.

Registered by ``crawl/cli.py`` through :func:`add_filter_command`; everything heavy (hazm,
datasketch, matplotlib) is imported inside :func:`run_filter` so ``gaokerena --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_filter_command(group: argparse._SubParsersAction) -> None:
    """Add ``filter`` to the ``crawl`` command group (the subparsers action of ``crawl``)."""
    parser = group.add_parser(
        "filter",
        help="filter a raw crawl: normalize, deduplicate, drop short/boilerplate/non-Persian "
        "records, scrub personal data; writes a kept JSONL and a report folder",
        description="Filter a raw crawl JSONL (spider records {id, url, site, kind, title, "
        "question, answer, text, crawled_at} or MF3QA-shaped {id, question, answer, source}). "
        "Steps: hazm normalization; greeting/boilerplate/spam removal; Persian-ratio check; "
        "minimum answer length; exact and near-duplicate removal (MinHash/LSH); PII scrubbing "
        "(phones, emails, national ids, URLs, names after «دکتر» in questions). Every kept "
        "record keeps its id and fields. The report folder gets report.json, rejected.jsonl "
        "(id and rule of every dropped record) and PNG charts. Files are written under a "
        "temporary name and renamed when complete.",
    )
    parser.add_argument("--input", required=True, type=Path, metavar="RAW.jsonl",
                        help="raw crawl, one JSON object per line")
    parser.add_argument("--out", required=True, type=Path, metavar="CLEAN.jsonl",
                        help="kept records, same fields as the input (text normalized/scrubbed)")
    parser.add_argument("--report", required=True, type=Path, metavar="DIR",
                        help="report folder: report.json, rejected.jsonl, *.png")
    parser.add_argument("--min-answer-tokens", type=int, default=None,
                        help="drop QA records whose answer has fewer hazm word tokens "
                        "(default 44)")
    parser.add_argument("--min-answer-chars", type=int, default=None,
                        help="drop QA records whose answer has fewer characters")
    parser.add_argument("--min-persian-ratio", type=float, default=None,
                        help="drop records whose share of Arabic-script letters is lower "
                        "(0..1, default 0.6)")
    parser.add_argument("--near-dup-threshold", type=float, default=None,
                        help="Jaccard similarity above which a record is a near duplicate "
                        "of an earlier one (0..1, default 0.85)")
    parser.add_argument("--no-near-dedup", action="store_true",
                        help="remove exact duplicates only")
    parser.add_argument("--no-pii", action="store_true", help="do not scrub personal data")
    parser.add_argument("--no-normalize", action="store_true",
                        help="keep the text as crawled (rules still look at normalized text)")
    parser.add_argument("--min-question-tokens", type=int, default=None,
                        help="drop QA records whose question, greetings removed, is shorter")
    parser.add_argument("--min-article-tokens", type=int, default=None,
                        help="drop article records whose text has fewer tokens")
    parser.add_argument("--spam-min-signals", type=int, default=None,
                        help="advertising signals (links, sales words, contact calls, "
                        "repetition) that make a record spam")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes for the per-record rules (2 uses both cores of a "
                        "two-core machine; results do not depend on it)")
    parser.add_argument("--no-plots", action="store_true", help="write report.json only")
    parser.add_argument("--json", action="store_true", help="print the report summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_filter)


def run_filter(args: argparse.Namespace) -> int:
    """Run the pipeline from parsed arguments; errors are GaokerenaError (one-line message)."""
    from crawl.filter.config import FilterConfig
    from crawl.filter.pipeline import filter_file
    from index.cli import invalid_option
    from index.errors import GaokerenaError

    overrides = {
        "min_answer_tokens": args.min_answer_tokens,
        "min_answer_chars": args.min_answer_chars,
        "min_persian_ratio": args.min_persian_ratio,
        "near_dup_threshold": args.near_dup_threshold,
        "min_question_tokens": args.min_question_tokens,
        "min_article_tokens": args.min_article_tokens,
        "spam_min_signals": args.spam_min_signals,
    }
    with invalid_option():
        config = FilterConfig(**{k: v for k, v in overrides.items() if v is not None})
    if args.workers < 1:
        raise GaokerenaError(f"--workers must be >= 1, got {args.workers}")
    if args.no_near_dedup:
        config = config.replace(near_dedup=False)
    if args.no_pii:
        config = config.replace(scrub_pii=False)
    if args.no_normalize:
        config = config.replace(normalize_output=False)
    summary = filter_file(args.input, args.out, args.report, config,
                          plots=not args.no_plots, progress=not args.quiet,
                          workers=args.workers)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(_human_summary(summary))
    return 0


def _human_summary(summary: dict) -> str:
    lines = [f"read {summary['read']} records, kept {summary['kept']}, "
             f"dropped {summary['dropped']}"]
    for rule, count in summary["removed_per_rule"].items():
        lines.append(f"  dropped by {rule}: {count}")
    scrubbed = summary.get("pii_scrubbed", {})
    if any(scrubbed.values()):
        lines.append("  scrubbed: " + ", ".join(f"{k} {v}" for k, v in scrubbed.items() if v))
    lines.append(f"wrote {summary['out']} and {summary['report_dir']}")
    return "\n".join(lines)
