"""Exact and near-duplicate detection, first record wins.

Exact duplicates are found by a hash of the normalized key (so «مي‌شود» and «میشود» meet).
Near duplicates use MinHash signatures indexed by datasketch's ``MinHashLSH``: each record is
queried against the records kept so far and inserted only if no earlier record is above the
Jaccard threshold. Records are processed in input order, so a crawl's first copy is the one
that stays, as in MF3QA's ``drop_duplicates(keep='first')``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

_SPACE = re.compile(r"[\s\u200c]+")
_PUNCT = re.compile(r"[^\w\s\u200c]")


def dedup_key(text: str) -> str:
    """A digest of ``text`` that ignores spacing, half-spaces and punctuation."""
    canonical = _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


def shingles(text: str, kind: str, size: int) -> set[bytes]:
    """Character or word n-grams of the canonical text, as bytes for MinHash.

    Character shingles ignore spaces and half-spaces, so «می شود» / «میشود» agree.
    """
    canonical = _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()
    if kind == "words":
        words = canonical.split(" ")
        grams = {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}
    else:
        compact = canonical.replace(" ", "")
        grams = {compact[i : i + size] for i in range(max(1, len(compact) - size + 1))}
    return {gram.encode("utf-8") for gram in grams if gram}


class ExactDeduper:
    """The keys of the records kept so far (key -> id of the kept record)."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}

    def earlier(self, text: str) -> str | None:
        """The id of a kept record with the same key as ``text``, or ``None``."""
        return self._keys.get(dedup_key(text))

    def remember(self, text: str, record_id: str) -> None:
        """Record ``text`` as kept (the first kept record of a key stays its owner)."""
        self._keys.setdefault(dedup_key(text), record_id)


class NearDeduper:
    """MinHash/LSH index of the records kept so far, over one or more text parts.

    The LSH index covers the first part (for QA: the question); a candidate is a near
    duplicate only if every part (question *and* answer) is above the threshold, measured
    exactly on the shingle sets. A doctor's templated answer under different questions, or a
    re-asked question answered differently, is therefore kept.
    """

    def __init__(self, threshold: float, num_perm: int, kind: str, size: int) -> None:
        from datasketch import MinHash, MinHashLSH

        self._minhash = MinHash
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._num_perm = num_perm
        self._kind = kind
        self._size = size
        self._threshold = threshold
        self._parts: dict[str, tuple[set[bytes], tuple[str, ...]]] = {}
        # Deriving permutations from the seed costs more than hashing a short question;
        # every signature shares these (same seed, same scheme, comparable by design).
        # datasketch 2 also wants the hashing scheme with given permutations; 1.x has none.
        template = MinHash(num_perm=num_perm, seed=1)
        self._shared = {"permutations": template.permutations}
        if hasattr(template, "scheme"):
            self._shared["scheme"] = template.scheme

    def _signature(self, grams: set[bytes]):
        minhash = self._minhash(num_perm=self._num_perm, seed=1, **self._shared)
        if grams:
            minhash.update_batch(list(grams))
        return minhash

    def first_similar(self, parts: Sequence[str], record_id: str) -> tuple[str, float] | None:
        """An earlier kept record similar in every part (id, lowest Jaccard), else ``None``.

        A record with no such match is inserted under ``record_id`` (which must be unique).
        Only the first part is hashed; the others are shingled when a candidate needs them.
        """
        first = shingles(parts[0], self._kind, self._size)
        signature = self._signature(first)
        best: tuple[str, float] | None = None
        rest: list[set[bytes]] | None = None
        for candidate in self._lsh.query(signature):
            kept_first, kept_rest = self._parts[candidate]
            similarity = jaccard(first, kept_first)
            if similarity < self._threshold:
                continue
            if rest is None:
                rest = [shingles(part, self._kind, self._size) for part in parts[1:]]
            for mine, theirs in zip(rest, kept_rest, strict=True):
                similarity = min(similarity, jaccard(mine, shingles(theirs, self._kind,
                                                                    self._size)))
            if similarity >= self._threshold and (best is None or similarity > best[1]):
                best = (candidate, similarity)
        if best is None:
            self._lsh.insert(record_id, signature)
            self._parts[record_id] = (first, tuple(parts[1:]))
        return best


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    """Exact Jaccard similarity of two shingle sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
