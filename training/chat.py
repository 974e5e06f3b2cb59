"""Stage-2 examples: question/answer pairs rendered with the model's own chat template.

A pair becomes ``[user: question, assistant: answer]`` with no system prompt, as in the
paper, so the model sees exactly the format it is asked in later. Labels cover the assistant
turns only (the answer and its end-of-turn token) unless ``train_on_prompt`` is set, which
reproduces the notebook that also trained on the question.

The assistant part is found on the rendered text, not on token ids: the template is rendered
up to the generation prompt and up to the end of the answer, and every token whose text
starts inside that span is trained on. This works for any template that renders a prefix of
the conversation as a prefix of the text (aya/Command-R, Llama, Gemma, ChatML do), and it
fails with a clear message otherwise instead of masking the wrong tokens.

transformers' ``apply_chat_template(..., return_assistant_tokens_mask=True)`` would do this,
but only for templates that mark the answer with ``{% generation %}``; Aya's/Command-R's
template (as the tests' copy of it) has no such markers, so the offsets stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.errors import DataError
from training.packing import IGNORE_INDEX

Message = dict[str, str]


def pair_messages(question: str, answer: str) -> list[Message]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def ensure_chat_template(tokenizer: Any, model_name: str, template_file: str | None) -> None:
    """Install a template from a file if given; fail clearly when the tokenizer has none."""
    if template_file:
        path = Path(template_file).expanduser()
        try:
            tokenizer.chat_template = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DataError(f"data.chat_template {template_file!r}: cannot read it "
                            f"({type(error).__name__}: {error})") from None
    if not getattr(tokenizer, "chat_template", None):
        raise DataError(
            f"the tokenizer of {model_name!r} has no chat template, so question/answer pairs "
            "cannot be rendered the way the model will be asked. Use a chat model (aya-expanse "
            "has one) or give a Jinja template file with data.chat_template=FILE.jinja"
        )


def _render(tokenizer: Any, messages: list[Message], generation_prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tokenize=False,
                                         add_generation_prompt=generation_prompt)


def assistant_spans(tokenizer: Any, messages: list[Message]) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of its assistant turns."""
    text = _render(tokenizer, messages, generation_prompt=False)
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], generation_prompt=True)
        through = _render(tokenizer, messages[: index + 1], generation_prompt=False)
        if not (through.startswith(before) and text.startswith(through)):
            raise DataError(
                "the chat template does not render a conversation's beginning as the "
                "beginning of its text, so the assistant tokens cannot be located; set "
                "data.train_on_prompt=true to train on every token"
            )
        spans.append((len(before), len(through)))
    return text, spans


def chat_example(tokenizer: Any, messages: list[Message], max_length: int,
                 train_on_prompt: bool = False) -> dict[str, list[int]] | None:
    """Token ids, attention mask and labels for one conversation, truncated to ``max_length``.

    Returns ``None`` when truncation leaves no assistant token to learn from.
    """
    text, spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                        truncation=True, max_length=max_length)
    ids = list(encoded["input_ids"])
    if train_on_prompt:
        labels = list(ids)
    else:
        labels = [
            token if any(start <= begin < end for start, end in spans) else IGNORE_INDEX
            for token, (begin, _) in zip(ids, encoded["offset_mapping"], strict=True)
        ]
    if all(label == IGNORE_INDEX for label in labels):
        return None
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels}
