"""One adapter for both stages: stage 1's LoRA and stage 2's, concatenated.

Stage 2 trains a new LoRA on the base with stage 1 folded in, so its adapter alone is only
right on top of that merged model, which exists nowhere on disk (the paper merged it in
memory). LoRA updates add up: ``W + s1·B1·A1 + s2·B2·A2 = W + [s1·B1, s2·B2]·[A1; A2]``, so the
two adapters are exactly one adapter of rank r1 + r2 with scaling 1. That adapter loads on
the plain base with peft (and ``gaokerena ask --adapter``), with no 16 GB merged copy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index.errors import GaokerenaError

CONFIG = "adapter_config.json"
WEIGHTS = "adapter_model.safetensors"


class AdapterError(GaokerenaError):
    """Adapters that cannot be combined (not plain LoRA on linear layers)."""


def adapter_folder(name: str) -> Path:
    """A local adapter folder, or the cached snapshot of a hub adapter id."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except Exception as error:
        raise AdapterError(f"adapter {name!r} is neither a folder nor in the Hugging Face "
                           f"cache ({type(error).__name__})") from None


def _config(folder: Path) -> dict[str, Any]:
    config = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
    problems = []
    if config.get("peft_type") != "LORA":
        problems.append(f"peft_type {config.get('peft_type')!r}")
    if config.get("bias", "none") != "none":
        problems.append(f"bias {config.get('bias')!r}")
    for key in ("modules_to_save", "rank_pattern", "alpha_pattern"):
        if config.get(key):
            problems.append(key)
    for key in ("use_dora", "use_rslora"):
        if config.get(key):
            problems.append(key)
    if problems:
        raise AdapterError(f"{folder}: cannot concatenate this adapter ({', '.join(problems)}); "
                           "only plain LoRA adapters on linear layers add up exactly")
    return config


def concat_lora(first: Path, second: Path, out: Path) -> dict[str, Any]:
    """Write to ``out`` the rank r1+r2 adapter equal to ``first`` then ``second``."""
    import torch
    from safetensors.torch import load_file, save_file

    config1, config2 = _config(first), _config(second)
    scale1 = config1["lora_alpha"] / config1["r"]
    scale2 = config2["lora_alpha"] / config2["r"]
    weights1, weights2 = load_file(first / WEIGHTS), load_file(second / WEIGHTS)

    def modules(weights: dict[str, torch.Tensor]) -> set[str]:
        return {key.rsplit(".lora_", 1)[0] for key in weights if ".lora_" in key}

    def pair(weights, module, rank, like):
        a, b = weights.get(f"{module}.lora_A.weight"), weights.get(f"{module}.lora_B.weight")
        if a is None:  # the module is not adapted in this stage: a zero update
            a = torch.zeros(rank, like[0].shape[1])
            b = torch.zeros(like[1].shape[0], rank)
        return a.float(), b.float()

    combined: dict[str, torch.Tensor] = {}
    for module in sorted(modules(weights1) | modules(weights2)):
        present = weights1 if f"{module}.lora_A.weight" in weights1 else weights2
        like = (present[f"{module}.lora_A.weight"], present[f"{module}.lora_B.weight"])
        a1, b1 = pair(weights1, module, config1["r"], like)
        a2, b2 = pair(weights2, module, config2["r"], like)
        combined[f"{module}.lora_A.weight"] = torch.cat([a1, a2], dim=0).contiguous()
        combined[f"{module}.lora_B.weight"] = torch.cat([b1 * scale1, b2 * scale2],
                                                        dim=1).contiguous()
    rank = config1["r"] + config2["r"]
    targets = sorted(set(config1["target_modules"]) | set(config2["target_modules"]))
    config = {**config2, "r": rank, "lora_alpha": rank, "target_modules": targets,
              "lora_dropout": 0.0, "base_model_name_or_path": config1["base_model_name_or_path"]}
    save_file(combined, out / WEIGHTS, metadata={"format": "pt"})
    (out / CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
    return config
