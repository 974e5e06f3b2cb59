import pytest

from index.config import NormalizerConfig
from index.normalize import PersianNormalizer, persian_ratio


@pytest.fixture(scope="module")
def normalize():
    return PersianNormalizer()


def test_arabic_letter_variants_become_persian(normalize):
    assert normalize("كتاب علي") == "کتاب علی"


def test_latin_and_arabic_indic_digits_become_persian(normalize):
    assert normalize("۱2٣") == "۱۲۳"


def test_diacritics_are_removed(normalize):
    assert normalize("دَرمان") == "درمان"


def test_half_space_is_inserted_after_mi_and_before_plural(normalize):
    assert normalize("می شود") == "می‌شود"
    assert normalize("قرص ها") == "قرص‌ها"


def test_query_and_passage_spellings_meet(normalize):
    assert normalize("مي‌شود") == normalize("میشود") == normalize("می شود")


def test_options_can_keep_latin_digits():
    normalize = PersianNormalizer(NormalizerConfig(persian_numbers=False))
    assert "12" in normalize("دمای 12 درجه")


def test_non_string_is_rejected(normalize):
    with pytest.raises(TypeError):
        normalize(None)


def test_persian_ratio_tells_persian_from_english():
    assert persian_ratio("سردرد دارم") == 1.0
    assert persian_ratio("I have a headache") == 0.0
    assert 0.5 < persian_ratio("قرص ibuprofen خوردم و سردرد خوب شد") < 1.0
    assert persian_ratio("123 !!") == 0.0


def test_normalizing_a_corpus_in_worker_processes_gives_the_same_texts_in_order():
    from index.normalize import normalize_all

    texts = ["مي‌خواهم  كتاب ها را ببينم ۱2", "", "سلام", "علي  رفت"] * 3
    serial = normalize_all(texts)
    assert serial[0] != texts[0]  # something to normalize
    assert normalize_all(texts, workers=2, parallel_above=1) == serial
