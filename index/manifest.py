"""The index manifest: what an index folder holds and how it was built.

A person can read it, and the loader checks it: format version, embedder identity and
dimension, the normalizer and analyzer settings that queries must repeat, counts, and a
checksum per file, so a truncated or swapped file is caught before it answers a question.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import IndexFormatError

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"


@dataclass
class EmbedderInfo:
    name: str
    dimension: int
    fingerprint: list[float]


@dataclass
class Manifest:
    """Contents of ``manifest.json``; ``files`` maps relative paths to sha256 digests."""

    config: dict[str, Any]
    embedder: EmbedderInfo | None
    documents: int
    chunks: int
    files: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    created: str = ""
    format_version: int = FORMAT_VERSION
    builder: str = "gaokerena-rag"
    encoder: EmbedderInfo | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST_NAME
        if not folder.is_dir():
            raise IndexFormatError(f"{folder}: no such index folder; build one with "
                                   "`gaokerena index build --out DIR`")
        if not path.is_file():
            raise IndexFormatError(
                f"{folder}: not an index (no {MANIFEST_NAME}); it may be an interrupted "
                "build. Build it again with `gaokerena index build`."
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            version = data.get("format_version")
            if version != FORMAT_VERSION:
                raise IndexFormatError(
                    f"{folder}: index format {version}, this version reads format "
                    f"{FORMAT_VERSION}; rebuild the index with `gaokerena index build`"
                )
            embedder = data.pop("embedder")
            encoder = data.pop("encoder", None)  # absent before the pre-trained encoder side
            return cls(**data, embedder=EmbedderInfo(**embedder) if embedder else None,
                       encoder=EmbedderInfo(**encoder) if encoder else None)
        except (json.JSONDecodeError, TypeError, AttributeError) as error:
            raise IndexFormatError(f"{path}: unreadable manifest ({error})") from None


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def checksum_folder(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` except the manifest, by relative path."""
    return {
        str(path.relative_to(folder)): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Fail if any listed file is missing or differs from its recorded checksum."""
    for relative, expected in manifest.files.items():
        path = folder / relative
        if not path.is_file():
            raise IndexFormatError(f"{folder}: {relative} is missing; rebuild the index")
        if sha256_file(path) != expected:
            raise IndexFormatError(
                f"{folder}: {relative} does not match its checksum (damaged, truncated or "
                "replaced); rebuild the index with `gaokerena index build`"
            )
