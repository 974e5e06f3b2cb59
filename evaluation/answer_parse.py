"""Which option a generated answer chose: for API models that cannot be scored by likelihood.

Persian models answer an exam question in many shapes: «۲», «گزینه‌ی ۲ درست است»,
«پاسخ: ب», «(ج)», "Answer: B", or the option's own text. ``parse_choice`` reads all of
them and returns None when it cannot tell (scored as wrong and counted as unparsed, never
guessed).

Example:
    >>> parse_choice("پاسخ صحیح گزینه‌ی ۳ است.", ["الف", "ب", "ج", "د"])
    3
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TRANSLATE = str.maketrans({
    **dict(zip("۰۱۲۳۴۵۶۷۸۹", "0123456789", strict=True)),
    **dict(zip("٠١٢٣٤٥٦٧٨٩", "0123456789", strict=True)),
    "ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "\u200c": " ", "ـ": "", "*": "", "_": " ",
})
_VALUES = {"1": 1, "2": 2, "3": 3, "4": 4, "الف": 1, "ب": 2, "ج": 3, "د": 4,
           "a": 1, "b": 2, "c": 3, "d": 4, "اول": 1, "دوم": 2, "سوم": 3, "چهارم": 4,
           "یک": 1, "دو": 2, "سه": 3, "چهار": 4}
_VALUE = (r"(?P<v>[1-4]|الف|ب|ج|د|(?-i:[A-D])|اول|دوم|سوم|چهارم)(?!\w)"
          # «۱ یا ۲», "1/2": a hedge between options is no answer (never scored as the first).
          r"(?!\s*(?:/|یا|or|,|،)\s*(?:[1-4]|الف|ب|ج|د|(?-i:[A-D]))(?!\w))")
# Number words only right after «گزینه»: «پاسخ: دو نوع ...» is not an answer.
_OPTION_WORD = re.compile(r"گزینه(?:\s*ی|ٔ)?\s*(?P<v>یک|دو|سه|چهار)(?!\w)"
                          r"(?!\s*(?:/|یا|,|،)\s*(?:یک|دو|سه|چهار|[1-4])(?!\w))")
# A label («گزینه»، «پاسخ»، "answer") then filler words and punctuation, then the value.
_LABELLED = re.compile(
    r"(?:گزینه|پاسخ|جواب|option|answer|choice)(?:\s*ی|\s*ای|ٔ)?"
    r"(?:\s*(?:صحیح|درست|درستتر|صحیحتر|مناسب|نهایی|شماره|correct|final|is|the|است|:|-|=|،|,"
    r"|\(|«|\[))*\s*" + _VALUE,
    re.IGNORECASE,
)
# The answer is only the label: «۲», «ب)», «(ج)», "B.", «۲ - فلج عضلات صورت».
_LEADING = re.compile(r"^[\s(«\[*]*" + _VALUE + r"\s*(?:$|[).:\-–»\]*]|\s-)", re.IGNORECASE)
# An option label inside the text («۲)», "C."): two different ones mean the options were
# echoed as a list («۱) ... ۲) ...»), which picks nothing.
_LIST_LABEL = re.compile(r"(?:^|\s)[(«\[]*(?P<v>[1-4]|الف|ب|ج|د|(?-i:[A-D]))\s*[).:\-–»\]]")
_SPACES = re.compile(r"\s+")
_NONE = re.compile(r"هیچ\s*کدام|none of", re.IGNORECASE)


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text.translate(_TRANSLATE)).strip()


def parse_choice(text: str, options: Sequence[str]) -> int | None:
    """The chosen option 1-4 in a generated answer, or None when it cannot be told."""
    cleaned = _clean(text or "")
    if not cleaned:
        return None
    labelled = _LABELLED.search(cleaned) or _OPTION_WORD.search(cleaned)
    if labelled:
        return _VALUES[labelled.group("v").lower()]
    leading = _LEADING.match(cleaned)
    if leading:
        labels = {_VALUES[m.group("v").lower()] for m in _LIST_LABEL.finditer(cleaned)}
        return None if len(labels) > 1 else _VALUES[leading.group("v").lower()]
    return _by_option_text(cleaned, options)


def _by_option_text(cleaned: str, options: Sequence[str]) -> int | None:
    """The one option whose text the answer contains (a longer option beats its own prefix)."""
    texts = [_clean(option).rstrip(".") for option in options]
    found = [i for i, option in enumerate(texts) if option and option in cleaned]
    # Drop options contained in another found option: «فلج عضلات صورت» inside a longer one.
    found = [i for i in found if not any(j != i and texts[i] in texts[j] for j in found)]
    if len(found) == 1 and not _NONE.search(cleaned.replace(texts[found[0]], "")):
        return found[0] + 1
    return None
