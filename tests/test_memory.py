"""An index too large for memory is refused with its size and an option that fits."""

import pytest

from index.errors import IndexTooLarge
from index.manifest import Manifest
from index.memory import _HEADROOM, check_fits, part_sizes
from index.retriever import Retriever


def test_an_index_that_fits_loads(demo_index):
    check_fits(demo_index, Manifest.read(demo_index), "hybrid", available=2**34)


def test_too_little_memory_names_the_size_and_a_compressed_index(demo_index):
    manifest = Manifest.read(demo_index)
    sizes = part_sizes(demo_index, manifest)
    assert sizes["dense"] > 0 and sizes["lexical"] > 0
    compressed = (sizes["lexical"] + manifest.chunks * (manifest.embedder.dimension + 8))
    available = int(compressed * _HEADROOM) + 1
    with pytest.raises(IndexTooLarge, match=r"needs about .* GB.*--dense-kind ivfsq"):
        check_fits(demo_index, manifest, "hybrid", available=available)


def test_when_nothing_fits_it_says_so(demo_index):
    with pytest.raises(IndexTooLarge, match="more memory"):
        check_fits(demo_index, Manifest.read(demo_index), "hybrid", available=1)


def test_lexical_mode_counts_only_bm25(demo_index):
    manifest = Manifest.read(demo_index)
    lexical = int(part_sizes(demo_index, manifest)["lexical"] * _HEADROOM)
    check_fits(demo_index, manifest, "lexical", available=lexical + 1)
    with pytest.raises(IndexTooLarge):
        check_fits(demo_index, manifest, "hybrid", available=lexical + 1)


def test_loading_checks_memory_first(demo_index, monkeypatch):
    monkeypatch.setattr("index.memory.available_memory", lambda: 1)
    with pytest.raises(IndexTooLarge):
        Retriever.load(demo_index)
