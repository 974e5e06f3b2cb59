"""Where llama.cpp's HF-to-GGUF converter comes from: the sdist of the installed llama-cpp-python.

The converter (``convert_hf_to_gguf.py``, its ``conversion/`` package and the ``gguf-py`` it
was released with) is not in the llama-cpp-python wheel, and the ``gguf`` package on PyPI
does not carry it. It is MIT-licensed and ships in llama-cpp-python's source distribution,
under ``vendor/llama.cpp``, at exactly the llama.cpp commit the installed runtime was built
from, so a file it writes is one that runtime reads. :func:`ensure_converter` downloads that
sdist once with pip (the package registry; pip's cache makes a second time free) and keeps
only the converter and its licence in a cache folder.

``$GAOKERENA_LLAMA_CPP`` may name any llama.cpp checkout instead (it needs
``convert_hf_to_gguf.py``, ``conversion/`` and ``gguf-py/``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from index.errors import GaokerenaError

logger = logging.getLogger(__name__)

PACKAGE = "llama-cpp-python"
SCRIPT = "convert_hf_to_gguf.py"
#: What is kept from ``vendor/llama.cpp`` (the converter and the llama.cpp licence, MIT).
KEEP = (SCRIPT, "conversion/", "gguf-py/gguf/", "gguf-py/LICENSE", "LICENSE")


class ConverterUnavailable(GaokerenaError):
    """llama.cpp's converter is not here and cannot be fetched."""


def llama_cpp_version() -> str:
    """The installed llama-cpp-python version; names the extra to install when missing."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        raise ConverterUnavailable(
            "llama-cpp-python is not installed: pip install -e '.[home]' (it builds from "
            "source; set CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" for a portable build)") from None


def converter_folder(version: str | None = None) -> Path:
    """$GAOKERENA_LLAMA_CPP, else ``$XDG_CACHE_HOME/gaokerena/llama.cpp/VERSION``.

    Not under ``$GAOKERENA_CACHE_DIR``: this is a download of a fixed third-party release,
    shared by every run, like the Hugging Face cache.
    """
    explicit = os.environ.get("GAOKERENA_LLAMA_CPP")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser()
    return base / "gaokerena" / "llama.cpp" / (version or llama_cpp_version())


def has_converter(folder: Path) -> bool:
    return all((folder / part).exists() for part in (SCRIPT, "conversion", "gguf-py/gguf"))


def ensure_converter(folder: Path | None = None) -> Path:
    """The converter folder, fetched from the matching sdist when it is not there yet."""
    folder = folder or converter_folder()
    if has_converter(folder):
        return folder
    if os.environ.get("GAOKERENA_LLAMA_CPP"):
        raise ConverterUnavailable(f"$GAOKERENA_LLAMA_CPP={folder} has no {SCRIPT}, "
                                   "conversion/ and gguf-py/: point it at a llama.cpp checkout")
    version = llama_cpp_version()
    logger.info("fetching llama.cpp's converter from the %s %s sdist into %s (once)",
                PACKAGE, version, folder)
    with tempfile.TemporaryDirectory(prefix="gaokerena-sdist-") as download:
        sdist = _download_sdist(version, Path(download))
        _extract_converter(sdist, folder)
    return folder


def _download_sdist(version: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--quiet", "--dest", str(into), f"{PACKAGE}=={version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(into.glob("*.tar.gz"))
    if result.returncode != 0 or not found:
        raise ConverterUnavailable(
            f"cannot download the {PACKAGE} {version} source distribution that holds "
            f"llama.cpp's converter ({(result.stderr or result.stdout).strip()[-300:]}). "
            "With the package registry reachable run `gaokerena export converter` once, or "
            "set GAOKERENA_LLAMA_CPP to a llama.cpp checkout.")
    return found[0]


def _extract_converter(sdist: Path, folder: Path) -> None:
    """Copy the converter's files out of the sdist into ``folder``, whole or not at all."""
    from index.files import write_folder_atomic

    with tarfile.open(sdist, "r:gz") as archive, write_folder_atomic(folder) as staging:
        kept = 0
        for member in archive:
            _, _, inside = member.name.partition("/vendor/llama.cpp/")
            if not inside or not member.isfile() or not inside.startswith(KEEP):
                continue
            target = staging / inside
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())
                kept += 1
        if not has_converter(staging):
            raise ConverterUnavailable(f"{sdist.name} has no vendor/llama.cpp/{SCRIPT}; this "
                                       "llama-cpp-python release cannot export GGUF files")
        logger.info("kept %d converter files", kept)
