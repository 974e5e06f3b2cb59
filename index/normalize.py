"""Persian text normalization, one function for passages and queries alike.

Retrieval only works if a query and a passage that say the same thing are spelled the same
way; Persian text on the web mixes Arabic letter variants (ي/ك), three digit systems,
diacritics and missing or doubled half-spaces. hazm's Normalizer fixes all of these; this
module wraps it with our config and guards its input.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from functools import lru_cache, partial

from index.config import NormalizerConfig

# Characters hazm leaves alone that would otherwise split one word into several spellings.
_EXTRA_TRANSLATION = str.maketrans(
    {
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # alef maksura -> Persian yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u0623": "\u0627",  # alef with hamza above -> alef
        "\u0625": "\u0627",  # alef with hamza below -> alef
        "\u0624": "\u0648",  # waw with hamza -> waw
        "\u06c0": "\u0647",  # heh with yeh above -> heh
        "\ufeff": None,  # byte-order mark
        "\u200e": None,  # left-to-right mark
        "\u200f": None,  # right-to-left mark
    }
)


_CACHE_MAX_CHARS = 4000
#: Below this many texts one process normalizes them all: starting workers (each imports
#: hazm) costs seconds, and hazm costs about 0.7 ms a passage.
PARALLEL_ABOVE = 20_000


class PersianNormalizer:
    """Callable normalizer; builds hazm's Normalizer once (hazm's import is heavy).

    Example:
        >>> PersianNormalizer()("مي‌خواهم  كتاب ها را ببينم ۱2")  # doctest: +SKIP
        'می‌خواهم کتاب‌ها را ببینم ۱۲'
    """

    def __init__(self, config: NormalizerConfig | None = None) -> None:
        from index.hazm_parts import hazm_parts  # lazy, and only hazm's parts we use

        self.config = config or NormalizerConfig()
        self._hazm = hazm_parts().Normalizer(**self.config.to_dict())
        # A question is normalized by the safety check, the query check and the retriever;
        # remembering recent short texts makes the second and third time free.
        self._recent = lru_cache(maxsize=1024)(self._normalize)

    def __call__(self, text: str) -> str:
        if not isinstance(text, str):
            raise TypeError(f"expected text as str, got {type(text).__name__}")
        return self._recent(text) if len(text) <= _CACHE_MAX_CHARS else self._normalize(text)

    def _normalize(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).translate(_EXTRA_TRANSLATION)
        text = self._hazm.normalize(text)
        return " ".join(text.split(" ")).strip()


def persian_ratio(text: str) -> float:
    """Share of letters in ``text`` that are Arabic-script, to spot non-Persian input."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    arabic_script = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff" or ch >= "\ufb50")
    return arabic_script / len(letters)


def shared_normalizer(config: NormalizerConfig | None = None) -> PersianNormalizer:
    """One normalizer per config for the whole process; building one costs seconds.

    ``None`` means the default config and shares its normalizer (the stopword list and an
    index's manifest name the same config two ways).
    """
    return _normalizer_for(config or NormalizerConfig())


@lru_cache(maxsize=8)
def _normalizer_for(config: NormalizerConfig) -> PersianNormalizer:
    return PersianNormalizer(config)


def normalize_all(texts: Sequence[str], config: NormalizerConfig | None = None, *,
                  progress: bool = False, workers: int | None = None,
                  parallel_above: int = PARALLEL_ABOVE) -> list[str]:
    """Every text normalized, in order; across ``workers`` processes for large corpora.

    hazm's normalizer is pure Python: building an index of a million passages spent about a
    third of its time here, on one core. Above ``parallel_above`` texts the work is shared by
    up to four worker processes (``workers``, default one a core), each with its own
    normalizer; the result is the same as normalizing one by one.
    """
    from tqdm.auto import tqdm

    workers = workers or min(os.cpu_count() or 1, 4)
    bar = partial(tqdm, total=len(texts), desc="normalizing", unit="chunk", disable=not progress)
    if workers < 2 or len(texts) <= parallel_above:
        normalizer = shared_normalizer(config)
        return [normalizer(text) for text in bar(texts)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the parent may hold OpenMP (faiss, torch) threads a fork would break
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(bar(pool.map(partial(_normalize_one, config=config), texts,
                                 chunksize=256)))


def _normalize_one(text: str, config: NormalizerConfig | None) -> str:
    return shared_normalizer(config)(text)
