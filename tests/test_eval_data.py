"""The exam files of ../shared/data and the resumable result log."""

from __future__ import annotations

import json

import pytest

from evaluation.mcq_data import load_mcq
from evaluation.resume import ResultLog
from index.errors import DataError


@pytest.mark.data
def test_every_shared_exam_question_parses(shared_data):
    mmlu = load_mcq([shared_data / "mmlu_fa"])
    ibmsee = load_mcq([shared_data / "ibmsee"])
    assert (len(mmlu.questions), len(mmlu.problems)) == (1089, 0)
    assert (len(ibmsee.questions), len(ibmsee.problems)) == (1710, 0)
    assert {q.source for q in mmlu.questions} == {
        "anatomy", "clinical_knowledge", "college_biology", "college_medicine",
        "medical_genetics", "professional_medicine"}
    assert all(q.exam and q.topic for q in ibmsee.questions)
    assert not any(q.exam for q in mmlu.questions)


def test_result_log_resumes_and_cuts_a_half_written_line(tmp_path):
    path = tmp_path / "log.jsonl"
    with ResultLog(path) as log:
        log.append({"key": "a", "v": 1})
        log.append({"key": "b", "v": "۲"})
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"key": "c", "v"')  # the process was killed mid-line
    log = ResultLog(path)
    assert log.done == {"a", "b"}
    log.append({"key": "c", "v": 3})
    log.close()
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["a", "b", "c"]


def test_result_log_refuses_a_foreign_file(tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"key": "a"}\nnot json\n{"key": "b"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"other.jsonl:2"):
        ResultLog(path)


def test_parallel_items_keep_finished_rows_when_one_fails(tmp_path):
    from assistant.backends.base import GenerationError
    from evaluation.workers import run_resumable

    def flaky(item: int) -> dict:
        if item == 3:
            raise GenerationError("the endpoint timed out")
        return {"key": str(item)}

    with ResultLog(tmp_path / "rows.jsonl") as log, \
            pytest.raises(GenerationError, match="run the same command again"):
        run_resumable(range(6), flaky, log, workers=2)
    log = ResultLog(tmp_path / "rows.jsonl")
    assert {"0", "1", "2"} <= log.done and "3" not in log.done
    left = [item for item in range(6) if str(item) not in log.done]
    assert run_resumable(left, lambda item: {"key": str(item)}, log, workers=2) == len(left)
    assert log.done == {str(item) for item in range(6)}
