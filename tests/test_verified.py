"""Checksums are hashed once per index version and again whenever a file changes."""

import os
import shutil

import pytest

import index.manifest as manifest_module
from index.build import DENSE_NAME
from index.errors import IndexFormatError
from index.manifest import Manifest
from index.verified import verify_files_once


@pytest.fixture
def index_copy(demo_index, tmp_path, monkeypatch):
    monkeypatch.setenv("GAOKERENA_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "index"
    shutil.copytree(demo_index, target)
    return target


def test_a_verified_index_is_not_hashed_again(index_copy, monkeypatch):
    manifest = Manifest.read(index_copy)
    assert verify_files_once(index_copy, manifest) is True
    hashed = []
    monkeypatch.setattr(manifest_module, "sha256_file", lambda path: hashed.append(path))
    assert verify_files_once(index_copy, manifest) is False
    assert hashed == []


def test_a_file_changed_after_verification_is_caught(index_copy):
    manifest = Manifest.read(index_copy)
    verify_files_once(index_copy, manifest)
    path = index_copy / DENSE_NAME
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, new content and modification time
    path.write_bytes(bytes(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(IndexFormatError, match="checksum"):
        verify_files_once(index_copy, manifest)


def test_an_unwritable_cache_only_means_hashing_again(index_copy, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GAOKERENA_CACHE_DIR", str(blocker))
    manifest = Manifest.read(index_copy)
    assert verify_files_once(index_copy, manifest) is True
    assert verify_files_once(index_copy, manifest) is True
