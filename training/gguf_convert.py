"""Run llama.cpp's own HF-to-GGUF converter on one model folder (a child process's script).

``training.gguf_export`` starts this file with ``python gguf_convert.py CONVERTER MODEL OUT
OUTTYPE`` in a separate process: the converter is imported from its own folder (with the
``gguf-py`` it was released with, never a different ``gguf``), its memory is returned before
quantization starts, and its module state never reaches the caller. Only the standard library
is imported here; the converter brings torch, numpy and transformers.

Two things are added to the converter's own behaviour, both logged:

* The architecture is looked up in the converter's registry before anything is written; one
  it cannot convert exits with :data:`EXIT_UNSUPPORTED` and its name.
* A byte-level BPE tokenizer whose pre-tokenizer hash llama.cpp does not list (any tokenizer
  trained by its owner, as the tests' tiny one is) gets the pre-tokenizer its
  ``tokenizer.json`` declares when that is unambiguous: a bare ``ByteLevel`` with GPT-2's
  regex is llama.cpp's ``gpt-2``. ``--tokenizer-pre NAME`` names it explicitly.

On success the last line of stdout is a JSON object: architecture, tokenizer_pre (or null),
chat_template (whether the GGUF has one).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

EXIT_UNSUPPORTED = 3
EXIT_TOKENIZER = 4
logger = logging.getLogger("gaokerena.gguf_convert")


def declared_pre_tokenizer(model_dir: Path) -> str | None:
    """llama.cpp's pre-tokenizer name for what ``tokenizer.json`` declares, if unambiguous.

    Only a bare byte-level pre-tokenizer with the GPT-2 regex and no normalizer maps to one
    name (``gpt-2``); anything else (digit splitting, Metaspace, sequences) returns None.
    """
    path = model_dir / "tokenizer.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pre = data.get("pre_tokenizer") or {}
    if data.get("normalizer") is None and pre.get("type") == "ByteLevel" and \
            pre.get("use_regex", True):
        return "gpt-2"
    return None


def _patched(model_class, tokenizer_pre: str | None, model_dir: Path):
    """The converter's class for this architecture, with the pre-tokenizer fallback."""

    def get_vocab_base_pre(self, tokenizer):
        quiet = logging.getLogger("hf-to-gguf")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # its banner is replaced by the message below
        try:
            return model_class.get_vocab_base_pre(self, tokenizer)
        except NotImplementedError:
            name = tokenizer_pre or declared_pre_tokenizer(model_dir)
            if name is None:
                raise
            logger.warning("llama.cpp does not list this tokenizer's pre-tokenizer; using %r "
                           "(%s)", name, "--tokenizer-pre" if tokenizer_pre else
                           "declared by tokenizer.json")
            self._gaokerena_pre = name
            return name
        finally:
            quiet.setLevel(level)

    return type(model_class.__name__, (model_class,), {
        "model_arch": model_class.model_arch, "get_vocab_base_pre": get_vocab_base_pre})


def convert(converter: Path, model_dir: Path, out: Path, outtype: str,
            tokenizer_pre: str | None = None, check: bool = False) -> dict:
    """Convert ``model_dir`` to ``out``; raises SystemExit with a message on known failures.

    With ``check`` only the architecture is looked up and nothing is written.
    """
    sys.path.insert(0, str(converter / "gguf-py"))
    sys.path.insert(0, str(converter))
    import gguf
    import torch
    from conversion import ModelBase, ModelType, get_model_architecture, get_model_class

    hparams = ModelBase.load_hparams(model_dir, False)
    architecture = get_model_architecture(hparams, ModelType.TEXT)
    try:
        model_class = get_model_class(architecture)
    except NotImplementedError:
        print(f"llama.cpp's converter cannot convert the architecture {architecture!r}",
              file=sys.stderr)
        raise SystemExit(EXIT_UNSUPPORTED) from None
    if check:
        return {"architecture": architecture}
    ftype = {"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
             "bf16": gguf.LlamaFileType.MOSTLY_BF16,
             "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[outtype]
    with torch.inference_mode():
        instance = _patched(model_class, tokenizer_pre, model_dir)(model_dir, ftype, out)
        try:
            instance.write()
        except NotImplementedError as error:
            if "pre-tokenizer" in str(error):
                print("llama.cpp does not recognise this tokenizer's pre-tokenizer and "
                      "tokenizer.json does not declare an unambiguous one; pass "
                      "--tokenizer-pre NAME (e.g. gpt-2, command-r, llama-bpe)",
                      file=sys.stderr)
                raise SystemExit(EXIT_TOKENIZER) from None
            raise
    template = instance.gguf_writer.kv_data[0].get(gguf.Keys.Tokenizer.CHAT_TEMPLATE)
    return {"architecture": architecture,
            "tokenizer_pre": getattr(instance, "_gaokerena_pre", None),
            "chat_template": template is not None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("converter", type=Path, help="folder with convert_hf_to_gguf.py")
    parser.add_argument("model", type=Path, help="a transformers model folder")
    parser.add_argument("out", type=Path, help="the GGUF file to write")
    parser.add_argument("outtype", choices=("f32", "f16", "bf16", "q8_0"))
    parser.add_argument("--tokenizer-pre")
    parser.add_argument("--check", action="store_true",
                        help="only check that the architecture is supported")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    result = convert(args.converter, args.model, args.out, args.outtype, args.tokenizer_pre,
                     args.check)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
