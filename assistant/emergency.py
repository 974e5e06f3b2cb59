"""Spot medical emergencies in a Persian question, so the answer can start with what to do.

An assistant that explains chest pain calmly while the user is having a heart attack does
harm. This module runs before any retrieval or generation, in every mode: hand-written
Persian patterns per emergency, matched over hazm-normalized text, with Persian negation
(«درد قفسه سینه ندارم»), past history («سال پیش سکته کرده بود») and general-information
questions («علائم سکته قلبی چیست؟») filtered out. No model and no I/O; the question is never
logged or stored.

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

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.normalize import PersianNormalizer

#: Iran's emergency numbers; every guidance text names 115.
EMERGENCY_NUMBERS = MappingProxyType(
    {
        "ambulance": "115",  # اورژانس پزشکی
        "social_emergency": "123",  # اورژانس اجتماعی (بحران، خودکشی، خشونت)
        "poison_information": "190",  # مرکز اطلاعات داروها و سموم
        "fire": "125",  # آتش‌نشانی
    }
)


@dataclass(frozen=True)
class Emergency:
    """One detected emergency.

    Attributes:
        category: English slug, e.g. ``"stroke"``; see ``CATEGORIES``.
        matched: the Persian phrase that fired, in normalized spaced form («صورتش کج شده»).
        guidance: Persian text to show before any other answer.
    """

    category: str
    matched: str
    guidance: str


_CALL = "همین حالا با اورژانس ۱۱۵ تماس بگیرید"

#: Persian guidance per category, calm and short; the first steps are safe for a bystander.
GUIDANCE = MappingProxyType(
    {
        "choking": (
            f"{_CALL}. اگر فرد نمی‌تواند حرف بزند، سرفه کند یا نفس بکشد، اگر آموزش دیده‌اید "
            "پنج ضربه محکم بین دو کتف و سپس مانور هایملیخ (فشار به بالای شکم) انجام دهید؛ "
            "برای شیرخوار زیر یک سال، ضربه به پشت و فشار روی سینه. اگر سرفه می‌کند، او را به "
            "سرفه تشویق کنید و کورکورانه انگشت در دهانش نبرید."
        ),
        "drowning": (
            f"{_CALL}. اگر بدون خطر برای خودتان ممکن است، فرد را از آب بیرون بیاورید. اگر "
            "پاسخ نمی‌دهد و نفس نمی‌کشد، با راهنمایی اپراتور ۱۱۵ احیا را شروع کنید. حتی اگر "
            "حالش بهتر شد، باید در بیمارستان بررسی شود."
        ),
        "electric_shock": (
            "اول جریان برق را قطع کنید و تا قطع نشده به فرد دست نزنید. سپس با اورژانس ۱۱۵ "
            "تماس بگیرید، حتی اگر حالش خوب به نظر می‌رسد. اگر پاسخ نمی‌دهد و نفس نمی‌کشد، با "
            "راهنمایی اپراتور ماساژ قلبی را شروع کنید."
        ),
        "anaphylaxis": (
            "این علائم می‌تواند نشانه واکنش حساسیتی شدید (آنافیلاکسی) باشد. "
            f"{_CALL}. اگر قلم اپی‌نفرین (اپی‌پن) برایش تجویز شده، همین حالا آن را در "
            "بیرون ران تزریق کنید. از عامل حساسیت (نیش، غذا، دارو) دور شود؛ اگر نفس کشیدن "
            "سخت است بنشیند، وگرنه دراز بکشد و پاهایش را بالا بگذارید. تنهایش نگذارید."
        ),
        "unconscious": (
            f"{_CALL}. ببینید پاسخ می‌دهد و نفس می‌کشد یا نه. اگر نفس نمی‌کشد یا نفس‌هایش "
            "غیرعادی است، با راهنمایی اپراتور ۱۱۵ ماساژ قلبی (فشار محکم و سریع وسط قفسه سینه) "
            "را شروع کنید. اگر نفس می‌کشد، او را به پهلو بخوابانید و چیزی به او نخورانید؛ اگر "
            "احتمال آسیب به سر یا گردن هست، بی‌دلیل جابه‌جایش نکنید."
        ),
        "chest_pain": (
            "درد، فشار یا سنگینی قفسه سینه ممکن است نشانه حمله قلبی باشد: "
            f"{_CALL} و خودتان رانندگی نکنید. فعالیت را متوقف کنید و بنشینید یا دراز بکشید. "
            "درباره جویدن قرص آسپرین از اپراتور ۱۱۵ بپرسید (اگر به آن حساسیت ندارید). اگر "
            "بیمار از هوش رفت و نفس نمی‌کشد، با راهنمایی ۱۱۵ ماساژ قلبی را شروع کنید."
        ),
        "breathing": (
            f"تنگی نفس شدید اورژانسی است: {_CALL}. بیمار بنشیند و کمی به جلو خم شود، لباس‌های "
            "تنگ را باز کنید و آرام بمانید. اگر اسپری یا داروی تجویزشده برای آسم دارد، طبق "
            "دستور پزشک از آن استفاده کند. اگر لب‌ها کبود شد یا هوشیاری کم شد، به اپراتور "
            "بگویید."
        ),
        "stroke": (
            f"این علائم ممکن است نشانه سکته مغزی باشد و هر دقیقه مهم است: {_CALL}. ساعت شروع "
            "علائم (یا آخرین زمانی که بیمار سالم دیده شده) را یادداشت کنید. به او چیزی برای "
            "خوردن یا نوشیدن، حتی دارو، ندهید. در جای امن بنشانید یا به پهلو بخوابانید و "
            "تنهایش نگذارید."
        ),
        "severe_headache": (
            "سردرد ناگهانی و بسیار شدید («بدترین سردرد عمر») می‌تواند نشانه خونریزی مغزی باشد: "
            f"{_CALL}. زمان شروع سردرد را یادداشت کنید، بیمار استراحت کند و تنها نماند، و "
            "خودسرانه داروی مسکن قوی یا رقیق‌کننده خون مصرف نکند."
        ),
        "head_injury": (
            "ضربه به سر همراه با استفراغ، خواب‌آلودگی، گیجی، بیهوشی یا تشنج نیاز به بررسی "
            f"فوری دارد: {_CALL}. اگر احتمال آسیب گردن هست، بیمار را حرکت ندهید. تنهایش "
            "نگذارید، چیزی به او نخورانید و هر تغییری در هوشیاری را به اپراتور بگویید."
        ),
        "poisoning": (
            f"{_CALL}؛ برای راهنمایی درباره سم یا دارو، مرکز اطلاعات داروها و سموم هم با شماره "
            "۱۹۰ پاسخ می‌دهد. بیمار را وادار به استفراغ نکنید و بدون دستور پزشک چیزی به او "
            "نخورانید. بسته دارو یا ظرف ماده را همراه داشته باشید. در گازگرفتگی، پنجره‌ها را "
            "باز کنید و بیمار را به هوای آزاد ببرید. در مار یا عقرب‌گزیدگی، عضو را بی‌حرکت "
            "نگه دارید و محل نیش را نبرید و نمکید."
        ),
        "suicide": (
            "جان شما ارزشمند است و کمک در دسترس است. اگر خطر فوری وجود دارد (قصد، وسیله یا "
            f"اقدام)، {_CALL}. برای گفت‌وگو و کمک فوری، اورژانس اجتماعی ۱۲۳ شبانه‌روزی پاسخ "
            "می‌دهد. فرد در معرض خطر را تنها نگذارید و دارو، تیغ و سم را از دسترس دور کنید. "
            "اگر خودتان چنین احساسی دارید، همین حالا به کسی که به او اعتماد دارید خبر دهید."
        ),
        "pregnancy_bleeding": (
            "خونریزی در بارداری یا پس از زایمان باید فوراً بررسی شود: "
            f"{_CALL} یا بی‌درنگ به اورژانس زایمان بیمارستان بروید (خودتان رانندگی نکنید). "
            "دراز بکشید، چیزی داخل واژن قرار ندهید و مقدار خون و لخته‌ها را برای گفتن به پزشک "
            "در نظر داشته باشید."
        ),
        "bleeding": (
            f"{_CALL}. با پارچه یا گاز تمیز روی محل خونریزی فشار مستقیم و محکم بدهید و فشار را "
            "برندارید؛ اگر پارچه خیس شد، پارچه دیگری روی آن بگذارید. اگر ممکن است عضو را بالاتر "
            "از قلب نگه دارید و جسم فرورفته در زخم را بیرون نکشید. اگر خون استفراغ می‌کند، "
            "چیزی نخورد و به پهلو دراز بکشد."
        ),
        "seizure": (
            f"{_CALL}، به‌ویژه اگر تشنج بیش از ۵ دقیقه طول کشیده، پشت سر هم تکرار شده یا "
            "بار اول است. اطراف بیمار را خالی کنید و زیر سرش چیز نرمی بگذارید. چیزی در دهانش "
            "نگذارید و او را محکم نگه ندارید. زمان شروع را یادداشت کنید و پس از پایان حرکات، "
            "او را به پهلو بخوابانید."
        ),
        "meningitis": (
            "تب همراه با سفتی گردن یا لکه‌های پوستی که با فشار محو نمی‌شوند می‌تواند نشانه "
            f"مننژیت باشد: {_CALL} یا فوراً به اورژانس بروید. منتظر بهتر شدن نمانید."
        ),
        "low_blood_sugar": (
            "افت شدید قند خون اورژانسی است. اگر بیمار گیج است، نمی‌تواند قورت بدهد یا از هوش "
            f"رفته، چیزی در دهانش نگذارید و {_CALL}. اگر هوشیار است و می‌تواند قورت بدهد، "
            "فوراً کمی قند، حبه قند یا آبمیوه بخورد."
        ),
        "severe_burn": (
            f"{_CALL} (در آتش‌سوزی، آتش‌نشانی ۱۲۵). محل سوختگی را حدود ۲۰ دقیقه زیر آب خنک "
            "روان (نه یخ) بگیرید. انگشتر و لباس تنگ را اگر به پوست نچسبیده درآورید. خمیردندان، "
            "روغن یا پماد نمالید و تاول‌ها را نترکانید؛ روی آن را با پارچه تمیز بپوشانید. "
            "در سوختگی شیمیایی چشم، چشم را مدتی طولانی با آب روان بشویید."
        ),
        "infant_fever": (
            "تب در نوزاد زیر ۳ ماه همیشه باید فوراً توسط پزشک بررسی شود: "
            f"{_CALL} یا نوزاد را به اورژانس کودکان ببرید. بدون دستور پزشک دارو، حتی تب‌بر، "
            "ندهید؛ نوزاد را زیاد نپوشانید و شیر دادن را ادامه دهید. دمای بدن و زمان "
            "اندازه‌گیری را یادداشت کنید."
        ),
    }
)

#: Categories from most to least urgent; ``detect`` returns the first that fires. A specific
#: cause (choking, anaphylaxis) comes before the general state it leads to, because its
#: first aid differs.
CATEGORIES: tuple[str, ...] = tuple(GUIDANCE)

# --- pattern language ---------------------------------------------------------------------
# ``_`` = optional space; ``…`` = up to three words; ``{NAME}`` = a macro below.
_MACROS = {
    # personal suffix, joined or spaced: سینه‌ام، سینم، گلویش، قلبش
    "PRON": r"(?:_(?:ام|اش|ات|مان|شان|تان|مون|شون|تون|یم|یش|م|ش|ت|مو|شو))?",
    "DAR": r"(?:دار(?:م|ه|د|ی|یم|ید|ند|ن)|داشت(?:م|ه|ی|یم|ند|ن)?)",
    "KARD": r"(?:کرد(?:ه|م|ی|یم|ید|ند|ن)?)",
    "SHOD": r"(?:شد(?:ه|م|ی|یم|ند|ن)?)",
    "MIKON": r"(?:می_)?کن(?:م|ه|د|ی|یم|ید|ند|ن)",
    "MISHE": r"(?:می_)?ش(?:ه|ود|م|وم|ن|وند)",
    "NEMIAD": r"(?:نمی_(?:آید|اید|یاد|آد|اد)|نمیاد|نیومد\S*|نیامد\S*|نمیومد)",
    "EAT": (
        r"(?:خورد(?:ه|م|ی|یم|ند|ن)?|خوردن|نوشید\S*|سر کشید\S*|قورت (?:داد|داده)\S*|"
        r"بلعید\S*|بالا انداخت\S*)"
    ),
    # «تبم» is the writer's own fever; «رفع تب»، «تب بر» are about medicine.
    "FEVER": r"(?<!رفع )(?<!ضد )(?<!کاهش )تب(?:ش|ه|ی|_اش)?(?!\S)(?! (?:خال|بر)(?!\S))",
    "KID": r"(?:بچه|کودک|پسر|دختر|نوه|نوزاد|فرزند)\S*",
}
_GAP = r"(?:\S+ ){0,3}?"


def _rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern of the little language above; matches must start a word, which
    ``_word_matches`` checks (a leading look-behind would stop ``re`` from skipping ahead
    to the first letters a pattern can start with, and make long questions slow)."""
    expanded = re.sub(r"\{([A-Z]+)\}", lambda m: _MACROS[m.group(1)], pattern)
    expanded = expanded.replace("…", _GAP).replace("_", r" ?")
    return re.compile(expanded)


def _word_matches(regex: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Matches of ``regex`` in ``text`` that start at the beginning of a word."""
    pos = 0
    while (m := regex.search(text, pos)) is not None:
        if m.start() == 0 or text[m.start() - 1] == " ":
            yield m
            pos = max(m.end(), m.start() + 1)
        else:
            pos = m.start() + 1


@dataclass(frozen=True)
class _Rule:
    """One pattern and how to read it.

    Attributes:
        noun: a bare noun phrase that general-information questions use too
            («علائم سکته قلبی چیست؟»), so such questions do not fire.
        present: the phrase needs a present verb («تنگی نفس دارم»), not a past or habitual
            one («تنگی نفس داشتم»، «نفس تنگی می‌گیرم»).
        unless: vetoes the rule when found anywhere in the question.
        unless_near: vetoes a match when found in its clause.
    """

    regex: re.Pattern[str]
    noun: bool = False
    present: bool = False
    unless: re.Pattern[str] | None = None
    unless_near: re.Pattern[str] | None = None


def _rules(
    *patterns: str,
    noun: bool = False,
    present: bool = False,
    unless: str | None = None,
    unless_near: str | None = None,
) -> tuple[_Rule, ...]:
    veto = re.compile(unless) if unless else None
    veto_near = re.compile(unless_near) if unless_near else None
    return tuple(
        _Rule(_rx(p), noun=noun, present=present, unless=veto, unless_near=veto_near)
        for p in patterns
    )


# A context sees the question and the span of the symptom that matched.
_Context = Callable[["_Doc", "EmergencyDetector", int, int], bool]


@dataclass(frozen=True)
class _RuleSet:
    """Rules of one category; with ``context`` they fire only if the context holds too."""

    category: str
    rules: tuple[_Rule, ...]
    context: _Context | None = None


# Vetoes: «سینه» is also the breast; heavy periods are not a 115 call.
_BREAST = (
    r"پریود|قاعدگی|عادت ماهانه|(?<!\S)شیر(?:دهی| ?ده| دادن| می| خشک| مادر|م)?(?!\S)|"
    r"نوک سینه|پستان|توده|غده|ماموگرافی|سونوگرافی|سوتین|"
    r"سینه بند|بلوغ|بزرگ شدن سینه|سینه ?ها|باردار|حامله|حاملگی|نزدیکی|تخمک|جنین|ivf|"
    r"آی وی اف|لکه بینی"
)
_FETUS = r"جنین|بند ناف|سقط|ساک|سونو"
# Someone already in hospital care («۱۰ روز است در آی سی یو بیهوش است») needs no 115 call;
# «بیهوش» before surgery is anaesthesia.
_IN_HOSPITAL = (
    r"بستری|[آا]ی ?سی ?یو|icu|ccu|nicu|سی سی یو|ضریب هوش|سطح هوشیاری\S* (?:به )?[۰-۹]|"
    r"زندگی نباتی|(?<!\S)کما(?!\S)"
)
_SURGERY = r"(?<!\S)عمل(?!کرد)|جراحی|نمونه ?برداری|اسکوپی|بیهوشی"
# «احساس می‌کنم دارم خفه می‌شوم»، «انگار داره غش می‌کنه»: a feeling, not the event.
_AS_IF = r"احساس|انگار|مثل|گویی|(?<!\S)حس|می ?ترسم"
_MENSES = (
    r"پریود|قاعدگی|عادت ?(?:ماهانه|ماهیانه|م)|ماهانه|ماهیانه|رحم|فیبروم|میوم|کیست|تخمدان|"
    r"یائسگی|یایسگی|هورمون|پروژسترون|هموروئید|بواسیر"
)
_CONTRACEPTIVE = r"ال دی|اچ دی|ضد ?بارداری|جلوگیری|دیان|یاسمین|دوره|اورژانسی|بسته جدید"

_BREATH_TROUBLE = (
    r"نفس\S* (?:اصلا |دیگه |دیگر )?بالا {NEMIAD}",
    r"(?:لب|صورت|دور دهان|ناخن)\S*(?: \S+)? کبود (?:{SHOD}|است|ه)",
    r"خس_خس (?:شدید|خیلی|زیاد|بدی)",
    r"نفس_نفس (?:می_زن\S*|افتاده)",
)
# «بینیم گرفته و نمی‌توانم نفس بکشم» is a blocked nose.
_NOSE = r"بینی|دماغ|کیپ|خروپف"
_HARD_BREATHING = (
    r"نفس\S* (?:خیلی |بدجور )?تنگ(?:ه| {SHOD}| است)",
    r"نمی_(?:تون|توان)(?:م|ه|د|ی|ن|ند|یم|ید) (?!خوب |راحت )(?:\S+ )?(?:نفس|تنفس) (?:بکش|کنه|کند)",
    r"(?:نفس_کشیدن|تنفس)\S* (?:خیلی |بسیار )?(?:سخت|مشکل|دشوار)",
    r"به سختی نفس",
    r"نفس\S* (?:گرفت|گرفته|بند (?:اومد|آمد|اومده|آمده))(?!\S)",
)
_SHORT_OF_BREATH = (r"(?:تنگی|تنگ شدن) (?:نفس|تنفس)", r"نفس_تنگی")

_RULESETS_SIMPLE: tuple[tuple[str, tuple[_Rule, ...]], ...] = (
    (
        "choking",
        _rules(
            r"(?:تو|توی|در|داخل) (?:گلو|حلق|نای)\S*(?: \S+){0,3}? گیر (?:{KARD}|افتاد\S*)",
            r"گیر (?:{KARD}|افتاد\S*) (?:تو|توی|در|داخل) (?:گلو|حلق|نای)",
            r"خفه (?:{SHOD}|{MISHE})",
            r"راه (?:هوایی|نفس)\S* (?:بسته|مسدود) {SHOD}",
            unless=_FETUS,
            unless_near=_AS_IF + r"|صدا",
        ),
    ),
    (
        "drowning",
        _rules(
            r"(?:زیر|توی|تو|در|داخل) (?:آب|استخر|دریا|وان|رودخانه)(?: \S+){0,2}? "
            r"(?:رفت|رفته|مانده|موند|مونده|گیر)",
            r"آب (?:رفته|رفت) (?:تو|توی|به) (?:ریه|شش)",
        ),
    ),
    (
        "electric_shock",
        _rules(
            r"برق(?: \S+){0,2}? (?:گرفت|گرفته|گرفتش|گرفتتش)(?!\S)",
            r"(?<!احساس )(?<!حالت )(?<!حس )برق_گرفتگی",
        ),
    ),
    (
        "anaphylaxis",
        _rules(
            r"لب\S*(?: \S+)? و (?:زبان|زبون|صورت|گلو|حلق)\S*(?: \S+)? (?:ورم|متورم|باد|پف)",
            r"(?:زبان|زبون|حلق)\S*(?: \S+)? (?:ورم|متورم|باد|پف)",
            r"گلو\S* (?:داره |دارد )?(?:بسته|تنگ) (?:{MISHE}|{SHOD})",
        )
        + _rules(r"آنافیلا(?:کسی|کتیک)", noun=True),
    ),
    (
        "unconscious",
        _rules(
            r"بی_هوش(?!ی)(?! (?:کن|کرد|می کن)\S*)",
            r"دچار بی_هوشی",
            r"از (?:حال|هوش) (?:رفت|رفته|رفتم|میره|می رود)(?!\S)",
            r"غش (?:{KARD}|می_کن\S*)",
            unless=_IN_HOSPITAL,
            unless_near=_AS_IF + "|" + _SURGERY,
        )
        + _rules(
            r"به_هوش {NEMIAD}",
            r"(?:صدا|تکان|تکون)\S*(?: \S+){0,4}? (?:جواب|واکنش|پاسخ)(?: \S+)? "
            r"(?:نمی_د\S*|نداد\S*|نمیده|نشان نمی\S*)",
            r"هوشیاری\S*(?: را| رو)? (?:از دست (?:داد|داده)|کم {SHOD}|پایین)",
            r"(?:کاهش|افت) (?:سطح )?هوشیاری",
            r"نفس نمی_کش(?:د|ه)",
            r"(?:تنفس|نفس)\S* (?:قطع|متوقف) {SHOD}",
            r"نبض\S* (?:ندار(?:ه|د)|نمی_زن(?:ه|د)|حس نمی)",
            unless=_IN_HOSPITAL,
        )
        + _rules(r"قلب\S* (?:ایستاد|ایستاده|وایساد|وایستاد|نمی_زن(?:ه|د))", unless=_FETUS)
        + _rules(r"ایست (?:قلبی|تنفسی)", noun=True, unless=_FETUS + "|" + _IN_HOSPITAL),
    ),
    (
        "breathing",
        _rules(*_BREATH_TROUBLE)
        + _rules(*_HARD_BREATHING, unless_near=_NOSE)
        + _rules(
            r"(?:تنگی (?:نفس|تنفس)|نفس_تنگی) (?:خیلی |بسیار )?شدید",
            r"حمله (?:ی )?(?:شدید )?آسم",
        )
        + _rules(*_SHORT_OF_BREATH, noun=True, present=True)
        + _rules(
            r"اسپری\S*(?: \S+){0,2}? (?:اثر|جواب) (?:نمی_(?:کن|د)\S*|ندار\S*|نکرد\S*|نداد\S*)",
            r"تند تند نفس",
        ),
    ),
    (
        "chest_pain",
        _rules(
            r"(?:درد|فشار|سنگینی|تیر|گرفتگی)\S*(?: (?!زیر)\S+){0,2}? قفسه (?:ی )?سین(?:ه|م)",
            r"(?<!زیر )قفسه (?:ی )?سین(?:ه|م){PRON} …(?:درد|تیر|فشار(?! خون)|سنگین)",
            r"(?:سکته|حمله|انفارکتوس) (?:ی )?قلبی",
            r"درد\S* (?:شدید )?(?:در |تو )?قلب",
            noun=True,
            present=True,
        )
        + _rules(
            r"(?:درد|سنگینی|فشار)\S*(?: \S+)? (?:روی |وسط |در |تو |توی )?(?<!قفسه )سین(?:ه|م)",
            r"(?<!قفسه )(?<!قفسه ی )سین(?:ه|م){PRON} …(?:درد|تیر|فشار(?! خون)|سنگین)",
            noun=True,
            present=True,
            unless=_BREAST,
        )
        + _rules(
            r"قلب{PRON} (?:خیلی |بدجور |شدید )?(?:درد|تیر)",
            r"(?:درد\S*|سین(?:ه|م)\S*|قلب\S*)(?: \S+){0,6}? (?:به|تا|توی|تو|در) "
            r"(?:دست|بازو|کتف|فک|گردن)\S* چپ",
            r"(?:سین(?:ه|م)|قلب|دست چپ)\S*(?: \S+){0,8}? عرق سرد",
        ),
    ),
    (
        "stroke",
        _rules(
            r"(?:صورت|دهان|دهن|لب)\S*(?: \S+)? کج (?:{SHOD}|است|ه|افتاد)",
            r"(?:(?:یک|یه) (?:طرف|سمت|نیمه)|نیمی|نصف|نیمه)(?: از)? (?:بدن|صورت)\S*(?: \S+){0,2}? "
            r"(?:لمس|بی_حس|فلج|کرخت|سر {SHOD}|ضعیف|افتاد|حس ندار|حرکت نمی)",
            r"(?:دست|پا|بازو)\S* و (?:دست|پا|بازو)\S* (?:سمت |طرف )?(?:راست|چپ)\S*(?: \S+)? "
            r"(?:لمس|بی_حس|فلج|کرخت|ضعیف|حس ندار)",
            r"(?:ناگهان|ناگهانی|یهو|یهویی|یکهو|یک_دفعه|یکباره)(?: \S+){0,4}? "
            r"(?:لمس|بی_حس|فلج|کرخت|نمی_(?:تون|توان)\S* (?:حرف|صحبت)|(?:زبان|زبون)\S* بند|"
            r"(?:دید|چشم)\S* (?:تار|سیاه)|دوبینی|کج)",
            r"(?:زبان|زبون)\S* (?:سنگین|بند) (?:{SHOD}|اومده|آمده|است|اومد|آمد)",
            r"(?:حرف زدن|صحبت کردن|تکلم)\S* (?:نامفهوم|قاطی|کشدار|مختل|عجیب|گنگ) {SHOD}",
            r"نامفهوم حرف (?:می_)?ز",
            r"(?:دست|پا)\S*(?: و (?:دست|پا)\S*)? (?:تکان|تکون|حرکت) نمی_(?:خور|د)",
        )
        + _rules(
            r"سکته (?:ی )?(?:مغزی|ناقص)",
            r"لخته (?:ی )?(?:خون )?(?:در |تو )?مغز",
            noun=True,
            present=True,
        ),
    ),
    (
        "severe_headache",
        _rules(
            r"بدترین سردرد",
            r"سردرد\S* (?:خیلی |بسیار )?(?:ناگهانی|انفجاری|یهویی)",
            r"(?:ناگهان|یهو|یک_دفعه|یهویی|یکهو)(?: \S+){0,2}? سردرد\S* "
            r"(?:خیلی |بسیار |وحشتناک )?(?:شدید|بد)",
            r"سردرد (?:خیلی |بسیار )?شدید(?: \S+){0,3}? (?:تاری دید|دوبینی|گیجی)",
        ),
    ),
    (
        "poisoning",
        _rules(
            r"(?:قرص|دارو|کپسول)\S*(?: \S+){0,3}? (?:خیلی |تعداد |مقدار )?"
            r"(?:زیاد|زیادی|بیش از حد|اضافه|دو_برابر|یک_جا|یه_جا|همه_(?:را|رو|ش|شو|اش)|همشو|"
            r"کل_(?:ش|شو|بسته))(?: \S+){0,2}? {EAT}",
            r"(?:یک|یه|دو|چند|کل|تمام|نصف|[۰-۹]+) (?:بسته|ورق|شیشه|جعبه|مشت|بلیستر)"
            r"(?: \S+){0,3}? (?:قرص|دارو|کپسول|شربت)\S*(?: \S+){0,4}? {EAT}",
            unless_near=_CONTRACEPTIVE,
        )
        + _rules(
            r"(?:ده|یازده|دوازده|پانزده|بیست|سی|چهل|پنجاه|صد|[۱-۹][۰-۹]+)(?: تا| عدد| دونه| دانه)"
            r"(?! [۰-۹])(?: از)?(?: \S+)? (?:قرص|کپسول)\S*(?: \S+){0,4}? {EAT}",
            unless_near=_CONTRACEPTIVE,
        )
        + _rules(
            r"(?:سم|سموم|مرگ موش|سم موش|وایتکس|سفید کننده|جوهر نمک|نفت|بنزین|مایع ظرفشویی|"
            r"شوینده|حشره کش|علف کش|متانول|الکل (?:صنعتی|تقلبی|دست ساز)|مشروب (?:تقلبی|دست ساز)|"
            r"باتری|قارچ (?:وحشی|جنگلی|سمی))(?!\S)(?: \S+){0,4}? {EAT}",
            r"(?:همه|کل|تمام) (?:ی )?(?:قرص|کپسول)\S*(?: \S+){0,3}? {EAT}",
            r"قرص برنج",
            r"مسموم (?:{SHOD}|(?:می_)?ش(?:ه|ود|ن|وند))",
            r"(?:مار|عقرب|رتیل)(?!\S)(?: \S+){0,3}? (?:نیش|زد|زده|گزید|گزیده|گاز گرفت)",
            r"(?:مار|عقرب)_گزیدگی",
            r"(?<!دندان )(?<!دندون )نیش (?:مار|عقرب)(?!\S)",
            r"(?:بخاری|آبگرمکن|پکیج|شومینه|منقل)\S*(?: \S+){0,8}? "
            r"(?:سردرد|گیج|بی_هوش|از حال|خواب_آلود|تهوع)",
        )
        + _rules(
            r"مسمومیت(?! (?:غذایی|حاملگی|بارداری))",
            r"اور_دوز",
            r"گاز_گرفتگی",
            r"(?:مونوکسید|منوکسید)",
            noun=True,
        ),
    ),
    (
        "suicide",
        _rules(
            r"(?:می_(?:خوا|خواه)\S*|قصد دار\S*|تصمیم (?:دار\S*|گرفت\S*)|دلم می_خوا\S*)"
            r"(?: \S+){0,2}? خود(?:م|مو|ش|شو|مان)?(?: ?را| ?رو)? (?:بکش|از بین ببر|خلاص کن)",
            r"(?<!سر )(?<!دنبال )(?<!روی )خود(?:م|مو|ش|شو)?(?: ?را| ?رو)? "
            r"(?:می_کش(?:م|ه|د)|بکش(?:م|ه|د)|کشت|دار (?:می_)?ز)",
            r"رگ(?: دست)?\S*(?: \S+)? (?:را |رو )?(?:زد|زده|زدم|بریدم|برید|بریده)(?!\S)",
            r"خود(?:م|ش)? آسیب (?:می_زن|زدم|زده|بزن)",
            r"نمی_خوا\S* (?:دیگه |دیگر )?(?:زنده (?:بمون|بمان|باش)|زندگی کن)",
            r"می_خوا(?:م|د|ه|هم|هد) بمیر",
            r"به زندگی\S* (?:خاتمه|پایان) (?:بد|بده|دهم)",
        )
        + _rules(r"خود_کشی", r"خود_زنی", r"خود_آزاری", r"آرزوی مرگ", noun=True),
    ),
    (
        "bleeding",
        _rules(
            r"خون_ریزی\S* (?:خیلی |بسیار )?(?:شدید|زیاد|وحشتناک)",
            r"(?:خون_ریزی|خون)\S*(?: \S+){0,3}? (?:بند|قطع|متوقف) "
            r"(?:{NEMIAD}|نمی_(?:شه|شود)|نشد\S*|نمیشه)",
            unless=_MENSES,
        )
        + _rules(
            r"خون (?:خیلی )?زیاد(?:ی)?(?: \S+){0,2}? (?:رفت|رفته|می_ره|می_رود|آمده|اومده|میاد|"
            r"می_آید|ریخته|ازش)",
            unless=_MENSES,
        )
        + _rules(
            r"خون (?:فواره|فوران)",
            r"(?:استفراغ|بالا آوردن)\S* (?:خون|خونی|قهوه ای)",
            r"خون بالا (?:آورد|اورد|میاره|می آورد|آورده|اورده)",
            r"(?:سرفه|خلط)\S* (?:با )?خون (?:زیاد|شدید)",
            r"(?:زخم|بریدگی)\S* (?:خیلی |بسیار )?عمیق",
            r"عمیق (?:بریده|بریدگی)",
            r"(?:انگشت|دست|پا)\S* قطع {SHOD}",
        ),
    ),
    (
        "seizure",
        _rules(
            r"تشن[جح]\S*(?: ناشی از تب)?(?: \S+)? "
            r"(?:{KARD}|گرفت\S*|{SHOD}|زد|افتاد\S*|{DAR})(?!\S)",
            # «تشنج می‌کند» is also a habit of a known epilepsy; «داره تشنج می‌کنه» is now.
            r"(?:داره|دارد|الان|همین الان) (?:\S+ ){0,2}?تشن[جح]\S* می_کن\S*",
            r"(?:دچار|به) تشن[جح]\S* (?:{SHOD}|افتاد\S*)",
            r"تشن[جح] (?:شدید|طولانی|مکرر)",
            r"کف (?:از|به|روی|تو) (?:دهان|دهن|لب)",
            r"(?:دهان|دهن)\S* کف (?:{KARD}|کرده)",
            r"(?:صرع|حمله صرعی)\S*(?: \S+)? (?:گرفت\S*|{KARD}|عود)",
            r"چشم\S* (?:برگشت|برگشته|رفت بالا|سفید شد)",
        ),
    ),
    (
        "severe_burn",
        _rules(
            r"سوختگی\S* (?:خیلی |بسیار )?(?:شدید|وسیع|عمیق|بزرگ)",
            r"سوختگی (?:ی )?درجه (?:ی )?(?:سه|۳|چهار|۴)",
            r"(?:صورت|گردن|چشم|کل بدن|تمام بدن|همه بدن)\S*(?: \S+){0,3}? (?:سوخت|سوخته)(?!\S)",
            r"(?:آب جوش|آب داغ|روغن داغ|چای داغ|آتش|آتیش|بنزین|اسید|مواد شیمیایی|سفید کننده|"
            r"وایتکس)\S*(?: \S+){0,4}? (?:روی|رو|به|تو|توی) (?:\S+ )?(?:صورت|چشم|بدن|سر|گردن|"
            r"بچه|نوزاد|کودک)\S*(?: \S+){0,2}? (?:ریخت|ریخته|پاشید|پاشیده|رفت|رفته)(?!\S)",
            r"(?:لباس|مو)\S* (?:آتش|آتیش) گرفت",
            r"سوخت\S*(?: \S+){0,5}? تاول\S*(?: \S+)? (?:بزرگ|زیاد|وسیع)",
        ),
    ),
)

# Infant age: «۲ ماهه»، «چهل روزه»، «سه هفته‌ای»، «یک ماه و نیمه».
_NUMBER_WORDS = {
    "یک": 1, "یه": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "شیش": 6, "هفت": 7,
    "هشت": 8, "نه": 9, "ده": 10, "یازده": 11, "دوازده": 12, "سیزده": 13, "چهارده": 14,
    "پانزده": 15, "پونزده": 15, "شانزده": 16, "هفده": 17, "هجده": 18, "نوزده": 19,
    "بیست": 20, "سی": 30, "چهل": 40, "پنجاه": 50, "شصت": 60, "هفتاد": 70, "هشتاد": 80,
    "نود": 90, "صد": 100,
}  # fmt: skip
_WORDS = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUMBER = r"(?:[۰-۹]+|(?:" + _WORDS + r")(?: و (?:" + _WORDS + "))?)"

# «سکته کرد» alone is most often a heart attack; it ranks after stroke, so that «سکته کرده،
# صورتش کج شده» gets the stroke guidance first.
_BARE_STROKE_WORD = _rules(r"سکته (?:{KARD}|(?:می_)?کن(?:ه|د)|زد|زده)")

# Combinations: a symptom that is an emergency only in a context.
_ANAPHYLAXIS_TRIGGER = _rx(
    r"(?:نیش(?! پشه)|گزید|زنبور|آمپول|تزریق|واکسن|پنی_سیلین|آنتی_بیوتیک|بادام زمینی|میگو|"
    r"حساسیت(?! فصلی)|آلرژی(?! فصلی))"
)
_ANAPHYLAXIS_REACTION = _rules(*_SHORT_OF_BREATH, present=True) + _rules(
    *_BREATH_TROUBLE,
    *_HARD_BREATHING,
    r"(?:صورت|لب|زبان|زبون|گلو|حلق)\S*(?: \S+)? (?:ورم|متورم|باد|پف)",
    r"(?:از (?:حال|هوش) رفت|غش (?:{KARD})|بی_هوش(?!ی)|فشار\S* (?:افتاد|افت|پایین))",
)
# «غرق شد» near water; «غرق فیلم می‌شود» is not drowning.
_SINKING = _rules(r"غرق (?:{SHOD}|(?:می_)?ش(?:ه|ود|ن|وند))")
_WATER = _rx(r"آب|استخر|دریا|دریاچه|رودخانه|رودخونه|وان|حوض|سد|شنا|برکه|کانال")
# A child who swallowed something by mistake: «بچه‌ام اشتباهی قرص‌های مادربزرگ را خورده».
_ACCIDENTAL_INGESTION = _rules(
    r"(?:اشتباه\S*|به اشتباه|اتفاقی|دور از چشم\S*|بی اجازه)(?: \S+){0,5}? "
    r"(?<!می )(?:خورد|خورده|خوردن|خوردند|نوشید|نوشیده|سر کشید\S*|قورت داد\S*|بلعید\S*)(?!\S)",
)
_CHILD = _rx(r"{KID}|بچم")
_PREGNANCY = _rx(
    r"باردار(?:م|ه| هستم| است| هست| بودم| شدم| شده ام)(?!\S)|حامله(?:م| ام| هستم| است| هست| ای)?"
    r"(?!\S)|هفته(?: \S+){0,2}? (?:بارداری|حاملگی)|" + _NUMBER + r" (?:ماهه|ماه|هفته|هفتگی) "
    r"(?:باردار|حامله)|(?:دوران|در|حین|طول) (?:بارداری|حاملگی)|(?:بعد|پس) از (?:زایمان|سزارین|سقط)|"
    r"جنین|سقط|(?:بارداری|حاملگی)(?= و (?:خون|لکه))"
)
_NOT_PREGNANCY = re.compile(r"(?:ضد|جلوگیری از|پیشگیری از) ?(?:بارداری|حاملگی)|قرص اورژانسی")
_PREGNANCY_BLEEDING = _rules(
    r"خون_ریزی(?!\S* (?:از )?(?:لثه|بینی|دماغ|مقعد|چشم))",
    unless_near=_MENSES,
    present=True,
) + _rules(
    r"خون(?: \S+)? (?:آمده|اومده|میاد|می_آید|دیدم)",
    r"لکه_بینی (?:شدید|زیاد)",
    r"(?:لخته (?:ی )?خون|خون لخته)",
    unless_near=_MENSES,
)
_HEAD = r"سر(?:م|ش|ت|مان|شان| ام| اش)?"
_HEAD_TRAUMA = _rx(
    _HEAD
    + r" (?:\S+ ){0,2}?(?:به|با|روی|رو|تو|توی) (?:\S+ ){0,2}?(?:خورد|خورده)(?!\S)|"
    + _HEAD
    + r" (?:محکم )?(?:خورد|خورده) (?:به|تو|توی|روی|رو)(?!\S)|"
    r"با سر (?:\S+ ){0,2}?(?:زمین|افتاد|خورد)|ضربه (?:ی )?(?:محکمی |شدیدی )?(?:به|ی|تو) سر|"
    r"ضربه مغزی|" + _HEAD + r" ضربه (?:خورد|دید)|تصادف (?:{KARD}|شدید)|"
    r"از (?:پله|ارتفاع|بالای|تخت|پشت بام|نردبان|درخت|دوچرخه|موتور)\S*(?: \S+){0,3}? "
    r"(?:افتاد|افتاده|سقوط|پرت)"
)
_HEAD_RED_FLAGS = _rules(
    r"(?:استفراغ|بالا (?:آورد|اورد|آورده|اورده|میاره|می آورد))",
    r"(?:خواب_آلود|خوابش می_بر|گیج|منگ|بی_هوش(?!ی)|از (?:حال|هوش) رفت|هوشیاری|تشنج)",
    r"(?:خون|مایع|آب)\S*(?: \S+)? از (?:گوش|بینی|دماغ)",
    r"از (?:گوش|بینی|دماغ)\S* (?:خون|مایع|آب)",
    r"(?:حرف زدن\S* (?:عجیب|نامفهوم)|یادش نمی|فراموش|سردرد\S* (?:شدید|بدتر)|تاری دید|دوبینی)",
)
_STIFF_NECK = _rules(
    r"گردن\S*(?: \S+)? (?:سفت|خشک) (?:{SHOD}|است|ه)",
    r"سفتی (?:پشت )?گردن",
    r"(?:لکه|دانه|بثورات)\S*(?: \S+){0,3}? (?:بنفش|قرمز تیره)(?: \S+){0,6}? "
    r"(?:محو|کمرنگ|کم رنگ) نمی",
)
_FEVER = _rules(
    r"{FEVER}",
    r"داغ (?:{SHOD}|است|ه|کرده)",
    r"دما\S*(?: \S+){0,3}? (?:۳[۸۹]|۴[۰-۲])",
    r"(?:۳[۸۹]|۴[۰-۲])(?: ٫ [۰-۹])? درجه",
)
_LOW_SUGAR = _rx(
    r"قند\S*(?: خون\S*)?(?: \S+){0,2}? (?:افتاده|افت|پایین|خیلی کم|[۱-۵][۰-۹](?!\S))|"
    r"هیپوگلیسمی|افت قند"
)
_LOW_SUGAR_SIGNS = _rules(
    r"(?:گیج|منگ|بی_هوش(?!ی)|از (?:حال|هوش) رفت|تشنج|هذیان|خواب_آلود)",
    r"(?:جواب|پاسخ) نمی",
    r"نمی_(?:تون|توان)\S* قورت",
    r"(?:حرف\S* نامفهوم|نامفهوم حرف)",
)

_UNIT = r"(?P<unit>روز|هفت|ماه|سال)"
# «پسرم دو روزه تب دارد» counts days of fever, «پسر دو روزه‌ام» is a newborn: an age follows
# a bare noun («بچه ۴۰ روزه»، «نوزاد سه هفتگی») or says so itself («دو ماهشه»، «۴ ماهه است»).
_AGES = (
    re.compile(
        r"(?<!\S)(?:بچه|کودک|پسر|دختر|نوه|نوزاد|فرزند|شیرخوار)(?:ی| ی| من)? (?P<n>"
        + _NUMBER
        + r") ?"
        + _UNIT
        + r"(?:ه|گی|ه ای|م|ش|مه|شه)?(?!\S)(?! (?:\S+ )?(?:باردار|حامله))"
    ),
    re.compile(
        r"(?<!\S)(?<!ماه و )(?<!سال و )(?<!ماهو )(?<!سالو )(?P<n>"
        + _NUMBER
        + r") ?"
        + _UNIT
        + r"(?:ه?(?:شه|ش است|ش هست|ش بود)| اش (?:است|هست)|(?<!هفت)ه (?:است|هست))(?!\S)(?! که)"
    ),
    re.compile(r"(?<!\S)(?P<n>" + _NUMBER + r") ?(?P<unit>سال)(?:ه|گی)(?!\S)"),
)
_UNIT_DAYS = {"روز": 1, "هفت": 7, "ماه": 30, "سال": 365}
_NEWBORN = re.compile(r"(?<!\S)(?:نوزاد|تازه متولد|تازه به دنیا)")

# --- clause analysis ------------------------------------------------------------------------
_HARD_BREAK = r"[،,.؟?!؛;:]|ولی|اما|ولیکن|لیکن|منتها|بلکه|but"
_HARD = re.compile(r"(?<!\S)(?:" + _HARD_BREAK + r")(?!\S)")
_SOFT = re.compile(r"(?<!\S)(?:" + _HARD_BREAK + r"|و)(?!\S)")
_PUNCT = re.compile(r"([،,؟?!؛;:«»()\"]|(?<![۰-۹0-9])\.|\.(?![۰-۹0-9]))")

_NEG_VERB = re.compile(
    r"ن(?:دار|داشت|کرد|کن|شد|شو|زد|زن|خورد|خور|رفت|آمد|امد|اومد|یومد|یامد|یاد|گرفت|گیر|"
    r"کشید|کش|بود|یست|می|دید|بین|تون|توان|خواه|خوا|ده|داد|آورد|اورد|یاورد|یار)\S*|"
    r"نه|خیر|نخیر|هرگز"
)
_NOT_NEG = frozenset({"نزدیک", "نزدیکی", "ندرتا", "نکته"})
_AFF_VERB = re.compile(
    r"دار(?:م|ه|د|ی|یم|ید|ند|ن)|داشت(?:م|ه|ی|یم|ند|ن)?|کرد(?:ه|م|ی|یم|ید|ند|ن)?|"
    r"شد(?:ه|م|ی|یم|ند|ن)?|گرفت(?:ه|م|ی|یم|ند|ن)?|زد(?:ه|م|ی|ند|ن)?|افتاد(?:ه|م|ی|ند)?|"
    r"آمد(?:ه)?|اومد(?:ه)?|رفت(?:ه|م|ی|ند)?|خورد(?:ه|م|ی|ند)?|ریخت(?:ه)?|کشید(?:ه|م)?|"
    r"می|می(?:کن|زن|ش|گیر|کش|خور|یا|آ|ا|ار|افت|ر|دار|د|بین|تون|توان|گ|پر|لرز|سوز)\S*|"
    r"است|هست\S*|بود(?:ه|م)?|باش\S*|بش(?:ه|ود|ن|وند)|بکن\S*"
)
_BEFORE_NEG = frozenset({"بدون", "جز", "بجز", "نه"})
# A noun after these is a topic, not an event: «بعد از سکته مغزی ...»، «داروی جهت سکته مغزی».
_AFTER_EVENT = (["بعد", "از"], ["پس", "از"], ["ناشی", "از"], ["پیشگیری", "از"], ["بر", "اثر"])
_TOPIC_BEFORE = frozenset(
    {"جهت", "برای", "درمان", "داروی", "دارو", "خطر", "ریسک", "بخاطر", "خاطر", "علائم", "علایم",
     "باعث", "موجب"}
)  # fmt: skip
_HISTORY = re.compile(
    r"(?:سال|ماه|هفته)(?: ?ها)? (?:پیش|قبل|گذشته)|پارسال|سابقه|قبلا|در گذشته|"
    r"(?:در )?(?:بچگی|کودکی)|سال [۰-۹]{2,4}|سالگی|ماهگی|روزگی|"
    r"(?:چند|[۰-۹]+|دو|سه|چهار|پنج) ?(?:روز|شب) (?:پیش|قبل)"
)
_SINCE = re.compile(r"(?<!\S)از(?: \S+)? $")  # «از یک هفته پیش» = still going on
_CURRENT = re.compile(
    r"(?<!\S)(?:الان\S*|الآن|اکنون|هم اکنون|همین حالا|دوباره|باز هم|امروز|امشب|از صبح|"
    r"چند دقیقه|یک ساعت|یه ساعت)(?!\S)"
)
_OCCASIONAL = (
    r"گاهی|گاه گاهی|گاهی اوقات|بعضی وقت\S*|بعضی اوقات|هر از گاهی|هر از چندگاهی|بعضی مواقع|"
    r"گاهی مواقع|مزمن|همیشه|(?:هنگام|موقع|وقتی|وقتیکه|زمانی که|زمانیکه) (?:\S+ )?(?:عصبانی|عصبی|"
    r"استرس|ناراحت|اضطراب|ورزش|گریه|ترس)\S*"
)
_MILD = re.compile(
    r"(?<!\S)(?:خفیف|کمی|یکم|یه کم|یه ذره|مختصر|جزئی|سطحی|" + _OCCASIONAL + r"|چند ثانیه|"
    r"چند لحظه|یک لحظه|یه لحظه|درجه (?:یک|۱)|(?:بعد از|موقع|هنگام|حین) (?:ورزش|دویدن|فعالیت)|"
    r"پله)(?!\S)"
)
_SEVERE = re.compile(r"شدید|وحشتناک|بدجور|خیلی بد|زیاد")
# Mild or occasional means routine here; chest pain is only let off when it comes and goes.
_MILD_SENSITIVE = frozenset(
    {"breathing", "bleeding", "pregnancy_bleeding", "seizure", "severe_headache", "severe_burn"}
)
_OCCASIONAL_SENSITIVE = frozenset({"chest_pain"})
_OCCASIONAL_RE = re.compile(r"(?<!\S)(?:" + _OCCASIONAL + r")(?!\S)")
# «بیهوش شدم»، «تشنج کردم»، «تب کردم»: the writer had it and is awake, or is the parent.
_FIRST_PERSON_PAST = frozenset({"unconscious", "seizure", "head_injury", "infant_fever"})
# Single events told with the time since («۱۷ روز است که سکته مغزی کرده») are history.
_EVENTS = frozenset(
    {"unconscious", "stroke", "seizure", "choking", "drowning", "electric_shock", "anaphylaxis",
     "head_injury", "severe_burn"}
)  # fmt: skip
_SINCE_DURATION = re.compile(
    r"(?<!\S)(?:" + _NUMBER + r"|چند) ?(?:روز|هفته|ماه|سال)\S*(?: (?:است|هست|میشه|می شود))? که|"
    r"(?<!\S)مدت (?:\S+ )?(?:روز|ماه|سال)"
)
_HYPOTHETICAL = re.compile(r"(?<!\S)(?:اگر|اگه|در ?صورت|چنانچه|مبادا)(?!\S)")
_FIRST_PERSON = re.compile(r"(?:شد|کرد|رفت|داشت|افتاد|گرفت|زد|آمد|اومد|بود|دار)م")
_PRESENT = re.compile(
    r"(?:دار(?:م|ه|د|ی|یم|ید|ند|ن)|گرفت(?:ه|م|ش)?|شد(?:ه|م)?|کرده|"
    r"می ?(?!گیر)\S+|هست\S*|است)(?: \S+)?"
)
_INFO = re.compile(
    r"علائم|علایم|نشانه|علت|دلیل|دلایل|عوارض|پیشگیری|چیست|چیه|یعنی چه|یعنی چی|فرق|تفاوت|"
    r"آمار|تعریف|چگونه|امکان|احتمال"
)
_PERSONAL = re.compile(
    r"(?<!\S)(?:الان\S*|الآن|همین|امروز|دیشب|امشب|از صبح|از دیروز|دارم|داره|داریم|گرفتم|"
    r"گرفته|شدم|شده|کرده|کردم|می ?کنم|می ?کنه|(?:پدر|مادر|همسر|شوهر|بابا|مامان|پسر|دختر|بچه|"
    r"برادر|خواهر|مادربزرگ|پدربزرگ|نوه|دوست|همکار|خانم)(?:م|ش| ام| اش|مون|مان))(?!\S)"
)


class _Doc:
    """A question in spaced normalized form, with its clause boundaries."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._breaks = {
            soft: ([m.start() for m in spans], [m.end() for m in spans])
            for soft, spans in (
                (False, list(_HARD.finditer(text))),
                (True, list(_SOFT.finditer(text))),
            )
        }

    def clause(self, start: int, end: int, *, soft: bool = False) -> tuple[int, int]:
        """The clause around [start, end): between the nearest breaks («،», «ولی», and with
        ``soft`` also «و») on either side."""
        starts, ends = self._breaks[soft]
        i = bisect_right(ends, start)
        j = bisect_left(starts, end)
        return (ends[i - 1] if i else 0), (starts[j] if j < len(starts) else len(self.text))


def _is_verb(token: str) -> bool | None:
    """True for an affirmative verb, False for a negative one, None for anything else."""
    if token in _NOT_NEG:
        return None
    if _NEG_VERB.fullmatch(token):
        return False
    if _AFF_VERB.fullmatch(token):
        return True
    return None


def _is_history(text: str) -> bool:
    """A past episode («سال پیش سکته کرده بود») unless a later word says it is happening
    now («پارسال سکته کرد و الان دوباره صورتش کج شده»)."""
    cues = [m for m in _HISTORY.finditer(text) if not _SINCE.search(text[: m.start()])]
    return bool(cues) and not _CURRENT.search(text, cues[-1].end())


def _governing_verb(text: str, start: int, end: int, right: int) -> tuple[list[str], bool]:
    """The verb that governs a phrase, as one or two tokens, and whether the phrase holds it:
    its own verb if it has one («صورتش کج شده»، «نفسم بالا نمیاد»), else the first verb
    after it in the clause («تنگی نفس ... ندارم»)."""
    inside = text[start:end].split()
    verbs = [i for i, token in enumerate(inside) if _is_verb(token) is not None]
    tokens = inside + text[end:right].split()[:7]
    if verbs:
        return tokens[verbs[-1] : verbs[-1] + 2], True
    after = [i for i in range(len(inside), len(tokens)) if _is_verb(tokens[i]) is not None]
    if not after:
        return [], False
    return tokens[after[0] : after[0] + 2], False


def _first_person(verb: list[str]) -> bool:
    """«بیهوش شدم»، «شده‌ام»، «تشنج می‌کنم»، «تب دارم»: the writer speaks of themself."""
    head, rest = verb[0], verb[1:]
    if _FIRST_PERSON.fullmatch(head) or rest == ["ام"]:
        return True
    if head == "می" and rest:
        return rest[0].endswith("م")
    return head.startswith("می") and head.endswith("م")


def _to_number(text: str) -> int:
    if text[0].isdigit():
        return int(text)
    return sum(_NUMBER_WORDS[word] for word in text.split(" و "))


def _infant(doc: _Doc, detector: EmergencyDetector, start: int, end: int) -> bool:
    """Whether the question is about a baby under three months («نوزاد ۲ ماهه»)."""
    ages = [
        _to_number(m["n"]) * _UNIT_DAYS[m["unit"]]
        for pattern in _AGES
        for m in pattern.finditer(doc.text)
    ]
    if ages:
        return min(ages) < 90
    return bool(_NEWBORN.search(doc.text))


def _any_rule(rules: tuple[_Rule, ...], category: str) -> _Context:
    def holds(doc: _Doc, detector: EmergencyDetector, start: int, end: int) -> bool:
        return any(next(detector._matches(doc, rule, category), None) for rule in rules)

    return holds


def _near(
    pattern: re.Pattern[str],
    window: int | None = None,
    veto: re.Pattern[str] | None = None,
    *,
    before: bool = False,
) -> _Context:
    """A context phrase anywhere in the question, or within ``window`` characters of the
    symptom (only before it, with ``before``: a sting, then the swelling)."""

    def holds(doc: _Doc, detector: EmergencyDetector, start: int, end: int) -> bool:
        vetoed = [m.span() for m in veto.finditer(doc.text)] if veto else []
        for m in _word_matches(pattern, doc.text):
            if window is not None and (m.start() > end + window or m.end() < start - window):
                continue
            if before and m.start() >= start:
                continue
            if any(a <= m.start() < b for a, b in vetoed):
                continue
            if detector._accepted(doc, m.start(), m.end(), "context", None):
                return True
        return False

    return holds


def _build_rulesets() -> tuple[_RuleSet, ...]:
    simple = dict(_RULESETS_SIMPLE)
    combos = {
        "anaphylaxis": [
            _RuleSet(
                "anaphylaxis",
                _ANAPHYLAXIS_REACTION,
                _near(_ANAPHYLAXIS_TRIGGER, 80, before=True),
            )
        ],
        "drowning": [_RuleSet("drowning", _SINKING, _near(_WATER, 120))],
        "poisoning": [_RuleSet("poisoning", _ACCIDENTAL_INGESTION, _near(_CHILD))],
        "pregnancy_bleeding": [
            _RuleSet(
                "pregnancy_bleeding", _PREGNANCY_BLEEDING, _near(_PREGNANCY, veto=_NOT_PREGNANCY)
            )
        ],
        "head_injury": [_RuleSet("head_injury", _HEAD_RED_FLAGS, _near(_HEAD_TRAUMA, 150))],
        "stroke": [_RuleSet("chest_pain", _BARE_STROKE_WORD)],
        "meningitis": [_RuleSet("meningitis", _STIFF_NECK, _any_rule(_FEVER, "meningitis"))],
        "low_blood_sugar": [_RuleSet("low_blood_sugar", _LOW_SUGAR_SIGNS, _near(_LOW_SUGAR, 100))],
        "infant_fever": [_RuleSet("infant_fever", _FEVER, _infant)],
    }
    out: list[_RuleSet] = []
    for category in CATEGORIES:
        if category in simple:
            out.append(_RuleSet(category, simple[category]))
        out.extend(combos.get(category, ()))
    return tuple(out)


def _spaced(normalized: str) -> str:
    text = normalized.replace("\u200c", " ").replace("\u200d", "").replace("ـ", "")
    text = _PUNCT.sub(r" \1 ", text.replace("\n", " . "))
    return " ".join(text.lower().split())


class EmergencyDetector:
    """Rule-based Persian emergency detector; cheap to call, safe to share between threads.

    Args:
        normalizer: the callable used for all text (default: the shared hazm normalizer,
            built on first use since building it takes seconds).

    Example:
        >>> EmergencyDetector().detect("بچه ۴۰ روزه‌ام تب کرده").category  # doctest: +SKIP
        'infant_fever'
    """

    def __init__(self, normalizer: Callable[[str], str] | PersianNormalizer | None = None):
        if normalizer is None:
            from index.normalize import shared_normalizer

            normalizer = shared_normalizer()
        self._normalize = normalizer
        self._rulesets = _build_rulesets()

    def detect(self, question: str) -> Emergency | None:
        """The most urgent emergency the question describes, or None.

        Example: «قفسه سینه‌ام درد می‌کند» gives ``chest_pain``; «درد قفسه سینه ندارم»
        gives None.
        """
        return next(self._scan(question), None)

    def detect_all(self, question: str) -> list[Emergency]:
        """Every emergency category the question describes, most urgent first."""
        return list(self._scan(question))

    def _scan(self, question: str) -> Iterator[Emergency]:
        if not isinstance(question, str):
            raise TypeError(f"expected the question as str, got {type(question).__name__}")
        if not question.strip():
            return
        doc = _Doc(_spaced(self._normalize(question)))
        seen: set[str] = set()
        for ruleset in self._rulesets:
            if ruleset.category in seen:
                continue
            matched = self._fire(doc, ruleset)
            if matched is not None:
                seen.add(ruleset.category)
                yield Emergency(ruleset.category, matched, GUIDANCE[ruleset.category])

    def _fire(self, doc: _Doc, ruleset: _RuleSet) -> str | None:
        for rule in ruleset.rules:
            for start, end in self._matches(doc, rule, ruleset.category):
                if ruleset.context is None or ruleset.context(doc, self, start, end):
                    return doc.text[start:end].strip()
        return None

    def _matches(self, doc: _Doc, rule: _Rule, category: str) -> Iterator[tuple[int, int]]:
        if rule.unless is not None and rule.unless.search(doc.text):
            return
        for m in _word_matches(rule.regex, doc.text):
            if self._accepted(doc, m.start(), m.end(), category, rule):
                yield m.span()

    def _accepted(self, doc: _Doc, start: int, end: int, category: str, rule: _Rule | None) -> bool:
        """Whether a match at [start, end) describes a present danger.

        Rejects: a negative verb governing the phrase («تنگی نفس ندارم») or «بدون» before
        it; a past-history clause with no sign that it is happening now («سال پیش ...»,
        «۱۷ روز است که ...»); a mild or occasional clause where that means routine
        («کمی»، «گاهی»); the writer speaking of themself where that means they are awake or
        are the parent («بیهوش شدم»، «تب کردم»); a hypothetical infant fever («در صورت تب»);
        and, per rule, a veto nearby, a past or habitual verb where a present one is needed,
        and a bare noun used as a topic («بعد از سکته مغزی»، «علائم سکته قلبی چیست؟»).
        """
        text = doc.text
        while end < len(text) and text[end] != " ":
            end += 1
        while start > 0 and text[start - 1] != " ":
            start -= 1
        left, right = doc.clause(start, end)
        before = text[left:start].split()[-2:]
        if any(token in _BEFORE_NEG for token in before):
            return False
        verb, own = _governing_verb(text, start, end, right)
        if verb and not own and _is_verb(verb[0]) is False:
            return False
        soft_left, soft_right = doc.clause(start, end, soft=True)
        soft = text[soft_left:soft_right]
        if _is_history(text[max(left, start - 80) : end]):
            return False
        if not _SEVERE.search(soft) and (
            (category in _MILD_SENSITIVE and _MILD.search(soft))
            or (category in _OCCASIONAL_SENSITIVE and _OCCASIONAL_RE.search(text[left:right]))
        ):
            return False
        if category in _FIRST_PERSON_PAST and verb and _first_person(verb):
            return False
        if category in _EVENTS and _SINCE_DURATION.search(text[max(left, start - 80) : start]):
            return False
        if category == "infant_fever" and _HYPOTHETICAL.search(text[soft_left:start]):
            return False
        if rule is None:
            return True
        clause = text[left:right]
        if rule.unless_near is not None and rule.unless_near.search(clause):
            return False
        if rule.present and verb and not _PRESENT.fullmatch(" ".join(verb)):
            return False
        topic = before in _AFTER_EVENT or (bool(before) and before[-1] in _TOPIC_BEFORE)
        if rule.noun and topic:
            return False
        return not (rule.noun and _INFO.search(clause) and not _PERSONAL.search(clause))
