"""Training: the offline Persian embedder and the two Gaokerena LoRA stages.

``gaokerena train embedder`` trains the retrieval embedder; ``train pretrain`` (continued
pretraining on a corpus) and ``train instruct`` (instruction tuning on question/answer pairs)
reproduce the paper's recipe with transformers' Trainer and peft. Nothing here imports the
assistant: the assistant loads what these commands write (adapter and merged-model folders).
"""

from index.exports import lazy_exports

__all__ = ["load_recipe", "run_stage", "train_embedder"]
__getattr__ = lazy_exports(__name__, {
    "train_embedder": "training.embedder",
    "load_recipe": "training.recipe",
    "run_stage": "training.stages",
})
