"""Loading the model to train: hardware choices, the base model, merged and new adapters.

bf16 and FlashAttention-2 are what the paper trained with, but they need an Ampere-or-newer
GPU (the SFT notebook's own T4 metadata could not have run them). Here they are requests:
without a suitable GPU the run goes on in float32 with PyTorch's SDPA attention, logs a
warning, and the run summary lists the fallback, so a slow CPU run is never mistaken for the
paper's setting. A hub id that is not in the local cache fails fast offline, naming the fix.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import GaokerenaError
from training.recipe import LoraSettings, TrainSettings

logger = logging.getLogger(__name__)


class ModelUnavailable(GaokerenaError):
    """A model, tokenizer or adapter that cannot be loaded here."""


@dataclass
class Hardware:
    """What the run actually uses, after the fallbacks."""

    device: str
    bf16: bool
    attention: str
    fallbacks: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "bf16": self.bf16, "attention": self.attention,
                "fallbacks": list(self.fallbacks)}


def resolve_hardware(train: TrainSettings) -> Hardware:
    """Pick device, precision and attention; every downgrade is logged and recorded."""
    import torch

    cuda = torch.cuda.is_available()
    fallbacks: list[str] = []
    device = train.device
    if device == "auto":
        device = "cuda" if cuda else "cpu"
    elif device == "cuda" and not cuda:
        raise ModelUnavailable("train.device=cuda but no CUDA GPU is visible; use "
                               "train.device=auto or cpu")
    bf16 = False
    if train.bf16:
        if device == "cuda" and torch.cuda.is_bf16_supported():
            bf16 = True
        else:
            fallbacks.append("bf16 was asked for, but there is no bf16-capable GPU: training "
                             "in float32")
    attention = "sdpa"
    if train.flash_attention:
        from transformers.utils import is_flash_attn_2_available

        if device == "cuda" and is_flash_attn_2_available():
            attention = "flash_attention_2"
        else:
            fallbacks.append("FlashAttention-2 was asked for, but it needs a CUDA GPU and the "
                             "flash-attn package: using PyTorch SDPA attention")
    for message in fallbacks:
        logger.warning(message)
    return Hardware(device=device, bf16=bf16, attention=attention, fallbacks=fallbacks)


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}


def _hint(name: str, what: str, reason: str) -> str:
    return (f"cannot load the {what} {name!r}: {reason}. Offline, a hub id must already be in "
            "the Hugging Face cache: run once with network access, or download it elsewhere "
            "and pass its folder (model=DIR / base_adapter=DIR).")


def _from_pretrained(loader: Any, name: str, what: str, missing_help: str | None = None,
                     **kwargs: Any) -> Any:
    """Load a folder as it is; a hub id from the cache first, then (online) from the hub.

    ``missing_help`` (a recipe's ``model_help``) is added when ``name`` is neither a folder
    here nor a model the hub gives, e.g. how to build the tiny recipe's local model.
    """
    try:
        return _load(loader, name, what, **kwargs)
    except ModelUnavailable as error:
        if missing_help and not Path(name).expanduser().exists():
            raise ModelUnavailable(f"{error} {missing_help}") from None
        raise


def _load(loader: Any, name: str, what: str, **kwargs: Any) -> Any:
    path = Path(name).expanduser()
    if path.exists():
        try:
            # Absolute, so an adapter records a base path that works from any folder.
            return loader.from_pretrained(str(path.resolve()), **kwargs)
        except (OSError, ValueError, KeyError) as error:
            raise ModelUnavailable(f"{name}: not a loadable {what} folder "
                                   f"({type(error).__name__}: {str(error)[:200]})") from None
    if _path_like(name):
        raise ModelUnavailable(f"{name}: no such {what} folder")
    try:
        return loader.from_pretrained(name, local_files_only=True, **kwargs)
    except (OSError, ValueError):
        if _offline():
            raise ModelUnavailable(_hint(name, what, f"there is no folder {name} here, it is "
                                         "not in the local cache and HF_HUB_OFFLINE is set"
                                         )) from None
    import huggingface_hub

    try:
        huggingface_hub.model_info(name, timeout=10)
    except Exception as error:
        raise ModelUnavailable(_hint(name, what, f"there is no folder {name} here, and the "
                                     "Hugging Face hub is not reachable "
                                     f"({type(error).__name__})")) from None
    try:
        return loader.from_pretrained(name, **kwargs)
    except (OSError, ValueError) as error:
        raise ModelUnavailable(_hint(name, what, f"{type(error).__name__}: {error}")) from None


def _path_like(name: str) -> bool:
    return name.startswith((".", "/", "~")) or name.count("/") > 1


def preflight(model: str, base_adapter: str | None, max_length: int,
              model_help: str | None = None) -> Any:
    """Check what can be checked in a second, before the data and the weights load.

    Returns the model's config. Raises ModelUnavailable or ValueError naming the key to fix.
    """
    from transformers import AutoConfig

    if base_adapter and _path_like(base_adapter) and not Path(base_adapter).expanduser().is_dir():
        raise ModelUnavailable(f"base_adapter {base_adapter!r}: no such adapter folder (train "
                               "stage 1 first, or set base_adapter=null)")
    config = _from_pretrained(AutoConfig, model, "model config", model_help)
    positions = getattr(config, "max_position_embeddings", None)
    if positions and max_length > positions:
        raise ValueError(f"data.max_length={max_length} is longer than the model's "
                         f"{positions} positions; use at most {positions}")
    return config


def load_tokenizer(name: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = _from_pretrained(AutoTokenizer, name, "tokenizer")
    if tokenizer.eos_token_id is None:
        raise ModelUnavailable(f"the tokenizer of {name!r} has no EOS token; documents could "
                               "not be separated when packing")
    if tokenizer.pad_token_id is None:
        # Padding positions never reach the loss (mask 0, label -100), so EOS is safe here.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name: str, hardware: Hardware, base_adapter: str | None = None) -> Any:
    """The base causal LM on its device, with ``base_adapter`` merged into it if given."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if hardware.bf16 else torch.float32
    model = _from_pretrained(AutoModelForCausalLM, name, "model", dtype=dtype,
                             attn_implementation=hardware.attention)
    model.config.use_cache = False  # incompatible with gradient checkpointing, unused here
    # Under accelerate/torchrun each process owns one GPU: never stack them all on cuda:0.
    local_rank = int(os.environ.get("LOCAL_RANK", "0") or 0)
    model.to(f"cuda:{local_rank}" if hardware.device == "cuda" else hardware.device)
    if base_adapter:
        model = merge_adapter(model, name, base_adapter)
    return model


def merge_adapter(model: Any, base: str, adapter: str) -> Any:
    """Apply a LoRA adapter and fold it into the weights (stage 2 starts from stage 1)."""
    from peft import PeftModel

    if not Path(adapter).expanduser().exists() and _offline():
        raise ModelUnavailable(_hint(adapter, "adapter", "no such folder, and HF_HUB_OFFLINE "
                                     "is set"))
    try:
        merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    except (OSError, ValueError, RuntimeError, KeyError) as error:
        raise ModelUnavailable(
            f"cannot merge the adapter {adapter!r} into {base!r} ({type(error).__name__}: "
            f"{str(error)[:200]}). It must be a LoRA adapter folder trained on this base, such "
            "as runs/pretrain/adapter."
        ) from None
    logger.info("merged adapter %s into %s", adapter, base)
    return merged


def lora_config(model: Any, settings: LoraSettings) -> Any:
    """peft's LoraConfig for ``settings``, after checking its target modules are in ``model``."""
    from peft import LoraConfig

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    missing = [m for m in settings.target_modules if m not in present]
    if missing:
        linear = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                         if type(module).__name__ == "Linear"})
        raise ModelUnavailable(f"lora.target_modules {missing} are not in this model; its "
                               f"linear layers are {linear}")
    return LoraConfig(r=settings.r, lora_alpha=settings.alpha, lora_dropout=settings.dropout,
                      target_modules=list(settings.target_modules), bias=settings.bias,
                      task_type="CAUSAL_LM")


def add_lora(model: Any, settings: LoraSettings) -> Any:
    """Wrap ``model`` with a fresh LoRA; only the adapter's parameters train."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(model, settings))


def load_merged(name: str, adapter: str) -> Any:
    """``name`` with ``adapter`` folded in, on the CPU in the model's own dtype (export).

    Export writes the merged weights once and converts them; keeping the saved dtype
    (bfloat16 for aya-expanse) halves the memory and disk a float32 copy would take.
    """
    from transformers import AutoModelForCausalLM

    model = _from_pretrained(AutoModelForCausalLM, name, "model", dtype="auto")
    return merge_adapter(model, name, adapter)
