"""The crawl filter on the raw niniban crawl, against the seed's manual cleaning.

Runs ``crawl.filter`` (default ``FilterConfig``) over ``raw/niniban_crawled_unfiltered.jsonl``
(9,728 rows) and compares the kept set with the rows the humans kept, which are the niniban
rows of ``mf3qa/train.jsonl`` + ``dev.jsonl`` (5,405). A raw row counts as human-kept when its
exact (question, answer) text pair occurs there (the cleaned rows are verbatim copies under
new ids); both sides are sets of distinct pairs (see ``crawl/filter/compare.py``).

Precision/recall are printed for the whole file and for the two halves split by a hash of
the question text: the answer-length floor (44) was tuned on half A; half B is held out.
``--sweep`` reruns the filter per floor on both halves. Target: the 9,728 rows in <= 60 s on
two cores.

    python benchmarks/crawl_filter.py [--workers 2] [--json] [--sweep 40 48]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"


def half_of(question: str) -> str:
    """Half A or B by md5 parity of the question text, so every copy of a question (and so
    every duplicate) falls in the same half; no statistic of the data chooses the split."""
    return "AB"[int(hashlib.md5(question.encode("utf-8")).hexdigest(), 16) % 2]


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def scores(records, kept_ids, reference) -> dict:
    from crawl.filter.compare import agreement

    out = {"all": agreement(records, kept_ids, reference).to_dict()}
    for half in "AB":
        part = [r for r in records if half_of(str(r.data.get("question", ""))) == half]
        ids = {r.record_id for r in part}
        out[half] = agreement(part, [i for i in kept_ids if i in ids], reference).to_dict()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path,
                        default=DATA / "raw" / "niniban_crawled_unfiltered.jsonl")
    parser.add_argument("--reference", type=Path, nargs="+",
                        default=[DATA / "mf3qa" / "train.jsonl", DATA / "mf3qa" / "dev.jsonl"])
    parser.add_argument("--site", default="niniban.com", help="reference rows of this site only")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--sweep", type=int, nargs=2, metavar=("LOW", "HIGH"),
                        help="also rerun with min_answer_tokens LOW..HIGH and print F1 per half")
    parser.add_argument("--report", type=Path, help="keep the report folder here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    missing = [str(p) for p in (args.raw, *args.reference) if not p.is_file()]
    if missing:
        message = f"skipped: {', '.join(missing)} not found (the shared data, see its README)"
        print(json.dumps({"skipped": message}) if args.json else message)
        return 0

    from crawl.filter.compare import reference_pairs
    from crawl.filter.config import FilterConfig
    from crawl.filter.pipeline import filter_file, load_records

    config = FilterConfig()
    with tempfile.TemporaryDirectory() as work:
        report_dir = args.report or Path(work) / "report"
        cpu0, wall0 = cpu_seconds(), time.perf_counter()
        summary = filter_file(args.raw, Path(work) / "clean.jsonl", report_dir, config,
                              workers=args.workers)
        wall = time.perf_counter() - wall0
        cpu = cpu_seconds() - cpu0
        kept_ids = [json.loads(line)["id"]
                    for line in (Path(work) / "clean.jsonl").read_text("utf-8").splitlines()]

    records = load_records(args.raw)
    reference = reference_pairs(args.reference, site=args.site)
    result = {
        "rows": summary["read"], "kept": summary["kept"], "workers": args.workers,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "rows_per_s": round(summary["read"] / wall, 1),
        "load_avg_1min": round(os.getloadavg()[0], 2),
        "removed_per_rule": summary["removed_per_rule"],
        "pii_scrubbed": summary["pii_scrubbed"],
        "agreement": scores(records, kept_ids, reference),
        "config": {"min_answer_tokens": config.min_answer_tokens,
                   "near_dup_threshold": config.near_dup_threshold},
    }
    if args.sweep:
        from crawl.filter.pipeline import filter_records

        sweep = {}
        for floor in range(args.sweep[0], args.sweep[1] + 1):
            swept = filter_records(records, config.replace(min_answer_tokens=floor),
                                   workers=args.workers)
            sweep[floor] = {k: v["f1"] for k, v in
                            scores(records, swept.kept_ids, reference).items()}
        result["sweep_f1"] = sweep

    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"rows {result['rows']}  kept {result['kept']}  workers {args.workers}")
    print(f"wall {result['wall_s']} s  ({result['rows_per_s']} rows/s)  cpu {result['cpu_s']} s"
          f"  load avg {result['load_avg_1min']}   target <= 60 s")
    print(f"removed per rule: {result['removed_per_rule']}")
    print(f"pii scrubbed: {result['pii_scrubbed']}")
    print(f"{'split':<6}{'kept':>7}{'human':>7}{'both':>7}{'P':>8}{'R':>8}{'F1':>8}")
    for name, row in result["agreement"].items():
        print(f"{name:<6}{row['kept']:>7}{row['reference']:>7}{row['both']:>7}"
              f"{row['precision']:>8.4f}{row['recall']:>8.4f}{row['f1']:>8.4f}")
    if args.sweep:
        print("min_answer_tokens -> F1 (all / A / B)")
        for floor, row in result["sweep_f1"].items():
            print(f"  {floor}: {row['all']:.4f} / {row['A']:.4f} / {row['B']:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
