"""Reading corpora into documents: JSON Lines files and Hugging Face datasets.

Records come from crawls and from published datasets with different column names, so the
columns that make the text, the id and the source metadata are configurable. MF3QA-shaped
records (``id, question, answer, source``) index the doctor's answer by default, keeping the
record id so evaluation can find the relevant document again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import DataError


@dataclass(frozen=True)
class Document:
    """One source record: the text to index plus what a citation needs."""

    doc_id: str
    text: str
    site: str = ""
    url: str = ""
    title: str = ""


@dataclass(frozen=True)
class FieldConfig:
    """Which columns hold what. ``text_fields`` are joined with a blank line, in order."""

    text_fields: tuple[str, ...] = ("answer",)
    id_field: str = "id"
    site_fields: tuple[str, ...] = ("site", "source")
    url_field: str = "url"
    title_field: str = "title"

    def __post_init__(self) -> None:
        if not self.text_fields or any(not name for name in self.text_fields):
            raise ValueError("text_fields needs at least one column name, e.g. ('answer',)")


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` per non-blank line; a bad line raises with its number.

    Lines are decoded one at a time (the file is read as bytes) so that a bad byte is
    reported on its own line, not on a line a text-mode read-ahead happened to be at.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a .jsonl file") from None
    with handle:
        for line_number, raw in enumerate(handle, start=1):
            try:  # utf-8-sig: a byte-order mark from Windows editors is not text
                line = raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise DataError(
                    f"{path}:{line_number}: not UTF-8 text (byte {raw[error.start]:#04x} at "
                    f"column {error.start + 1}); re-save the file as UTF-8, e.g. "
                    "iconv -f WINDOWS-1256 -t UTF-8"
                ) from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(
                    f"{path}:{line_number}: not valid JSON ({error.msg} at column "
                    f"{error.colno}); each line must be one JSON object"
                ) from None
            if not isinstance(record, dict):
                raise DataError(
                    f"{path}:{line_number}: expected a JSON object, got "
                    f"{type(record).__name__}"
                )
            yield line_number, record


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN from spreadsheets
        return ""
    return str(value).strip()


def record_to_document(
    record: dict[str, Any], fields: FieldConfig, where: str, fallback_id: str
) -> Document | None:
    """Build a document, or ``None`` when the record has no text (skipped, and counted).

    Raises DataError when none of the text columns exists at all, which means the column
    names are wrong rather than one record being empty.
    """
    present = [name for name in fields.text_fields if name in record]
    if not present:
        raise DataError(
            f"{where}: no column {' or '.join(repr(n) for n in fields.text_fields)}; "
            f"the record has {sorted(record)}. Choose the text column with --text-field."
        )
    text = "\n\n".join(t for t in (_as_text(record.get(name)) for name in present) if t)
    if not text:
        return None
    doc_id = _as_text(record.get(fields.id_field)) or fallback_id
    site = next((_as_text(record[n]) for n in fields.site_fields if _as_text(record.get(n))), "")
    return Document(
        doc_id=doc_id,
        text=text,
        site=site,
        url=_as_text(record.get(fields.url_field)),
        title=_as_text(record.get(fields.title_field)),
    )


@dataclass
class LoadReport:
    """What loading saw, so a build can say how many records it skipped and why."""

    read: int = 0
    empty: int = 0
    duplicate_ids: list[str] = field(default_factory=list)


def load_documents(
    source: str | Path,
    fields: FieldConfig | None = None,
    split: str = "train",
    report: LoadReport | None = None,
) -> list[Document]:
    """Load documents from a ``.jsonl`` file, a saved dataset folder, or a hub dataset id.

    Raises:
        DataError: with the file and line of a malformed record, or what to do when a hub
            dataset cannot be reached.
    """
    fields = fields or FieldConfig()
    report = report if report is not None else LoadReport()
    path = Path(source)
    if path.suffix == ".json" and path.is_file():
        raise DataError(f"{path}: expected JSON Lines (one object per line, .jsonl); convert a "
                        "JSON array with: jq -c '.[]' FILE.json > FILE.jsonl")
    if path.is_file() or path.suffix == ".jsonl":
        rows: Iterator[tuple[str, dict[str, Any]]] = (
            (f"{path}:{number}", record) for number, record in iter_jsonl(path)
        )
        prefix = path.stem
    else:
        dataset = _load_dataset(str(source), split)
        rows = ((f"{source}[{i}]", dict(row)) for i, row in enumerate(dataset))
        prefix = path.name or str(source)

    documents: list[Document] = []
    seen: set[str] = set()
    for position, (where, record) in enumerate(rows):
        report.read += 1
        document = record_to_document(record, fields, where, f"{prefix}-{position}")
        if document is None:
            report.empty += 1
            continue
        if document.doc_id in seen:
            report.duplicate_ids.append(document.doc_id)
        seen.add(document.doc_id)
        documents.append(document)
    return documents


def _load_dataset(source: str, split: str) -> Any:
    """A local ``save_to_disk`` folder, a local data folder, or a hub id (needs network)."""
    import datasets

    path = Path(source)
    if path.is_dir():
        try:
            loaded = datasets.load_from_disk(str(path))
        except FileNotFoundError:
            loaded = datasets.load_dataset(str(path), split=split)
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise DataError(f"{source}: no split {split!r}; it has {sorted(loaded)}")
            loaded = loaded[split]
        return loaded
    try:
        return datasets.load_dataset(source, split=split)
    except Exception as error:  # the hub raises many types; all mean "not reachable here"
        raise DataError(
            f"{source}: not a local file or folder, and loading it as a Hugging Face dataset "
            f"failed ({type(error).__name__}: {error}). Download it where there is network "
            "(datasets.load_dataset(...).save_to_disk(DIR)) and pass DIR, or pass a .jsonl file."
        ) from None
