"""The lazy docstore reads the same passages as the file holds, and reports damage."""

import json

import pytest

from index.build import CHUNKS_NAME, Chunk
from index.docstore import Docstore, offsets_path, write_docstore
from index.errors import IndexFormatError


def records(n):
    return [Chunk(i, f"d{i}", f"متن شماره {i} با «نقل‌قول»", "site", f"https://x/{i}", "t")
            for i in range(n)]


def test_the_store_gives_back_every_passage_in_order(tmp_path):
    chunks = records(50)
    write_docstore(tmp_path / CHUNKS_NAME, (c.to_json() for c in chunks))
    store = Docstore(tmp_path / CHUNKS_NAME, Chunk.from_dict)
    assert len(store) == 50
    assert list(store) == chunks
    assert store[-1] == chunks[-1] and store[10:13] == chunks[10:13]
    with pytest.raises(IndexError):
        store[50]


def test_an_index_without_offsets_finds_the_lines_itself(tmp_path):
    chunks = records(7)
    path = tmp_path / CHUNKS_NAME
    path.write_text("".join(c.to_json() + "\n" for c in chunks), encoding="utf-8")
    assert not offsets_path(path).exists()
    assert list(Docstore(path, Chunk.from_dict)) == chunks


def test_offsets_that_no_longer_match_the_file_are_not_trusted(tmp_path):
    path = tmp_path / CHUNKS_NAME
    write_docstore(path, (c.to_json() for c in records(5)))
    path.write_text("".join(c.to_json() + "\n" for c in records(3)), encoding="utf-8")
    assert list(Docstore(path, Chunk.from_dict)) == records(3)


def test_a_damaged_record_is_reported_with_its_line(tmp_path):
    path = tmp_path / CHUNKS_NAME
    lines = [c.to_json() for c in records(5)]
    lines[2] = json.dumps({"row": 2, "unexpected": True})
    write_docstore(path, lines)
    store = Docstore(path, Chunk.from_dict)  # first and last lines are fine
    with pytest.raises(IndexFormatError, match=r"chunks\.jsonl:3: damaged"):
        store[2]


def test_a_cut_file_fails_at_open(tmp_path):
    path = tmp_path / CHUNKS_NAME
    text = "".join(c.to_json() + "\n" for c in records(4))
    path.write_text(text[:-20], encoding="utf-8")
    with pytest.raises(IndexFormatError, match="damaged"):
        Docstore(path, Chunk.from_dict)


def test_a_missing_docstore_says_to_rebuild(tmp_path):
    with pytest.raises(IndexFormatError, match="rebuild"):
        Docstore(tmp_path / CHUNKS_NAME, Chunk.from_dict)
