"""BM25 top-k and candidate scores from the query terms' postings equal full scoring."""

import numpy as np
import pytest

from index.analyze import shared_analyzer
from index.config import LexicalConfig
from index.lexical import LexicalIndex, top_k
from index.metrics import load_queries
from index.normalize import shared_normalizer

from .conftest import DEMO_QUERIES


@pytest.fixture(scope="module")
def demo_terms(demo_documents):
    normalize, analyze = shared_normalizer(), shared_analyzer(LexicalConfig())
    return [analyze(normalize(doc.text)) for doc in demo_documents]


@pytest.fixture(scope="module")
def demo_lexical(demo_terms):
    return LexicalIndex.build(demo_terms, LexicalConfig())


def query_terms():
    normalize, analyze = shared_normalizer(), shared_analyzer(LexicalConfig())
    return [analyze(normalize(question)) for _, question in load_queries(DEMO_QUERIES)]


def assert_same_ranking(index, terms, k):
    full = index.scores(terms)
    expected_scores, _ = top_k(full, k)
    scores, rows = index.top_k(terms, k)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-5)  # same best scores
    np.testing.assert_allclose(full[rows], scores, rtol=1e-5)  # and they are these rows'
    assert len(set(rows.tolist())) == len(rows)


@pytest.mark.parametrize("k", [1, 10, 100, 1000])
def test_top_k_from_postings_equals_scoring_every_passage(demo_lexical, k):
    for terms in query_terms():
        assert_same_ranking(demo_lexical, terms, k)


def test_top_k_with_postings_covering_most_passages(demo_lexical, demo_terms):
    # A query made of the corpus's most frequent terms takes the dense path.
    counts: dict[str, int] = {}
    for terms in demo_terms:
        for term in set(terms):
            counts[term] = counts.get(term, 0) + 1
    common = sorted(counts, key=counts.get, reverse=True)[:12]
    assert_same_ranking(demo_lexical, common, 50)


def test_top_k_with_postings_of_a_few_passages(demo_lexical, demo_terms):
    # Rare terms take the path that sums over the matched passages alone.
    counts: dict[str, int] = {}
    for terms in demo_terms:
        for term in set(terms):
            counts[term] = counts.get(term, 0) + 1
    rare = [term for term, count in counts.items() if count == 2][:3]
    assert len(rare) == 3 and demo_lexical.size > 6 * 8  # postings under an eighth
    assert_same_ranking(demo_lexical, rare, 10)


def test_a_repeated_query_term_counts_twice_as_in_bm25s(demo_lexical):
    terms = query_terms()[0]
    assert_same_ranking(demo_lexical, [*terms, terms[0]], 20)


def test_terms_outside_the_vocabulary_match_nothing(demo_lexical):
    scores, rows = demo_lexical.top_k(["واژه‌ای-که-نیست"], 10)
    assert scores.size == 0 and rows.size == 0
    assert demo_lexical.score_rows(["واژه‌ای-که-نیست"], [0, 1]).tolist() == [0.0, 0.0]


def test_score_rows_equals_the_full_score_array(demo_lexical):
    rows = np.random.default_rng(0).choice(demo_lexical.size, 60, replace=False)
    for terms in query_terms()[:20]:
        np.testing.assert_allclose(demo_lexical.score_rows(terms, rows),
                                   demo_lexical.scores(terms)[rows], rtol=1e-5, atol=1e-6)


def test_variants_that_score_absent_terms_fall_back_to_full_scoring(demo_terms):
    index = LexicalIndex.build(demo_terms, LexicalConfig(method="bm25l"))
    terms = query_terms()[3]
    assert_same_ranking(index, terms, 10)
    np.testing.assert_allclose(index.score_rows(terms, [0, 5]), index.scores(terms)[[0, 5]],
                               rtol=1e-5)
