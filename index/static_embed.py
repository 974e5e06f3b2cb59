"""Static embedders (what ``gaokerena train embedder`` writes) run with numpy, not torch.

A sentence-transformers StaticEmbedding is a tokenizer and one embedding matrix: a text's
vector is the mean of its tokens' rows. Loading it through sentence-transformers imports
torch and transformers, about 9 s of a fresh ``gaokerena ask`` that answers in 10 ms. The
folder's ``tokenizer.json`` and ``model.safetensors`` are all the arithmetic needs, so this
module reads them with ``tokenizers`` and ``safetensors`` and averages with numpy, giving the
same vectors (tests/test_static_embed.py compares the two to 1e-5).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from index.embed import Embedder, EmbedderConfig
from index.errors import EmbedderUnavailable

logger = logging.getLogger(__name__)

_STATIC_TYPE = "StaticEmbedding"
_NORMALIZE_TYPE = "Normalize"
_WEIGHTS_KEY = "embedding.weight"
_ENCODE_BATCH = 2048  # texts per tokenizer call: bounds the token-vector buffer


def static_model_folder(path: Path) -> Path | None:
    """The StaticEmbedding module's folder if ``path`` is a static sentence-transformers model.

    Only the layout ``gaokerena train embedder`` writes is accepted (a StaticEmbedding,
    optionally followed by Normalize, weights under ``embedding.weight``); anything else
    (model2vec-style weights, a transformer) returns None and loads through
    sentence-transformers as before.
    """
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(modules, list) or not modules:
        return None
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules
             if isinstance(module, dict)]
    if len(kinds) != len(modules) or kinds[0] != _STATIC_TYPE:
        return None
    if any(kind != _NORMALIZE_TYPE for kind in kinds[1:]):
        return None
    folder = path / str(modules[0].get("path", ""))
    if not (folder / "tokenizer.json").is_file() or not (folder / "model.safetensors").is_file():
        return None
    return folder


class StaticEmbedder(Embedder):
    """Mean of token vectors, L2-normalised, with the model's own query/document prompts."""

    def __init__(self, tokenizer, weights: np.ndarray, prompts: dict[str, str], name: str,
                 config: EmbedderConfig) -> None:
        self.model = None  # no sentence-transformers model behind it
        self.name = name
        self.config = config
        self.dimension = int(weights.shape[1])
        self._tokenizer = tokenizer
        self._weights = weights
        self._prompts = prompts

    @property
    def prompts(self) -> dict[str, str]:
        return dict(self._prompts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prompts.get("document", ""),
                            self.config.show_progress and len(texts) > _ENCODE_BATCH)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._prompts.get("query", ""), False)

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), _ENCODE_BATCH)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        for start in starts:
            batch = [prompt + text for text in texts[start:start + _ENCODE_BATCH]] if prompt \
                else list(texts[start:start + _ENCODE_BATCH])
            out[start:start + len(batch)] = self._mean_vectors(batch)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _mean_vectors(self, texts: list[str]) -> np.ndarray:
        """Mean of each text's token vectors, as one sparse (texts x vocabulary) count matrix
        times the embedding matrix: no (tokens x dimension) copy is made, which took 2.3x
        the CPU time on MF3QA answers (index building at a million passages is mostly this
        and normalization)."""
        from scipy import sparse

        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64,
                              count=len(encodings))
        ids = np.fromiter((i for e in encodings for i in e.ids), dtype=np.int64,
                          count=int(lengths.sum()))
        counts = sparse.csr_matrix(
            (np.ones(len(ids), dtype=np.float32), ids, np.concatenate(([0], np.cumsum(lengths)))),
            shape=(len(texts), self._weights.shape[0]))
        sums = np.asarray(counts @ self._weights, dtype=np.float32)
        return sums / np.maximum(lengths, 1)[:, None].astype(np.float32)


def load_static_embedder(path: Path, config: EmbedderConfig) -> StaticEmbedder | None:
    """A torch-free embedder for a static model folder, or None if ``path`` is not one."""
    folder = static_model_folder(path)
    if folder is None:
        return None
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        weights = load_file(str(folder / "model.safetensors"))[_WEIGHTS_KEY]
    except KeyError:
        return None  # another static layout: sentence-transformers knows it
    except Exception as error:
        raise EmbedderUnavailable(
            f"{path}: the static embedder's files are damaged ({type(error).__name__}: "
            f"{error}). Train it again with `gaokerena train embedder`."
        ) from None
    tokenizer.no_padding()
    prompts: dict[str, str] = {}
    settings = path / "config_sentence_transformers.json"
    if settings.is_file():
        try:
            prompts = dict(json.loads(settings.read_text(encoding="utf-8")).get("prompts") or {})
        except (ValueError, AttributeError, TypeError):
            prompts = {}
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    logger.info("loaded static embedder %s (%d x %d) without torch", path, *weights.shape)
    return StaticEmbedder(tokenizer, weights, prompts, str(path.resolve()), config)
