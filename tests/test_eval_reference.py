"""ROUGE-L on normalized Persian tokens and BERTScore with a tiny encoder built in the test."""

from __future__ import annotations

import json

import pytest

from evaluation.reference import (
    BertScoreConfig,
    PersianTokens,
    bertscore_unavailable,
    reference_report,
    rouge_l,
)
from index.cli import main

from .test_eval_support import write_jsonl

REFERENCE = "برای سردرد استراحت کنید و آب کافی بنوشید؛ اگر بدتر شد به پزشک مراجعه کنید."


def test_persian_tokens_unify_spellings_and_drop_punctuation():
    tokens = PersianTokens().tokenize("كتاب ها را مي خوانم ، ۱2 بار!")
    assert "کتاب‌ها" in tokens and "۱۲" in tokens
    assert "،" not in tokens and "!" not in tokens


def test_rouge_l_sees_persian_words_that_the_default_tokenizer_drops():
    from rouge_score.rouge_scorer import RougeScorer

    same_words_other_spelling = REFERENCE.replace("ی", "ي").replace("ک", "ك")
    assert RougeScorer(["rougeL"]).score(REFERENCE, REFERENCE)["rougeL"].fmeasure == 0.0
    scores = rouge_l([same_words_other_spelling, "برای سردرد استراحت کنید.",
                      "درباره‌ی فوتبال صحبت کنیم"], [REFERENCE] * 3)
    assert scores[0] == pytest.approx(1.0)
    assert 0.2 < scores[1] < 1.0
    assert scores[2] < scores[1]


@pytest.fixture(scope="module")
def tiny_bert_dir(tmp_path_factory):
    """A tiny random BERT with a WordPiece tokenizer trained on Persian sentences."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    texts = [REFERENCE, "سردرد و تب دارم، چه کنم؟", "فشار خون بالا خطرناک است."] * 10
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.train_from_iterator(texts, trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        show_progress=False))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                      pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
                                      mask_token="[MASK]", model_max_length=128)
    model = BertModel(BertConfig(vocab_size=len(wrapped), hidden_size=32, num_hidden_layers=2,
                                 num_attention_heads=2, intermediate_size=64,
                                 max_position_embeddings=128))
    out = tmp_path_factory.mktemp("bert") / "tiny"
    model.save_pretrained(out)
    wrapped.save_pretrained(out)
    return out


def test_reference_command_reports_rouge_and_bertscore(tiny_bert_dir, tmp_path, capsys):
    pytest.importorskip("bert_score", reason="bert-score is not installed")
    answers = write_jsonl(tmp_path / "answers.jsonl", [
        {"id": 1, "answer": REFERENCE, "reference": REFERENCE},
        {"id": 2, "answer": "درباره‌ی فوتبال صحبت کنیم", "reference": REFERENCE},
        {"id": 3, "answer": None, "reference": REFERENCE, "error": "empty question"},
    ])
    out = tmp_path / "reference.json"
    assert main(["eval", "reference", "--answers", str(answers), "--bertscore-model",
                 str(tiny_bert_dir), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads(out.read_text(encoding="utf-8"))
    assert report["n"] == 2 and report["left_out"] == 1
    per_question = {row["id"]: row["rouge_l_f1"] for row in report["per_question"]}
    assert per_question[1] == 1.0 and per_question[2] < 0.3
    bert = report["bertscore"]
    assert bert["available"] is True
    assert 0 < bert["f1"] <= 1.0 and 0 < bert["precision"] <= 1.0


def test_bertscore_without_an_encoder_is_reported_unavailable(tmp_path):
    assert "no encoder" in bertscore_unavailable(None)
    assert "not a model folder" in bertscore_unavailable(BertScoreConfig(model=str(tmp_path)))
    report = reference_report([{"id": 1, "answer": "سلام", "reference": "سلام"}])
    assert report["bertscore"]["available"] is False
    assert report["rouge_l_f1"] == 1.0


def test_references_from_another_file_by_id(tmp_path, capsys):
    answers = write_jsonl(tmp_path / "a.jsonl", [{"id": 7, "answer": REFERENCE}])
    references = write_jsonl(tmp_path / "r.jsonl", [{"id": 7, "answer": REFERENCE}])
    assert main(["eval", "reference", "--answers", str(answers)]) == 2
    assert "no row has a reference" in capsys.readouterr().err
    assert main(["eval", "reference", "--answers", str(answers), "--references",
                 str(references), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rouge_l_f1"] == 1.0
