import itertools

import pytest

from index.chunk import chunk_text, split_sentences
from index.config import ChunkConfig


def test_short_answer_stays_whole():
    answer = "سلام. این یک پاسخ کوتاه است. به پزشک مراجعه کنید."
    assert chunk_text(answer, ChunkConfig(max_words=50, overlap_words=5)) == [answer]


def test_sentences_split_on_persian_question_mark_and_newline():
    sentences = split_sentences("تب دارم؟ سرفه هم دارم.\nچه کنم")
    assert sentences == ["تب دارم؟", "سرفه هم دارم.", "چه کنم"]


def test_long_text_is_cut_at_sentence_ends_within_budget():
    sentences = [f"جمله شماره {i} درباره درمان است." for i in range(30)]
    chunks = chunk_text(" ".join(sentences), ChunkConfig(max_words=20, overlap_words=0))
    assert len(chunks) > 1
    assert all(len(chunk.split()) <= 20 for chunk in chunks)
    assert all(chunk.endswith("است.") for chunk in chunks)
    assert " ".join(chunks) == " ".join(sentences)


def test_overlap_repeats_the_last_sentence_of_the_previous_chunk():
    sentences = [f"جمله {i} کوتاه است." for i in range(12)]
    chunks = chunk_text(" ".join(sentences), ChunkConfig(max_words=12, overlap_words=4))
    for previous, current in itertools.pairwise(chunks):
        last_sentence = previous.split("است.")[-2].strip() + " است."
        assert current.startswith(last_sentence)


def test_a_sentence_longer_than_the_budget_is_windowed():
    long_sentence = " ".join(["کلمه"] * 50)
    chunks = chunk_text(long_sentence, ChunkConfig(max_words=20, overlap_words=5))
    assert all(len(c.split()) <= 20 for c in chunks)
    assert sum(len(c.split()) for c in chunks) >= 50


def test_blank_text_gives_no_chunks():
    assert chunk_text("   \n ") == []


def test_overlap_must_be_smaller_than_budget():
    with pytest.raises(ValueError, match="overlap_words"):
        ChunkConfig(max_words=10, overlap_words=10)
