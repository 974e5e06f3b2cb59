"""Training a Persian sentence embedder from scratch, on a CPU, from question/answer pairs.

No pre-trained model that understands Persian can be downloaded here, and the English ones
see Persian as unknown tokens. A static embedding model (a trained vocabulary of vectors,
mean-pooled) learns from a few thousand pairs in minutes on two cores, encodes thousands of
texts per second, and loads anywhere as a plain sentence-transformers model.

The tokenizer is trained on the normalized pairs and carries Persian handling inside its own
normalizer (half-spaces split off suffixes, stopwords dropped), so ``SentenceTransformer(DIR)``
needs nothing from this project to encode well.
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from index.analyze import AFFIXES, persian_stopwords
from index.errors import DataError
from index.files import write_folder_atomic
from index.normalize import shared_normalizer
from index.records import iter_jsonl

logger = logging.getLogger(__name__)

TOKENIZER_KINDS = ("wordpiece", "wordlevel")
SUMMARY_NAME = "training_summary.json"


@dataclass(frozen=True)
class EmbedderTrainConfig:
    """Hyper-parameters of the static embedder, chosen on a hold-out of MF3QA train.

    ``min_frequency`` matters most: words seen fewer times stay split into sub-words, which
    keeps the model from memorizing rare words of its training answers (hold-out MRR@10
    0.167 at 2, 0.178 at 20, 0.187 at 50 and 100). Lower it for small corpora.
    """

    tokenizer: str = "wordpiece"
    vocab_size: int = 30_000
    min_frequency: int = 50
    dimension: int = 512
    epochs: int = 10
    min_steps: int = 0
    batch_size: int = 1024
    learning_rate: float = 0.2
    warmup_ratio: float = 0.1
    hard_negatives: bool = False
    matryoshka_dims: tuple[int, ...] = ()
    seed: int = 12
    max_minutes: float | None = None

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZER_KINDS:
            raise ValueError(f"tokenizer must be one of {TOKENIZER_KINDS}, got {self.tokenizer!r}")
        for name in ("vocab_size", "dimension", "epochs", "batch_size"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.min_steps < 0:
            raise ValueError(f"min_steps must be >= 0, got {self.min_steps!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate must be > 0 (e.g. 0.2), got {self.learning_rate}")
        if any(d <= 0 or d > self.dimension for d in self.matryoshka_dims):
            raise ValueError(f"matryoshka_dims must lie in 1..{self.dimension}")


@dataclass(frozen=True)
class PairFields:
    query: str = "question"
    document: str = "answer"


def load_pairs(paths: list[Path], fields: PairFields | None = None) -> list[tuple[str, str]]:
    """(query, document) text pairs from JSONL files; rows missing either text are skipped."""
    fields = fields or PairFields()
    pairs: list[tuple[str, str]] = []
    for path in paths:
        rows = 0
        for number, record in iter_jsonl(Path(path)):
            rows += 1
            if fields.query not in record or fields.document not in record:
                raise DataError(
                    f"{path}:{number}: a pair needs {fields.query!r} and {fields.document!r}; "
                    f"found {sorted(record)}. Choose columns with --query-field/--document-field."
                )
            query, document = record[fields.query], record[fields.document]
            if (isinstance(query, str) and isinstance(document, str)
                    and query.strip() and document.strip()):
                pairs.append((query, document))
        if rows == 0:
            raise DataError(f"{path}: no records")
    if len(pairs) < 2:
        raise DataError("need at least 2 question/answer pairs to train an embedder")
    return pairs


def persian_tokenizer_normalizer():
    """A `tokenizers` normalizer: split half-spaces, drop Persian stopwords and affixes."""
    from tokenizers import Regex, normalizers

    words = {w for w in persian_stopwords() if "\u200c" not in w} | AFFIXES
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    word_edge = r"[\p{L}\p{M}\p{N}_]"
    pattern = rf"(?<!{word_edge})(?:{alternatives})(?!{word_edge})"
    return normalizers.Sequence([
        normalizers.NFC(),
        normalizers.Replace("\u200c", " "),
        normalizers.Replace(Regex(pattern), " "),
    ])


def train_tokenizer(texts: list[str], config: EmbedderTrainConfig):
    """Train a WordPiece (or word-level) tokenizer on normalized texts."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    special = ["[UNK]", "[PAD]"]
    if config.tokenizer == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        trainer = trainers.WordPieceTrainer(vocab_size=config.vocab_size, special_tokens=special,
                                            min_frequency=config.min_frequency,
                                            show_progress=False)
    else:
        tokenizer = Tokenizer(models.WordLevel(unk_token="[UNK]"))
        trainer = trainers.WordLevelTrainer(vocab_size=config.vocab_size, special_tokens=special,
                                            min_frequency=config.min_frequency,
                                            show_progress=False)
    tokenizer.normalizer = persian_tokenizer_normalizer()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                   pad_token="[PAD]")


def _mine_hard_negatives(queries: list[str], documents: list[str], seed: int) -> list[str]:
    """For each query a BM25-similar document that is not its own answer."""
    from index.analyze import shared_analyzer
    from index.config import LexicalConfig
    from index.lexical import LexicalIndex

    analyzer = shared_analyzer(LexicalConfig())
    lexical = LexicalIndex.build([analyzer(d) for d in documents], LexicalConfig())
    rng = random.Random(seed)
    negatives = []
    for i, query in enumerate(queries):
        _, rows = lexical.search(analyzer(query), 10)
        candidates = [int(r) for r in rows[2:] if int(r) != i and documents[int(r)] != documents[i]]
        pick = rng.choice(candidates) if candidates else rng.randrange(len(documents))
        negatives.append(documents[pick])
    return negatives


def train_embedder(
    pairs: list[tuple[str, str]],
    out: Path,
    config: EmbedderTrainConfig | None = None,
    progress: bool = True,
) -> dict:
    """Train a static embedder on (question, answer) pairs and save it to ``out`` atomically.

    Returns the run summary that is also written to ``out/training_summary.json``.
    """
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from transformers import TrainerCallback

    config = config or EmbedderTrainConfig()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / SUMMARY_NAME).exists():
        raise DataError(f"{out}: exists, is not empty and is not an embedder; choose another --out")
    started = time.perf_counter()
    random.seed(config.seed)
    torch.manual_seed(config.seed)

    normalizer = shared_normalizer()
    queries = [normalizer(q) for q, _ in pairs]
    documents = [normalizer(d) for _, d in pairs]
    tokenizer = train_tokenizer(queries + documents, config)
    model = SentenceTransformer(
        modules=[StaticEmbedding(tokenizer, embedding_dim=config.dimension)], device="cpu"
    )

    columns = {"anchor": queries, "positive": documents}
    if config.hard_negatives:
        columns["negative"] = _mine_hard_negatives(queries, documents, config.seed)
    dataset = Dataset.from_dict(columns)
    loss = losses.MultipleNegativesRankingLoss(model)
    if config.matryoshka_dims:
        dims = sorted({config.dimension, *config.matryoshka_dims}, reverse=True)
        loss = losses.MatryoshkaLoss(model, loss, matryoshka_dims=dims)

    batch_size = min(config.batch_size, len(pairs))
    steps_per_epoch = max(1, len(pairs) // batch_size)
    epochs = max(config.epochs, math.ceil(config.min_steps / steps_per_epoch))
    staging = out.with_name(f".{out.name}.training-{uuid.uuid4().hex[:8]}")
    callbacks = [time_limit(config.max_minutes, TrainerCallback)] if config.max_minutes else []
    args = SentenceTransformerTrainingArguments(
        output_dir=str(staging / "checkpoints"),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=int(config.warmup_ratio * steps_per_epoch * epochs),
        batch_sampler="no_duplicates",
        dataloader_drop_last=len(pairs) >= 2 * batch_size,
        save_strategy="no",
        logging_steps=max(1, steps_per_epoch * epochs // 20),
        report_to="none",
        disable_tqdm=not progress,
        seed=config.seed,
        use_cpu=True,
    )
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset, loss=loss,
                                         callbacks=callbacks)
    if not progress:  # without tqdm, transformers prints each log dict to stdout instead
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
    try:
        result = trainer.train()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    with write_folder_atomic(out) as folder:  # the old embedder stays until this one is whole
        model.save(str(folder))
        summary = {
            "pairs": len(pairs),
            "vocabulary": tokenizer.vocab_size,
            "epochs": epochs,
            "steps": int(result.global_step),
            "final_loss": round(float(result.training_loss), 4),
            "seconds": round(time.perf_counter() - started, 1),
            "config": asdict(config),
        }
        (folder / SUMMARY_NAME).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    logger.info("trained embedder in %.0f s -> %s", summary["seconds"], out)
    return summary


def time_limit(max_minutes: float, base: type):
    """A Trainer callback that ends training after ``max_minutes`` of wall time."""

    class TimeLimit(base):
        def __init__(self) -> None:
            self.deadline = time.monotonic() + max_minutes * 60

        def on_step_end(self, args, state, control, **kwargs):
            if time.monotonic() > self.deadline:
                logger.warning("time limit of %.1f min reached; stopping early", max_minutes)
                control.should_training_stop = True
            return control

    return TimeLimit()
