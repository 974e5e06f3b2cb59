"""Scrubbing personal data out of text: replace, never drop.

Patients write phone numbers, emails, national ids and links into questions, and name their
doctor. A clean corpus must not carry them, but the medical content around them is still
useful, so each match is replaced by a Persian placeholder and counted per kind.

Scrubbing runs on the text as crawled, before hazm normalization: the normalizer's spacing
rules split emails and links apart (``ali@x.com`` -> ``ali@x. com``). Digit patterns accept
Latin, Persian (۰-۹) and Arabic-Indic (٠-٩) digits.

Example:
    >>> scrub("شماره‌ام ۰۹۱۲۳۴۵۶۷۸۹ است", PiiConfig())[0]
    'شماره‌ام [تلفن] است'
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

PLACEHOLDERS = {
    "email": "[ایمیل]",
    "url": "[پیوند]",
    "phone": "[تلفن]",
    "national_id": "[کد ملی]",
    "doctor_name": "[نام]",
}

_D = "[0-9\u06f0-\u06f9\u0660-\u0669]"  # one digit in any of the three systems
_SEP = r"[\s\-.]?"
_ZERO = "[0\u06f0\u0660]"
_NINE = "[9\u06f9\u0669]"
_NOT_DIGIT_BEFORE = rf"(?<!{_D})"
_NOT_DIGIT_AFTER = rf"(?!{_D})"

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
URL = re.compile(
    r"(?:https?://|www\.)[^\s<>«»\"']+"
    # The name before a bare domain's ending has 2+ characters: "B.Co" (vitamin B complex)
    # is a drug, not a link.
    r"|\b(?:[A-Za-z0-9\-]+\.)*[A-Za-z0-9\-]{2,}\.(?:com|ir|org|net|info|io|me|co)\b"
    r"(?:/[^\s<>«»\"']*)?",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w.])@[A-Za-z_][A-Za-z0-9_.]{2,}")
# Iranian mobiles (09xx xxx xxxx, 09xx xxx xx xx, +98 9xx ..., (0912) ...) and landlines with
# a 3-digit area code (021 1234 5678, (021) 1234 5678); separators may be spaces, dashes or
# dots. The 4-3-2-2 grouping needs the leading 0 or country code: without it a list of
# values ("۹۰۰ ۱۲۰ ۱۰ ۲۰") would look like a phone number.
_PREFIX = rf"(?:(?:\+|{_ZERO}{_ZERO}){_D}{_D}{_SEP}\(?|\(?{_ZERO})"
_MOBILE = rf"{_NINE}{_D}{_D}\)?{_SEP}{_D}{{3}}{_SEP}"
PHONE = re.compile(
    _NOT_DIGIT_BEFORE
    + rf"{_PREFIX}{_MOBILE}(?:{_D}{{4}}|{_D}{{2}}{_SEP}{_D}{{2}})"
    + _NOT_DIGIT_AFTER
    + "|"
    + _NOT_DIGIT_BEFORE
    + rf"{_NINE}{_D}{_D}{_SEP}{_D}{{3}}{_SEP}{_D}{{4}}"
    + _NOT_DIGIT_AFTER
    + "|"
    + _NOT_DIGIT_BEFORE
    + rf"\(?{_ZERO}{_D}{_D}\)?{_SEP}{_D}{{4}}{_SEP}{_D}{{4}}"
    + _NOT_DIGIT_AFTER
)
NATIONAL_ID = re.compile(
    _NOT_DIGIT_BEFORE + rf"({_D}{{3}})-?({_D}{{6}})-?({_D})" + _NOT_DIGIT_AFTER
)

_LATIN = re.compile("[A-Za-z]")
_DIGIT = re.compile(_D)
_DIGIT_VALUE = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def valid_national_id(digits: str) -> bool:
    """The Iranian national code checksum (کد ملی): 10 digits, the last one a check digit.

    The check digit is ``r`` when ``r = sum(d[i] * (10 - i) for i < 9) % 11 < 2``, else
    ``11 - r``. Checking it keeps ordinary 10-digit numbers (test results, amounts) intact.
    """
    digits = digits.translate(_DIGIT_VALUE)
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    remainder = sum(int(digits[i]) * (10 - i) for i in range(9)) % 11
    check = int(digits[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


@dataclass(frozen=True)
class PiiConfig:
    """Which kinds to scrub; doctor names only apply to questions (patients name theirs)."""

    doctor_names: bool = True


def scrub(text: str, config: PiiConfig, is_question: bool = False) -> tuple[str, Counter]:
    """Replace personal data in ``text``; return the new text and counts per kind.

    Order matters: emails before links (an email contains a domain), links before phone
    numbers (links carry digits), national ids before phones is irrelevant (10 digits never
    match a phone pattern, which wants 9 after a leading 0 or 11+ digits).
    """
    counts: Counter = Counter()

    def sub(kind: str, pattern: re.Pattern, value: str) -> str:
        new, n = pattern.subn(PLACEHOLDERS[kind], value)
        counts[kind] += n
        return new

    # Cheap guards first: most Persian text has no Latin letters, and many have no digits.
    if _LATIN.search(text):
        if "@" in text:
            text = sub("email", EMAIL, text)
            text = sub("url", HANDLE, text)
        text = sub("url", URL, text)
    if not _DIGIT.search(text):
        return _with_names(text, counts, config, is_question)
    text = sub("phone", PHONE, text)

    def national(match: re.Match) -> str:
        if valid_national_id("".join(match.groups())):
            counts["national_id"] += 1
            return PLACEHOLDERS["national_id"]
        return match.group(0)

    text = NATIONAL_ID.sub(national, text)
    return _with_names(text, counts, config, is_question)


def _with_names(text: str, counts: Counter, config: PiiConfig,
                is_question: bool) -> tuple[str, Counter]:
    if is_question and config.doctor_names:
        from crawl.filter.names import scrub_doctor_names

        text, n = scrub_doctor_names(text, PLACEHOLDERS["doctor_name"])
        counts["doctor_name"] += n
    return text, +counts
