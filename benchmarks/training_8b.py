"""One real-size LoRA training run on a GPU: a random 8B-shaped aya model, 20 optimizer steps.

The model has aya-expanse-8b's shape (32 layers, hidden 4,096, MLP 14,336, 32 heads with 8
KV heads, vocabulary 256,000) with random bf16 weights, so no download is needed. It trains
the stage-1 recipe (`pretrain.yaml`: LoRA r=8 on all seven projections, batch 2 x
accumulation 16 of 1,024-token blocks, gradient checkpointing, bf16, FlashAttention-2 when
installed) through the same Trainer code as `gaokerena train`, on random token blocks, and
reports tokens/s, peak GPU memory and the hours the paper's data would take at that speed,
against the paper's 19 h on one A100.

Without CUDA it prints that it was skipped and exits 0; `--shape small --allow-cpu` runs the
same code on a small model on the CPU (a smoke test of the script, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SHAPES = {
    "8b": {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 256000},
    "small": {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 4096},
}
PAPER_HOURS = 19.0


def random_model(shape: str, dtype, device: str):
    import torch
    from transformers import CohereConfig, CohereForCausalLM

    config = CohereConfig(**SHAPES[shape], max_position_embeddings=8192, use_cache=False,
                          logit_scale=0.125, tie_word_embeddings=True, pad_token_id=0,
                          bos_token_id=5, eos_token_id=255001 if shape == "8b" else 7)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = CohereForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    return model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="8b")
    parser.add_argument("--steps", type=int, default=20, help="optimizer steps (default 20)")
    parser.add_argument("--recipe", default="pretrain", help="recipe for the hyper-parameters")
    parser.add_argument("--corpus-tokens", type=float, default=54e6,
                        help="stage-1 tokens in the paper (60%% of a 90M-token corpus)")
    parser.add_argument("--sft-tokens", type=float, default=6e6,
                        help="stage-2 tokens (about 20k MF3QA pairs x 300 tokens; a rough "
                        "guess, as aya's tokenizer is not available offline)")
    parser.add_argument("--allow-cpu", action="store_true", help="smoke-test on the CPU")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available() and not args.allow_cpu:
        message = "skipped: no CUDA device here (the 8B-shaped run needs a GPU with >= 40 GB)"
        print(json.dumps({"skipped": message}) if args.json else message)
        return 0

    sys.path.insert(0, str(REPO))
    import datasets
    from transformers import Trainer

    from training.modeling import add_lora, resolve_hardware
    from training.packing import PaddingCollator
    from training.recipe import load_recipe
    from training.stages import stderr_logging, training_arguments

    device_flag = "train.device=cpu" if not torch.cuda.is_available() else "train.device=cuda"
    recipe = load_recipe(args.recipe, [
        "model=random", f"train.max_steps={args.steps}", f"train.save_steps={args.steps * 10}",
        "train.logging_steps=1", "train.dataloader_workers=0", device_flag])
    hardware = resolve_hardware(recipe.train)
    dtype = torch.bfloat16 if hardware.bf16 else torch.float32
    started = time.perf_counter()
    model = random_model(args.shape, dtype, hardware.device)
    model.set_attn_implementation(hardware.attention)
    model = add_lora(model, recipe.lora)
    build_seconds = time.perf_counter() - started

    block = recipe.data.max_length
    per_step = recipe.train.batch_size * recipe.train.grad_accum
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(8, SHAPES[args.shape]["vocab_size"], (per_step * args.steps, block),
                        generator=generator).tolist()
    dataset = datasets.Dataset.from_dict({"input_ids": ids, "labels": ids,
                                          "attention_mask": [[1] * block] * len(ids)})
    with tempfile.TemporaryDirectory() as work:
        train_args = training_arguments(recipe, Path(work), hardware, progress=not args.json)
        trainer = Trainer(model=model, args=train_args, train_dataset=dataset,
                          data_collator=PaddingCollator(0))
        stderr_logging(trainer, progress=not args.json)
        if hardware.device == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
    tokens = trainer.state.num_input_tokens_seen
    rate = tokens / seconds
    total = args.corpus_tokens + args.sft_tokens
    trainable, parameters = model.get_nb_trainable_parameters()
    result = {
        "device": torch.cuda.get_device_name() if hardware.device == "cuda" else "cpu",
        "shape": args.shape, "parameters": parameters, "trainable": trainable,
        "attention": hardware.attention, "bf16": hardware.bf16,
        "fallbacks": hardware.fallbacks, "build_seconds": round(build_seconds, 1),
        "steps": trainer.state.global_step, "sequences_per_step": per_step,
        "block": block, "tokens": tokens, "seconds": round(seconds, 2),
        "seconds_per_step": round(seconds / max(trainer.state.global_step, 1), 3),
        "tokens_per_second": round(rate, 1),
        "peak_gpu_gb": (round(torch.cuda.max_memory_allocated() / 2**30, 2)
                        if hardware.device == "cuda" else None),
        "paper_tokens": total,
        "hours_for_paper_data": round(total / rate / 3600, 2),
        "paper_hours_a100": PAPER_HOURS,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(f"at this speed the paper's ~{total / 1e6:.0f}M tokens take "
          f"{result['hours_for_paper_data']} h, against {PAPER_HOURS} h on one A100 40GB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
