"""Pure keep/drop tests; each returns a reason, a list of signals or the cleaned text.

The greeting, boilerplate and language tests take text that hazm already normalized (Persian
digits, «ی»/«ک», ZWNJ fixed), so their patterns are written once, in normalized spelling.
:func:`spam_signals` takes the text as crawled, because links and handles are scrubbed (and
hazm would split them) before normalization. Thresholds come from
:class:`crawl.filter.config.FilterConfig`; nothing reads files or global state.
"""

from __future__ import annotations

import re

from index.normalize import persian_ratio

# Greeting, thanks and polite filler that carry no medical content. Stripped only to judge
# whether anything else is left («سلام خسته نباشید ممنون» is greeting-only); kept text keeps
# its greetings, as MF3QA did.
GREETING = re.compile(
    r"(?:با\s*)?سلام(?:\s*(?:و|،)?\s*(?:علیکم|عرض ادب|احترام|خدمت\s+\S+))?"
    r"|درود(?:\s*بر\s*(?:شما|شمایان))?"
    r"|(?:روز|وقت|شب|عصر|صبح)\s*(?:تون|شما)?\s*(?:بخیر|به\s*خیر)"
    r"|خسته\s*نباشید|خدا\s*قوت|(?:خیلی\s*)?(?:ممنون|مرسی|متشکر|سپاس\s*گزار|سپاس)(?:م|یم)?"
    r"|(?:با\s*)?(?:تشکر|سپاس)(?:\s*(?:فراوان|از\s*شما))?|(?:پیشاپیش\s*)?ممنونم"
    r"|لطفا\s*(?:جواب|پاسخ)\s*(?:بدید|بدهید|دهید)|(?:منتظر\s*)?(?:جواب|پاسخ)\s*(?:تون|شما)?\s*هستم"
    r"|دکتر\s*جان|دوست\s*عزیز|[!؟?.،,؛:…\s]+"
)

# Lines of site chrome that end up inside article bodies and answers.
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:آیا\s*این\s*(?:مقاله|مطلب|پاسخ)\s*(?:برای\s*شما\s*)?مفید\s*بود"
    r"|(?:مطالب|مقالات|پست‌ها|پستهای)\s*(?:مرتبط|مشابه|پیشنهادی)"
    r"|(?:اشتراک[\s\u200c]*گذاری|به\s*اشتراک\s*بگذارید|نظرات|دیدگاه[\s\u200c]*ها|ارسال\s*نظر"
    r"|برچسب[\s\u200c]*ها|کلمات\s*کلیدی|بازگشت\s*به\s*بالا|امتیاز\s*دهید|تعداد\s*بازدید)"
    r"|(?:منبع|منابع)\s*:?\s*$"
    r")",
)

# Advertising signals: each matching group counts once.
_LINK = re.compile(
    r"https?://|www\.|\.(?:com|ir|org|net)\b|(?<![\w.])@[A-Za-z_]|t\.me/|instagram|telegram",
    re.IGNORECASE,
)
_SALES = re.compile(
    r"خرید|فروش|تخفیف|قیمت\s*(?:ویژه|استثنایی)|سفارش|ارسال\s*رایگان|(?:عضو|عضویت)\s*(?:کانال|گروه)"
    r"|کانال\s*تلگرام|پیج\s*اینستاگرام|فالو|لایک|تبلیغ|نمایندگی|پیشنهاد\s*ویژه|محصولات"
)
_CONTACT = re.compile(
    r"(?:تماس\s*بگیرید|شماره\s*تماس|واتس\s*اپ|واتساپ|تلگرام|دایرکت|پیام\s*بدهید|پیام\s*بدید)"
)
# A letter seven times («عاااااالی») or a word five times in a row; digits are not shouting
# (۱۰۰۰۰۰۰۰ is a number) and neither are dots, which patients use as pauses.
_SHOUTING = re.compile(r"([^\W\d_])\1{6,}|(\b\S+\b)(?:\s+\2\b){4,}")
# Function words that separate the two languages sharing the script (normalized spelling:
# hazm maps ي/ى to ی and ة to ه, so Arabic «في» reads «فی»).
_ARABIC_WORDS = re.compile(
    r"(?<![\w\u200c])(?:فی|التی|الذی|هذه|هذا|ذلک|کان|کانت|الی|علی|عن|لا|إن|إلی|قد|ان)"
    r"(?![\w\u200c])"
)
_PERSIAN_WORDS = re.compile(
    r"(?<![\w\u200c])(?:است|را|می|این|که|برای|های|هم|شود|کنید|باشد|شما|من|آیا|چه)"
    r"(?![\w\u200c])"
)


def strip_greetings(text: str) -> str:
    """What is left of ``text`` once greetings, thanks and punctuation are removed."""
    return GREETING.sub(" ", text).strip()


def remove_boilerplate_lines(text: str) -> tuple[str, int]:
    """Drop site-chrome lines; return the text and how many lines went.

    Example:
        >>> remove_boilerplate_lines("متن مقاله\\nآیا این مقاله برای شما مفید بود؟\\nنظرات")
        ('متن مقاله', 2)
    """
    if "\n" not in text and not BOILERPLATE_LINE.match(text):
        return text, 0
    kept, removed = [], 0
    for line in text.split("\n"):
        if BOILERPLATE_LINE.match(line):
            removed += 1
        else:
            kept.append(line)
    return "\n".join(kept).strip(), removed


def spam_signals(text: str) -> list[str]:
    """Names of the advertising signals ``text`` shows (links, sales, contact, shouting)."""
    found = []
    if _LINK.search(text):
        found.append("link")
    if _SALES.search(text):
        found.append("sales")
    if _CONTACT.search(text):
        found.append("contact")
    if _SHOUTING.search(text):
        found.append("shouting")
    return found


def not_persian(text: str, min_ratio: float, reject_arabic: bool) -> str | None:
    """A reason when ``text`` is not Persian enough, else ``None``.

    ``persian_ratio`` measures Arabic-script letters, which Arabic text passes too; so with
    ``reject_arabic`` a text with more Arabic function words («فی», «التی», «هذا») than
    Persian ones («است», «را», «می») and at least three of them is rejected as Arabic. Counting
    letters only Persian has («پ چ ژ گ») does not work: short Persian answers often lack all
    four.
    """
    ratio = persian_ratio(text)
    if ratio < min_ratio:
        return f"persian ratio {ratio:.2f} < {min_ratio}"
    if reject_arabic:
        arabic = len(_ARABIC_WORDS.findall(text))
        if arabic >= 3 and arabic > len(_PERSIAN_WORDS.findall(text)):
            return f"Arabic: {arabic} Arabic function words, more than Persian ones"
    return None
