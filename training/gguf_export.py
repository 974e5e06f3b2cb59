"""``gaokerena export gguf``: a transformers model (plus a LoRA adapter) as one llama.cpp file.

A home computer runs an 8B model comfortably as a 4-bit GGUF in llama.cpp (about 5 GB) and
not at all as float32 in transformers (about 32 GB). The export is llama.cpp's own tooling
end to end, so the file is what llama.cpp expects:

1. the architecture is checked against llama.cpp's converter before anything is written
   (an unsupported one is named, and the export stops);
2. an adapter, if given, is merged into the base in a temporary folder beside the output;
3. llama.cpp's ``convert_hf_to_gguf.py`` (see ``training.llama_cpp_source``) writes a 16-bit
   GGUF, with the tokenizer and its chat template;
4. ``llama_cpp.llama_model_quantize`` quantizes it (``q4_k_m`` or ``q8_0``; ``f16`` keeps it);
5. the file is renamed into place whole, and ``FILE.gguf.json`` beside it records the source
   model, adapter, quantization, converter version and the file's sha256.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import GaokerenaError

logger = logging.getLogger(__name__)

#: Quantization name -> llama.cpp's ``llama_ftype`` (see llama.h): 15 is Q4_K_M, 7 Q8_0,
#: 1 F16. Numbers, not the bindings' names, so the list is known without importing llama_cpp.
QUANTS = {"q4_k_m": 15, "q8_0": 7, "f16": 1}
DRIVER = Path(__file__).with_name("gguf_convert.py")
EXIT_UNSUPPORTED = 3  # training.gguf_convert.EXIT_UNSUPPORTED (the driver runs as a script)


class ExportError(GaokerenaError):
    """A model that cannot be exported: unsupported architecture, failed conversion."""


@dataclass(frozen=True)
class ExportConfig:
    """What to export and how. ``model`` is a folder or a hub id; ``out`` ends in ``.gguf``.

    ``tokenizer_pre`` names llama.cpp's pre-tokenizer for a tokenizer it does not recognise
    (e.g. ``command-r``); ``threads`` is for quantization (0: all cores).
    """

    model: str
    out: Path
    adapter: str | None = None
    quant: str = "q4_k_m"
    tokenizer_pre: str | None = None
    threads: int = 0

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model is empty; give a model folder or a hub id")
        if self.quant not in QUANTS:
            raise ValueError(f"quant must be one of {', '.join(QUANTS)}, got {self.quant!r}")
        if Path(self.out).suffix != ".gguf":
            raise ValueError(f"out must be a .gguf file, e.g. models/gaokerena-q4_k_m.gguf, "
                             f"got {str(self.out)!r}")
        if self.threads < 0:
            raise ValueError(f"threads must be >= 0 (0: all cores), got {self.threads}")


def metadata_path(gguf: Path) -> Path:
    """``FILE.gguf.json``: the export's record, beside the file it describes."""
    return gguf.with_name(gguf.name + ".json")


def resolve_model(model: str, adapter: str | None) -> tuple[Path, str | None, str]:
    """(local model folder, adapter, the base's name) for a folder, an adapter folder or an id.

    An adapter-only folder (``adapter_config.json``, as ``train dpo`` writes) stands for its
    base plus itself, as ``--backend hf --model ADAPTER_DIR`` does.
    """
    folder = Path(model).expanduser()
    if folder.is_dir() and adapter is None and (folder / "adapter_config.json").is_file():
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
        base = config.get("base_model_name_or_path")
        if not base:
            raise ExportError(f"{folder}/adapter_config.json names no base model; pass it "
                              "with --model and this folder with --adapter")
        return resolve_model(base, str(folder))[0], str(folder), base
    if folder.is_dir():
        return folder, adapter, model
    if model.startswith((".", "/", "~")):
        raise ExportError(f"{model}: no such model folder")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(model)), adapter, model
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as error:
        raise ExportError(f"cannot get the model {model!r} ({type(error).__name__}). Offline, "
                          "a hub id must already be in the Hugging Face cache; or pass a "
                          "model folder") from None


def _driver(converter: Path, *args: str) -> dict[str, Any]:
    """Run ``training/gguf_convert.py`` in a child process; its JSON result or an ExportError."""
    command = [sys.executable, str(DRIVER), str(converter), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-6:]
        if result.returncode == EXIT_UNSUPPORTED:
            raise ExportError(f"{tail[-1]}; nothing was written")
        raise ExportError("llama.cpp's converter failed: " + " | ".join(tail))
    for line in result.stderr.splitlines():
        if "WARNING" in line:
            logger.warning("%s", line)
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_architecture(converter: Path, model_dir: Path) -> str:
    """The model's architecture, if llama.cpp's converter supports it; else ExportError."""
    return _driver(converter, str(model_dir), "-", "f16", "--check")["architecture"]


def convert(converter: Path, model_dir: Path, out: Path, tokenizer_pre: str | None) -> dict:
    args = [str(model_dir), str(out), "f16"]
    if tokenizer_pre:
        args += ["--tokenizer-pre", tokenizer_pre]
    return _driver(converter, *args)


def quantize(source: Path, out: Path, quant: str, threads: int = 0) -> None:
    """llama.cpp's quantizer, in this process (it streams tensor by tensor)."""
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANTS[quant]
    params.nthread = threads
    status = llama_cpp.llama_model_quantize(str(source).encode(), str(out).encode(), params)
    if status != 0 or not out.is_file():
        raise ExportError(f"llama.cpp could not quantize {source} to {quant} (status {status})")


def export_gguf(config: ExportConfig, converter: Path | None = None) -> dict[str, Any]:
    """Export, quantize and describe one model; returns what ``FILE.gguf.json`` holds."""
    import llama_cpp  # noqa: F401  the quantizer: fail now, not after a merge

    from index.files import write_file_atomic, write_json_atomic
    from index.manifest import sha256_file
    from training.llama_cpp_source import ensure_converter, llama_cpp_version

    started = time.perf_counter()
    converter = ensure_converter(converter)
    model_dir, adapter, base = resolve_model(config.model, config.adapter)
    architecture = check_architecture(converter, model_dir)
    out = Path(config.out).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.work-") as work:
        source = model_dir
        if adapter:
            clock = time.perf_counter()
            source = _merge(base, adapter, Path(work) / "merged")
            timings["merge_seconds"] = round(time.perf_counter() - clock, 3)
        with write_file_atomic(out) as staged:
            clock = time.perf_counter()
            converted = staged if config.quant == "f16" else Path(work) / "f16.gguf"
            result = convert(converter, source, converted, config.tokenizer_pre)
            timings["convert_seconds"] = round(time.perf_counter() - clock, 3)
            if config.quant != "f16":
                clock = time.perf_counter()
                quantize(converted, staged, config.quant, config.threads)
                timings["quantize_seconds"] = round(time.perf_counter() - clock, 3)
    if not result["chat_template"]:
        logger.warning("%s has no chat template; the llamacpp backend will use the project's "
                       "aya template", out)
    record = {
        "file": out.name,
        "source_model": base,
        "adapter": adapter,
        "architecture": architecture,
        "quant": config.quant,
        "chat_template": result["chat_template"],
        "tokenizer_pre_fallback": result["tokenizer_pre"],
        "bytes": out.stat().st_size,
        "sha256": sha256_file(out),
        "converter": f"llama.cpp from llama-cpp-python {llama_cpp_version()}",
        **timings,
        "seconds": round(time.perf_counter() - started, 3),
    }
    write_json_atomic(metadata_path(out), record)
    return record


def _merge(base: str, adapter: str, out: Path) -> Path:
    """Write ``base`` with ``adapter`` folded in (and the adapter's tokenizer, if it has one)."""
    from training.modeling import ModelUnavailable, load_merged, load_tokenizer

    try:
        model = load_merged(base, adapter)
        tokenizer_from = adapter if (Path(adapter) / "tokenizer_config.json").is_file() else base
        tokenizer = load_tokenizer(tokenizer_from)
    except ModelUnavailable as error:
        raise ExportError(str(error)) from None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    logger.info("merged %s into %s in %s", adapter, base, out)
    return out
