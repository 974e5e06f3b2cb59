"""BM25 over hazm terms, stored by bm25s as plain numpy arrays (memory-mapped at load) and JSON.

bm25s precomputes every term's BM25 contribution into a sparse matrix at build time (one
column of postings per term), so a query sums a few columns; ``top_k`` and ``score_rows``
read only those columns, never an array over the whole corpus.
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
        return self.top_k(query_terms, k)

    def _postings(self, query_terms: list[str]) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """(document rows, BM25 contributions) of each query term, repeats kept; None when
        the variant adds a score to documents without the term (bm25l, bm25+)."""
        if getattr(self._bm25, "nonoccurrence_array", None) is not None:
            return None
        matrix = self._bm25.scores
        indptr, indices, data = matrix["indptr"], matrix["indices"], matrix["data"]
        postings = []
        for term in query_terms:
            column = self.vocabulary.get(term)
            if column is not None:
                start, end = int(indptr[column]), int(indptr[column + 1])
                postings.append((indices[start:end], data[start:end]))
        return postings

    def top_k(self, query_terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents as (scores, rows), best first, positive scores only.

        Reads only the query terms' postings: a document no term matches is never scored.
        Where the postings are short (rare terms) the sums run over the matched documents
        alone (a sort of the postings); where they hold more than an eighth of the corpus
        one counting pass and one partition over an array of the corpus's size are cheaper
        (at 311k passages 3.5 ms against 20 ms for the sort, benchmarks/scale.py's queries).
        bm25s's get_scores instead adds every posting with np.add.at, 16 ms a query at 100k.
        """
        postings = self._postings(query_terms)
        if postings is None:
            return top_k(self.scores(query_terms), k)
        if not postings or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        rows = np.concatenate([p[0] for p in postings])
        values = np.concatenate([p[1] for p in postings])
        if rows.size * 8 >= self.size:
            sums = np.bincount(rows, weights=values, minlength=self.size)
            return top_k(sums.astype(np.float32), k)  # zeros (no term matched) are dropped
        matched, inverse = np.unique(rows, return_inverse=True)
        sums = np.bincount(inverse, weights=values, minlength=matched.size)
        scores, positions = top_k(sums.astype(np.float32), k)
        return scores, matched[positions].astype(np.int64)

    def score_rows(self, query_terms: list[str], rows: list[int] | np.ndarray) -> np.ndarray:
        """BM25 scores of the given documents only (zero where no term matches)."""
        rows = np.asarray(rows, dtype=np.int64)
        postings = self._postings(query_terms)
        if postings is None:
            return self.scores(query_terms)[rows]
        out = np.zeros(rows.size, dtype=np.float64)
        if not rows.size:
            return out.astype(np.float32)
        for documents, values in postings:
            if not documents.size:
                continue
            if documents.size > 1 and not bool(np.all(documents[1:] > documents[:-1])):
                order = np.argsort(documents, kind="stable")
                documents, values = documents[order], values[order]
            at = np.minimum(np.searchsorted(documents, rows), documents.size - 1)
            hit = documents[at] == rows
            out[hit] += values[at[hit]]
        return out.astype(np.float32)


    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), corpus=None)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        try:
            bm25 = bm25s.BM25.load(str(folder), load_corpus=False, mmap=True)
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
