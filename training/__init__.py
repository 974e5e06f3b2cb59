"""Training: the offline Persian embedder and the two Gaokerena LoRA stages.

``gaokerena train embedder`` trains the retrieval embedder; ``train pretrain`` (continued
pretraining on a corpus) and ``train instruct`` (instruction tuning on question/answer pairs)
reproduce the paper's recipe with transformers' Trainer and peft. Nothing here imports the
assistant: the assistant loads what these commands write (adapter and merged-model folders).
"""
