"""Files that are either whole or absent: written beside the target, then renamed over it.

A killed run or a full disk then leaves the old file (or none), never a half-written one that
looks complete. Every package that writes results (crawl output and reports, training
reports, evaluation reports) uses these; ``index`` is the base they may all import.
"""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
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


def save_figure_atomic(figure: Any, path: Path, **savefig: Any) -> Path:
    """A matplotlib figure as PNG at ``path``; ``savefig`` options such as dpi pass through."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **savefig)
    write_bytes_atomic(path, buffer.getvalue())
    return Path(path)
