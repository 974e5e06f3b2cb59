"""The ``gaokerena`` command line, run in-process through ``index.cli.main``."""

import json
import re
import shutil

import pytest

from assistant.safety import DISCLAIMER
from index.build import DENSE_NAME
from index.cli import main

from .conftest import DEMO_KB, DEMO_QUERIES

QUESTION = "سرم تیر می‌کشد و از نور اذیت می‌شوم"


def run(capsys, *argv):
    """(exit code, stdout, stderr) of one command."""
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(code, err, *fragments):
    """Exit 2 and one line on stderr that starts with 'error:' and names the problem."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    # Subcommands are the indented first words under "COMMAND"; the program's description
    # also names most of them, so a bare "in out" would pass with none registered.
    listed = re.findall(r"^ {4}(\w+) ", out, flags=re.MULTILINE)
    assert set(listed) >= {"index", "train", "eval", "ask", "crawl", "serve"}
    for command in listed:
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0, command


def test_index_build_help_explains_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["index", "build", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--input", "--text-field", "--embedder"):
        assert option in out


def test_build_with_an_embedder_makes_a_hybrid_index(capsys, tmp_path, tiny_embedder_dir):
    code, out, _ = run(capsys, "index", "build", "--input", DEMO_KB, "--text-field", "question",
                       "--text-field", "answer", "--embedder", tiny_embedder_dir,
                       "--no-encoder", "--out", tmp_path / "idx", "--json", "--quiet")
    assert code == 0
    summary = json.loads(out)
    assert summary["documents"] == 200 and summary["mode"] == "hybrid"
    assert summary["encoder"] is None
    assert (tmp_path / "idx" / "manifest.json").is_file()


def test_build_with_no_embedder_is_bm25_only(capsys, tmp_path):
    code, out, _ = run(capsys, "index", "build", "--input", DEMO_KB, "--no-embedder",
                       "--out", tmp_path / "idx", "--json", "--quiet")
    assert code == 0
    assert json.loads(out)["mode"] == "lexical"
    assert not (tmp_path / "idx" / DENSE_NAME).exists()


def test_repeated_answers_are_stored_once_unless_kept(capsys, tmp_path):
    stock = "دوست عزیز، تست خانگی دقیق نیست؛ آزمایش خون بدهید."
    rows = [{"id": "a", "answer": stock}, {"id": "b", "answer": "میگرن با نور بدتر می‌شود"},
            {"id": "c", "answer": stock}]
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    for flag, chunks in (((), 2), (("--keep-identical",), 3)):
        out_dir = tmp_path / f"idx{chunks}"
        code, out, _ = run(capsys, "index", "build", "--input", data, "--no-embedder", *flag,
                           "--out", out_dir, "--json", "--quiet")
        assert code == 0 and json.loads(out)["chunks"] == chunks
    code, out, _ = run(capsys, "index", "search", "--index", tmp_path / "idx2", "تست خانگی")
    assert code == 0 and "[1] a  (+1 with the same text)" in out


def test_search_prints_hits_as_json_with_citation_fields(capsys, demo_index):
    code, out, _ = run(capsys, "index", "search", "--index", demo_index, "--json", "--k", "3",
                       QUESTION)
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 3
    for hit in hits:
        assert {"doc_id", "text", "score", "site", "url", "title"} <= set(hit)


def test_eval_retrieval_prints_the_metrics_as_json(capsys, demo_index):
    code, out, _ = run(capsys, "eval", "retrieval", "--index", demo_index,
                       "--queries", DEMO_QUERIES, "--json", "--quiet")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"mrr@10", "recall@1", "recall@5", "recall@20", "n",
                           "missing", "invalid", "mode"}
    assert result["n"] == 80 and result["mode"] == "hybrid"


def test_malformed_jsonl_input_names_its_line(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "answer": "سردرد"}\n{"id": "b", "answer": \n', encoding="utf-8")
    code, _, err = run(capsys, "index", "build", "--input", bad, "--no-embedder",
                       "--out", tmp_path / "idx", "--quiet")
    assert_user_error(code, err, "bad.jsonl:2")
    assert not (tmp_path / "idx").exists()


@pytest.mark.parametrize(
    ("query", "reason"),
    [(" ", "empty"), ("I have a headache since yesterday", "not in Persian"),
     ("سر" * 50_000, "limit")],
    ids=["blank", "english", "100k-chars"],
)
def test_unusable_query_is_a_user_error(capsys, demo_index, query, reason):
    code, out, err = run(capsys, "index", "search", "--index", demo_index, query)
    assert out == ""
    assert_user_error(code, err, reason)


def test_missing_index_folder_is_a_user_error(capsys, tmp_path):
    code, _, err = run(capsys, "index", "search", "--index", tmp_path / "nowhere", QUESTION)
    assert_user_error(code, err, "no such index folder")


def test_truncated_faiss_file_is_a_user_error(capsys, demo_index, tmp_path):
    index = tmp_path / "copy"
    shutil.copytree(demo_index, index)
    data = (index / DENSE_NAME).read_bytes()
    (index / DENSE_NAME).write_bytes(data[: len(data) // 2])
    code, _, err = run(capsys, "index", "search", "--index", index, QUESTION)
    assert_user_error(code, err, DENSE_NAME)


def test_ask_answers_with_sources_and_the_disclaimer(capsys, demo_index):
    code, out, _ = run(capsys, "ask", "--index", demo_index, "--json", QUESTION)
    assert code == 0
    answer = json.loads(out)["answers"]["rag"]
    assert DISCLAIMER in answer["text"]
    assert answer["citations"] and answer["citations"][0]["doc_id"].startswith("demo-")


def test_training_on_a_single_pair_is_a_user_error(capsys, tmp_path):
    pairs = tmp_path / "one.jsonl"
    pairs.write_text('{"question": "سردرد دارم", "answer": "استراحت کنید"}\n', encoding="utf-8")
    code, _, err = run(capsys, "train", "embedder", "--pairs", pairs, "--out", tmp_path / "model")
    assert_user_error(code, err, "at least 2")
    assert not (tmp_path / "model").exists()


def test_a_quiet_build_prints_no_library_debug_lines(tmp_path):
    """bm25s sets its logger to DEBUG when it is first imported, mid-command; a fresh
    process (where the CLI sets logging up) must still keep that chatter hidden."""
    import subprocess
    import sys

    kb = tmp_path / "kb.jsonl"
    kb.write_text("".join(DEMO_KB.read_text(encoding="utf-8").splitlines(keepends=True)[:20]),
                  encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from index.cli import main; sys.exit(main())",
         "index", "build", "--input", str(kb), "--no-embedder", "--out", str(tmp_path / "i"),
         "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "DEBUG" not in done.stderr and "INFO" not in done.stderr, done.stderr


def test_output_cut_short_by_the_reader_ends_quietly(demo_index):
    """`gaokerena index search ... | head -2` must not print a traceback."""
    import subprocess
    import sys

    code = "import sys; from index.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "index", "search", "--index", str(demo_index), "--k", "200",
         QUESTION], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.read(100)
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
