"""``gaokerena eval mcq`` end to end: a tiny random Cohere model and the demo index (both
modes), bad rows, resuming, and an API model behind a local server that times out."""

from __future__ import annotations

import json
import re

import pytest

from evaluation.mcq_data import load_mcq
from evaluation.mcq_report import format_report
from index.cli import main
from index.errors import DataError

from .conftest import DEMO_QUERIES
from .test_eval_support import HANG, MCQ_ROWS, ScriptedServer, write_jsonl

IBMSEE_ROWS = [{**row, "id": row["id"] + 100, "topic": "فیزیولوژی" if row["id"] % 2 else "تشريح",
                "exam": "پزشکی شهریور 401" if row["id"] < 3 else "دندانپزشکی اسفند 402"}
               for row in MCQ_ROWS]


@pytest.fixture(scope="module")
def lexical_index(tmp_path_factory, demo_documents):
    """The demo knowledge base as a BM25-only index (no embedder to train: fast)."""
    from index.build import build_index

    out = tmp_path_factory.mktemp("eval-index") / "demo"
    build_index(demo_documents, out, embedder=None, progress=False)
    return out


@pytest.fixture
def exam_dir(tmp_path):
    folder = tmp_path / "exams"
    folder.mkdir()
    write_jsonl(folder / "anatomy.jsonl", MCQ_ROWS)
    write_jsonl(folder / "ibmsee.jsonl", IBMSEE_ROWS)
    return folder


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_tiny_model_scores_both_modes_into_a_well_formed_report(tiny_cohere_dir, lexical_index,
                                                                 exam_dir, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["eval", "mcq", "--data", str(exam_dir), "--model", str(tiny_cohere_dir),
            "--device", "cpu", "--index", str(lexical_index), "--k", "3", "--out", str(out),
            "--retrieval-queries", str(DEMO_QUERIES), "--quiet", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (out / "accuracy.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["questions"] == 12 and report["skipped"] == []
    assert report["settings"]["modes"] == ["plain", "rag"]
    for mode in ("plain", "rag"):
        figures = report["modes"][mode]
        assert set(figures["files"]) == {"anatomy", "ibmsee"}
        assert figures["overall"]["n"] == 12
        assert 0 <= figures["overall"]["accuracy"] <= 1
        assert figures["overall"]["correct"] == sum(c["correct"]
                                                    for c in figures["files"].values())
        # IBMSEE rows carry exams: pass/fail against 36% per exam session and per file.
        exams = figures["ibmsee"]["exams"]
        assert set(exams) == {"پزشکی شهریور 401", "دندانپزشکی اسفند 402"}
        assert all(cell["passed"] == (cell["accuracy"] >= 0.36) for cell in exams.values())
        assert set(figures["ibmsee"]["files"]) == {"ibmsee"}
        # Arabic and Persian spellings of one topic are one group.
        assert set(figures["topics"]) == {"تشریح", "فیزیولوژی"}
        assert figures["seconds_per_question"] > 0
        rows = _lines(out / f"predictions_{mode}.jsonl")
        assert len(rows) == 12 and all(len(row["logprobs"]) == 4 for row in rows)
    assert all(len(row["passages"]) >= 1 for row in _lines(out / "predictions_rag.jsonl"))
    assert report["modes"]["rag"]["retrieval"]["mean_passages"] >= 1
    assert "rag_minus_plain" in report
    # `eval retrieval`'s metrics of the same index, on the demo queries.
    assert report["retrieval_metrics"]["n"] > 0 and report["retrieval_metrics"]["mrr@10"] > 0
    assert report["paper_reference"]["mmlu_fa_average"]["gaokerena"] == 49.31
    table = format_report(report)
    assert "IBMSEE exams (pass mark 36%)" in table and "تشریح" in table

    # A second run continues: nothing is scored again, the report is the same.
    before = (out / "predictions_plain.jsonl").read_text(encoding="utf-8")
    assert main(argv) == 0
    again = json.loads(capsys.readouterr().out)
    assert (out / "predictions_plain.jsonl").read_text(encoding="utf-8") == before
    assert again["modes"]["plain"]["overall"] == report["modes"]["plain"]["overall"]
    # Other settings in the same folder are refused instead of mixed.
    assert main([*argv, "--length-norm", "chars"]) == 2
    assert "other settings" in capsys.readouterr().err


def test_unusable_rows_are_reported_with_file_and_line(tmp_path, capsys):
    rows = [MCQ_ROWS[0], {**MCQ_ROWS[1], "options": MCQ_ROWS[1]["options"][:3]},
            {**MCQ_ROWS[2], "answer": 7}, MCQ_ROWS[3]]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    data = load_mcq([path])
    assert [q.id for q in data.questions] == ["0", "3"]
    assert [(p.line, p.path) for p in data.problems] == [(2, str(path)), (3, str(path))]
    code = main(["eval", "mcq", "--data", str(path), "--mode", "plain", "--out",
                 str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{path}:2: 'options' has 3 entries" in err and f"{path}:3: 'answer' must be 1-4" in err
    assert "--skip-invalid" in err
    # With --skip-invalid the rest is scored and the skipped rows are listed in the report.
    with ScriptedServer(lambda body: "۱") as server:
        assert main(["eval", "mcq", "--data", str(path), "--backend", "openai", "--base-url",
                     server.url, "--model", "m", "--mode", "plain", "--skip-invalid",
                     "--out", str(tmp_path / "o"), "--quiet", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 2
    assert report["skipped"] == [f"{path}:2: 'options' has 3 entries; exactly 4 are needed",
                                 f"{path}:3: 'answer' must be 1-4, found 7"]


def test_an_empty_file_or_missing_path_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty"):
        load_mcq([empty])
    with pytest.raises(DataError, match="no such file"):
        load_mcq([tmp_path / "absent.jsonl"])


def _exam_responder(hang_ids: set[int]):
    """Answers each question with its correct option in a different Persian shape."""
    shapes = ["گزینه‌ی {n}", "پاسخ: {n}", "{n}", "جواب صحیح گزینه {n} است", "نمی‌دانم", "{n})"]
    digits = "۰۱۲۳۴"

    def respond(body: dict) -> str:
        content = body["messages"][-1]["content"]
        row = next(r for r in MCQ_ROWS if r["question"] in content)
        if row["id"] in hang_ids:
            return HANG
        return shapes[row["id"]].format(n=digits[row["answer"]])
    return respond


def test_api_model_answers_are_parsed_and_a_timeout_resumes(tmp_path, capsys):
    data = write_jsonl(tmp_path / "anatomy.jsonl", MCQ_ROWS)
    out = tmp_path / "api"
    hang = {3}
    with ScriptedServer(_exam_responder(hang)) as server:
        argv = ["eval", "mcq", "--data", str(data), "--backend", "openai", "--base-url",
                server.url, "--model", "exam-model", "--mode", "plain", "--timeout", "0.5",
                "--retries", "0", "--out", str(out), "--quiet", "--json"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "run the same command again" in err
        assert [r["id"] for r in _lines(out / "predictions_plain.jsonl")] == ["0", "1", "2"]
        hang.clear()
        asked = len(server.requests)
        assert main(argv) == 0
        # Only the three unfinished questions went to the endpoint again.
        assert len(server.requests) - asked == 3
    report = json.loads(capsys.readouterr().out)
    figures = report["modes"]["plain"]
    assert figures["overall"] == {"n": 6, "correct": 5, "accuracy": round(5 / 6, 4)}
    assert figures["unparsed"] == 1  # «نمی‌دانم» is wrong and counted, not guessed
    rows = _lines(out / "predictions_plain.jsonl")
    assert [r["id"] for r in rows] == ["0", "1", "2", "3", "4", "5"]
    assert rows[4]["choice"] is None and rows[4]["raw"] == "نمی‌دانم"


def test_loglik_needs_a_local_model(tmp_path, capsys):
    data = write_jsonl(tmp_path / "a.jsonl", MCQ_ROWS)
    code = main(["eval", "mcq", "--data", str(data), "--backend", "openai", "--scoring",
                 "loglik", "--mode", "plain", "--out", str(tmp_path / "o")])
    assert code == 2
    assert re.search(r"needs a local model", capsys.readouterr().err)


def test_a_local_model_can_also_be_scored_by_generating(tiny_cohere_dir, tmp_path, capsys):
    data = write_jsonl(tmp_path / "anatomy.jsonl", MCQ_ROWS[:2])
    assert main(["eval", "mcq", "--data", str(data), "--model", str(tiny_cohere_dir),
                 "--device", "cpu", "--scoring", "generate", "--max-new-tokens", "4",
                 "--mode", "plain", "--out", str(tmp_path / "gen"), "--quiet", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["modes"]["plain"]
    rows = _lines(tmp_path / "gen" / "predictions_plain.jsonl")
    assert [isinstance(row["raw"], str) for row in rows] == [True, True]
    # A random model's text is (almost surely) no answer: unparsed, scored wrong.
    assert figures["unparsed"] == sum(row["choice"] is None for row in rows)
