import json

import pytest

from index.errors import DataError
from index.records import FieldConfig, LoadReport, load_documents


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_mf3qa_records_index_the_answer_and_keep_id_and_site(tmp_path):
    path = write_lines(tmp_path / "qa.jsonl", [json.dumps(
        {"id": "train-1", "question": "سردرد دارم", "answer": "استراحت کنید",
         "source": "niniban.com"}, ensure_ascii=False)])
    [doc] = load_documents(path)
    assert (doc.doc_id, doc.text, doc.site) == ("train-1", "استراحت کنید", "niniban.com")


def test_question_and_answer_can_be_indexed_together(tmp_path):
    record = {"id": 1, "question": "س", "answer": "ج"}
    path = write_lines(tmp_path / "qa.jsonl", [json.dumps(record)])
    [doc] = load_documents(path, FieldConfig(text_fields=("question", "answer")))
    assert doc.text == "س\n\nج" and doc.doc_id == "1"


def test_malformed_line_is_reported_with_its_number(tmp_path):
    lines = ['{"id": 1, "answer": "خوب"}', '{"id": 2, "answer": ']
    path = write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(DataError, match=r"bad\.jsonl:2: not valid JSON"):
        load_documents(path)


def test_non_object_line_is_reported(tmp_path):
    path = write_lines(tmp_path / "list.jsonl", ["[1, 2]"])
    with pytest.raises(DataError, match=r":1: expected a JSON object"):
        load_documents(path)


def test_broken_encoding_is_reported_with_a_fix(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b'{"id": 1, "answer": "ok"}\n{"id": 2, "answer": "\xff\xfe"}\n')
    with pytest.raises(DataError, match=r"latin.jsonl:2: not UTF-8"):
        load_documents(path)


def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes('\ufeff{"id": 1, "answer": "سردرد"}\n'.encode())
    assert [doc.doc_id for doc in load_documents(path)] == ["1"]


def test_wrong_text_column_names_the_columns_present(tmp_path):
    path = write_lines(tmp_path / "qa.jsonl", [json.dumps({"id": 1, "content": "متن"})])
    with pytest.raises(DataError, match="--text-field"):
        load_documents(path)


def test_blank_texts_are_skipped_and_counted(tmp_path):
    path = write_lines(tmp_path / "qa.jsonl", [
        json.dumps({"id": 1, "answer": "  "}), "", json.dumps({"id": 2, "answer": "پاسخ"})])
    report = LoadReport()
    docs = load_documents(path, report=report)
    assert [d.doc_id for d in docs] == ["2"] and report.empty == 1 and report.read == 2


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_documents(tmp_path / "absent.jsonl")


def test_saved_dataset_folder_loads(tmp_path):
    import datasets

    datasets.Dataset.from_dict({"id": ["a", "b"], "answer": ["یک", "دو"]}).save_to_disk(
        str(tmp_path / "ds"))
    docs = load_documents(tmp_path / "ds")
    assert [d.text for d in docs] == ["یک", "دو"]


def test_unreachable_hub_dataset_says_what_to_do():
    with pytest.raises(DataError, match="save_to_disk"):
        load_documents("gaokerena/no-such-dataset-here")
