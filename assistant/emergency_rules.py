"""Load the emergency detector's data files: the rule table and the guidance texts.

The clinical content of emergency detection lives in two files a clinician can review
(``assistant/data/emergency_rules.yaml``: word lists, patterns and the ordered category table;
``assistant/data/emergency_guidance.yaml``: what to say first, per category). This module reads
them once, checks them and compiles the patterns; the engine (``assistant/emergency.py``) only
matches. A missing or malformed file fails at start-up with the file and line named, never on a
user's question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

#: The category the classifier reports when it fires and the rules do not.
POSSIBLE_EMERGENCY = "possible_emergency"
#: Numbers a guidance text must name: 115 always, and one more line for two categories.
_REQUIRED_NUMBERS = {"suicide": "۱۲۳", "poisoning": "۱۹۰"}

_CATEGORY_KEYS = {
    "id", "rank", "groups", "mild_sensitive", "occasional_sensitive", "first_person_past",
    "single_event", "hypothetical_veto",
}  # fmt: skip
_GROUP_KEYS = {"patterns", "use", "noun", "present", "unless", "unless_near", "when", "rank"}
_WHEN_KEYS = {"near", "window", "before", "veto", "any_of", "age_under_days"}
_TOP_KEYS = {"numbers", "age_units", "words", "lexicon", "pattern_lists", "categories"}
_SLUG = re.compile(r"[a-z][a-z_]*")
_NAME = re.compile(r"\{([A-Z][A-Z_]*)\}")
_GAP = r"(?:\S+ ){0,3}?"


class RuleDataError(ValueError):
    """A data file is missing or malformed; the message names the file and the line."""


class _Located:
    """A value read from YAML with the line it starts on (1-based)."""

    line: int


class _Map(dict, _Located):
    pass


class _List(list, _Located):
    pass


class _Str(str, _Located):
    pass


def _plain(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    """The Python value of ``node``, with mappings, lists and strings carrying their line."""
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        for key, value in node.value:
            out[str(loader.construct_object(key))] = _plain(value, loader)
    elif isinstance(node, yaml.SequenceNode):
        out = _List(_plain(item, loader) for item in node.value)
    else:
        value = loader.construct_object(node)
        if not isinstance(value, str):
            return value
        out = _Str(value)
    out.line = node.start_mark.line + 1
    return out


def _read_yaml(path: str, text: str) -> Any:
    """Parse YAML text, turning syntax errors into :class:`RuleDataError` with the line."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise RuleDataError(f"{path}{where}: not valid YAML ({err})") from err
    finally:
        loader.dispose()
    if node is None:
        raise RuleDataError(f"{path}, line 1: the file is empty")
    return _plain(node, yaml.SafeLoader(""))


def _line(value: Any, default: int = 1) -> int:
    return getattr(value, "line", default)


@dataclass(frozen=True)
class Rule:
    """One compiled pattern and how to read its matches.

    Attributes:
        noun: a bare noun a general-information question uses too («علائم سکته قلبی چیست؟»).
        present: needs a present verb («تنگی نفس دارم»), not a past or habitual one.
        unless: vetoes the rule when found anywhere in the question.
        unless_near: vetoes a match when found in its clause.
    """

    regex: re.Pattern[str]
    noun: bool = False
    present: bool = False
    unless: re.Pattern[str] | None = None
    unless_near: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Context:
    """What must hold besides the symptom for a group to fire.

    Exactly one kind: ``near`` (a phrase in the question, within ``window`` characters of the
    symptom if given, only before it with ``before``, not inside a ``veto`` match),
    ``any_of`` (another list of symptoms, read the same way) or ``age_under_days`` (the
    question is about a baby younger than that).
    """

    near: re.Pattern[str] | None = None
    window: int | None = None
    before: bool = False
    veto: re.Pattern[str] | None = None
    any_of: tuple[Rule, ...] = ()
    age_under_days: int | None = None


@dataclass(frozen=True)
class RuleGroup:
    """Rules of one category with one context; ``rank`` orders all groups of all categories."""

    category: str
    rank: int
    rules: tuple[Rule, ...]
    context: Context | None = None


@dataclass(frozen=True)
class Category:
    """One row of the category table; the flags say how the clause analysis reads it."""

    id: str
    rank: int
    guidance: str
    mild_sensitive: bool = False
    occasional_sensitive: bool = False
    first_person_past: bool = False
    single_event: bool = False
    hypothetical_veto: bool = False


@dataclass(frozen=True)
class RuleBook:
    """Everything the engine needs, compiled and checked.

    Attributes:
        categories: the category table, most urgent first, by id.
        groups: every rule group, in the order detection tries them (by rank).
        guidance: Persian guidance per category, plus ``possible_emergency``.
        lexicon: compiled lexicon entries the clause analysis uses (``HISTORY``, ``MILD``...).
        pattern_lists: compiled pattern lists (``AGES``...).
        words: plain word sets (``negation_before``...); ``topic_after`` holds word pairs.
        numbers: number words to values; ``age_units``: days per age unit.
    """

    categories: dict[str, Category]
    groups: tuple[RuleGroup, ...]
    guidance: dict[str, str]
    lexicon: dict[str, re.Pattern[str]]
    pattern_lists: dict[str, tuple[re.Pattern[str], ...]]
    words: dict[str, frozenset[str]]
    topic_after: tuple[tuple[str, ...], ...]
    numbers: dict[str, int]
    age_units: dict[str, int]


class _Compiler:
    """Expands the pattern language (``_``, ``…``, ``{NAME}``) and compiles, naming lines."""

    def __init__(self, path: str, lexicon: dict[str, Any], numbers: dict[str, int]) -> None:
        self.path = path
        self.raw = lexicon
        self.numbers = numbers
        self._expanded: dict[str, str] = {}

    def fail(self, value: Any, message: str) -> RuleDataError:
        return RuleDataError(f"{self.path}, line {_line(value)}: {message}")

    def _entry(self, name: str, at: Any, stack: tuple[str, ...]) -> str:
        if name in self._expanded:
            return self._expanded[name]
        if name in stack:
            raise self.fail(at, f"lexicon entry {name} refers to itself ({' -> '.join(stack)})")
        if name not in self.raw:
            raise self.fail(at, f"unknown lexicon entry {{{name}}}; define it under 'lexicon:'")
        value = self.raw[name]
        if value == "@numbers":
            text = "|".join(sorted(self.numbers, key=len, reverse=True))
        elif isinstance(value, str):
            text = self.expand(value, (*stack, name))
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            text = "|".join(self.expand(v, (*stack, name)) for v in value)
        else:
            raise self.fail(value, f"lexicon entry {name} must be a pattern or a list of them")
        self._expanded[name] = text
        return text

    def expand(self, pattern: Any, stack: tuple[str, ...] = ()) -> str:
        if not isinstance(pattern, str) or not pattern:
            raise self.fail(pattern, f"expected a non-empty pattern string, got {pattern!r}")
        return _NAME.sub(lambda m: "(?:" + self._entry(m.group(1), pattern, stack) + ")", pattern)

    def compile(self, pattern: Any) -> re.Pattern[str]:
        text = self.expand(pattern).replace("…", _GAP).replace("_", " ?")
        try:
            return re.compile(text)
        except re.error as err:
            raise self.fail(pattern, f"pattern does not compile ({err}): {pattern}") from err


def _flag(raw: _Map, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise RuleDataError(f"line {_line(raw)}: {key} must be true or false, got {value!r}")
    return value


def _check_keys(raw: Any, allowed: set[str], what: str, path: str) -> None:
    if not isinstance(raw, dict):
        raise RuleDataError(f"{path}, line {_line(raw)}: {what} must be a mapping")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise RuleDataError(
            f"{path}, line {_line(raw)}: unknown key(s) {unknown} in {what}; "
            f"allowed: {sorted(allowed)}"
        )


def _int(raw: Any, path: str, what: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise RuleDataError(f"{path}, line {_line(raw)}: {what} must be a whole number")
    return raw


def _group(
    raw: Any, category: _Map, rank: int, comp: _Compiler, lists: dict[str, Any]
) -> RuleGroup:
    path = comp.path
    _check_keys(raw, _GROUP_KEYS, f"a group of category {category['id']!r}", path)
    patterns: list[Any] = []
    for name in raw.get("use", []):
        if name not in lists:
            raise comp.fail(raw, f"'use: {name}' names no entry of pattern_lists")
        patterns.extend(lists[name])
    patterns.extend(raw.get("patterns", []))
    if not patterns:
        raise comp.fail(raw, f"a group of {category['id']!r} has no 'patterns' or 'use'")
    try:
        noun, present = _flag(raw, "noun"), _flag(raw, "present")
    except RuleDataError as err:
        raise RuleDataError(f"{path}, {err}") from None
    unless = comp.compile(raw["unless"]) if "unless" in raw else None
    near = comp.compile(raw["unless_near"]) if "unless_near" in raw else None
    rules = tuple(
        Rule(comp.compile(p), noun=noun, present=present, unless=unless, unless_near=near)
        for p in patterns
    )
    context = _context(raw["when"], comp, lists) if "when" in raw else None
    group_rank = _int(raw["rank"], path, "rank") if "rank" in raw else rank
    return RuleGroup(str(category["id"]), group_rank, rules, context)


def _context(raw: Any, comp: _Compiler, lists: dict[str, Any]) -> Context:
    _check_keys(raw, _WHEN_KEYS, "'when'", comp.path)
    kinds = [k for k in ("near", "any_of", "age_under_days") if k in raw]
    if len(kinds) != 1:
        raise comp.fail(raw, "'when' needs exactly one of near, any_of, age_under_days")
    if "near" in raw:
        return Context(
            near=comp.compile(raw["near"]),
            window=_int(raw["window"], comp.path, "window") if "window" in raw else None,
            before=bool(raw.get("before", False)),
            veto=comp.compile(raw["veto"]) if "veto" in raw else None,
        )
    if "any_of" in raw:
        name = raw["any_of"]
        if name not in lists:
            raise comp.fail(raw, f"'any_of: {name}' names no entry of pattern_lists")
        return Context(any_of=tuple(Rule(comp.compile(p)) for p in lists[name]))
    return Context(age_under_days=_int(raw["age_under_days"], comp.path, "age_under_days"))


def _read(path: str | Path | None, name: str) -> tuple[str, str]:
    if path is None:
        source = resources.files("assistant") / "data" / name
        label = str(source)
        try:
            return label, source.read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise RuleDataError(f"{label}, line 1: file not found (reinstall the package)") from err
    try:
        return str(path), Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise RuleDataError(f"{path}, line 1: file not found") from err


def load_rulebook(
    rules_path: str | Path | None = None, guidance_path: str | Path | None = None
) -> RuleBook:
    """Read, check and compile the rule table and the guidance texts.

    Args:
        rules_path: the rules YAML (default: the packaged ``emergency_rules.yaml``).
        guidance_path: the guidance YAML (default: the packaged ``emergency_guidance.yaml``).

    Raises:
        RuleDataError: a file is missing or malformed; the message names file and line.
    """
    path, text = _read(rules_path, "emergency_rules.yaml")
    raw = _read_yaml(path, text)
    _check_keys(raw, _TOP_KEYS, "the top level", path)
    missing = sorted(_TOP_KEYS - set(raw))
    if missing:
        raise RuleDataError(f"{path}, line 1: missing section(s) {missing}")
    numbers = {str(k): _int(v, path, f"number {k}") for k, v in raw["numbers"].items()}
    age_units = {str(k): _int(v, path, f"age unit {k}") for k, v in raw["age_units"].items()}
    comp = _Compiler(path, raw["lexicon"], numbers)
    lexicon = {name: comp.compile("{" + name + "}") for name in raw["lexicon"]}
    lists = raw["pattern_lists"]
    for name, patterns in lists.items():
        if not isinstance(patterns, list) or not patterns:
            raise comp.fail(patterns, f"pattern list {name} must be a non-empty list")
    pattern_lists = {name: tuple(comp.compile(p) for p in ps) for name, ps in lists.items()}
    words = {
        str(k): frozenset(str(w) for w in v) for k, v in raw["words"].items() if k != "topic_after"
    }
    topic_after = tuple(tuple(str(p).split()) for p in raw["words"].get("topic_after", []))

    g_path, g_text = _read(guidance_path, "emergency_guidance.yaml")
    guidance_raw = _read_yaml(g_path, g_text)
    if not isinstance(guidance_raw, dict):
        raise RuleDataError(f"{g_path}, line 1: expected 'category: text' lines")

    categories: dict[str, Category] = {}
    groups: list[RuleGroup] = []
    if not isinstance(raw["categories"], list) or not raw["categories"]:
        raise comp.fail(raw["categories"], "categories must be a non-empty list")
    for entry in raw["categories"]:
        _check_keys(entry, _CATEGORY_KEYS, "a category", path)
        slug = entry.get("id")
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise comp.fail(entry, f"a category needs an 'id' in snake_case, got {slug!r}")
        if slug in categories:
            raise comp.fail(entry, f"category {slug!r} is defined twice")
        if "rank" not in entry:
            raise comp.fail(entry, f"category {slug!r} needs a 'rank' (lower = more urgent)")
        if slug not in guidance_raw:
            raise comp.fail(entry, f"category {slug!r} has no guidance text in {g_path}")
        rank = _int(entry["rank"], path, "rank")
        try:
            flags = {key: _flag(entry, key) for key in _CATEGORY_KEYS - {"id", "rank", "groups"}}
        except RuleDataError as err:
            raise RuleDataError(f"{path}, {err}") from None
        categories[slug] = Category(slug, rank, str(guidance_raw[slug]), **flags)
        if not isinstance(entry.get("groups"), list) or not entry["groups"]:
            raise comp.fail(entry, f"category {slug!r} needs a non-empty 'groups' list")
        groups.extend(_group(g, entry, rank, comp, lists) for g in entry["groups"])

    guidance = _check_guidance(g_path, guidance_raw, set(categories))
    ordered = dict(sorted(categories.items(), key=lambda item: item[1].rank))
    return RuleBook(
        categories=ordered,
        groups=tuple(sorted(groups, key=lambda group: group.rank)),
        guidance=guidance,
        lexicon=lexicon,
        pattern_lists=pattern_lists,
        words=words,
        topic_after=topic_after,
        numbers=numbers,
        age_units=age_units,
    )


def _check_guidance(path: str, raw: dict[str, Any], categories: set[str]) -> dict[str, str]:
    extra = sorted(set(raw) - categories - {POSSIBLE_EMERGENCY})
    if extra:
        key = extra[0]
        raise RuleDataError(
            f"{path}, line {_line(raw[key])}: guidance for unknown category {key!r}"
        )
    if POSSIBLE_EMERGENCY not in raw:
        raise RuleDataError(f"{path}, line 1: no guidance for {POSSIBLE_EMERGENCY!r}")
    out: dict[str, str] = {}
    for key, text in raw.items():
        if not isinstance(text, str) or not text.strip():
            raise RuleDataError(f"{path}, line {_line(text)}: guidance for {key!r} is empty")
        for number in ("۱۱۵", _REQUIRED_NUMBERS.get(key)):
            if number and number not in text:
                raise RuleDataError(
                    f"{path}, line {_line(text)}: guidance for {key!r} must name {number}"
                )
        out[str(key)] = str(text)
    return out
