"""Configuration objects for every stage of indexing and retrieval.

Each stage gets one small frozen dataclass, validated on construction so a bad value fails
where it is written, with a message that shows a correct one. They are plain data: they
serialise into the index manifest, so an index records exactly how it was built.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

DENSE_KINDS = ("auto", "flat", "hnsw", "ivf", "ivfpq", "ivfsq")
STEMMING = ("lemma", "stem", "none")
ENCODER_STAGES = ("candidates", "rerank")
FUSION_METHODS = ("rrf", "score")


def _positive(name: str, value: float) -> None:
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r} (for example {name}=1)")


@dataclass(frozen=True)
class NormalizerConfig:
    """Options of hazm's Normalizer; the same settings apply to passages and queries.

    The defaults are hazm's own. They unify Arabic letter variants (ي/ك -> ی/ک), digits,
    diacritics and half-spaces (ZWNJ), so «مي‌شود» and «میشود» meet as one word.
    """

    correct_spacing: bool = True
    remove_diacritics: bool = True
    remove_specials_chars: bool = True
    decrease_repeated_chars: bool = True
    persian_style: bool = True
    persian_numbers: bool = True
    unicodes_replacement: bool = True
    seperate_mi: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LexicalConfig:
    """BM25 over hazm tokens: Persian stopwords removed, words reduced to lemmas or stems."""

    stopwords: bool = True
    stemming: str = "lemma"
    k1: float = 1.2
    b: float = 0.75
    method: str = "lucene"

    def __post_init__(self) -> None:
        if self.stemming not in STEMMING:
            raise ValueError(f"stemming must be one of {STEMMING}, got {self.stemming!r}")
        _positive("k1", self.k1)
        if not 0 <= self.b <= 1:
            raise ValueError(f"b must be within [0, 1], got {self.b!r} (for example b=0.75)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ChunkConfig:
    """How long texts are cut: at sentence boundaries, within a word budget, with overlap.

    Budgets count whitespace words, which is what a reader sees; a text within the budget
    (most QA answers) stays one chunk. ``merge_identical`` stores a passage that several
    documents repeat word for word once, citing all of them (index/build.py).
    """

    max_words: int = 200
    overlap_words: int = 40
    merge_identical: bool = True

    def __post_init__(self) -> None:
        _positive("max_words", self.max_words)
        if not 0 <= self.overlap_words < self.max_words:
            raise ValueError(
                f"overlap_words must be >= 0 and < max_words ({self.max_words}), "
                f"got {self.overlap_words!r} (for example overlap_words=40)"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DenseConfig:
    """The FAISS index type: exact for small corpora, approximate for large ones.

    ``flat`` is exact inner product; ``hnsw`` is a graph index with no training; ``ivf``,
    ``ivfpq`` and ``ivfsq`` cluster the vectors first (and compress them, for the last two),
    which is what a million chunks in 2 GB needs. ``auto`` (the default) builds ``flat``
    below ``exact_below`` passages and ``ivfsq`` from there on (benchmarks/scale.py); the
    manifest records the kind that was built.
    """

    kind: str = "auto"
    exact_below: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 64
    ivf_nlist: int = 0
    ivf_nprobe: int = 16
    pq_m: int = 32
    batch_size: int = 256

    def __post_init__(self) -> None:
        if self.kind not in DENSE_KINDS:
            raise ValueError(f"dense kind must be one of {DENSE_KINDS}, got {self.kind!r}")
        for name in ("exact_below", "hnsw_m", "hnsw_ef_construction", "hnsw_ef_search",
                     "ivf_nprobe", "pq_m", "batch_size"):
            _positive(name, getattr(self, name))
        if self.ivf_nlist < 0:
            raise ValueError("ivf_nlist must be >= 0 (0 picks about 4*sqrt(n) lists)")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FusionConfig:
    """How the dense and lexical rankings become one.

    ``score`` (the default) is a weighted sum of each side's min-max normalised scores over
    the union of both top lists; ``rrf`` is reciprocal rank fusion, sum of weight /
    (rrf_k + rank). Each side contributes its top ``candidates``. The default weights were
    chosen on a held-out part of MF3QA *train* (never on dev): see benchmarks/README.md.
    An index built with a translation table (``index build --translation``) adds a third
    side, the translation language model's score of each candidate (index/translation.py),
    with ``translation_weight``; ``translation_beta`` mixes translated and literal matches.
    An index built with a pre-trained encoder (multilingual-e5-small by default) adds its
    cosine as a fourth side with ``encoder_weight``. 1.0 was best of 0.3 / 0.6 / 1.0 / 1.5 on
    a site held out of training (train drhast, query niniban: benchmarks/encoder_variants.py).
    ``encoder_stage`` says what that side does: ``rerank`` (the default) only scores the
    candidates the other sides found, so the first stage stays as fast as it was and the
    encoder's cost is its query encoding; ``candidates`` also searches the encoder's own
    vectors for more. On the held-out site they were within 1% of each other (0.264 / 0.263
    zero-shot, 0.274 / 0.276 adapted), and reranking keeps the first stage fast at any size.
    """

    method: str = "score"
    rrf_k: int = 60
    dense_weight: float = 0.6
    lexical_weight: float = 0.4
    candidates: int = 100
    translation_weight: float = 0.5
    encoder_weight: float = 1.0
    translation_beta: float = 0.8
    translation_smoothing: float = 0.2
    encoder_stage: str = "rerank"

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(f"fusion method must be one of {FUSION_METHODS}, got {self.method!r}")
        if self.encoder_stage not in ENCODER_STAGES:
            raise ValueError(f"encoder_stage must be one of {ENCODER_STAGES}, "
                             f"got {self.encoder_stage!r}")
        _positive("rrf_k", self.rrf_k)
        _positive("candidates", self.candidates)
        if min(self.dense_weight, self.lexical_weight, self.translation_weight,
               self.encoder_weight) < 0:
            raise ValueError("fusion weights must be >= 0 (for example dense_weight=1.0)")
        for name in ("translation_beta", "translation_smoothing"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.translation_smoothing == 0:
            raise ValueError("translation_smoothing must be > 0 (log of zero otherwise)")
        if self.dense_weight == 0 and self.lexical_weight == 0 and self.encoder_weight == 0:
            raise ValueError("at least one fusion weight must be > 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IndexConfig:
    """Everything that decides what an index contains; stored in its manifest."""

    normalizer: NormalizerConfig = field(default_factory=NormalizerConfig)
    lexical: LexicalConfig = field(default_factory=LexicalConfig)
    chunk: ChunkConfig = field(default_factory=ChunkConfig)
    dense: DenseConfig = field(default_factory=DenseConfig)
    fusion: FusionConfig = field(default_factory=FusionConfig)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name).to_dict() for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexConfig:
        parts = {
            "normalizer": NormalizerConfig,
            "lexical": LexicalConfig,
            "chunk": ChunkConfig,
            "dense": DenseConfig,
            "fusion": FusionConfig,
        }
        return cls(**{name: kind(**data.get(name, {})) for name, kind in parts.items()})
