"""Learn P(question word | answer word) from question/answer pairs (IBM Model 1).

The table lets retrieval match a patient's words to the words doctors answer with
(index/translation.py). IBM Model 1's EM is a few sparse matrix passes here: each pair's
alignment posteriors are computed on its small (question words x answer words) block and
summed into one sparse count matrix per iteration. Words are the index's own BM25 terms
(hazm-normalized lemmas without stopwords), so the table and the index speak the same
vocabulary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.errors import DataError
from index.translation import TranslationTable


@dataclass(frozen=True)
class TranslationTrainConfig:
    """Rare words carry no reliable association: they are left out of the table.

    ``pooled`` also learns from every pair reversed, so an answer word can explain a question
    word through what questions and answers say about each other in both directions (the
    pooled model of Xue, Jeon & Croft 2008). On the MF3QA train hold-out it lifted hybrid
    MRR@10 / R@20 from 0.237 / 0.498 to 0.245 / 0.507, with ``min_probability`` 1e-4
    (1e-3 alone: 0.242 / 0.500); the table grows from 1.0M to 3.3M entries and a query's
    translation scores from 0.9 to 1.4 ms (benchmarks/README.md).
    """

    iterations: int = 5
    min_question_pairs: int = 3
    min_answer_pairs: int = 2
    min_probability: float = 1e-4  # smaller entries are noise and most of the file
    pooled: bool = True

    def __post_init__(self) -> None:
        for name in ("iterations", "min_question_pairs", "min_answer_pairs"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 <= self.min_probability < 1:
            raise ValueError("min_probability must lie in [0, 1), for example 1e-4")


def fit_translation(pairs: list[tuple[list[str], list[str]]],
                    config: TranslationTrainConfig | None = None,
                    progress: bool = False) -> TranslationTable:
    """Train the table on (question terms, answer terms) pairs."""
    import scipy.sparse as sp
    from tqdm import tqdm

    config = config or TranslationTrainConfig()
    if config.pooled:
        pairs = [*pairs, *((answer, question) for question, answer in pairs)]
    question_counts = Counter(w for q, _ in pairs for w in set(q))
    answer_counts = Counter(w for _, a in pairs for w in set(a))
    questions = {w: i for i, w in enumerate(
        sorted(w for w, c in question_counts.items() if c >= config.min_question_pairs))}
    answers = {w: i for i, w in enumerate(
        sorted(w for w, c in answer_counts.items() if c >= config.min_answer_pairs))}
    blocks = []
    for q, a in pairs:
        q_ids = np.array(sorted({questions[w] for w in q if w in questions}), dtype=np.int64)
        a_ids = np.array(sorted({answers[w] for w in a if w in answers}), dtype=np.int64)
        if len(q_ids) and len(a_ids):
            blocks.append((q_ids, a_ids))
    if not blocks:
        raise DataError("no question/answer pair shares enough frequent words to learn a "
                        "translation table; give more pairs (thousands work best)")
    table = None
    for _ in tqdm(range(config.iterations), desc="translation EM", disable=not progress):
        rows, cols, vals = [], [], []
        for q_ids, a_ids in blocks:
            if table is None:  # uniform start: every co-occurring pair equally likely
                weights = np.ones((len(q_ids), len(a_ids)))
            else:
                weights = np.asarray(table[q_ids][:, a_ids].todense()) + 1e-12
            weights /= weights.sum(axis=1, keepdims=True)  # align each question word
            grid_q, grid_a = np.meshgrid(q_ids, a_ids, indexing="ij")
            rows.append(grid_q.ravel())
            cols.append(grid_a.ravel())
            vals.append(weights.ravel())
        counts = sp.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(len(questions), len(answers))).tocsr()
        per_answer = np.asarray(counts.sum(axis=0)).ravel() + 1e-12
        table = (counts @ sp.diags(1.0 / per_answer)).tocsr()  # P(q | a): columns sum to 1
    table.data[table.data < config.min_probability] = 0
    table.eliminate_zeros()
    table.data = table.data.astype(np.float32)
    return TranslationTable(table, questions, answers)


def pair_terms(pairs: list[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """Questions and answers as the index's BM25 terms (default normalizer and analyzer)."""
    from index.analyze import shared_analyzer
    from index.config import LexicalConfig, NormalizerConfig
    from index.normalize import shared_normalizer

    normalize = shared_normalizer(NormalizerConfig())
    analyze = shared_analyzer(LexicalConfig())
    return [(analyze(normalize(q)), analyze(normalize(a))) for q, a in pairs]
