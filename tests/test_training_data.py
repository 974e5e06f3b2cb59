"""Training data: packing keeps EOS between documents, labels follow the chat turns."""

from __future__ import annotations

import json

import pytest

from index.errors import DataError
from training.chat import assistant_spans, chat_example, ensure_chat_template, pair_messages
from training.corpus import ReadReport, keep_count, read_corpus, read_pairs
from training.packing import (
    IGNORE_INDEX,
    FlatteningCollator,
    PaddingCollator,
    pack_blocks,
    with_boundaries,
)
from training.recipe import DataSettings

from .conftest import DEMO_KB

QUESTION = "چند روز است سرم درد می‌کند، چه کار کنم؟"
ANSWER = "استراحت کنید، آب کافی بنوشید و اگر درد شدید شد به پزشک مراجعه کنید."


@pytest.fixture(scope="module")
def tokenizer(tiny_cohere_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_cohere_dir)


# --- packing -------------------------------------------------------------------------------


def test_pack_blocks_cuts_a_stream_and_pads_only_the_last_block():
    blocks = pack_blocks([[5, 9, 1], [5, 7, 8, 1], [5, 1]], block_size=4, pad_id=0)
    assert blocks["input_ids"] == [[5, 9, 1, 5], [7, 8, 1, 5], [1, 0, 0, 0]]
    assert blocks["attention_mask"] == [[1, 1, 1, 1], [1, 1, 1, 1], [1, 0, 0, 0]]
    assert blocks["labels"][-1] == [1, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]


def test_packed_corpus_never_joins_documents_without_eos(tokenizer):
    from training.stages import DatasetStats, pretrain_dataset

    texts = read_corpus(DataSettings(source=str(DEMO_KB), text_field="answer", limit=30))
    stats = DatasetStats()
    dataset = pretrain_dataset(texts, tokenizer, block_size=32, stats=stats)
    bos, eos, pad = tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id
    stream: list[int] = []
    for row in dataset:
        assert len(row["input_ids"]) == 32
        for token, mask, label in zip(row["input_ids"], row["attention_mask"], row["labels"],
                                      strict=True):
            if mask:
                stream.append(token)
                assert label == token
            else:  # padding: never attended to, never a label
                assert token == pad and label == IGNORE_INDEX
    expected = [t for text in texts
                for t in with_boundaries(tokenizer(text, add_special_tokens=False)["input_ids"],
                                         bos, eos)]
    assert stream == expected  # nothing lost, nothing reordered, across block boundaries
    starts = [i for i, token in enumerate(stream) if token == bos]
    assert len(starts) == len(texts)
    assert all(stream[i - 1] == eos for i in starts[1:])
    assert stats.tokens == len(stream) and stats.padding == len(dataset) * 32 - len(stream)
    assert sum(1 for row in dataset if 0 in row["attention_mask"]) <= 1


def test_positions_restart_at_every_document_and_block():
    blocks = pack_blocks([[5, 9, 9, 1], [5, 7, 1], [5, 8, 8, 8, 8, 1]], block_size=4, pad_id=0,
                         positions=True)
    assert blocks["input_ids"] == [[5, 9, 9, 1], [5, 7, 1, 5], [8, 8, 8, 8], [1, 0, 0, 0]]
    assert blocks["position_ids"] == [[0, 1, 2, 3], [0, 1, 2, 0], [0, 1, 2, 3], [0, 0, 1, 2]]


def test_flattening_collator_drops_padding_and_the_cross_block_label():
    blocks = pack_blocks([[5, 9, 1], [5, 7, 7, 7, 1]], block_size=4, pad_id=0, positions=True)
    rows = [{key: blocks[key][i] for key in blocks} for i in range(2)]
    batch = FlatteningCollator()(rows)
    assert "attention_mask" not in batch
    assert batch["input_ids"].tolist() == [[5, 9, 1, 5, 7, 7, 7, 1]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 0, 1, 2, 3]]
    assert batch["labels"].tolist() == [[5, 9, 1, 5, IGNORE_INDEX, 7, 7, 1]]


def test_collator_pads_right_with_masked_labels():
    batch = PaddingCollator(pad_id=0)([
        {"input_ids": [5, 6, 7], "attention_mask": [1, 1, 1], "labels": [-100, 6, 7]},
        {"input_ids": [5, 8], "attention_mask": [1, 1], "labels": [-100, 8]},
    ])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 8, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [-100, 8, -100]]


# --- chat examples ---------------------------------------------------------------------------


def test_labels_cover_only_the_answer_and_its_end_of_turn(tokenizer):
    example = chat_example(tokenizer, pair_messages(QUESTION, ANSWER), max_length=512)
    labels = [label for label in example["labels"] if label != IGNORE_INDEX]
    assert tokenizer.decode(labels) == ANSWER + "<|END_OF_TURN_TOKEN|>"
    first = example["labels"].index(labels[0])
    prompt = tokenizer.decode(example["input_ids"][:first])
    assert prompt.endswith("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")
    assert QUESTION in prompt


def test_train_on_prompt_labels_the_user_turn_too(tokenizer):
    example = chat_example(tokenizer, pair_messages(QUESTION, ANSWER), max_length=512,
                           train_on_prompt=True)
    assert example["labels"] == example["input_ids"]


def test_multi_turn_conversations_label_every_assistant_turn(tokenizer):
    messages = [*pair_messages("سلام", "سلام، بفرمایید."), *pair_messages(QUESTION, ANSWER)]
    text, spans = assistant_spans(tokenizer, messages)
    assert [text[start:end] for start, end in spans] == [
        "سلام، بفرمایید.<|END_OF_TURN_TOKEN|>", ANSWER + "<|END_OF_TURN_TOKEN|>"]


def test_truncation_that_removes_the_answer_drops_the_example(tokenizer):
    assert chat_example(tokenizer, pair_messages(QUESTION * 20, ANSWER), max_length=16) is None


def test_missing_chat_template_fails_with_the_fix(tmp_path):
    from .tiny_models import CHAT_TEMPLATE, build_tokenizer, persian_texts

    bare = build_tokenizer(persian_texts(DEMO_KB)[:200], vocab_size=400, chat_template=False)
    with pytest.raises(DataError, match=r"no chat template.*data.chat_template=FILE.jinja"):
        ensure_chat_template(bare, "some/model", None)
    template = tmp_path / "chat.jinja"
    template.write_text(CHAT_TEMPLATE, encoding="utf-8")
    ensure_chat_template(bare, "some/model", str(template))
    assert chat_example(bare, pair_messages(QUESTION, ANSWER), max_length=512) is not None


# --- reading corpora -------------------------------------------------------------------------


def test_keep_count_takes_the_leading_fraction():
    assert keep_count(10, 0.6, None) == 6
    assert keep_count(11, 0.6, None) == 7
    assert keep_count(10, 1.0, 3) == 3


def test_corpus_with_blank_lines_and_empty_records_keeps_the_rest(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    rows = [{"content": "متن اول"}, {"content": "   "}, {"content": None}, {"content": "متن دوم"}]
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    corpus.write_text("\n\n".join(lines) + "\n\n", encoding="utf-8")
    report = ReadReport()
    texts = read_corpus(DataSettings(source=str(corpus)), report)
    assert texts == ["متن اول", "متن دوم"]
    assert report.to_dict() == {"records": 4, "used": 2, "empty": 2}


def test_corpus_with_non_utf8_bytes_names_the_line(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes('{"content": "متن"}\n'.encode() + b'{"content": "\xff\xfe"}\n')
    with pytest.raises(DataError, match=r"corpus.jsonl:2: not UTF-8"):
        read_corpus(DataSettings(source=str(corpus)))


def test_wrong_column_lists_the_columns_and_the_key_to_set(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"body": "متن"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"no column 'content'.*\['body'\].*data.text_field"):
        read_corpus(DataSettings(source=str(corpus)))


def test_pairs_match_columns_case_insensitively(tmp_path):
    pairs_file = tmp_path / "mf3qa.jsonl"
    pairs_file.write_text(json.dumps({"Question": QUESTION, "Answer": ANSWER},
                                     ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_pairs(DataSettings(source=str(pairs_file))) == [(QUESTION, ANSWER)]


def test_saved_dataset_folder_is_read_with_fraction(tmp_path):
    import datasets

    folder = tmp_path / "corpus"
    datasets.Dataset.from_dict({"content": [f"سند {i}" for i in range(10)]}).save_to_disk(
        str(folder))
    texts = read_corpus(DataSettings(source=str(folder), fraction=0.6))
    assert texts == [f"سند {i}" for i in range(6)]


def test_hub_dataset_offline_fails_with_what_to_do(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="save_to_disk"):
        read_corpus(DataSettings(source="gaokerena/medical_corpus"))


@pytest.mark.data
def test_mf3qa_pairs_from_the_shared_data_become_answer_only_examples(shared_data, tokenizer):
    settings = DataSettings(source=str(shared_data / "mf3qa" / "train.jsonl"), fraction=0.01)
    report = ReadReport()
    pairs = read_pairs(settings, report)
    assert report.records == 183 and len(pairs) == report.used > 150
    for question, answer in pairs[:20]:
        example = chat_example(tokenizer, pair_messages(question, answer), max_length=4096)
        labels = [label for label in example["labels"] if label != IGNORE_INDEX]
        assert tokenizer.decode(labels) == answer + "<|END_OF_TURN_TOKEN|>"
