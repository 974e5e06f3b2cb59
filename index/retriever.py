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
from index.build import CHUNKS_NAME, DENSE_NAME, ENCODER_NAME, LEXICAL_DIR, Chunk, Source
from index.config import FusionConfig, IndexConfig
from index.dense import load_dense_index, score_rows, search_dense
from index.docstore import Docstore
from index.embed import EmbedderConfig, TextEncoder, fingerprints_match, load_embedder
from index.errors import IndexFormatError, QueryError
from index.fusion import fuse
from index.lexical import LexicalIndex
from index.manifest import EmbedderInfo, Manifest
from index.memory import check_fits
from index.normalize import PersianNormalizer, persian_ratio, shared_normalizer
from index.translation import TranslationScorer, load_scorer
from index.verified import verify_files_once

logger = logging.getLogger(__name__)

# dense: the static embedder alone; encoder: the pre-trained encoder alone.
MODES = ("hybrid", "dense", "encoder", "lexical")


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
    encoder_rank: int | None = None

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
class DenseSide:
    """One embedding model with the FAISS index of its passage vectors."""

    model: TextEncoder
    index: object


@dataclass
class Retriever:
    """Search an index folder. Build it with :func:`Retriever.load`.

    Up to four sides rank the passages: BM25 (``lexical``), the static embedder trained on
    our pairs (``dense``), a pre-trained encoder (``encoder``) and the word-translation
    table (``translation``); ``config.fusion`` weighs them.
    """

    folder: Path
    manifest: Manifest
    config: IndexConfig
    chunks: Docstore  # a sequence of Chunk, read from disk on demand
    lexical: LexicalIndex | None
    dense: object | None
    embedder: TextEncoder | None
    normalizer: PersianNormalizer
    analyzer: LexicalAnalyzer
    limits: QueryLimits = field(default_factory=QueryLimits)
    translation: TranslationScorer | None = None
    encoder_side: DenseSide | None = None

    @classmethod
    def load(
        cls,
        folder: str | Path,
        embedder: TextEncoder | str | None = None,
        *,
        mode: str = "hybrid",
        fusion: FusionConfig | None = None,
        verify: bool = True,
        limits: QueryLimits | None = None,
        encoder: TextEncoder | str | None = None,
    ) -> Retriever:
        """Open an index; ``embedder`` and ``encoder`` default to those in its manifest.

        Raises:
            IndexFormatError: missing or damaged files, or a model that differs from the
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
        if mode in ("dense", "encoder"):
            info = manifest.embedder if mode == "dense" else manifest.encoder
            if info is None:
                option = "--embedder" if mode == "dense" else "--encoder"
                raise IndexFormatError(f"{folder}: this index has no {mode} side; rebuild it "
                                       f"with {option} to search in {mode} mode")
        elif manifest.embedder is None and manifest.encoder is None:
            if embedder is not None or encoder is not None:
                raise IndexFormatError(
                    f"{folder}: this index is lexical-only (built without an embedder or "
                    "encoder); rebuild it with --encoder to search densely"
                )
            if mode == "hybrid":
                logger.info("%s is lexical-only; searching with BM25", folder)
        lexical = LexicalIndex.load(folder / LEXICAL_DIR) if mode in ("hybrid", "lexical") \
            else None
        dense_side = encoder_side = None
        if mode in ("hybrid", "dense") and manifest.embedder is not None:
            dense_side = _open_side(folder, DENSE_NAME, manifest.embedder, embedder, manifest,
                                    config)
        elif embedder is not None and mode == "hybrid":
            raise IndexFormatError(f"{folder}: this index has no static embedder side; "
                                   "search without --embedder")
        if mode in ("hybrid", "encoder") and manifest.encoder is not None:
            encoder_side = _open_side(folder, ENCODER_NAME, manifest.encoder, encoder,
                                      manifest, config)
        elif encoder is not None and mode == "hybrid":
            raise IndexFormatError(f"{folder}: this index has no encoder side; rebuild it "
                                   "with --encoder or search without one")
        return cls(
            folder=folder,
            manifest=manifest,
            config=config,
            chunks=chunks,
            lexical=lexical,
            dense=dense_side.index if dense_side else None,
            embedder=dense_side.model if dense_side else None,
            normalizer=shared_normalizer(config.normalizer),
            analyzer=shared_analyzer(config.lexical),
            limits=limits or QueryLimits(),
            translation=load_scorer(folder, config.fusion.translation_beta,
                                    config.fusion.translation_smoothing)
            if mode == "hybrid" else None,
            encoder_side=encoder_side,
        )

    @property
    def encoder(self) -> TextEncoder | None:
        return self.encoder_side.model if self.encoder_side else None

    @property
    def mode(self) -> str:
        dense = self.dense is not None or self.encoder_side is not None
        if dense and self.lexical is not None:
            return "hybrid"
        if self.encoder_side is not None and self.dense is None:
            return "encoder"
        return "dense" if dense else "lexical"

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
        fusion = self.config.fusion
        candidates = max(k, fusion.candidates)
        query_terms = self.analyzer(normalized)
        sides: dict[str, tuple[list[int], list[float]]] = {}
        vectors: dict[str, tuple[object, np.ndarray]] = {}
        if self.lexical is not None:
            scores, rows = self.lexical.top_k(query_terms, candidates)
            sides["lexical"] = (rows.tolist(), scores.tolist())
        weights = {"dense": fusion.dense_weight, "encoder": fusion.encoder_weight}
        reranking = fusion.encoder_stage == "rerank" and self.mode == "hybrid"
        for name, side in (("dense", self._dense_side()), ("encoder", self.encoder_side)):
            if side is None or (weights[name] == 0 and self.mode == "hybrid"):
                continue  # a side that cannot change the ranking costs no query encoding
            vector = side.model.encode_queries([normalized])
            vectors[name] = (side.index, vector[0])
            if name == "encoder" and reranking and sides:
                sides[name] = self._rerank_side(sides, side.index, vector[0])
                continue
            scores, rows = search_dense(side.index, vector, candidates)
            keep = rows[0] >= 0
            sides[name] = (rows[0][keep].tolist(), scores[0][keep].tolist())
        ranks = {name: {row: i + 1 for i, row in enumerate(rows)}
                 for name, (rows, _) in sides.items()}
        if fusion.method == "score" and len(sides) > 1:
            sides = self._complete_scores(sides, query_terms, vectors)

        if self.translation is not None and fusion.translation_weight > 0:
            union = list(dict.fromkeys(row for rows, _ in sides.values() for row in rows))
            scores = self.translation.scores(query_terms, union)
            order = np.argsort(-scores, kind="stable")
            sides["translation"] = ([union[i] for i in order], scores[order].tolist())
        fused = fuse(sides.get("dense"), sides.get("lexical"), fusion, sides.get("translation"),
                     sides.get("encoder"))
        hits = []
        for rank, (row, score) in enumerate(fused[:k], start=1):
            chunk = self.chunks[row]
            hits.append(
                Hit(rank=rank, score=float(score), doc_id=chunk.doc_id, chunk=row,
                    text=chunk.text, site=chunk.site, url=chunk.url, title=chunk.title,
                    dense_rank=ranks.get("dense", {}).get(row),
                    lexical_rank=ranks.get("lexical", {}).get(row),
                    encoder_rank=ranks.get("encoder", {}).get(row), also=chunk.also)
            )
        return hits

    @staticmethod
    def _rerank_side(sides, index, vector: np.ndarray) -> tuple[list[int], list[float]]:
        """The encoder's ranking of the candidates the other sides found (none of its own)."""
        union = list(dict.fromkeys(row for rows, _ in sides.values() for row in rows))
        scores = score_rows(index, vector, union)
        if scores is None:  # an IVF index without a direct map: search it after all
            found, rows = search_dense(index, vector.reshape(1, -1), len(union))
            known = {int(row): float(score) for row, score in zip(rows[0], found[0],
                                                                   strict=True) if row >= 0}
            floor = min(known.values()) if known else 0.0
            scores = np.asarray([known.get(row, floor) for row in union], dtype=np.float32)
        order = np.argsort(-scores, kind="stable")
        return [union[i] for i in order], scores[order].tolist()

    def _dense_side(self) -> DenseSide | None:
        if self.dense is None or self.embedder is None:
            return None
        return DenseSide(self.embedder, self.dense)

    def _complete_scores(self, sides, query_terms, vectors):
        """Give every candidate its real score on every side, for a fair weighted sum.

        A passage in one side's top list but not another's still has a score there: BM25
        scores just those passages from the query terms' postings, a dense side recomputes
        it from the stored vector. Nothing is scored over the whole corpus.
        """
        union = list(dict.fromkeys(row for rows, _ in sides.values() for row in rows))
        completed = {}
        for name, (rows, values) in sides.items():
            known = dict(zip(rows, values, strict=True))
            missing = [row for row in union if row not in known]
            if name == "lexical":
                recomputed = self.lexical.score_rows(query_terms, missing).tolist()
            else:
                index, vector = vectors[name]
                recomputed = score_rows(index, vector, missing)
            floor = min(values) if values else 0.0
            for position, row in enumerate(missing):
                known[row] = float(recomputed[position]) if recomputed is not None else floor
            completed[name] = (union, [known[row] for row in union])
        return completed


def _open_side(folder: Path, file_name: str, info: EmbedderInfo,
               model: TextEncoder | str | None, manifest: Manifest,
               config: IndexConfig) -> DenseSide:
    model = _matching_model(folder, info, model)
    index = load_dense_index(folder / file_name, config.dense)
    if index.ntotal != manifest.chunks:
        raise IndexFormatError(f"{folder}: {file_name} does not match the passages")
    return DenseSide(model, index)


def _matching_model(folder: Path, info: EmbedderInfo, model: TextEncoder | str | None):
    """The model that built a side (by name when none is given), checked by fingerprint."""
    if model is None:
        model = load_embedder(EmbedderConfig(name=info.name, show_progress=False))
    elif isinstance(model, str):
        model = load_embedder(EmbedderConfig(name=model, show_progress=False))
    if model.dimension != info.dimension or not fingerprints_match(
        model.fingerprint(), info.fingerprint
    ):
        raise IndexFormatError(
            f"{folder} was built with the embedder {info.name!r} ({info.dimension} dimensions); "
            f"{model.name!r} ({model.dimension} dimensions) encodes differently, so its "
            "vectors cannot be compared. Search with the original embedder or rebuild the index "
            "with this one."
        )
    return model
