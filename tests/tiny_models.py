"""Tiny, randomly initialised models of the real architectures, built in the tests.

No weights can be downloaded here, so the tests build what the real Gaokerena stack loads:
a Cohere (aya) causal LM with a few small layers, and a byte-level BPE tokenizer trained on
Persian text with aya's special tokens and a Cohere-style chat template.
"""

from __future__ import annotations

import json
from pathlib import Path

AYA_SPECIAL = ["<PAD>", "<UNK>", "<BOS_TOKEN>", "<|START_OF_TURN_TOKEN|>", "<|USER_TOKEN|>",
               "<|CHATBOT_TOKEN|>", "<|SYSTEM_TOKEN|>", "<|END_OF_TURN_TOKEN|>"]

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'system' %}<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>"
    "{% elif message['role'] == 'user' %}<|START_OF_TURN_TOKEN|><|USER_TOKEN|>"
    "{% else %}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{% endif %}"
    "{{ message['content'] }}<|END_OF_TURN_TOKEN|>{% endfor %}"
    "{% if add_generation_prompt %}<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{% endif %}"
)


def persian_texts(kb: Path) -> list[str]:
    rows = [json.loads(line) for line in kb.read_text(encoding="utf-8").splitlines() if line]
    return [row[key] for row in rows for key in ("question", "answer")]


def build_tokenizer(texts: list[str], vocab_size: int = 2000, chat_template: bool = True):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<UNK>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=AYA_SPECIAL,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tokenizer.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<BOS_TOKEN>", eos_token="<|END_OF_TURN_TOKEN|>",
        pad_token="<PAD>", unk_token="<UNK>",
        chat_template=CHAT_TEMPLATE if chat_template else None,
    )


def build_tiny_cohere(out: Path, texts: list[str], seed: int = 0,
                      chat_template: bool = True, tied: bool = False) -> Path:
    """Save a tiny random CohereForCausalLM and its tokenizer to ``out``; return ``out``.

    ``tied`` shares the input embedding with the output layer, as the real aya-expanse does
    (and as llama.cpp's Command-R graph requires: it has no separate output matrix).
    """
    import torch
    from transformers import CohereConfig, CohereForCausalLM

    torch.manual_seed(seed)
    tokenizer = build_tokenizer(texts, chat_template=chat_template)
    config = CohereConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=tied,
    )
    model = CohereForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_aya_for_gguf(out: Path, texts: list[str], chat_template: bool = True) -> Path:
    """The tiny tied aya model (exportable to GGUF), with its special tokens' rows damped.

    A random model with tied embeddings repeats the last prompt token, which after the chat
    template is the turn marker <|CHATBOT_TOKEN|>: an answer of special tokens only, empty
    as text. Damping those embedding rows makes its greedy answer ordinary Persian tokens
    that tests can compare and benchmarks can count.
    """
    import torch
    from transformers import AutoModelForCausalLM

    build_tiny_cohere(out, texts, chat_template=chat_template, tied=True)
    model = AutoModelForCausalLM.from_pretrained(out)
    with torch.no_grad():
        model.get_input_embeddings().weight[: len(AYA_SPECIAL)] *= 0.05
    model.save_pretrained(out)
    return out
