"""A word-translation language model: how well a passage explains a question's words.

Patients and doctors use different words for the same thing («سرم تیر می‌کشد» against
«میگرن», «مسکن»). A table P(question word | answer word), learned from question/answer
pairs (IBM Model 1, see ``training/translation.py``), lets a passage score for question
words it never contains (Berger & Lafferty 1999; Xue, Jeon & Croft 2008 for community QA):

    log P(q | d) = sum_w log((1 - lam) * (beta * sum_t P(w|t) P(t|d) + (1 - beta) P(w|d))
                             + lam * P(w | collection))

It learns word associations rather than which documents it was trained on, which is why it
helps where the trained embedder memorizes its training answers (docs/retrieval.md). Files
are a sparse ``.npz`` and JSON vocabularies: no pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import IndexFormatError

TRANSLATION_DIR = "translation"
TABLE_NAME = "table.npz"
VOCAB_NAME = "vocabulary.json"
DOC_TERMS_NAME = "doc_terms.npz"
COLLECTION_NAME = "collection.npy"


@dataclass
class TranslationTable:
    """P(question word | answer word) as a sparse (questions x answers) matrix."""

    table: object  # scipy.sparse.csr_matrix
    question_vocabulary: dict[str, int]
    answer_vocabulary: dict[str, int]

    def save(self, folder: Path) -> None:
        import scipy.sparse as sp

        folder.mkdir(parents=True, exist_ok=True)
        sp.save_npz(folder / TABLE_NAME, self.table.tocsr(), compressed=True)
        words = {"questions": _ordered(self.question_vocabulary),
                 "answers": _ordered(self.answer_vocabulary)}
        (folder / VOCAB_NAME).write_text(json.dumps(words, ensure_ascii=False),
                                         encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TranslationTable:
        import scipy.sparse as sp

        try:
            table = sp.load_npz(folder / TABLE_NAME).tocsr()
            words = json.loads((folder / VOCAB_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as error:
            raise IndexFormatError(
                f"{folder}: not a translation table ({error}); train one with "
                "`gaokerena train translation`"
            ) from None
        questions = {w: i for i, w in enumerate(words["questions"])}
        answers = {w: i for i, w in enumerate(words["answers"])}
        if table.shape != (len(questions), len(answers)):
            raise IndexFormatError(f"{folder}: {TABLE_NAME} does not match {VOCAB_NAME}")
        return cls(table, questions, answers)


@dataclass
class DocumentTerms:
    """Each passage's word distribution P(t|d) over the answer vocabulary, and the corpus's."""

    matrix: object  # scipy.sparse.csr_matrix, passages x answer words, rows sum to <= 1
    collection: np.ndarray  # P(t | collection) per answer word
    floor: float  # P(w | collection) of a word outside the answer vocabulary

    @classmethod
    def build(cls, terms: list[list[str]], vocabulary: dict[str, int]) -> DocumentTerms:
        import scipy.sparse as sp

        rows, cols, vals = [], [], []
        counts = np.zeros(len(vocabulary), dtype=np.float64)
        total = 0
        for row, words in enumerate(terms):
            total += len(words)
            known = [vocabulary[w] for w in words if w in vocabulary]
            if not known:
                continue
            ids, n = np.unique(np.asarray(known, dtype=np.int64), return_counts=True)
            counts[ids] += n
            rows.extend([row] * len(ids))
            cols.extend(ids.tolist())
            vals.extend((n / max(len(words), 1)).tolist())
        matrix = sp.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                               shape=(len(terms), len(vocabulary)))
        total = max(total, 1)
        return cls(matrix, (counts / total).astype(np.float32), 0.5 / total)

    def save(self, folder: Path) -> None:
        import scipy.sparse as sp

        sp.save_npz(folder / DOC_TERMS_NAME, self.matrix, compressed=True)
        np.save(folder / COLLECTION_NAME, np.append(self.collection, self.floor))

    @classmethod
    def load(cls, folder: Path) -> DocumentTerms:
        import scipy.sparse as sp

        matrix = sp.load_npz(folder / DOC_TERMS_NAME).tocsr()
        stored = np.load(folder / COLLECTION_NAME, allow_pickle=False)
        return cls(matrix, stored[:-1], float(stored[-1]))


@dataclass(frozen=True)
class TranslationScorer:
    """Scores candidate passages for a question; built once per index."""

    table: TranslationTable
    documents: DocumentTerms
    beta: float = 0.8
    smoothing: float = 0.2

    def scores(self, query_terms: list[str], rows: list[int]) -> np.ndarray:
        """log P(question | passage) for each row; higher is better.

        All of the question's words go through two sparse products at once (a word at a
        time cost 15 ms a query at 20k passages; this costs about 2).
        """
        if not rows or not query_terms:
            return np.zeros(len(rows))
        candidates = self.documents.matrix[rows]  # rows x answer words
        answer_ids = [self.table.answer_vocabulary.get(w) for w in query_terms]
        question_ids = [self.table.question_vocabulary.get(w) for w in query_terms]
        own = np.zeros((len(rows), len(query_terms)))
        known = [i for i, a in enumerate(answer_ids) if a is not None]
        if known:
            own[:, known] = candidates[:, [answer_ids[i] for i in known]].toarray()
        explained = own.copy()
        translatable = [i for i, q in enumerate(question_ids) if q is not None]
        if translatable:
            table = self.table.table[[question_ids[i] for i in translatable]]
            translated = (candidates @ table.T).toarray()
            explained[:, translatable] = (self.beta * translated
                                          + (1 - self.beta) * own[:, translatable])
        background = np.array([self.documents.collection[a] if a is not None else 0.0
                               for a in answer_ids])
        background = np.maximum(background, self.documents.floor)
        mixed = (1 - self.smoothing) * explained + self.smoothing * background
        return np.log(mixed).sum(axis=1)


def load_scorer(folder: Path, beta: float, smoothing: float) -> TranslationScorer | None:
    """The index's translation scorer, or None when it was built without a table."""
    path = folder / TRANSLATION_DIR
    if not path.is_dir():
        return None
    return TranslationScorer(TranslationTable.load(path), DocumentTerms.load(path), beta,
                             smoothing)


def _ordered(vocabulary: dict[str, int]) -> list[str]:
    words = [""] * len(vocabulary)
    for word, index in vocabulary.items():
        words[index] = word
    return words
