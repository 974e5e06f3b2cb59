"""The few parts of hazm that normalizing and analyzing need, imported in a fraction of the time.

``import hazm`` (0.10) runs a package ``__init__`` that imports every hazm module: the POS
tagger and chunker pull in scikit-learn, nltk's whole package and gensim/fasttext, seconds
before a one-line question can be answered. Normalizer, WordTokenizer, Lemmatizer, Stemmer
and the stopword list need none of that. This module imports just their modules, under a
stand-in ``hazm`` package (and a stand-in ``nltk`` for the two abstract base classes they
subclass) that is removed again afterwards, so a later ``import hazm`` elsewhere still gets
the real, complete package, with the very same classes.

hazm's own objects also re-read its 3 MB word list once per WordTokenizer (four times for a
normalizer plus an analyzer) and conjugate every verb once per Lemmatizer (twice); the
stand-in hands them one parsed copy and remembers the conjugations. Both lean on hazm
0.10's module layout, so other versions (Python 3.12+ resolves 0.12) import hazm whole;
``tests/test_hazm_parts.py`` checks the output equals real hazm's on Persian text.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_LOCK = threading.Lock()
KNOWN_VERSION = "0.10."  # the module layout below; other versions import hazm whole

# What hazm's submodules import from the package itself, in the order they need it.
_HAZM_UTILS_NAMES = ("default_verbs", "default_words", "default_stopwords", "stopwords_list",
                     "maketrans", "regex_replace", "NUMBERS", "informal_verbs",
                     "informal_words", "abbreviations")


@dataclass(frozen=True)
class HazmParts:
    """hazm's classes and functions that index/normalize.py and index/analyze.py use."""

    Normalizer: Any
    WordTokenizer: Any
    Lemmatizer: Any
    Stemmer: Any
    stopwords_list: Any


def _is_known_layout() -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hazm").startswith(KNOWN_VERSION)
    except PackageNotFoundError:
        return False


def _stand_in(name: str) -> types.ModuleType:
    """An empty package module whose submodules are found where the real package lives."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed; pip install -e . installs it")
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = name
    return module


@lru_cache(maxsize=1)
def hazm_parts() -> HazmParts:
    """hazm's normalizer and analyzer classes, without importing the rest of hazm."""
    real = sys.modules.get("hazm")
    if (real is None or not hasattr(real, "Normalizer")) and not _is_known_layout():
        import hazm as real  # another hazm version: its layout is unknown, import it whole
    if real is not None and hasattr(real, "Normalizer"):  # someone imported all of hazm
        return HazmParts(real.Normalizer, real.WordTokenizer, real.Lemmatizer, real.Stemmer,
                         real.stopwords_list)
    with _LOCK:
        names = ("hazm",) if "nltk" in sys.modules else ("nltk", "nltk.stem",
                                                         "nltk.tokenize", "hazm")
        added: dict[str, types.ModuleType] = {}
        try:
            for name in names:  # parents first: a submodule is found through its parent
                if name not in sys.modules:
                    added[name] = sys.modules[name] = _stand_in(name)
            return _import_parts(sys.modules["hazm"])
        finally:
            for name, module in added.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]


def _import_parts(package: types.ModuleType) -> HazmParts:
    utils = importlib.import_module("hazm.utils")
    for name in _HAZM_UTILS_NAMES:
        setattr(package, name, getattr(utils, name))
    package.words_list = lru_cache(maxsize=4)(utils.words_list)  # parsed once, shared
    package.Stemmer = importlib.import_module("hazm.stemmer").Stemmer
    package.WordTokenizer = importlib.import_module("hazm.word_tokenizer").WordTokenizer
    lemmatizer = importlib.import_module("hazm.lemmatizer")
    lemmatizer.Conjugation = _shared_conjugation(lemmatizer.Conjugation)
    package.Lemmatizer = lemmatizer.Lemmatizer
    package.Conjugation = lemmatizer.Conjugation
    normalizer = importlib.import_module("hazm.normalizer")
    return HazmParts(normalizer.Normalizer, package.WordTokenizer, package.Lemmatizer,
                     package.Stemmer, utils.stopwords_list)


def _shared_conjugation(conjugation: type) -> type:
    """hazm's Conjugation, remembering each verb's forms across Lemmatizer instances.

    The normalizer and the analyzer each build a Lemmatizer, which conjugates all 1,386
    verbs (0.3 s of CPU); the second one now reuses the first one's forms. Each call still
    returns a new list, so a caller that changes it changes nothing shared.
    """
    forms: dict[str, list[str]] = {}

    class SharedConjugation(conjugation):
        def get_all(self, verb: str) -> list[str]:
            if verb not in forms:
                forms[verb] = list(super().get_all(verb))
            return list(forms[verb])

    SharedConjugation.__name__ = SharedConjugation.__qualname__ = conjugation.__name__
    return SharedConjugation
