"""Turning token sequences into training batches: packed blocks and padded batches.

Stage 1 packs the corpus into fixed blocks (1,024 tokens in the paper's recipe). Every
document is ``<BOS> text <EOS>``, so a block that holds the end of one document and the start
of the next always has EOS between them, and the model learns where documents end. The last,
partial block is padded; padding has attention mask 0 and label -100, so no loss is ever
computed on it (the notebooks padded with ``<PAD>`` and trained on those positions).

Attention across documents is a choice (``data.isolate_documents``):

- ``false`` (default): a document may attend to the one before it in the same block, across
  the EOS, as in GPT-2/Llama-2-style pretraining. Simple and fast with every attention kernel.
- ``true``: each block also carries ``position_ids`` that restart at every document (and at
  the block start), and :class:`FlatteningCollator` puts a batch into one row without an
  attention mask. transformers then builds a block-diagonal causal mask from the position
  resets (SDPA/eager) or calls FlashAttention-2's variable-length kernel, so every document
  sees only itself, as at inference. FA2 needs the single flattened row, which is why the
  batch is flattened rather than padded.

Why not transformers' collators (checked against transformers 5.24):
``DataCollatorWithFlattening`` restarts ``position_ids`` once per *feature*; our features are
packed blocks holding several documents, each with its own restart, and it keeps padding.
``DataCollatorForSeq2Seq`` pads on the tokenizer's ``padding_side``; Cohere/Aya tokenizers pad
on the left, and switching the shared tokenizer to the right would be saved with the adapter
and change batched inference. Both collators here are a few lines and tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

IGNORE_INDEX = -100


def with_boundaries(ids: Sequence[int], bos_id: int | None, eos_id: int) -> list[int]:
    """``[BOS] + ids + [EOS]`` (no BOS when the tokenizer has none)."""
    head = [bos_id] if bos_id is not None else []
    return [*head, *ids, eos_id]


def pack_blocks(documents: Iterable[Sequence[int]], block_size: int, pad_id: int,
                positions: bool = False) -> dict[str, list[list[int]]]:
    """Concatenate documents (already ending in EOS) and cut the stream into blocks.

    Long documents continue into the next block; nothing is dropped. The final block is
    padded to ``block_size`` with ``pad_id``, attention mask 0 and label -100. With
    ``positions``, ``position_ids`` restart at 0 at each document and each block start.

    Example:
        >>> pack_blocks([[5, 9, 1], [5, 7, 1]], block_size=4, pad_id=0)["input_ids"]
        [[5, 9, 1, 5], [7, 1, 0, 0]]
    """
    if block_size <= 0:
        raise ValueError(f"block_size must be > 0, got {block_size}")
    keys = ["input_ids", "attention_mask", "labels"] + (["position_ids"] if positions else [])
    blocks: dict[str, list[list[int]]] = {key: [] for key in keys}
    tokens: list[int] = []
    offsets: list[int] = []  # position of each buffered token inside its document

    def emit(ids: list[int], where: list[int], padding: int) -> None:
        blocks["input_ids"].append(ids + [pad_id] * padding)
        blocks["attention_mask"].append([1] * len(ids) + [0] * padding)
        blocks["labels"].append(ids + [IGNORE_INDEX] * padding)
        if positions:
            # Restart at the block start too: a continued document cannot see its beginning,
            # and a restart keeps two shuffled blocks from looking like one sequence.
            restarted = list(where)
            shift = where[0]
            for i in range(len(where)):
                if i > 0 and where[i] == 0:
                    break  # the next document starts: its offsets already start at 0
                restarted[i] = where[i] - shift
            blocks["position_ids"].append(restarted + list(range(padding)))

    for document in documents:
        tokens.extend(document)
        offsets.extend(range(len(document)))
        while len(tokens) >= block_size:
            emit(tokens[:block_size], offsets[:block_size], 0)
            tokens, offsets = tokens[block_size:], offsets[block_size:]
    if tokens:
        emit(tokens, offsets, block_size - len(tokens))
    return blocks


class PaddingCollator:
    """Right-pads variable-length examples into a batch of tensors.

    Right padding keeps positions 0..n-1 for the real tokens (Cohere's tokenizer pads on the
    left by default, which shifts positions during training); padded labels are -100.
    """

    def __init__(self, pad_id: int, multiple_of: int = 1) -> None:
        self.pad_id = pad_id
        self.multiple_of = max(1, multiple_of)

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        longest = max(len(f["input_ids"]) for f in features)
        width = -(-longest // self.multiple_of) * self.multiple_of
        batch: dict[str, list[list[int]]] = {"input_ids": [], "attention_mask": [], "labels": []}
        for feature in features:
            ids = list(feature["input_ids"])
            padding = width - len(ids)
            mask = list(feature.get("attention_mask") or [1] * len(ids))
            labels = list(feature.get("labels") or ids)
            batch["input_ids"].append(ids + [self.pad_id] * padding)
            batch["attention_mask"].append(mask + [0] * padding)
            batch["labels"].append(labels + [IGNORE_INDEX] * padding)
        return {key: torch.tensor(value, dtype=torch.long) for key, value in batch.items()}


class FlatteningCollator:
    """Puts a batch of packed blocks into one row with per-document ``position_ids``.

    Padding is dropped (it carries no label), and no attention mask is passed: transformers
    reads the document boundaries from the position resets (see the module docstring). As in
    transformers' ``DataCollatorWithFlattening``, the first label of every block but the first
    is -100.
    """

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        row: dict[str, list[int]] = {"input_ids": [], "labels": [], "position_ids": []}
        for feature in features:
            mask = feature.get("attention_mask") or [1] * len(feature["input_ids"])
            start = len(row["labels"])
            for key in row:
                row[key].extend(v for v, keep in zip(feature[key], mask, strict=True) if keep)
            if start:
                # The loss shifts labels by one: the previous block's last token must not be
                # trained to predict this unrelated block's first token.
                row["labels"][start] = IGNORE_INDEX
        return {key: torch.tensor([value], dtype=torch.long) for key, value in row.items()}
