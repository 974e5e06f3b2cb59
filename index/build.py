"""Building an index folder from documents, atomically.

The build writes everything into a hidden sibling folder (``index.files.write_folder_atomic``)
that is renamed into place only once the manifest (written last) is complete, so a killed
build never leaves a folder that loads as an index, and an existing index is replaced only by
a finished one.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from index.analyze import shared_analyzer
from index.chunk import chunk_text
from index.config import IndexConfig
from index.dense import build_dense_index, resolve_kind, save_dense_index
from index.docstore import write_docstore
from index.embed import TextEncoder
from index.errors import DataError, IndexFormatError
from index.files import write_folder_atomic
from index.lexical import LexicalIndex
from index.manifest import MANIFEST_NAME, EmbedderInfo, Manifest, checksum_folder
from index.normalize import normalize_all
from index.records import Document
from index.translation import TRANSLATION_DIR, DocumentTerms, TranslationTable

logger = logging.getLogger(__name__)

CHUNKS_NAME = "chunks.jsonl"
DENSE_NAME = "dense.faiss"
ENCODER_NAME = "encoder.faiss"
LEXICAL_DIR = "lexical"


@dataclass(frozen=True)
class Source:
    """Another document whose text holds the same passage word for word."""

    doc_id: str
    site: str = ""
    url: str = ""
    title: str = ""


@dataclass(frozen=True)
class Chunk:
    """A passage as stored in the docstore: original text plus its document's metadata.

    ``also`` lists the other documents with the identical passage (see ``merge_identical``).
    """

    row: int
    doc_id: str
    text: str
    site: str
    url: str
    title: str
    also: tuple[Source, ...] = ()

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return (self.doc_id, *(source.doc_id for source in self.also))

    def to_json(self) -> str:
        data = {name: value for name, value in self.__dict__.items() if name != "also"}
        if self.also:
            data["also"] = [asdict(source) for source in self.also]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        """Read a docstore record; raises TypeError or ValueError when it is damaged."""
        also = data.pop("also", [])
        if not isinstance(also, list):
            raise ValueError("also must be a list")
        return cls(**data, also=tuple(Source(**source) for source in also))


def make_chunks(documents: list[Document], config: IndexConfig) -> list[Chunk]:
    chunks: list[Chunk] = []
    for document in documents:
        for piece in chunk_text(document.text, config.chunk):
            chunks.append(
                Chunk(len(chunks), document.doc_id, piece, document.site, document.url,
                      document.title)
            )
    return chunks


def merge_identical(chunks: list[Chunk], normalized: list[str]) -> tuple[list[Chunk], list[str]]:
    """Keep one passage per distinct normalized text; the others become its ``also`` sources.

    Doctors paste the same stock answer under many questions (a quarter of the MF3QA dev
    answers have a word-for-word twin). Kept apart, the copies fill a result list with one
    text, crowd out the rest of the LLM's context, and tie in every ranking, where the row
    order alone decides which copy comes first. Merged, the text is ranked once and cites
    every document it came from. Texts are compared after normalization, whitespace runs
    collapsed.
    """
    first: dict[str, int] = {}
    merged: list[Chunk] = []
    texts: list[str] = []
    extra: list[list[Source]] = []
    for chunk, text in zip(chunks, normalized, strict=True):
        key = " ".join(text.split())
        position = first.get(key)
        if position is None:
            first[key] = len(merged)
            merged.append(replace(chunk, row=len(merged)))
            texts.append(text)
            extra.append([])
        elif chunk.doc_id != merged[position].doc_id and all(
                chunk.doc_id != source.doc_id for source in extra[position]):
            extra[position].append(Source(chunk.doc_id, chunk.site, chunk.url, chunk.title))
    merged = [replace(chunk, also=chunk.also + tuple(sources)) if sources else chunk
              for chunk, sources in zip(merged, extra, strict=True)]
    return merged, texts


def _prepare_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise IndexFormatError(f"{out}: exists and is a file; choose another --out folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST_NAME).exists():
        raise IndexFormatError(
            f"{out}: exists, is not empty and is not an index; refusing to replace it. "
            "Choose another --out folder or empty this one."
        )


def _embed_side(model: TextEncoder | None, texts: list[str], config: IndexConfig,
                path: Path) -> EmbedderInfo | None:
    """Embed every passage with ``model`` into a FAISS file at ``path``; None without a model."""
    if model is None:
        return None
    logger.info("embedding %d chunks with %s into a %s vector index", len(texts), model.name,
                config.dense.kind)
    dense = build_dense_index(model.encode_documents(texts), config.dense)
    save_dense_index(dense, path)
    return EmbedderInfo(model.name, model.dimension, model.fingerprint())


def build_index(
    documents: list[Document],
    out: Path,
    config: IndexConfig | None = None,
    embedder: TextEncoder | None = None,
    sources: list[str] | None = None,
    progress: bool = True,
    translation: TranslationTable | None = None,
    encoder: TextEncoder | None = None,
) -> Manifest:
    """Normalize, chunk, analyze and embed ``documents``; write the index folder at ``out``.

    ``embedder`` is the static embedder trained on our pairs and ``encoder`` a pre-trained
    one (multilingual-e5-small by default): each becomes a dense fusion side. With neither,
    the index is lexical-only (BM25), which still answers offline. ``translation`` (from
    ``gaokerena train translation``) is stored with each passage's word distribution, and
    search adds its score as another fusion side.
    """
    config = config or IndexConfig()
    if not documents:
        raise DataError("no documents to index: the inputs are empty or every text is blank")
    out = Path(out)
    _prepare_target(out)
    started = time.perf_counter()
    with write_folder_atomic(out) as staging:
        chunks = make_chunks(documents, config)
        analyzer = shared_analyzer(config.lexical)
        normalized = normalize_all([chunk.text for chunk in chunks], config.normalizer,
                                   progress=progress)
        if config.chunk.merge_identical:
            before = len(chunks)
            chunks, normalized = merge_identical(chunks, normalized)
            if len(chunks) < before:
                logger.info("merged %d identical passages into the ones they repeat",
                            before - len(chunks))
        terms = [analyzer(text) for text in
                 tqdm(normalized, desc="analyzing", unit="chunk", disable=not progress)]

        write_docstore(staging / CHUNKS_NAME, (chunk.to_json() for chunk in chunks))

        lexical = LexicalIndex.build(terms, config.lexical)
        (staging / LEXICAL_DIR).mkdir()
        lexical.save(staging / LEXICAL_DIR)
        if translation is not None:
            translation.save(staging / TRANSLATION_DIR)
            DocumentTerms.build(terms, translation.answer_vocabulary).save(
                staging / TRANSLATION_DIR)

        if embedder is not None or encoder is not None:
            config = replace(config, dense=resolve_kind(config.dense, len(chunks)))
        embedder_info = _embed_side(embedder, normalized, config, staging / DENSE_NAME)
        encoder_info = _embed_side(encoder, normalized, config, staging / ENCODER_NAME)

        manifest = Manifest(
            config=config.to_dict(),
            embedder=embedder_info,
            encoder=encoder_info,
            documents=len(documents),
            chunks=len(chunks),
            files=checksum_folder(staging),
            sources=list(sources or []),
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        )
        (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    logger.info("built %s: %d documents, %d chunks in %.1f s", out, len(documents),
                len(chunks), time.perf_counter() - started)
    return manifest
