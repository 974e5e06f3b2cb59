"""The crawl filter's pure rules: greetings, boilerplate, spam, language, PII, dedup, config."""

from __future__ import annotations

import pytest

from crawl.filter.compare import Agreement, agreement
from crawl.filter.config import FilterConfig
from crawl.filter.dedup import NearDeduper, dedup_key
from crawl.filter.names import scrub_doctor_names
from crawl.filter.pii import PiiConfig, scrub, valid_national_id
from crawl.filter.records import kind_of, site_of, to_record
from crawl.filter.rules import not_persian, remove_boilerplate_lines, spam_signals, strip_greetings

NO_NAMES = PiiConfig(doctor_names=False)


@pytest.mark.parametrize("text", ["سلام خسته نباشید ممنون", "با سلام و احترام. لطفا جواب بدید",
                                  "وقتتون بخیر!!", "با تشکر فراوان"])
def test_greetings_and_thanks_leave_nothing(text):
    assert strip_greetings(text) == ""


def test_a_question_after_the_greeting_survives():
    assert strip_greetings("سلام دکتر جان سرم درد میکنه چکار کنم؟") == "سرم درد میکنه چکار کنم"


def test_site_chrome_lines_are_cut_from_a_body():
    text = "آهن در بارداری لازم است.\nآیا این مقاله برای شما مفید بود؟\nمطالب مرتبط\nنظرات"
    assert remove_boilerplate_lines(text) == ("آهن در بارداری لازم است.", 3)
    assert remove_boilerplate_lines("یک خط ساده بدون حاشیه") == ("یک خط ساده بدون حاشیه", 0)


def test_an_advert_shows_several_spam_signals():
    advert = "خرید قرص لاغری با تخفیف ویژه در کانال تلگرام @slim_shop تماس بگیرید"
    assert set(spam_signals(advert)) >= {"link", "sales", "contact"}
    assert spam_signals("قرص آهن را بعد از غذا با آب بخورید") == []
    assert "shouting" in spam_signals("عاااااااااالی")
    assert spam_signals("پلاکت ۱۰۰۰۰۰۰۰ بود....... نگرانم") == []


def test_english_and_arabic_are_not_persian_but_latin_drug_names_are_fine():
    assert "ratio" in not_persian("Take two tablets of ibuprofen daily", 0.6, True)
    arabic = "إن الصحة تاج على رؤوس الأصحاء، وفی هذا الکتاب نتحدث عن الأمراض التی تصیب القلب"
    assert "Arabic" in not_persian(arabic, 0.6, True)
    assert not_persian(arabic, 0.6, False) is None
    assert not_persian("روزی یک قرص metformin 500 بعد از غذا مصرف کنید", 0.6, True) is None


@pytest.mark.parametrize("phone", ["09123456789", "۰۹۱۲۳۴۵۶۷۸۹", "0912-345-6789", "۰۹۱۲ ۳۴۵ ۶۷۸۹",
                                   "+989123456789", "00989123456789", "021-8877-6655"])
def test_phone_numbers_in_any_digits_become_a_placeholder(phone):
    text, counts = scrub(f"شماره من {phone} است", NO_NAMES)
    assert text == "شماره من [تلفن] است"
    assert counts == {"phone": 1}


@pytest.mark.parametrize("phone", ["۰۹۱۲ ۳۴۵ ۶۷ ۸۹", "0912 345 67 89", "+98 912 345 67 89",
                                   "(021) 2222 3333", "(۰۲۱) ۲۲۲۲-۳۳۳۳", "(0912) 345 6789",
                                   "+98 (912) 345 6789"])
def test_grouped_and_bracketed_phone_numbers_become_a_placeholder(phone):
    # 4-3-2-2 grouping and an area code in brackets are how Iranians often write numbers.
    assert scrub(f"شماره من {phone} است", NO_NAMES) == ("شماره من [تلفن] است", {"phone": 1})


def test_a_list_of_values_is_not_taken_for_a_grouped_phone_number():
    text = "پلاکت ها ۹۰۰ ۱۲۰ ۱۰ ۲۰ بود و فشار (120) 80"
    assert scrub(text, NO_NAMES) == (text, {})


def test_emails_links_and_handles_become_placeholders():
    text, counts = scrub("ایمیل ali.r@gmail.com و سایت https://x.ir/a?b=1 و پیج @drshop را ببینید",
                         NO_NAMES)
    assert text == "ایمیل [ایمیل] و سایت [پیوند] و پیج [پیوند] را ببینید"
    assert counts == {"email": 1, "url": 2}


def test_only_checksum_valid_national_ids_are_scrubbed():
    assert valid_national_id("0084575948") and valid_national_id("۰۰۸۴۵۷۵۹۴۸")
    assert not valid_national_id("1234567890") and not valid_national_id("1111111111")
    text, counts = scrub("کد ملی 0084575948 و شمارش 1234567890", NO_NAMES)
    assert text == "کد ملی [کد ملی] و شمارش 1234567890"
    assert counts == {"national_id": 1}


def test_a_drug_abbreviation_that_looks_like_a_domain_is_left_alone():
    text = "روزی یک قرص B.Co و یک قرص Ca-D بخورید"
    assert scrub(text, NO_NAMES) == (text, {})
    assert scrub("سایت drhast.co و m.drhast.ir", NO_NAMES)[0] == "سایت [پیوند] و [پیوند]"


def test_medical_numbers_are_left_alone():
    text = "بتا ۳۷ بود و پلاکت ۶۵۸۰۰۰ و دوز 2.5 میلی گرم در هفته ۲۴"
    assert scrub(text, NO_NAMES) == (text, {})


def test_the_name_after_doctor_is_scrubbed_in_questions_only():
    question = "دکتر نوشین احمدی گفت قرص بخورم"
    assert scrub(question, PiiConfig(), is_question=True)[0] == "دکتر [نام] گفت قرص بخورم"
    assert scrub(question, PiiConfig(), is_question=False)[0] == question


@pytest.mark.parametrize(("text", "expected"), [
    ("دکتر مژگان کریمی برام دارو نوشت", "دکتر [نام] برام دارو نوشت"),
    ("دکتر نوروزی به ما گفت صبر کنید", "دکتر [نام] به ما گفت صبر کنید"),
    ("پیش دکتر اسلامیان (بیمارستان) رفتم", "پیش دکتر [نام] (بیمارستان) رفتم"),
])
def test_given_names_and_rare_surnames_after_doctor_are_scrubbed(text, expected):
    assert scrub_doctor_names(text, "[نام]") == (expected, 1)


@pytest.mark.parametrize("text", ["دکتر گفت استراحت کنم", "دکتر زنان برام قرص نوشت",
                                  "رفتم دکتر و معاینه شدم", "دکترم میگه طبیعیه",
                                  "دکتر ۱۰ عدد قرص داد", "دکتر برای من آزمایش نوشت",
                                  "دکتر عکس رنگی رحم نوشته", "دکتر بدلیل عفونت آنتی‌بیوتیک داد"])
def test_doctor_followed_by_ordinary_words_is_kept(text):
    assert scrub_doctor_names(text, "[نام]") == (text, 0)


def test_dedup_key_ignores_spacing_half_spaces_and_punctuation():
    assert dedup_key("آیا می‌شود؟") == dedup_key("آیا  می شود")
    assert dedup_key("آیا می‌شود") != dedup_key("آیا نمی‌شود")


def test_near_duplicates_need_both_question_and_answer_alike():
    answer = ("مصرف قرص اورژانسی نظم قاعدگی را به هم می‌زند و تا سه دوره ممکن است پریود زودتر یا "
              "دیرتر شود؛ اگر دو هفته گذشت تست بارداری بدهید.")
    near = NearDeduper(threshold=0.8, num_perm=128, kind="chars", size=5)
    question = "بعد از قرص اورژانسی پریودم ده روز عقب افتاده، آیا باردارم؟"
    assert near.first_similar((question, answer), "a") is None
    match = near.first_similar(("سلام " + question, answer), "b")
    assert match is not None and match[0] == "a" and match[1] >= 0.8
    other_question = "برای پسردار شدن چه غذاهایی بخورم و از چه روزی شروع کنم؟"
    assert near.first_similar((other_question, answer), "c") is None  # templated answer
    assert near.first_similar((question, "جواب کاملا متفاوتی درباره آهن و ویتامین"), "d") is None


def test_config_rejects_bad_values_with_an_example():
    with pytest.raises(ValueError, match=r"near_dup_threshold=0\.85"):
        FilterConfig(near_dup_threshold=1.5)
    with pytest.raises(ValueError, match="shingle"):
        FilterConfig(shingle="lines")
    assert FilterConfig().replace(min_answer_tokens=10).min_answer_tokens == 10


def test_both_record_shapes_are_understood():
    spider = to_record(3, {"id": "s1", "url": "https://www.drhast.com/q/1", "site": "drhast.com",
                           "kind": "qa", "question": "س", "answer": "ج", "crawled_at": "x"})
    seed = to_record(4, {"id": "r1", "question": "س", "answer": "ج",
                         "source": "https://niniban.com"})
    article = to_record(5, {"id": "a1", "site": "www.hidoctor.ir", "text": "متن"})
    assert (spider.site, spider.kind, spider.usable) == ("drhast.com", "qa", True)
    assert (seed.site, seed.kind) == ("niniban.com", "qa")
    assert (article.site, article.kind) == ("hidoctor.ir", "article")
    assert to_record(6, {"id": "x", "question": "س"}).missing == ("answer",)
    assert to_record(7, {"question": "س", "answer": "ج"}).missing == ("id",)
    assert kind_of({"kind": "ARTICLE", "question": "q"}) == "article"
    assert kind_of({"question": "", "answer": "", "text": "متن"}) == "article"
    assert kind_of({"title": "only"}) == "qa"
    assert site_of({}) == "unknown"


def test_agreement_counts_distinct_pairs():
    raw = [to_record(i, {"id": f"r{i}", "question": q, "answer": a}) for i, (q, a) in
           enumerate([("q1", "a1"), ("q1", "a1"), ("q2", "a2"), ("q3", "a3")])]
    result = agreement(raw, ["r0", "r2"], {("q1", "a1"), ("q3", "a3"), ("elsewhere", "x")})
    assert result == Agreement(kept=2, reference=2, both=1)
    assert (result.precision, result.recall, result.f1) == (0.5, 0.5, 0.5)
