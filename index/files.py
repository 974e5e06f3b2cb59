"""Files and folders that are either whole or absent: written beside the target, then renamed.

A killed run or a full disk then leaves the old file or folder (or none), never a
half-written one that looks complete. Every package that writes results (index folders,
crawl output and reports, trained models and adapters, evaluation reports) uses these;
``index`` is the base they may all import.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def temporary_sibling(path: Path) -> Path:
    """A fresh hidden name beside ``path``; renaming it over ``path`` is atomic (same folder).

    Opened with mode ``x`` rather than through ``tempfile.mkstemp``, so the file gets the
    user's usual permissions (umask) instead of mkstemp's owner-only 0600.
    """
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _write_atomic(path: Path, binary: bool, write: Callable[[IO], object]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_sibling(path)
    try:
        with (temp.open("xb") if binary else temp.open("x", encoding="utf-8")) as out:
            write(out)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to a temporary sibling of ``path`` and rename it into place."""
    _write_atomic(path, False, lambda out: out.writelines(chunks))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    _write_atomic(path, True, lambda out: out.write(data))


def write_json_atomic(path: Path, payload: Any) -> None:
    """Indented UTF-8 JSON (Persian stays readable), ending in a newline."""
    write_text_atomic(path, [json.dumps(payload, ensure_ascii=False, indent=2) + "\n"])


def write_jsonl_atomic(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """One JSON object per line."""
    write_text_atomic(path, (json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


@contextmanager
def write_file_atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` for a tool that writes a file by name.

    For writers that take a file name rather than a handle (llama.cpp's converter and
    quantizer): a block that finishes renames the temporary file over ``path``; one that
    raises removes it, and ``path`` keeps what it had.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_sibling(path)
    try:
        yield temp
        if not temp.is_file():
            raise FileNotFoundError(f"nothing was written to {temp} for {path}")
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def save_figure_atomic(figure: Any, path: Path, **savefig: Any) -> Path:
    """A matplotlib figure as PNG at ``path``; ``savefig`` options such as dpi pass through."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **savefig)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)


def _fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable; a no-op where folders cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sibling(final: Path, kind: str) -> Path:
    # The writer's pid is in the name, so a later run knows which leftovers are orphaned.
    return final.parent / f".{final.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _orphaned(path: Path) -> bool:
    """Whether the process named in a staging folder's name is gone (or the name is foreign)."""
    parts = path.name.rsplit("-", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return True
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def clear_folder_leftovers(final: Path) -> list[Path]:
    """Remove what a killed :func:`write_folder_atomic` of ``final`` left beside it.

    A half-built ``.NAME.partial-*`` folder is deleted. If the kill fell between moving the
    old folder aside and moving the new one in, ``final`` is missing and ``.NAME.old-*``
    holds the previous complete folder: it is put back. Folders of writers still running
    are left alone.
    """
    final = Path(final)
    removed: list[Path] = []
    if not final.parent.is_dir():
        return removed
    for old in sorted(final.parent.glob(f".{final.name}.old-*")):
        if not _orphaned(old):
            continue
        if not final.exists():
            os.replace(old, final)
        else:
            shutil.rmtree(old, ignore_errors=True)
            removed.append(old)
    for partial in final.parent.glob(f".{final.name}.partial-*"):
        if _orphaned(partial):
            shutil.rmtree(partial, ignore_errors=True)
            removed.append(partial)
    return removed


def replace_folder(staging: Path, final: Path) -> None:
    """Move the finished ``staging`` folder to ``final``; an older ``final`` goes only after.

    Two renames: the old folder aside, the new one in. If the second fails the old one is
    put back; if the process dies between them, :func:`clear_folder_leftovers` restores it.
    """
    old = None
    if final.exists():
        old = _sibling(final, "old")
        os.replace(final, old)
    try:
        os.replace(staging, final)
    except BaseException:
        if old is not None:
            os.replace(old, final)
        raise
    _fsync_dir(final.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def write_folder_atomic(final: Path) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``final``; a block that finishes replaces ``final``.

    If the block raises (or the process is killed) ``final`` keeps its previous content, the
    staging folder is removed (or, after a kill, by the next write of the same folder)::

        with write_folder_atomic(Path("indexes/demo")) as staging:
            (staging / "chunks.jsonl").write_text(...)
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    clear_folder_leftovers(final)
    staging = _sibling(final, "partial")
    staging.mkdir()
    try:
        yield staging
        _fsync_dir(staging)
        replace_folder(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
