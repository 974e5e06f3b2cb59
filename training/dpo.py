"""``gaokerena train dpo``: preference tuning on the web app's votes (TRL's DPOTrainer + LoRA).

The web app asks users which of two answers to the same question is better; each clear vote
is a (prompt, chosen, rejected) triple. Direct Preference Optimization trains a fresh LoRA on
the instruct model so the chosen answer becomes more likely than the rejected one, relative
to the instruct model itself (the reference is the same weights with the adapter switched
off, so no second copy is loaded). The output folder has the layout of the other stages::

    OUTPUT/
      checkpoints/checkpoint-N/   for resuming (the newest complete one is used)
      adapter/                    the LoRA + tokenizer: `--backend hf --model OUTPUT/adapter`,
                                  or `export gguf --model OUTPUT/adapter` for llamacpp
      loss.png                    DPO loss per logged step
      reward_margin.png           mean (chosen - rejected) implicit reward per step
      reward_accuracy.png         share of pairs whose chosen answer wins, per step
      votes.json                  what the votes file gave: pairs, and lines left out by reason
      summary.json                steps, steps/s, final margin and accuracy, memory, energy
      recipe.yaml                 the resolved recipe
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from training.recipe import DpoRecipe, RecipeError

logger = logging.getLogger(__name__)

STAGE = "dpo"
SUMMARY_NAME = "summary.json"
CURVES = {"loss": ("loss.png", "DPO loss"),
          "rewards/margins": ("reward_margin.png", "reward margin (chosen - rejected)"),
          "rewards/accuracies": ("reward_accuracy.png", "reward accuracy")}


def preference_dataset(pairs: Sequence[dict[str, Any]]) -> Any:
    """TRL's conversational preference format, as the votes file already holds it."""
    import datasets

    return datasets.Dataset.from_list([{key: pair[key] for key in ("prompt", "chosen",
                                                                  "rejected")}
                                       for pair in pairs])


def run_dpo(recipe: DpoRecipe, votes: str | Path, progress: bool = True,
            callbacks: Sequence[Any] = ()) -> dict[str, Any]:
    """Train a LoRA with DPO on the clear votes of ``votes``; returns the run summary.

    The votes are read and counted first, so a file with no usable pair stops in a second
    with the counts per reason, before any weights load.
    """
    import torch
    from transformers import set_seed
    from trl import DPOConfig, DPOTrainer

    from index.files import write_json_atomic
    from training.chat import ensure_chat_template
    from training.modeling import (
        load_model,
        load_tokenizer,
        lora_config,
        preflight,
        resolve_hardware,
    )
    from training.report import (
        Clock,
        energy_estimate,
        metric_points,
        peak_memory,
        plot_metric,
        write_summary,
    )
    from training.stages import (
        save_adapter,
        session_meter,
        stderr_logging,
        train_resuming,
        training_arguments,
        write_recipe,
    )
    from training.votes import read_votes, require_pairs

    clock = Clock()
    read = read_votes(votes)
    require_pairs(read, recipe.dpo.min_pairs)
    logger.info("%s", read.describe())
    out = recipe.output_path(STAGE)
    checkpoints = out / "checkpoints"
    hardware = resolve_hardware(recipe.train)
    if hardware.device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    try:
        preflight(recipe.model, None, recipe.dpo.max_length, recipe.model_help)
    except ValueError as error:
        raise RecipeError(str(error)) from None
    tokenizer = load_tokenizer(recipe.model)
    ensure_chat_template(tokenizer, recipe.model, None)
    dataset = preference_dataset(read.pairs)

    set_seed(recipe.train.seed)  # the new LoRA's initial weights depend on it
    model = load_model(recipe.model, hardware)
    peft_config = lora_config(model, recipe.lora)
    args = training_arguments(
        recipe, checkpoints, hardware, progress, DPOConfig, beta=recipe.dpo.beta,
        loss_type=[recipe.dpo.loss_type], max_length=recipe.dpo.max_length,
        truncation_mode="keep_start")
    out.mkdir(parents=True, exist_ok=True)
    if args.should_save:
        write_recipe(recipe, out)
        write_json_atomic(out / "votes.json", read.to_dict())
    meter = session_meter()
    trainer = DPOTrainer(model=model, args=args, train_dataset=dataset,
                         processing_class=tokenizer, peft_config=peft_config,
                         callbacks=[meter, *callbacks])
    stderr_logging(trainer, progress)
    result, resume, train_seconds = train_resuming(trainer, recipe, checkpoints,
                                                   args.should_save)

    state = trainer.state
    files: dict[str, str | None] = {"adapter": None}
    if args.should_save:
        metadata = {"stage": STAGE, "base_model": recipe.model, "votes": str(votes),
                    "pairs": len(read.pairs)}
        files["adapter"] = str(save_adapter(trainer.model, tokenizer, out / "adapter",
                                            metadata))
        for key, (name, label) in CURVES.items():
            curve = plot_metric(metric_points(state.log_history, key), out / name,
                                f"Gaokerena DPO: {label}", label)
            files[name.removesuffix(".png")] = str(curve) if curve else None
    steps_this_session = state.global_step - meter.start_step
    last = {key: (metric_points(state.log_history, key) or [(0, None)])[-1][1]
            for key in CURVES}
    trainable, total = trainer.model.get_nb_trainable_parameters()
    summary = {
        "stage": STAGE,
        "model": recipe.model,
        "output_dir": str(out),
        "files": files,
        "votes": read.to_dict(),
        "hardware": hardware.to_dict(),
        "parameters": {"trainable": trainable, "total": total},
        "resumed_from": str(resume) if resume else None,
        "steps": state.global_step,
        "steps_this_session": steps_this_session,
        "max_steps": state.max_steps,
        "epochs": round(float(state.epoch or 0), 4),
        "train_loss": round(float(result.training_loss), 6),
        "final_logged_loss": last["loss"],
        "final_reward_margin": last["rewards/margins"],
        "final_reward_accuracy": last["rewards/accuracies"],
        "train_seconds": round(train_seconds, 3),
        "steps_per_second": (round(steps_this_session / train_seconds, 4)
                             if train_seconds else None),
        "wall_seconds": round(clock.seconds(), 3),
        "main_process": bool(args.should_save),
        **peak_memory(),
    }
    gpus = max(args.world_size, 1) if hardware.device == "cuda" else 0
    summary["energy"] = energy_estimate(summary["wall_seconds"], hardware.device, gpus,
                                        recipe.energy)
    if args.should_save:
        write_summary(summary, out / SUMMARY_NAME)
    return summary


def check_votes_only(votes: str | Path, minimum: int = 1) -> dict[str, Any]:
    """Read and count a votes file without training (``train dpo --check-votes``)."""
    from training.votes import read_votes, require_pairs

    read = read_votes(votes)
    require_pairs(read, minimum)
    return read.to_dict()
