"""The two Gaokerena training stages on transformers' Trainer with a peft LoRA.

Stage 1 (``pretrain``) continues causal-LM training on packed corpus blocks; stage 2
(``instruct``) merges the stage-1 adapter into the base, adds a new LoRA and trains on chat
examples. Both write the same folder layout, so a run can be inspected, resumed and loaded
by the assistant (``gaokerena ask --backend hf --model DIR/merged`` or ``--adapter
DIR/adapter``)::

    OUTPUT/
      checkpoints/checkpoint-N/   Trainer checkpoints (complete ones only), for resuming
      adapter/                    the trained LoRA adapter + tokenizer
      merged/                     with merge: the base with the adapter folded in
      loss.png                    training loss per logged step
      summary.json                steps, tokens/s, memory, time, estimated energy and CO2
      recipe.yaml                 the resolved recipe of the run

Multi-GPU: the same command under ``accelerate launch`` trains data-parallel; the Trainer
handles the processes, and only the main one writes files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import DataError
from training.recipe import STAGES, Recipe, RecipeError

logger = logging.getLogger(__name__)

SUMMARY_NAME = "summary.json"
METADATA_NAME = "gaokerena_training.json"


@dataclass
class DatasetStats:
    """How the text became examples (blocks or conversations)."""

    examples: int = 0
    tokens: int = 0
    padding: int = 0
    label_tokens: int = 0
    dropped: int = 0
    truncated: int = 0
    read: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "tokens": self.tokens, "padding": self.padding,
                "label_tokens": self.label_tokens, "dropped": self.dropped,
                "truncated": self.truncated, **{f"records_{k}": v for k, v in self.read.items()}}


def pretrain_dataset(texts: Sequence[str], tokenizer: Any, block_size: int, num_proc: int = 1,
                     stats: DatasetStats | None = None, positions: bool = False) -> Any:
    """Tokenize documents, add BOS/EOS, pack into ``block_size`` blocks (a ``Dataset``).

    ``positions`` adds per-document ``position_ids`` (for ``data.isolate_documents``).
    """
    import datasets

    from training.packing import pack_blocks, with_boundaries

    stats = stats if stats is not None else DatasetStats()
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id

    def tokenize(batch: dict[str, list]) -> dict[str, list]:
        ids = tokenizer(batch["text"], add_special_tokens=False)["input_ids"]
        return {"ids": [with_boundaries(row, bos, eos) for row in ids]}

    def pack(batch: dict[str, list]) -> dict[str, list]:
        return pack_blocks(batch["ids"], block_size, pad, positions=positions)

    table = datasets.Dataset.from_dict({"text": list(texts)})
    procs = num_proc if len(table) >= 1000 * num_proc else None
    tokenized = table.map(tokenize, batched=True, remove_columns=["text"], num_proc=procs,
                          desc="tokenizing")
    # Large batches: only the last block of each batch is padded.
    packed = tokenized.map(pack, batched=True, batch_size=20_000, remove_columns=["ids"],
                           desc=f"packing into {block_size}-token blocks")
    import pyarrow.compute as pc

    # Counted in Arrow: a Python list of every mask would take gigabytes on the real corpus.
    lengths = pc.list_value_length(tokenized.data.column("ids"))
    stats.examples = len(packed)
    stats.tokens = int(pc.sum(lengths).as_py() or 0)
    stats.padding = stats.examples * block_size - stats.tokens
    stats.label_tokens = stats.tokens
    return packed


def instruct_dataset(pairs: Sequence[tuple[str, str]], tokenizer: Any, max_length: int,
                     train_on_prompt: bool, stats: DatasetStats | None = None,
                     progress: bool = True) -> Any:
    """Chat examples with assistant-only labels (or all labels with ``train_on_prompt``)."""
    import datasets
    from tqdm.auto import tqdm

    from training.chat import chat_example, pair_messages
    from training.packing import IGNORE_INDEX

    stats = stats if stats is not None else DatasetStats()
    rows: dict[str, list] = {"input_ids": [], "attention_mask": [], "labels": []}
    for question, answer in tqdm(pairs, desc="rendering chat examples", disable=not progress):
        example = chat_example(tokenizer, pair_messages(question, answer), max_length + 1,
                               train_on_prompt)
        if example is not None and len(example["input_ids"]) > max_length:
            stats.truncated += 1
            example = {key: value[:max_length] for key, value in example.items()}
            if all(label == IGNORE_INDEX for label in example["labels"]):
                example = None
        if example is None:
            stats.dropped += 1
            continue
        for key in rows:
            rows[key].append(example[key])
        stats.tokens += len(example["input_ids"])
        stats.label_tokens += sum(label != IGNORE_INDEX for label in example["labels"])
    if not rows["input_ids"]:
        raise DataError(f"no training example is left: all {len(pairs)} conversations lost "
                        f"their answer to data.max_length={max_length}; raise it")
    stats.examples = len(rows["input_ids"])
    return datasets.Dataset.from_dict(rows)


def check_optimizer(name: str) -> None:
    """transformers' optimizer names; checked before any data or weights load."""
    from transformers.training_args import OptimizerNames

    allowed = [o.value for o in OptimizerNames]
    if name not in allowed:
        raise RecipeError(f"recipe key 'train.optimizer' is {name!r}; allowed values: "
                          f"{', '.join(allowed)}")


def training_arguments(recipe: Any, checkpoints: Path, hardware: Any, progress: bool,
                       arguments_class: Any = None, **extra: Any) -> Any:
    """TrainingArguments from the recipe's ``train`` section; a value transformers rejects
    names its key. ``arguments_class`` is a subclass such as TRL's DPOConfig, ``extra`` its
    own fields."""
    from transformers import TrainingArguments

    train = recipe.train
    check_optimizer(train.optimizer)
    workers = train.dataloader_workers
    return (arguments_class or TrainingArguments)(
        output_dir=str(checkpoints),
        num_train_epochs=train.epochs,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.batch_size,
        gradient_accumulation_steps=train.grad_accum,
        optim=train.optimizer,
        learning_rate=train.learning_rate,
        lr_scheduler_type=train.scheduler,
        warmup_steps=train.warmup_ratio,  # a float below 1 is a ratio of the total steps
        weight_decay=train.weight_decay,
        max_grad_norm=train.max_grad_norm,
        activation_checkpointing=train.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False},
        bf16=hardware.bf16,
        use_cpu=hardware.device == "cpu",
        logging_steps=train.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=train.save_total_limit,
        seed=train.seed,
        data_seed=train.seed,
        dataloader_num_workers=workers,
        dataloader_persistent_workers=workers > 0,
        remove_unused_columns=False,
        ddp_find_unused_parameters=False,  # LoRA: frozen base weights never get gradients
        include_num_input_tokens_seen="non_padding",
        report_to="none",
        disable_tqdm=not progress,
        **extra,
    )


def resume_from(recipe: Any, checkpoints: Path) -> Path | None:
    from training.checkpoints import is_complete, latest_checkpoint

    choice = recipe.train.resume
    if choice == "never":
        return None
    if choice == "auto":
        return latest_checkpoint(checkpoints)
    path = Path(choice).expanduser()
    if not is_complete(path):
        raise RecipeError(f"train.resume={choice!r} is not a complete checkpoint folder (no "
                          "trainer_state.json); use auto, never or a checkpoint-N folder")
    return path


def train_resuming(trainer: Any, recipe: Any, checkpoints: Path, should_save: bool
                   ) -> tuple[Any, Path | None, float]:
    """Run ``trainer`` from the checkpoint ``train.resume`` picks, keeping only complete
    checkpoints; returns (train result, the checkpoint resumed from, training seconds)."""
    from training.checkpoints import complete_checkpoints
    from training.report import Clock

    clock = Clock()
    with complete_checkpoints(checkpoints, should_save):
        resume = resume_from(recipe, checkpoints)
        if resume is not None:
            logger.info("resuming from %s", resume)
        result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    return result, resume, clock.seconds()


def write_recipe(recipe: Any, out: Path) -> None:
    import yaml

    from index.files import write_text_atomic

    previous = out / "recipe.yaml"
    text = yaml.safe_dump(recipe.to_dict(), allow_unicode=True, sort_keys=False)
    if previous.is_file() and previous.read_text(encoding="utf-8") != text:
        logger.warning("%s differs from this run's recipe; resuming a checkpoint with other "
                       "settings mixes two runs", previous)
    write_text_atomic(previous, [text])


def session_meter() -> Any:
    """A callback that notes tokens seen at the start of this session (for tokens/s)."""
    from transformers import TrainerCallback

    class Meter(TrainerCallback):
        start_tokens = 0
        start_step = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.start_tokens = state.num_input_tokens_seen
            self.start_step = state.global_step

    return Meter()


def stderr_logging(trainer: Any, progress: bool) -> None:
    """Keep stdout for the command's own output (``--json``): step logs go to stderr."""
    import sys

    from tqdm.auto import tqdm
    from transformers import PrinterCallback, ProgressCallback

    class StderrProgress(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and self.training_bar is not None and logs:
                shown = {k: (f"{v:.4g}" if isinstance(v, float) else v)
                         for k, v in logs.items() if k != "total_flos"}
                tqdm.write(str(shown), file=sys.stderr)

    class LoggerCallback(PrinterCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                logger.info("step %s: %s", state.global_step,
                            {k: v for k, v in logs.items() if k != "total_flos"})

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(StderrProgress() if progress else LoggerCallback())


def _save_folder(model: Any, tokenizer: Any, out: Path, metadata: dict[str, Any],
                 what: str) -> Path:
    """``model`` (an adapter or a whole model), its tokenizer and our metadata, all or none."""
    from training.checkpoints import atomic_folder

    with atomic_folder(out, what) as staging:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        _write_metadata(staging, metadata)
    return out


def _write_metadata(folder: Path, metadata: dict[str, Any]) -> None:
    (folder / METADATA_NAME).write_text(json.dumps(metadata, ensure_ascii=False, indent=2),
                                        encoding="utf-8")


def save_adapter(model: Any, tokenizer: Any, out: Path, metadata: dict[str, Any]) -> Path:
    return _save_folder(model, tokenizer, out, metadata, "the adapter")


def save_adapters(model: Any, tokenizer: Any, out: Path, recipe: Recipe,
                  stage: str) -> dict[str, str]:
    """Write ``adapter/`` (apply it to ``recipe.model`` to get the trained model).

    With a ``base_adapter`` merged first, the LoRA trained here is ``stage_adapter/`` and
    ``adapter/`` is the two concatenated (see training.adapters), so that either way
    ``adapter/`` on the plain base is the whole result.
    """
    from training.adapters import AdapterError, adapter_folder, concat_lora
    from training.checkpoints import atomic_folder

    metadata = {"stage": stage, "base_model": recipe.model, "merged_first": recipe.base_adapter}
    if not recipe.base_adapter:
        return {"adapter": str(save_adapter(model, tokenizer, out / "adapter", metadata))}
    stage_dir = save_adapter(model, tokenizer, out / "stage_adapter",
                             {**metadata, "note": "this LoRA alone applies to base_model with "
                              "merged_first folded in; adapter/ holds both"})
    files = {"stage_adapter": str(stage_dir)}
    try:
        with atomic_folder(out / "adapter", "the combined adapter") as staging:
            concat_lora(adapter_folder(recipe.base_adapter), stage_dir, staging)
            tokenizer.save_pretrained(staging)
            _write_metadata(staging, {**metadata, "note": f"{recipe.base_adapter} and this "
                                      "stage's LoRA, concatenated: apply it to base_model"})
        files["adapter"] = str(out / "adapter")
    except AdapterError as error:
        logger.warning("%s; only stage_adapter/ was written: use --merge for a loadable "
                       "model", error)
    return files


def save_merged(model: Any, tokenizer: Any, out: Path, metadata: dict[str, Any]) -> Path:
    """Fold the LoRA into the weights and write a plain transformers model folder."""
    merged = model.merge_and_unload()
    merged.config.use_cache = True
    return _save_folder(merged, tokenizer, out, metadata, "the merged model")


def build_dataset(stage: str, recipe: Recipe, tokenizer: Any, stats: DatasetStats,
                  progress: bool = True) -> Any:
    """Read the stage's data and turn it into training examples (before any model loads,
    so bad data fails in seconds rather than after loading 16 GB of weights)."""
    import datasets

    from training.corpus import ReadReport, read_corpus, read_pairs

    report = ReadReport()
    if not progress:
        datasets.disable_progress_bars()
    try:
        if stage == "pretrain":
            texts = read_corpus(recipe.data, report)
            dataset = pretrain_dataset(texts, tokenizer, recipe.data.max_length,
                                       recipe.data.num_proc, stats,
                                       positions=recipe.data.isolate_documents)
        else:
            from training.chat import ensure_chat_template

            ensure_chat_template(tokenizer, recipe.model, recipe.data.chat_template)
            pairs = read_pairs(recipe.data, report)
            dataset = instruct_dataset(pairs, tokenizer, recipe.data.max_length,
                                       recipe.data.train_on_prompt, stats, progress)
    finally:
        if not progress:
            datasets.enable_progress_bars()
    stats.read = report.to_dict()
    return dataset


def run_stage(stage: str, recipe: Recipe, merge: bool = False, progress: bool = True,
              callbacks: Sequence[Any] = ()) -> dict[str, Any]:
    """Train one stage end to end; returns the run summary (also written to summary.json)."""
    import torch
    from transformers import Trainer

    from training.modeling import (
        add_lora,
        load_model,
        load_tokenizer,
        preflight,
        resolve_hardware,
    )
    from training.packing import FlatteningCollator, PaddingCollator
    from training.report import (
        Clock,
        energy_estimate,
        loss_points,
        peak_memory,
        plot_loss,
        write_summary,
    )

    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    clock = Clock()
    out = recipe.output_path(stage)
    checkpoints = out / "checkpoints"
    hardware = resolve_hardware(recipe.train)
    if hardware.device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    check_optimizer(recipe.train.optimizer)
    try:
        preflight(recipe.model, recipe.base_adapter, recipe.data.max_length, recipe.model_help)
    except ValueError as error:
        raise RecipeError(str(error)) from None
    tokenizer = load_tokenizer(recipe.model)
    stats = DatasetStats()
    dataset = build_dataset(stage, recipe, tokenizer, stats, progress)

    from transformers import set_seed

    set_seed(recipe.train.seed)  # the new LoRA's initial weights depend on it: reproducible
    model = load_model(recipe.model, hardware, recipe.base_adapter)
    model = add_lora(model, recipe.lora)
    trainable, total = model.get_nb_trainable_parameters()
    args = training_arguments(recipe, checkpoints, hardware, progress)
    out.mkdir(parents=True, exist_ok=True)
    if args.should_save:
        write_recipe(recipe, out)
    meter = session_meter()
    isolate = stage == "pretrain" and recipe.data.isolate_documents
    collator = FlatteningCollator() if isolate else PaddingCollator(tokenizer.pad_token_id)
    trainer = Trainer(
        model=model, args=args, train_dataset=dataset,
        data_collator=collator,
        processing_class=tokenizer, callbacks=[meter, *callbacks],
    )
    stderr_logging(trainer, progress)
    result, resume, train_seconds = train_resuming(trainer, recipe, checkpoints,
                                                   args.should_save)

    files: dict[str, str | None] = {"adapter": None, "stage_adapter": None, "merged": None,
                                    "loss_curve": None}
    if args.should_save:
        files.update(save_adapters(model, tokenizer, out, recipe, stage))
        points = loss_points(trainer.state.log_history)
        curve = plot_loss(points, out / "loss.png", f"Gaokerena {stage}: training loss")
        files["loss_curve"] = str(curve) if curve else None
        if merge:
            metadata = {"stage": stage, "base_model": recipe.model,
                        "merged_first": recipe.base_adapter}
            files["merged"] = str(save_merged(model, tokenizer, out / "merged", metadata))

    session_tokens = trainer.state.num_input_tokens_seen - meter.start_tokens
    state = trainer.state
    summary = {
        "stage": stage,
        "model": recipe.model,
        "base_adapter": recipe.base_adapter,
        "output_dir": str(out),
        "files": files,
        "hardware": hardware.to_dict(),
        "gpus": max(args.world_size, 1) if hardware.device == "cuda" else 0,
        "processes": args.world_size,
        "main_process": bool(args.should_save),
        "data": stats.to_dict(),
        "parameters": {"trainable": trainable, "total": total},
        "resumed_from": str(resume) if resume else None,
        "steps": state.global_step,
        "steps_this_session": state.global_step - meter.start_step,
        "max_steps": state.max_steps,
        "epochs": round(float(state.epoch or 0), 4),
        "train_loss": round(float(result.training_loss), 6),
        "final_logged_loss": (loss_points(state.log_history) or [(0, None)])[-1][1],
        "tokens_trained": state.num_input_tokens_seen,
        "tokens_this_session": session_tokens,
        "train_seconds": round(train_seconds, 3),
        "tokens_per_second": round(session_tokens / train_seconds, 2) if train_seconds else None,
        "wall_seconds": round(clock.seconds(), 3),
        **peak_memory(),
    }
    summary["energy"] = energy_estimate(summary["wall_seconds"], hardware.device,
                                        summary["gpus"], recipe.energy)
    if args.should_save:
        write_summary(summary, out / SUMMARY_NAME)
    return summary
