"""Turning normalized Persian text into the terms that BM25 counts.

Persian inflects heavily (کتاب، کتاب‌ها، کتاب‌هایش) and its most frequent words carry no
topic (از، به، که، را). Lemmatizing and dropping stopwords lets a query and a passage meet
on content words; hazm supplies the tokenizer, the stopword list and the lemmatizer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.config import LexicalConfig

_HAS_WORD_CHAR = re.compile(r"\w", re.UNICODE)
_LEMMA_CACHE_SIZE = 200_000


# Affixes that Persian writes after a half-space; alone they carry no topic.
AFFIXES = frozenset({"ها", "های", "هایی", "ی", "ای", "تر", "ترین", "می", "نمی", "ام", "ات",
                     "اش", "مان", "تان", "شان"})


@lru_cache(maxsize=1)
def persian_stopwords() -> frozenset[str]:
    """hazm's stopword list, normalized, as single words (no half-space compounds)."""
    from index.hazm_parts import hazm_parts
    from index.normalize import shared_normalizer

    normalize = shared_normalizer()
    return frozenset(word for word in (normalize(w) for w in hazm_parts().stopwords_list())
                     if word)


class LexicalAnalyzer:
    """Callable: normalized text -> list of lexical terms (lemmas or stems, no stopwords).

    Example:
        >>> LexicalAnalyzer()("سردردهای من با قرص‌ها خوب نمی‌شود")  # doctest: +SKIP
        ['سردرد', 'قرص', 'خوب', 'شد#شو']
    """

    def __init__(self, config: LexicalConfig | None = None) -> None:
        from index.hazm_parts import hazm_parts

        hazm = hazm_parts()
        self.config = config or LexicalConfig()
        self._tokenizer = hazm.WordTokenizer(join_verb_parts=False)
        self._stopwords = persian_stopwords() if self.config.stopwords else frozenset()
        if self.config.stemming == "lemma":
            reduce = hazm.Lemmatizer().lemmatize
        elif self.config.stemming == "stem":
            reduce = hazm.Stemmer().stem
        else:
            def reduce(word: str) -> str:
                return word
        self._reduce = lru_cache(maxsize=_LEMMA_CACHE_SIZE)(reduce)

    def __call__(self, normalized_text: str) -> list[str]:
        terms = []
        for word in self._tokenizer.tokenize(normalized_text):
            if word in self._stopwords or not _HAS_WORD_CHAR.search(word):
                continue
            term = self._reduce(word)
            if term and term not in self._stopwords:
                terms.append(term)
        return terms


def shared_analyzer(config: LexicalConfig | None = None) -> LexicalAnalyzer:
    """One analyzer per config for the whole process (hazm's lemmatizer loads in seconds)."""
    return _analyzer_for(config or LexicalConfig())


@lru_cache(maxsize=8)
def _analyzer_for(config: LexicalConfig) -> LexicalAnalyzer:
    return LexicalAnalyzer(config)
