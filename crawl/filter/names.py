"""Finding the name that follows «دکتر» in a patient's question.

Patients write «دکتر نوشین ... گفت» (a person) as often as «دکتر گفت», «دکتر زنان»,
«دکتر برام قرص نوشت» (no name). No Persian named-entity model ships with hazm 0.10, so this
is a documented heuristic. After «دکتر», a name starts when the next token is

- a common Iranian given name (:data:`GIVEN_NAMES`), or
- not a context word (below) and not a frequent word of hazm's lexicon (``words.dat``
  frequency >= :data:`FREQUENT`): surnames such as «نظری», «کریمی», «اسلامیان» are rare or
  absent there, while «عکس», «نوزاد», «ضعیف» are frequent;

and it continues over up to three tokens until a *context word*:

- a hazm stopword, a digit or Latin token, or punctuation;
- a verb form: starts with «می»/«نمی», or is a hazm past/present verb stem with a personal
  ending («گفت», «گفتن», «رفتم», «میگه»);
- a word of :data:`CONTEXT_WORDS` (specialties, places, dosage forms, colloquial
  prepositions such as «برام», «بهم»), also with a pronoun suffix («زنانم»).

Limits: a drug name or a colloquial verb that hazm does not know, written straight after
«دکتر» («دکتر گلوکوفاژ داد», «دکتر نتونست»), is also replaced, which errs on the side of
privacy; a surname that is a frequent word and follows «دکتر» without a given name
(«دکتر ملک») is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

TITLE = "دکتر"
MAX_NAME_TOKENS = 3
FREQUENT = 100_000  # hazm words.dat frequency from which a word is ordinary vocabulary

# Common Iranian given names (general knowledge, written for this module).
GIVEN_NAMES = frozenset((
    "محمد", "علی", "حسین", "حسن", "رضا", "مهدی", "امیر", "احمد", "مجید", "سعید", "حمید", "مسعود",
    "مصطفی", "جواد", "عباس", "ابراهیم", "اسماعیل", "اکبر", "بهرام", "بهروز", "بیژن", "پرویز",
    "پیمان", "جمشید", "داوود", "داریوش", "رامین", "سیامک", "شهرام", "فرهاد", "فرشید", "کامران",
    "کاوه", "کیوان", "محسن", "محمود", "مرتضی", "منصور", "مهرداد", "ناصر", "نادر", "نیما", "هادی",
    "هوشنگ", "یوسف", "یعقوب", "بابک", "آرش", "سهراب", "سامان", "سینا", "کوروش", "امید", "شاهین",
    "فریدون", "علیرضا", "محمدرضا", "حمیدرضا", "غلامرضا", "کریم", "ملک", "مریم", "فاطمه", "زهرا",
    "زینب", "سارا", "نرگس", "لیلا", "مینا", "مهسا", "مژگان", "نسرین", "نوشین", "شیرین", "پریسا",
    "فرشته", "الهام", "اعظم", "اکرم", "اشرف", "طاهره", "طیبه", "معصومه", "منیژه", "ناهید",
    "نازنین", "نیلوفر", "هانیه", "هدی", "یاسمن", "آزاده", "آزیتا", "افسانه", "بهاره", "پروین",
    "ترانه", "ثریا", "رویا", "ژاله", "سمیه", "سیما", "شهلا", "شبنم", "فریبا", "فرزانه", "فرناز",
    "کتایون", "گلناز", "لادن", "ماندانا", "محبوبه", "مرضیه", "مهناز", "مهین", "میترا", "نگار",
    "هاله", "هما", "سپیده", "سمانه", "سودابه", "شهرزاد", "شیدا", "عاطفه", "فرحناز", "گیتی",
    "مرجان", "منصوره", "نسیم", "ملیحه", "مهشید", "فرخنده", "ویدا", "رکسانا", "آناهیتا",
))

# General Persian vocabulary, written for this module after looking at which words most often
# follow «دکتر» in patients' questions of the raw niniban crawl (none of them is a name). This
# rule only scrubs text; it does not decide which records are kept.
CONTEXT_WORDS = frozenset((
    "زنان", "زایمان", "اطفال", "کودکان", "متخصص", "تخصص", "فوق", "عمومی", "داخلی", "پوست", "قلب",
    "گوارش", "غدد", "اعصاب", "مغز", "روانپزشک", "روانشناس", "مشاور", "تغذیه", "جراح", "جراحی",
    "ارتوپد", "ارتوپدی", "اورولوژی", "ارولوژی", "اورولوژیست", "ارولوژیست", "نازایی", "ناباروری",
    "ژنتیک", "رادیولوژی", "سونولوژی", "سونو", "سنو", "سونوگرافی", "سنوگرافی", "چشم", "گوش", "حلق",
    "بینی", "دندان", "دندانپزشک", "داروخانه", "داروخونه", "داروساز", "بیمارستان", "کلینیک", "مطب",
    "درمانگاه", "آزمایشگاه", "ازمایشگاه", "آزمایش", "ازمایش", "ماما", "پرستار", "انکولوژی", "خون",
    "عفونی", "ریه", "کلیه", "زنانم", "اطفالش", "قرص", "شربت", "آمپول", "امپول", "شیاف", "پماد",
    "کپسول", "قطره", "دارو", "داروی", "داروهای", "سرم", "واکسن", "تست", "معاینه", "تشخیص",
    "مراجعه", "تجویز", "توصیه", "پیشنهاد", "دستور", "نسخه", "عمل", "استراحت", "مشورت", "گفته",
    "داده", "نوشته", "گفتند", "گفتن", "گفتش", "گف", "کفتن", "فرمودند", "بهم", "برام", "برایم",
    "واسم", "واسه", "واسش", "برا", "براش", "براشون", "بهش", "بمن", "بهمون", "بهشون", "هم",
    "هم\u200c", "خودم", "خودش", "خودمون", "خودمم", "خودتون", "همسرم", "همسرش", "دخترم", "پسرم",
    "بچه\u200cام", "بچم", "دیگه", "دیگر", "قبلی", "قبلا", "جدید", "محترم", "عزیز", "عزیزم",
    "خسته", "ببخشید", "لطفا", "خواهشا", "اخه", "آخه", "ولی", "یه", "یک", "بعد", "قبل", "دوباره",
    "باز", "بازم", "فقط", "هیچ", "شهرمون", "اینجا", "اونجا", "همون", "همین", "جان", "ام", "ها",
    "های", "الان", "وقت", "زمان", "تاریخ", "معالج", "اولی",
    "مامایی", "اکو", "اشتباهی", "اشتباها", "سوال", "بخاطر", "اجازه", "احتمال", "ایشون", "ایشان",
    "جهت", "تعداد", "شرایط", "رژیم", "ویتامین", "مرکز", "بهداشت",
))
_PRONOUN_SUFFIXES = ("مون", "تون", "شون", "م", "ت", "ش")
_VERB_ENDINGS = ("", "م", "ی", "د", "یم", "ید", "ند", "ن", "ه", "ست", "ش", "مش", "دش")
_TOKEN = re.compile(r"[\w\u200c]+|[^\w\s]", re.UNICODE)
_PERSIAN_WORD = re.compile(r"^[\u0600-\u06ff\u200c]+$")
_FIX_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})


@lru_cache(maxsize=1)
def _frequent_words() -> frozenset[str]:
    """Words of hazm's lexicon at least :data:`FREQUENT` times in its corpus."""
    from importlib.resources import files

    frequent = set()
    for line in (files("hazm") / "data" / "words.dat").read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) >= FREQUENT:
            frequent.add(parts[0])
    return frozenset(frequent)


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """hazm's stopwords and verb stems, read once from the files hazm ships."""
    from importlib.resources import files

    data = files("hazm") / "data"
    stopwords = frozenset(
        line.strip() for line in (data / "stopwords.dat").read_text("utf-8").splitlines()
    )
    stems: set[str] = set()
    for line in (data / "verbs.dat").read_text("utf-8").splitlines():
        if "#" in line:
            past, present = line.strip().split("#", 1)
            stems.update({past, present})
    stems.discard("")
    return stopwords, frozenset(stems)


def _is_verb(word: str, stems: frozenset[str]) -> bool:
    for prefix in ("نمی", "می"):
        if word.startswith(prefix) and len(word) > len(prefix) + 1:
            return True
    for prefix in ("", "ن", "ب"):
        if prefix and not word.startswith(prefix):
            continue
        core = word[len(prefix):]
        for ending in _VERB_ENDINGS:
            if ending and not core.endswith(ending):
                continue
            stem = core[: len(core) - len(ending)] if ending else core
            if len(stem) >= 2 and stem in stems:
                return True
    return False


def is_context_word(token: str) -> bool:
    """True when ``token`` after «دکتر» is not part of a person's name."""
    word = token.translate(_FIX_LETTERS).replace("\u200c", "")
    if not _PERSIAN_WORD.match(word) or len(word) < 2 or any(ch.isdigit() for ch in word):
        return True
    stopwords, stems = _lexicon()
    candidates = {word} | {word[: -len(s)] for s in _PRONOUN_SUFFIXES
                           if word.endswith(s) and len(word) - len(s) >= 2}
    if any(c in stopwords or c in CONTEXT_WORDS for c in candidates):
        return True
    return _is_verb(word, stems)


def starts_a_name(token: str) -> bool:
    """True when ``token`` right after «دکتر» is the start of a person's name."""
    word = token.translate(_FIX_LETTERS).replace("\u200c", "")
    if word in GIVEN_NAMES:
        return True
    if is_context_word(token):
        return False
    frequent = _frequent_words()
    # Patients often glue «و» (and) or «ب» (to) to the next word: «ودوباره», «بدلیل».
    forms = {word} | {word[1:] for prefix in "وب" if word.startswith(prefix) and len(word) > 3}
    return not any(form in frequent or form in CONTEXT_WORDS for form in forms)


def scrub_doctor_names(text: str, placeholder: str) -> tuple[str, int]:
    """Replace the name tokens after each «دکتر» in ``text``; return the text and the count.

    Example:
        >>> scrub_doctor_names("دکتر نوشین احمدی گفت قرص بخورم", "[نام]")
        ('دکتر [نام] گفت قرص بخورم', 1)
        >>> scrub_doctor_names("دکتر زنان برام قرص نوشت", "[نام]")
        ('دکتر زنان برام قرص نوشت', 0)
    """
    if TITLE not in text:
        return text, 0
    tokens = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
    cuts: list[tuple[int, int]] = []
    for i, (_, _, token) in enumerate(tokens):
        if token.translate(_FIX_LETTERS) != TITLE:
            continue
        following = tokens[i + 1 : i + 1 + MAX_NAME_TOKENS]
        if not following or not starts_a_name(following[0][2]):
            continue
        name = [following[0][:2]]
        for start, end, token in following[1:]:
            if is_context_word(token):
                break
            name.append((start, end))
        if name:
            cuts.append((name[0][0], name[-1][1]))
    for start, end in reversed(cuts):
        text = text[:start] + placeholder + text[end:]
    return text, len(cuts)
