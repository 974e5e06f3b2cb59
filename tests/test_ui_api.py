"""The web app through its API (gradio_client), as scripts and the benchmark use it."""

from __future__ import annotations

import json

import pytest

from assistant.backends.base import GenerationConfig
from assistant.pipeline import Assistant, AssistantConfig
from ui.app import UIConfig, build_demo

from .ui_helpers import PLAIN_WORDS, ScriptedGenerator, served, ui_retriever

QUESTION = "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟"
EMERGENCY = "پدرم ناگهان صورتش کج شده و یک طرف بدنش بی‌حس شده و نمی‌تواند حرف بزند"
OUTPUTS = ("question", "plain", "rag", "sources", "banner", "status")



@pytest.fixture(scope="module")
def retriever(tmp_path_factory, demo_documents):
    return ui_retriever(tmp_path_factory, demo_documents)

def text_of(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content)
    return content


def ask(client, question: str, k: int = 5, modes=("plain", "rag")) -> dict:
    result = client.predict(question, k, list(modes), api_name="/ask")
    return dict(zip(OUTPUTS, result, strict=False))


@pytest.fixture(scope="module")
def extractive_client(retriever):
    from gradio_client import Client

    with served(build_demo(Assistant(retriever))) as url:
        yield Client(url, verbose=False)


class FailsOnRequest(ScriptedGenerator):
    """Fails mid-stream in plain mode only when the question mentions «خرابی»."""

    def stream(self, messages, config):
        self.fail_plain_after = 3 if "خرابی" in messages[-1]["content"] else None
        return super().stream(messages, config)


@pytest.fixture(scope="module")
def model_app(retriever, tmp_path_factory):
    votes = tmp_path_factory.mktemp("votes") / "preferences.jsonl"
    assistant = Assistant(retriever, FailsOnRequest(),
                          AssistantConfig(k=3, generation=GenerationConfig(max_new_tokens=32)))
    with served(build_demo(assistant, UIConfig(votes_file=votes))) as url:
        yield url, votes


def new_client(url):
    from gradio_client import Client

    return Client(url, verbose=False)


def test_a_question_fills_both_columns_and_the_sources(extractive_client):
    out = ask(extractive_client, QUESTION)
    plain, rag = text_of(out["plain"][-1]), text_of(out["rag"][-1])
    assert text_of(out["plain"][0]) == QUESTION and "--backend" in plain
    assert "[1]" in rag and rag.rstrip().endswith("تماس بگیرید.")
    assert out["sources"].count('class="gk-source') >= 1 and "[1]" in out["sources"]
    assert out["question"] == ""


def test_smaller_k_retrieves_fewer_passages(extractive_client):
    one = ask(extractive_client, QUESTION, k=1)
    assert one["sources"].count('<li class="gk-source') == 1


def test_an_emergency_question_raises_the_banner(extractive_client):
    out = ask(extractive_client, EMERGENCY)
    assert out["banner"]["visible"] is True and "tel:115" in out["banner"]["value"]


def test_empty_submit_is_ignored_with_a_hint(extractive_client):
    out = ask(extractive_client, "   ")
    assert "پرسش خالی است" in out["status"]
    assert out["plain"] == {"__type__": "update"}  # the chats are left as they were


def test_a_huge_paste_gets_a_clear_message_and_keeps_the_text(extractive_client):
    out = ask(extractive_client, "سر" * 50_000)
    assert "100,000" in out["status"] and "4,000" in out["status"]
    assert out["question"] == {"__type__": "update"}  # the text stays in the box


def test_a_non_persian_question_is_refused_with_the_reason(extractive_client):
    out = ask(extractive_client, "what is the dose of aspirin for adults")
    assert "قابل پاسخ نیست" in out["status"] and "Persian" in out["status"]


def test_a_backend_failing_mid_stream_leaves_the_other_column_complete(model_app):
    url, _ = model_app
    out = ask(new_client(url), "خرابی: " + QUESTION)
    plain, rag = text_of(out["plain"][-1]), text_of(out["rag"][-1])
    assert "خطا" in plain and "the model server stopped answering" in plain
    assert plain.startswith(" ".join(PLAIN_WORDS.split()[:3]))
    assert "ibuprofen 400" in rag and "[1]" in rag
    assert "استناد شده" in out["sources"]


def test_votes_are_stored_only_after_opting_in_as_dpo_pairs(model_app):
    url, votes = model_app
    client = new_client(url)
    ask(client, QUESTION)
    client.predict(False, api_name="/vote_plain")
    assert not votes.exists()  # voted, not opted in: nothing written
    ask(client, QUESTION)
    message = client.predict(True, api_name="/vote_rag")
    assert "ذخیره شد" in message
    again = client.predict(True, api_name="/vote_plain")  # one vote per pair
    assert "ابتدا" in again
    records = [json.loads(line) for line in votes.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["vote"] == "rag" and record["question"] == QUESTION
    assert record["model_ids"]["rag"] == "scripted-test-model"
    assert record["chosen"][0]["content"] == record["answers"]["rag"]
    assert record["rejected"][0]["content"] == record["answers"]["plain"]
    assert record["sources"] and record["sources"][0]["number"] == 1
    assert set(record) >= {"question", "answers", "sources", "vote", "model_ids", "time"}


def test_serve_refuses_a_missing_index_with_one_line(tmp_path, capsys):
    from index.cli import main

    assert main(["serve", "--index", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
