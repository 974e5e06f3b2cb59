"""Refusing, with a way out, an index that would not fit in memory.

Loading an index too large for the machine does not fail cleanly: the process swaps for
minutes or the kernel kills it with no message. The parts that loading reads into memory
(the vectors, the BM25 matrix, the translation side) have sizes known from their files, so
``Retriever.load`` compares them with the memory available first and, if they do not fit,
says how much they need and which option does fit (a compressed vector index, or BM25 alone).
The docstore is memory-mapped and not counted: the operating system pages it as needed.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from index.errors import IndexTooLarge
from index.manifest import Manifest

_GB = 2**30
_HEADROOM = 1.25  # Python, the models and the query's own arrays need some too


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux MemAvailable), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _loaded_size(path: Path) -> int:
    """Bytes a file takes once loaded: a .npz counts its members uncompressed."""
    if path.suffix == ".npz":
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(member.file_size for member in archive.infolist())
        except (OSError, zipfile.BadZipFile):
            pass
    return path.stat().st_size if path.is_file() else 0


def part_sizes(folder: Path, manifest: Manifest) -> dict[str, int]:
    """Bytes each searchable part occupies in memory: dense, encoder, lexical, translation."""
    sizes = {"dense": 0, "encoder": 0, "lexical": 0, "translation": 0}
    for relative in manifest.files:
        part = relative.split("/", 1)[0] if "/" in relative else relative
        key = {"dense.faiss": "dense", "encoder.faiss": "encoder", "lexical": "lexical",
               "translation": "translation"}.get(part)
        if key:
            sizes[key] += _loaded_size(folder / relative)
    return sizes


def check_fits(folder: Path, manifest: Manifest, mode: str,
               available: int | None = None) -> None:
    """Raise IndexTooLarge if loading ``folder`` in ``mode`` needs more memory than is free."""
    available = available_memory() if available is None else available
    if not available:
        return
    sizes = part_sizes(folder, manifest)
    used = {"hybrid": ("dense", "encoder", "lexical", "translation"), "dense": ("dense",),
            "encoder": ("encoder",), "lexical": ("lexical",)}[mode]
    need = int(sum(sizes[part] for part in used) * _HEADROOM)
    if need <= available:
        return
    raise IndexTooLarge(
        f"{folder}: searching it in {mode} mode needs about {need / _GB:.1f} GB of memory and "
        f"{available / _GB:.1f} GB is available. {_advice(manifest, sizes, used, available)}"
    )


def _advice(manifest: Manifest, sizes: dict[str, int], used: tuple[str, ...],
            available: int) -> str:
    others = sum(sizes[part] for part in used if part not in ("dense", "encoder"))
    models = [info for part, info in (("dense", manifest.embedder), ("encoder", manifest.encoder))
              if part in used and info is not None]
    if models:
        passages = manifest.chunks
        pq_bytes = sum(next(m for m in (64, 48, 32, 24, 16, 8, 4, 2, 1) if info.dimension % m == 0)
                       for info in models)
        sq_bytes = sum(info.dimension for info in models)
        for kind, vector_bytes in (("ivfsq", sq_bytes), ("ivfpq", pq_bytes)):
            need = int((others + passages * (vector_bytes + 8 * len(models))) * _HEADROOM)
            if need <= available and need < sum(sizes[part] for part in used) * _HEADROOM:
                return (f"Rebuild it with `gaokerena index build --dense-kind {kind}` "
                        f"(compressed vectors, about {need / _GB:.1f} GB), or use a machine "
                        "with more memory.")
    lexical = int(sizes["lexical"] * _HEADROOM)
    if "lexical" in used and lexical <= available and len(used) > 1:
        return (f"Search it with `--mode lexical` (BM25 alone, about {lexical / _GB:.1f} GB), "
                "or use a machine with more memory.")
    return "Use a machine with more memory, or split the corpus into smaller indexes."
