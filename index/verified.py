"""Checksums verified once per index version, not on every load.

Hashing every file of an index takes a second at 100k passages and several at a million (the
vectors alone are 2 GB), on every ``gaokerena ask``. After one full verification a small
stamp records the manifest's digest and each file's size and modification time; a load that
finds the same manifest and the same sizes and times skips the hashing. A file rewritten in
place changes its time (and usually its size) and is hashed again. The stamps live in the
user's cache folder (``$GAOKERENA_CACHE_DIR``, else ``$XDG_CACHE_HOME/gaokerena``, else
``~/.cache/gaokerena``), so a read-only index folder works; a cache that cannot be written
only means the next load hashes again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from index.files import write_json_atomic
from index.manifest import MANIFEST_NAME, Manifest, verify_files

logger = logging.getLogger(__name__)


def cache_folder() -> Path:
    explicit = os.environ.get("GAOKERENA_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "gaokerena"


def _file_states(folder: Path, manifest: Manifest) -> dict[str, list[int]] | None:
    states = {}
    for relative in [MANIFEST_NAME, *manifest.files]:
        try:
            info = (folder / relative).stat()
        except OSError:
            return None
        states[relative] = [info.st_size, info.st_mtime_ns]
    return states


def _stamp_path(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:32]
    return cache_folder() / "verified" / f"{key}.json"


def verify_files_once(folder: Path, manifest: Manifest) -> bool:
    """Verify ``folder``'s checksums unless this exact version was verified before.

    Returns True when the files were hashed, False when a stamp vouched for them.

    Raises:
        IndexFormatError: a file is missing or differs from its checksum.
    """
    folder = Path(folder)
    digest = hashlib.sha256(manifest.to_json().encode("utf-8")).hexdigest()
    states = _file_states(folder, manifest)
    stamp = _stamp_path(folder)
    if states is not None:
        try:
            recorded = json.loads(stamp.read_text(encoding="utf-8"))
            if recorded == {"manifest": digest, "files": states}:
                return False
        except (OSError, ValueError):
            pass
    verify_files(folder, manifest)
    if states is not None:
        try:
            write_json_atomic(stamp, {"manifest": digest, "files": states})
        except OSError as error:
            logger.info("could not remember the verification of %s (%s)", folder, error)
    return True
