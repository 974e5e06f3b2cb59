import pytest

from index.analyze import LexicalAnalyzer
from index.config import LexicalConfig
from index.normalize import PersianNormalizer


@pytest.fixture(scope="module")
def analyze():
    normalize = PersianNormalizer()
    analyzer = LexicalAnalyzer()
    return lambda text: analyzer(normalize(text))


def test_stopwords_and_punctuation_are_dropped(analyze):
    terms = analyze("من از سردرد شدید رنج می‌برم، چه کنم؟")
    assert "از" not in terms and "من" not in terms and "،" not in terms
    assert "سردرد" in terms and "شدید" in terms


def test_plural_forms_meet_their_singular(analyze):
    assert analyze("کتاب‌ها") == analyze("کتاب")
    assert analyze("قرص‌های") == ["قرص"]


def test_without_lemmas_words_stay_as_written():
    analyzer = LexicalAnalyzer(LexicalConfig(stemming="none", stopwords=False))
    assert analyzer("قرص‌ها را خوردم") == ["قرص‌ها", "را", "خوردم"]


def test_bad_stemming_option_is_explained():
    with pytest.raises(ValueError, match="stemming must be one of"):
        LexicalConfig(stemming="porter")
