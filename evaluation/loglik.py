"""Choosing an option by its log-likelihood under a local causal LM (lm-eval-harness style).

For a question the model sees one prompt and four continuations; the option whose tokens
the model finds most likely wins. No text is generated, so nothing needs parsing and the
result is deterministic.

How a batch is laid out (``shared_prompt_logprobs``): the prompts of several questions,
padded on the **left** with position ids counted from each row's first real token, run once
with the KV cache on; the last prompt logits give each option's first token. The cache is
then repeated four times (once per option) and the options' remaining tokens, padded on the
right, run on top of it. A long RAG prompt is thus attended once per question, not once
per option; padding changes no score (tests compare against whole sequences scored alone).

Length normalization (``length_norm``): ``none`` sums the token log-probabilities
(lm-eval ``acc``), ``chars`` divides the sum by the continuation's characters (lm-eval
``acc_norm``), ``tokens`` by its token count. Ties go to the lower option number.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.backends.base import Message

logger = logging.getLogger(__name__)

LENGTH_NORMS = ("none", "chars", "tokens")


@dataclass(frozen=True)
class LoglikConfig:
    """How options are compared and how many questions share one forward pass."""

    length_norm: str = "none"
    batch_questions: int = 4
    chat_template: bool | None = None  # None: use the tokenizer's template when it has one
    max_length: int | None = None  # None: the model's max_position_embeddings

    def __post_init__(self) -> None:
        if self.length_norm not in LENGTH_NORMS:
            raise ValueError(f"length_norm must be one of {LENGTH_NORMS}, "
                             f"got {self.length_norm!r}")
        if self.batch_questions <= 0:
            raise ValueError(f"batch_questions must be > 0, e.g. 4, got {self.batch_questions}")
        if self.max_length is not None and self.max_length <= 8:
            raise ValueError(f"max_length must be > 8 tokens, got {self.max_length}")


@dataclass(frozen=True)
class OptionScores:
    """Log-likelihoods of one question's options and the option they pick (1-based)."""

    logprobs: tuple[float, ...]
    tokens: tuple[int, ...]
    scores: tuple[float, ...]
    choice: int


def normalized_scores(logprobs: Sequence[float], tokens: Sequence[int], texts: Sequence[str],
                      length_norm: str) -> list[float]:
    """The score each option is ranked by (pure; see the module docstring)."""
    if length_norm == "none":
        return list(logprobs)
    if length_norm == "chars":
        return [lp / max(len(text.strip()), 1) for lp, text in zip(logprobs, texts, strict=True)]
    if length_norm == "tokens":
        return [lp / max(n, 1) for lp, n in zip(logprobs, tokens, strict=True)]
    raise ValueError(f"length_norm must be one of {LENGTH_NORMS}, got {length_norm!r}")


def pick(scores: Sequence[float]) -> int:
    """1-based index of the best score; the first one wins a tie."""
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    return best + 1


def _left_padded(sequences: Sequence[Sequence[int]], pad_id: int):
    """Ids, attention mask and position ids of left-padded rows (positions count real tokens)."""
    import torch

    total = max(len(s) for s in sequences)
    input_ids = torch.full((len(sequences), total), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), total), dtype=torch.long)
    for i, sequence in enumerate(sequences):
        input_ids[i, total - len(sequence):] = torch.tensor(list(sequence), dtype=torch.long)
        mask[i, total - len(sequence):] = 1
    return input_ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)


def sequence_logprobs(model, rows: Sequence[tuple[Sequence[int], Sequence[int]]],
                      pad_id: int) -> list[float]:
    """Sum of log P(continuation | prompt) for each ``(prompt_ids, continuation_ids)`` row.

    The plain reference computation: every row is a whole sequence, left-padded, in one
    forward pass. ``shared_prompt_logprobs`` must agree with it (a test checks).
    """
    import torch

    if not rows:
        return []
    if any(not prompt or not continuation for prompt, continuation in rows):
        raise ValueError("every row needs at least one prompt token and one continuation token")
    input_ids, mask, position_ids = _left_padded([list(p) + list(c) for p, c in rows], pad_id)
    total = input_ids.shape[1]
    keep = max(len(c) for _, c in rows)
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device),
                       position_ids=position_ids.to(device), logits_to_keep=keep + 1).logits
    # logits[:, j] predicts the token at position total - keep + j.
    logprobs = torch.log_softmax(logits[:, :-1].float(), dim=-1)
    targets = input_ids[:, total - keep:].to(logprobs.device)
    token_logprobs = logprobs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return [float(token_logprobs[i, keep - len(c):].sum()) for i, (_, c) in enumerate(rows)]


def shared_prompt_logprobs(model, prompts: Sequence[Sequence[int]],
                           options: Sequence[Sequence[Sequence[int]]],
                           pad_id: int) -> list[list[float]]:
    """Per question, log P(option | prompt) for each of its options; the prompt runs once.

    The prompts (left-padded) go through the model once with the KV cache on; the cache is
    repeated once per option and the options' tokens (right-padded) run on top of it. The
    attention over a long RAG prompt is computed once per question instead of once per
    option, which is most of the cost.
    """
    import torch

    if not prompts:
        return []
    counts = {len(opts) for opts in options}
    if len(counts) != 1 or len(options) != len(prompts):
        raise ValueError("every question needs the same number of options")
    per_question = counts.pop()
    if any(not p for p in prompts) or any(not c for opts in options for c in opts):
        raise ValueError("every prompt and every option needs at least one token")
    device = next(model.parameters()).device
    input_ids, mask, position_ids = _left_padded(prompts, pad_id)
    flat = [list(c) for opts in options for c in opts]
    longest = max(len(c) for c in flat)
    # The prompt's last logits predict each option's first token; the option's tokens but
    # the last then run on the cache, and their logits predict the option's next tokens.
    width = max(longest - 1, 1)
    fed = torch.full((len(flat), width), pad_id, dtype=torch.long)
    targets = torch.zeros((len(flat), width), dtype=torch.long)
    fed_mask = torch.zeros_like(fed)
    for row, continuation in enumerate(flat):
        n = len(continuation) - 1
        if n:
            fed[row, :n] = torch.tensor(continuation[:-1], dtype=torch.long)
            targets[row, :n] = torch.tensor(continuation[1:], dtype=torch.long)
            fed_mask[row, :n] = 1
    lengths = mask.sum(-1).repeat_interleave(per_question)
    fed_positions = lengths.unsqueeze(-1) + torch.arange(width).unsqueeze(0)
    with torch.inference_mode():
        out = model(input_ids=input_ids.to(device), attention_mask=mask.to(device),
                    position_ids=position_ids.to(device), use_cache=True, logits_to_keep=1)
        first = torch.log_softmax(out.logits[:, -1].float(), dim=-1)
        first = first.repeat_interleave(per_question, dim=0)
        first_ids = torch.tensor([c[0] for c in flat], dtype=torch.long, device=first.device)
        totals = first.gather(-1, first_ids.unsqueeze(-1)).squeeze(-1)
        if longest > 1:
            cache = out.past_key_values
            cache.batch_repeat_interleave(per_question)
            full_mask = torch.cat([mask.repeat_interleave(per_question, dim=0), fed_mask], -1)
            logits = model(input_ids=fed.to(device), attention_mask=full_mask.to(device),
                           position_ids=fed_positions.to(device), past_key_values=cache,
                           use_cache=False).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            token_lp = logprobs.gather(-1, targets.to(logprobs.device).unsqueeze(-1)).squeeze(-1)
            token_lp = token_lp * fed_mask.to(token_lp.device)
            totals = totals + token_lp.sum(-1).to(totals.device)
    values = totals.tolist()
    return [values[i * per_question:(i + 1) * per_question] for i in range(len(prompts))]


class LoglikScorer:
    """Scores questions' options with a transformers causal LM and its tokenizer."""

    def __init__(self, model, tokenizer, config: LoglikConfig | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config or LoglikConfig()
        has_template = getattr(tokenizer, "chat_template", None) is not None
        if self.config.chat_template and not has_template:
            raise ValueError("the tokenizer has no chat template; score without one "
                             "(--no-chat-template)")
        self.chat = has_template if self.config.chat_template is None else self.config.chat_template
        positions = getattr(model.config, "max_position_embeddings", None) or 2048
        self.max_length = min(self.config.max_length or positions, positions)
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else (tokenizer.eos_token_id or 0)
        self.truncated = 0

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_ids(self, messages: list[Message] | None = None, text: str | None = None
                   ) -> list[int]:
        """Token ids of the prompt: the chat template's text up to the assistant turn, or
        BOS + the plain text. Special tokens come only from the template, never twice."""
        if self.chat:
            rendered = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                          tokenize=False)
            return self.tokenizer(rendered, add_special_tokens=False)["input_ids"]
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        bos = self.tokenizer.bos_token_id
        return ([bos] if bos is not None else []) + ids

    def continuation_ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]

    def _fit(self, prompt: list[int], longest_option: int) -> list[int]:
        room = self.max_length - longest_option
        if len(prompt) <= room:
            return prompt
        self.truncated += 1
        return prompt[-room:]  # keep the question end, which sits next to the answer

    def score(self, items: Sequence[tuple[list[int], Sequence[str]]]) -> list[OptionScores]:
        """Score questions given as ``(prompt_ids, option texts)``, several per pass."""
        results: list[OptionScores] = []
        step = self.config.batch_questions
        for start in range(0, len(items), step):
            chunk = items[start:start + step]
            prompts, options = [], []
            for prompt, texts in chunk:
                conts = self.continuation_ids(texts)
                if any(not c for c in conts):
                    raise ValueError("an option tokenizes to nothing; it cannot be scored")
                prompts.append(self._fit(prompt, max(len(c) for c in conts)))
                options.append(conts)
            batch = shared_prompt_logprobs(self.model, prompts, options, self.pad_id)
            for (_, texts), conts, lps in zip(chunk, options, batch, strict=True):
                if not all(math.isfinite(lp) for lp in lps):
                    raise ValueError("the model returned a non-finite log-probability")
                tokens = [len(c) for c in conts]
                scores = normalized_scores(lps, tokens, texts, self.config.length_norm)
                results.append(OptionScores(tuple(lps), tuple(tokens), tuple(scores),
                                            pick(scores)))
        return results
