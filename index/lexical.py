"""BM25 over hazm terms, stored by bm25s as plain numpy arrays and JSON (no pickle).

bm25s precomputes every term's BM25 contribution into a sparse matrix at build time, so a
query is one sparse row sum: tens of microseconds at 20k documents, where a Python loop over
documents (rank_bm25, LangChain's BM25Retriever) takes tens of milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.config import LexicalConfig
from index.errors import IndexFormatError


class LexicalIndex:
    """A BM25 index whose documents and queries are lists of analyzer terms."""

    def __init__(self, bm25, vocabulary: dict[str, int]) -> None:
        self._bm25 = bm25
        self.vocabulary = vocabulary

    @classmethod
    def build(cls, corpus_terms: list[list[str]], config: LexicalConfig) -> LexicalIndex:
        import bm25s

        vocabulary: dict[str, int] = {"": 0}  # bm25s expects an empty-string token
        ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in terms] for terms in corpus_terms]
        bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        bm25.index(bm25s.tokenization.Tokenized(ids=ids, vocab=vocabulary), show_progress=False)
        return cls(bm25, vocabulary)

    @property
    def size(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """BM25 score of every document for one query (zeros where no term matches)."""
        ids = [self.vocabulary[t] for t in query_terms if t in self.vocabulary]
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return self._bm25.get_scores(ids)

    def search(self, query_terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, document rows) with a positive score, best first."""
        return top_k(self.scores(query_terms), k)


    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), corpus=None)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        try:
            bm25 = bm25s.BM25.load(str(folder), load_corpus=False, mmap=False)
        except (OSError, ValueError, KeyError) as error:
            raise IndexFormatError(
                f"{folder}: the BM25 files are damaged ({type(error).__name__}: {error}); "
                "rebuild the index with `gaokerena index build`"
            ) from None
        return cls(bm25, {str(k): int(v) for k, v in bm25.vocab_dict.items()})


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest positive entries of a score array as (scores, rows), best first."""
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    keep = scores[top] > 0
    return scores[top][keep], top[keep]
