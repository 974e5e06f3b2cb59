"""The pure parsers of evaluation: generated exam answers, judge verdicts, their combination."""

from __future__ import annotations

import pytest

from evaluation.answer_parse import parse_choice
from evaluation.judge import combine, parse_verdict
from evaluation.mcq_data import parse_answer_number, row_problem

OPTIONS = ["فلج عضلات صورت", "فلج شدن عضلات صورت و از دست دادن حس چشایی", "کلیه", "مثانه"]


@pytest.mark.parametrize(("output", "expected"), [
    ("۲", 2),
    ("2", 2),
    ("٤", 4),
    ("گزینه ۲", 2),
    ("گزینه‌ی ۳ درست است.", 3),
    ("گزینهٔ ۱", 1),
    ("پاسخ صحیح گزینه ۴ است", 4),
    ("پاسخ: ب", 2),
    ("پاسخ درست الف است", 1),
    ("(ج)", 3),
    ("د) مثانه", 4),
    ("۳. کلیه", 3),
    ("گزینه دوم", 2),
    ("گزینه سه", 3),
    ("Answer: B", 2),
    ("پاسخ: **۲**", 2),
    ("**گزینه ۳** صحیح است", 3),
    ("The correct answer is (C).", 3),
    ("کلیه", 3),
    ("به نظر من فلج شدن عضلات صورت و از دست دادن حس چشایی درست است", 2),
    ("فلج عضلات صورت", 1),
    ("نمی‌دانم", None),
    ("", None),
    ("پاسخ: دو نوع دیابت وجود دارد", None),
    ("The answer is a nerve injury", None),
    ("هیچ کدام؛ کلیه نیست", None),
    ("بله", None),
    ("پاسخ: ۱ یا ۲", None),  # a hedge is no answer: never scored as option 1
    ("گزینه ۳/۴", None),
    ("Answer: A or B", None),
    ("گزینه دو یا سه", None),
    ("۱) فلج عضلات صورت\n۲) کلیه\n۳) مثانه", None),  # the options echoed: no choice
    ("فقط شماره‌ی گزینه‌ی درست (۱، ۲، ۳ یا ۴) را بنویسید.", None),  # the instruction echoed
])
def test_generated_answers_in_persian_shapes_are_read(output, expected):
    assert parse_choice(output, OPTIONS) == expected


@pytest.mark.parametrize(("reply", "expected"), [
    ("حکم: ۱", "first"),
    ("پاسخ ۱ خطای دارویی دارد.\nحکم: ۲", "second"),
    ("**حکم:** مساوی", "tie"),
    ("حكم: ٢", "second"),
    ("نتیجه نهایی: هر دو برابرند", "tie"),
    ("Verdict: tie", "tie"),
    ("Verdict: B", "second"),
    ("[[A]]", "first"),
    ("[[C]]", "tie"),
    ("۲", "second"),
    ("پاسخ ۱ بهتر است", "first"),
    ("حکم: ۱\nاما با دقت بیشتر، حکم: ۲", "second"),
    ("lorem ipsum dolor", None),
    ("", None),
    (None, None),
    ("I cannot decide between them.", None),
    ("حکم: ۱ یا ۲", None),  # a hedge names no winner: invalid, not a win for answer 1
    ("Verdict: 1/2", None),
    ("Verdict: A or B", None),
])
def test_judge_verdicts_are_read_or_left_invalid(reply, expected):
    assert parse_verdict(reply) == expected


@pytest.mark.parametrize(("ab", "ba", "outcome"), [
    ("first", "second", "a_wins"),    # A shown first won, then A shown second won
    ("second", "first", "b_wins"),
    ("tie", "tie", "tie"),
    ("first", "tie", "a_wins"),       # a win and a tie: the win counts
    ("tie", "first", "b_wins"),
    ("first", "first", "inconsistent"),  # whatever came first won: position, not content
    ("second", "second", "inconsistent"),
    (None, "first", "invalid"),
    ("tie", None, "invalid"),
])
def test_both_orders_combine_into_one_outcome(ab, ba, outcome):
    assert combine(ab, ba) == outcome


@pytest.mark.parametrize(("record", "problem"), [
    ({"id": 1, "question": "س؟", "options": ["a", "b", "c", "d"], "answer": 2}, None),
    ({"id": 1, "question": "س؟", "options": ["a", "b", "c", "d"], "answer": "۳"}, None),
    ({"id": 1, "question": "س؟", "options": ["a", "b", "c"], "answer": 2}, "has 3 entries"),
    ({"id": 1, "question": "س؟", "options": ["a", "", "c", "d"], "answer": 2}, "option 2"),
    ({"id": 1, "question": "س؟", "options": ["a", "b", "c", "d"], "answer": 5}, "'answer'"),
    ({"id": 1, "question": "س؟", "options": ["a", "b", "c", "d"], "answer": True}, "'answer'"),
    ({"id": 1, "question": " ", "options": ["a", "b", "c", "d"], "answer": 1}, "question"),
    ({"question": "س؟", "options": ["a", "b", "c", "d"], "answer": 1}, "'id'"),
])
def test_rows_that_cannot_be_scored_say_why(record, problem):
    found = row_problem(record)
    assert (found is None) if problem is None else (problem in found)


def test_answer_numbers_accept_persian_digits_only_in_range():
    assert [parse_answer_number(v) for v in (1, "4", "۲", 0, 5, "x", None)] == \
        [1, 4, 2, None, None, None, None]
