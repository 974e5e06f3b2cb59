"""Cutting long Persian texts into retrievable passages.

A passage must be short enough that its embedding and its prompt slot stay focused, and cut
where a sentence ends so a citation shows whole sentences. Overlap keeps a fact that spans a
cut findable from both sides. QA answers under the budget stay whole: a doctor's answer read
half-way loses its caveats.
"""

from __future__ import annotations

import re

from index.config import ChunkConfig

# hazm's sent_tokenize splits on these too; we also split on newlines, which Persian forums
# use as sentence breaks far more than full stops.
_SENTENCE_END = re.compile(r"(?<=[.!?؟!…])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Split on Persian and Latin sentence ends and on line breaks; drop empty pieces."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def _words(text: str) -> int:
    return len(text.split())


def chunk_text(text: str, config: ChunkConfig | None = None) -> list[str]:
    """Group whole sentences into chunks of at most ``max_words`` words.

    Consecutive chunks share their last ``overlap_words`` words' worth of whole sentences.
    A single sentence longer than the budget is cut into word windows, since a passage
    nobody can cite is worse than a cut sentence.

    Example:
        >>> chunk_text("جمله اول. جمله دوم.", ChunkConfig(max_words=3, overlap_words=0))
        ['جمله اول.', 'جمله دوم.']
    """
    config = config or ChunkConfig()
    text = text.strip()
    if not text:
        return []
    if _words(text) <= config.max_words:
        return [text]

    pieces: list[str] = []
    for sentence in split_sentences(text):
        words = sentence.split()
        if len(words) <= config.max_words:
            pieces.append(sentence)
            continue
        step = config.max_words - config.overlap_words
        for start in range(0, len(words), step):
            pieces.append(" ".join(words[start : start + config.max_words]))
            if start + config.max_words >= len(words):
                break

    chunks: list[str] = []
    current: list[str] = []
    for piece in pieces:
        if current and _words(" ".join([*current, piece])) > config.max_words:
            chunks.append(" ".join(current))
            current = _overlap_tail(current, config.overlap_words)
            if current and _words(" ".join([*current, piece])) > config.max_words:
                current = []
        current.append(piece)
    if current:
        chunks.append(" ".join(current))
    return chunks


def _overlap_tail(sentences: list[str], overlap_words: int) -> list[str]:
    """The last whole sentences of a chunk whose words fit in the overlap budget."""
    tail: list[str] = []
    total = 0
    for sentence in reversed(sentences):
        total += _words(sentence)
        if total > overlap_words:
            break
        tail.insert(0, sentence)
    return tail
