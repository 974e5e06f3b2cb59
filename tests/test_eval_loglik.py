"""Option log-likelihood scoring on a tiny Cohere model: padding-exact, and it picks what the
model was taught to prefer."""

from __future__ import annotations

import math

import pytest

from evaluation.loglik import (
    LoglikConfig,
    LoglikScorer,
    normalized_scores,
    pick,
    sequence_logprobs,
    shared_prompt_logprobs,
)
from evaluation.mcq_data import MCQuestion
from evaluation.mcq_prompts import continuations, mcq_messages, mcq_text

from .test_eval_support import MCQ_ROWS


def _questions() -> list[MCQuestion]:
    return [MCQuestion(key=f"t:{row['id']}", id=str(row["id"]), question=row["question"],
                       options=tuple(row["options"]), answer=row["answer"], source="t")
            for row in MCQ_ROWS]


@pytest.fixture(scope="module")
def fresh_model(tiny_cohere_dir):
    """A private copy of the tiny model (the training test below changes its weights)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_cohere_dir).eval()
    return model, AutoTokenizer.from_pretrained(tiny_cohere_dir)


def test_shared_prompt_scores_equal_whole_sequences_scored_alone(fresh_model):
    model, tokenizer = fresh_model
    scorer = LoglikScorer(model, tokenizer)
    questions = _questions()[:3]
    # Prompts of different lengths force left padding; options of different lengths force
    # right padding of the continuations on top of the cache.
    prompts = [scorer.prompt_ids(mcq_messages(q, "cloze")) for q in questions]
    options = [scorer.continuation_ids(q.options) for q in questions]
    assert len({len(p) for p in prompts}) > 1
    batched = shared_prompt_logprobs(model, prompts, options, scorer.pad_id)
    for prompt, opts, scores in zip(prompts, options, batched, strict=True):
        alone = [sequence_logprobs(model, [(prompt, option)], scorer.pad_id)[0]
                 for option in opts]
        assert scores == pytest.approx(alone, abs=1e-3)


def test_plain_text_prompts_start_with_bos_and_options_with_a_space(fresh_model):
    model, tokenizer = fresh_model
    scorer = LoglikScorer(model, tokenizer, LoglikConfig(chat_template=False))
    question = _questions()[0]
    ids = scorer.prompt_ids(text=mcq_text(question, "numbers"))
    assert ids[0] == tokenizer.bos_token_id and ids.count(tokenizer.bos_token_id) == 1
    assert continuations(question, "numbers", chat=False) == [" ۱", " ۲", " ۳", " ۴"]
    chat_ids = LoglikScorer(model, tokenizer).prompt_ids(mcq_messages(question, "numbers"))
    assert chat_ids.count(tokenizer.bos_token_id) == 1  # the template's BOS only


def test_length_normalization_and_ties():
    logprobs, tokens, texts = [-10.0, -12.0, -6.0, -9.0], [5, 4, 2, 3], ["abcde", "abcdef",
                                                                         "ab", "abc"]
    assert normalized_scores(logprobs, tokens, texts, "none") == logprobs
    assert normalized_scores(logprobs, tokens, texts, "chars") == [-2.0, -2.0, -3.0, -3.0]
    assert normalized_scores(logprobs, tokens, texts, "tokens") == [-2.0, -3.0, -3.0, -3.0]
    assert pick([-2.0, -2.0, -3.0, -3.0]) == 1  # a tie goes to the lower option number
    assert pick(normalized_scores(logprobs, tokens, texts, "none")) == 3
    with pytest.raises(ValueError, match="length_norm"):
        LoglikConfig(length_norm="bytes")


def test_picker_chooses_the_options_a_tiny_model_was_trained_on(fresh_model):
    import torch

    model, tokenizer = fresh_model
    questions = _questions()
    scorer = LoglikScorer(model, tokenizer, LoglikConfig(batch_questions=3))

    def items(fmt):
        return [(scorer.prompt_ids(mcq_messages(q, fmt)), continuations(q, fmt, True))
                for q in questions]

    def accuracy(fmt):
        picks = [r.choice for r in scorer.score(items(fmt))]
        return sum(p == q.answer for p, q in zip(picks, questions, strict=True)) / len(questions)

    before = accuracy("cloze")
    examples = []
    for (prompt, texts), question in zip(items("cloze"), questions, strict=True):
        examples.append((prompt, scorer.continuation_ids([texts[question.answer - 1]])[0]))
    # Cohere scales logits by 1/16 (logit_scale), which makes a random model learn slowly;
    # unscaled, a few steps of AdamW on one padded batch teach it the correct options.
    model.logit_scale = 1.0
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    width = max(len(p) + len(a) for p, a in examples)
    ids = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), -100)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (prompt, answer) in enumerate(examples):
        end = len(prompt) + len(answer)
        ids[row, :end] = torch.tensor(prompt + answer)
        labels[row, len(prompt):end] = torch.tensor(answer)  # learn the answer, not the prompt
        mask[row, :end] = 1
    model.train()
    for _ in range(20):
        model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()
    assert before < 1.0
    assert accuracy("cloze") == 1.0
    results = scorer.score(items("cloze"))
    assert all(math.isfinite(v) for r in results for v in r.logprobs)
    assert all(r.tokens == tuple(len(c) for c in scorer.continuation_ids(q.options))
               for r, q in zip(results, questions, strict=True))
