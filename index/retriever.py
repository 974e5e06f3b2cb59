"""Hybrid retrieval over an index folder: BM25 and dense search fused into one ranking.

Queries go through exactly the normalizer and analyzer settings recorded in the manifest, so
a query and a passage are always processed alike. Loading checks the files' checksums (once
per index version, index/verified.py), that its parts fit in memory, and that the embedder is
the one that built the index. Every side scores candidates only, never the whole corpus.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from index.analyze import LexicalAnalyzer, shared_analyzer
from index.build import CHUNKS_NAME, DENSE_NAME, LEXICAL_DIR, Chunk, Source
from index.config import FusionConfig, IndexConfig
from index.dense import load_dense_index, score_rows, search_dense
from index.docstore import Docstore
from index.embed import Embedder, EmbedderConfig, fingerprints_match, load_embedder
from index.errors import IndexFormatError, QueryError
from index.fusion import fuse
from index.lexical import LexicalIndex
from index.manifest import Manifest
from index.memory import check_fits
from index.normalize import PersianNormalizer, persian_ratio, shared_normalizer
from index.translation import TranslationScorer, load_scorer
from index.verified import verify_files_once

logger = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with what a citation needs and how each side ranked it."""

    rank: int
    score: float
    doc_id: str
    chunk: int
    text: str
    site: str = ""
    url: str = ""
    title: str = ""
    dense_rank: int | None = None
    lexical_rank: int | None = None
    also: tuple[Source, ...] = ()

    @property
    def doc_ids(self) -> tuple[str, ...]:
        """This passage's document and every other document that holds it word for word."""
        return (self.doc_id, *(source.doc_id for source in self.also))

    def to_dict(self) -> dict:
        data = dict(self.__dict__)
        data["also"] = [source.__dict__ for source in self.also]
        return data


@dataclass(frozen=True)
class QueryLimits:
    """What a query may be: long enough to mean something, short enough to be a question."""

    max_chars: int = 4000
    min_persian_ratio: float = 0.2


def check_question_size(question: str, max_chars: int) -> None:
    """Raise QueryError for an empty question or one longer than ``max_chars``."""
    if not isinstance(question, str) or not question.strip():
        raise QueryError("the question is empty; type a question in Persian")
    if len(question) > max_chars:
        raise QueryError(
            f"the question is {len(question):,} characters long; the limit is "
            f"{max_chars:,}. Ask a shorter question."
        )


@dataclass
class Retriever:
    """Search an index folder. Build it with :func:`Retriever.load`."""

    folder: Path
    manifest: Manifest
    config: IndexConfig
    chunks: Docstore  # a sequence of Chunk, read from disk on demand
    lexical: LexicalIndex | None
    dense: object | None
    embedder: Embedder | None
    normalizer: PersianNormalizer
    analyzer: LexicalAnalyzer
    limits: QueryLimits = field(default_factory=QueryLimits)
    translation: TranslationScorer | None = None

    @classmethod
    def load(
        cls,
        folder: str | Path,
        embedder: Embedder | str | None = None,
        *,
        mode: str = "hybrid",
        fusion: FusionConfig | None = None,
        verify: bool = True,
        limits: QueryLimits | None = None,
    ) -> Retriever:
        """Open an index; ``embedder`` defaults to the one named in its manifest.

        Raises:
            IndexFormatError: missing or damaged files, or an embedder that differs from the
                one that built the index.
            IndexTooLarge: its searchable parts need more memory than is available.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        folder = Path(folder)
        manifest = Manifest.read(folder)
        if verify:
            verify_files_once(folder, manifest)
        try:
            config = IndexConfig.from_dict(manifest.config)
        except (TypeError, ValueError) as error:
            raise IndexFormatError(f"{folder}: manifest config is invalid ({error})") from None
        if fusion is not None:
            config = replace(config, fusion=fusion)
        check_fits(folder, manifest, mode)

        chunks = Docstore(folder / CHUNKS_NAME, Chunk.from_dict)
        if len(chunks) != manifest.chunks:
            raise IndexFormatError(
                f"{folder}: {CHUNKS_NAME} has {len(chunks)} passages, the manifest says "
                f"{manifest.chunks}; rebuild the index"
            )
        lexical = LexicalIndex.load(folder / LEXICAL_DIR) if mode != "dense" else None
        dense = None
        if mode != "lexical":
            if manifest.embedder is None:
                if mode == "dense" or embedder is not None:
                    raise IndexFormatError(
                        f"{folder}: this index is lexical-only (built without an embedder); "
                        "rebuild it with --embedder to search densely"
                    )
                logger.info("%s is lexical-only; searching with BM25", folder)
                embedder = None
            else:
                embedder = _matching_embedder(folder, manifest, embedder)
                dense = load_dense_index(folder / DENSE_NAME, config.dense)
                if dense.ntotal != manifest.chunks:
                    raise IndexFormatError(f"{folder}: {DENSE_NAME} does not match the passages")
        else:
            embedder = None
        return cls(
            folder=folder,
            manifest=manifest,
            config=config,
            chunks=chunks,
            lexical=lexical,
            dense=dense,
            embedder=embedder,
            normalizer=shared_normalizer(config.normalizer),
            analyzer=shared_analyzer(config.lexical),
            limits=limits or QueryLimits(),
            translation=load_scorer(folder, config.fusion.translation_beta,
                                    config.fusion.translation_smoothing)
            if mode == "hybrid" else None,
        )

    @property
    def mode(self) -> str:
        if self.dense is not None and self.lexical is not None:
            return "hybrid"
        return "dense" if self.dense is not None else "lexical"

    def check_query(self, query: str) -> str:
        """Normalize a query, or raise QueryError saying why it cannot be searched."""
        check_question_size(query, self.limits.max_chars)
        normalized = self.normalizer(query)
        letters = sum(1 for ch in normalized if ch.isalpha())
        if letters == 0:
            raise QueryError("the question has no words; type a question in Persian")
        if persian_ratio(normalized) < self.limits.min_persian_ratio:
            raise QueryError(
                "the question is not in Persian; this index holds Persian text, so ask in "
                "Persian (Latin drug names inside a Persian sentence are fine)"
            )
        return normalized

    def search(self, query: str, k: int = 10) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first."""
        if k <= 0:
            raise QueryError(f"k must be at least 1, got {k}")
        normalized = self.check_query(query)
        candidates = max(k, self.config.fusion.candidates)
        lexical_side = dense_side = None
        lexical_rank: dict[int, int] = {}
        dense_rank: dict[int, int] = {}
        vector = None
        query_terms = self.analyzer(normalized)
        if self.lexical is not None:
            scores, rows = self.lexical.top_k(query_terms, candidates)
            lexical_side = (rows.tolist(), scores.tolist())
            lexical_rank = {row: i + 1 for i, row in enumerate(lexical_side[0])}
        if self.dense is not None and self.embedder is not None:
            vector = self.embedder.encode_queries([normalized])
            scores, rows = search_dense(self.dense, vector, candidates)
            keep = rows[0] >= 0
            dense_side = (rows[0][keep].tolist(), scores[0][keep].tolist())
            dense_rank = {row: i + 1 for i, row in enumerate(dense_side[0])}
        if self.config.fusion.method == "score" and dense_side and lexical_side:
            dense_side, lexical_side = self._complete_scores(
                dense_side, lexical_side, query_terms, vector
            )

        translation_side = None
        if self.translation is not None and self.config.fusion.translation_weight > 0:
            union = list(dict.fromkeys([*(dense_side[0] if dense_side else []),
                                        *(lexical_side[0] if lexical_side else [])]))
            scores = self.translation.scores(query_terms, union)
            order = np.argsort(-scores, kind="stable")
            translation_side = ([union[i] for i in order], scores[order].tolist())
        fused = fuse(dense_side, lexical_side, self.config.fusion, translation_side)
        hits = []
        for rank, (row, score) in enumerate(fused[:k], start=1):
            chunk = self.chunks[row]
            hits.append(
                Hit(rank=rank, score=float(score), doc_id=chunk.doc_id, chunk=row,
                    text=chunk.text, site=chunk.site, url=chunk.url, title=chunk.title,
                    dense_rank=dense_rank.get(row), lexical_rank=lexical_rank.get(row),
                    also=chunk.also)
            )
        return hits


    def _complete_scores(self, dense_side, lexical_side, query_terms, vector):
        """Give every candidate its real score on both sides, for a fair weighted sum.

        A passage in one side's top list but not the other's still has a score there: BM25
        scores just those passages from the query terms' postings, the dense side
        recomputes it from the stored vector. Nothing is scored over the whole corpus.
        """
        union = list(dict.fromkeys([*dense_side[0], *lexical_side[0]]))
        lexical_scores = dict(zip(*lexical_side, strict=True))
        unscored = [row for row in union if row not in lexical_scores]
        for row, value in zip(unscored, self.lexical.score_rows(query_terms, unscored).tolist(),
                              strict=True):
            lexical_scores[row] = value
        dense_scores = dict(zip(*dense_side, strict=True))
        missing = [row for row in union if row not in dense_scores]
        recomputed = score_rows(self.dense, vector[0], missing)
        floor = min(dense_side[1]) if dense_side[1] else 0.0
        for position, row in enumerate(missing):
            dense_scores[row] = float(recomputed[position]) if recomputed is not None else floor
        return (
            (union, [dense_scores[row] for row in union]),
            (union, [float(lexical_scores[row]) for row in union]),
        )


def _matching_embedder(folder: Path, manifest: Manifest, embedder: Embedder | str | None):
    info = manifest.embedder
    assert info is not None
    if embedder is None:
        embedder = load_embedder(EmbedderConfig(name=info.name, show_progress=False))
    elif isinstance(embedder, str):
        embedder = load_embedder(EmbedderConfig(name=embedder, show_progress=False))
    if embedder.dimension != info.dimension or not fingerprints_match(
        embedder.fingerprint(), info.fingerprint
    ):
        raise IndexFormatError(
            f"{folder} was built with the embedder {info.name!r} ({info.dimension} dimensions); "
            f"{embedder.name!r} ({embedder.dimension} dimensions) encodes differently, so its "
            "vectors cannot be compared. Search with the original embedder or rebuild the index "
            "with this one."
        )
    return embedder
