import json

import pytest
from langchain_core.callbacks import BaseCallbackHandler

from assistant.pipeline import Assistant, AssistantConfig, cited_numbers
from assistant.prompts import SYSTEM_PROMPT
from assistant.safety import DISCLAIMER
from index.errors import QueryError

QUESTION = "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟"
EMERGENCY = "پدرم ناگهان صورتش کج شده و یک طرف بدنش بی‌حس شده و نمی‌تواند حرف بزند"


@pytest.fixture(scope="module")
def extractive(demo_retriever):
    return Assistant(demo_retriever)


@pytest.fixture(scope="module")
def generative(demo_retriever, tiny_generator):
    from assistant.backends.base import GenerationConfig

    return Assistant(demo_retriever, tiny_generator,
                     AssistantConfig(k=3, context_tokens=1500,
                                     generation=GenerationConfig(max_new_tokens=8)))


def test_extractive_rag_answer_quotes_cited_sources_with_a_disclaimer(extractive):
    answer = extractive.answer(QUESTION, "rag")
    assert answer.backend == "extractive" and answer.text.endswith(DISCLAIMER)
    assert answer.citations and all(c.cited for c in answer.citations)
    assert answer.citations[0].text in answer.text
    assert set(answer.timings) == {"retrieval_s", "generation_s"}


def test_extractive_plain_answer_says_it_needs_a_model(extractive):
    answer = extractive.answer(QUESTION, "plain")
    assert answer.note == "needs a generative model" and "--backend" in answer.text


def test_emergency_guidance_comes_first_in_every_mode(extractive, generative):
    for assistant in (extractive, generative):
        for mode in ("rag", "plain"):
            answer = assistant.answer(EMERGENCY, mode)
            assert answer.emergency and answer.text.lstrip().startswith(
                assistant.detector.detect(EMERGENCY).guidance[:20])
            assert "115" in answer.text or "۱۱۵" in answer.text


def test_ordinary_question_has_no_emergency_banner(extractive):
    assert not extractive.answer(QUESTION).emergency


@pytest.mark.parametrize("question", ["", "   ", "سر" * 50_000])
def test_unusable_questions_are_refused_clearly(extractive, question):
    with pytest.raises(QueryError):
        extractive.answer(question)


def test_generated_rag_answer_lists_the_passages_it_was_given(generative):
    answer = generative.answer(QUESTION, "rag")
    assert answer.backend == "hf" and 1 <= len(answer.citations) <= 3
    assert [c.number for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert answer.timings["generation_s"] > 0 and "retrieval_s" in answer.timings


def test_compare_gives_both_answers_from_the_same_model(generative):
    answers = generative.compare(QUESTION)
    assert set(answers) == {"plain", "rag"}
    assert answers["plain"].model_id == answers["rag"].model_id
    assert answers["plain"].citations == []


def test_a_failing_model_keeps_the_other_answer(demo_retriever):
    from assistant.backends.base import GenerationError

    class FailsWithoutSources:
        backend, model_id = "test", "fails-plain"

        def generate(self, messages, config):
            if "<<<منبع" not in messages[-1]["content"]:
                raise GenerationError("endpoint down")
            return "پاسخ [1]"

    answers = Assistant(demo_retriever, FailsWithoutSources()).compare(QUESTION)
    assert "endpoint down" in answers["plain"].note
    assert answers["rag"].citations[0].cited and not answers["rag"].note
    # a failed answer to an emergency still leads with the guidance
    assistant = Assistant(demo_retriever, FailsWithoutSources())
    failed = assistant.compare(EMERGENCY)["plain"]
    assert failed.emergency and "endpoint down" in failed.text
    assert failed.text.startswith(assistant.detector.detect(EMERGENCY).guidance)


class TwoWays:
    """A model whose whole reply and streamed reply are the same words."""

    backend, model_id = "test", "two-ways"
    words = ("طبق ", "[2]", " استراحت کنید.")

    def generate(self, messages, config):
        return "".join(self.words)

    def stream(self, messages, config):
        yield from self.words


@pytest.mark.parametrize("question", [QUESTION, EMERGENCY])
def test_answer_is_what_the_stream_says(demo_retriever, question):
    for assistant in (Assistant(demo_retriever), Assistant(demo_retriever, TwoWays())):
        for mode in ("rag", "plain"):
            answer = assistant.answer(question, mode)
            assert answer.text == "".join(assistant.stream(question, mode)), (assistant, mode)
    sources, words = assistant.stream_with_sources(question)
    answer = assistant.answer(question, "rag")
    assert "".join(words) == answer.text
    assert [c.doc_id for c in sources] == [c.doc_id for c in answer.citations]
    assert [c.number for c in answer.citations if c.cited] == [2]


def test_one_length_limit_for_the_retriever_and_the_assistant(demo_retriever):
    limit = demo_retriever.limits.max_chars
    assistant = Assistant(demo_retriever)
    assert assistant.max_question_chars == limit
    with pytest.raises(QueryError, match=f"{limit:,}"):
        assistant.answer("سر " * limit)


def test_streaming_starts_with_guidance_and_ends_with_disclaimer(generative):
    chunks = list(generative.stream(EMERGENCY, "rag"))
    assert chunks[0].startswith(generative.detector.detect(EMERGENCY).guidance[:20])
    assert chunks[-1] == DISCLAIMER and len(chunks) > 3


def test_citation_numbers_are_read_in_both_digit_systems():
    assert cited_numbers("طبق [۲] و [3] و [12]") == {2, 3, 12}


class PromptRecorder(BaseCallbackHandler):
    """A LangChain callback that keeps the messages each chat model call was given."""

    def __init__(self):
        self.seen = []

    def on_chat_model_start(self, serialized, messages, **kwargs):
        self.seen.extend(messages)


def test_langchain_retriever_and_chain_run_end_to_end(demo_retriever):
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    from assistant.langchain import GaokerenaRetriever, build_rag_chain

    retriever = GaokerenaRetriever(retriever=demo_retriever, k=3)
    documents = retriever.invoke(QUESTION)
    assert len(documents) == 3 and documents[0].metadata["doc_id"].startswith("demo-")
    chain = build_rag_chain(retriever, FakeListChatModel(responses=["استراحت کنید [1]"]))
    prompts = PromptRecorder()
    assert chain.invoke(QUESTION, config={"callbacks": [prompts]}) == "استراحت کنید [1]"
    # The model must get our prompt: system rules, then the retrieved passages, numbered
    # and fenced, then the question.
    (messages,) = prompts.seen
    assert [m.type for m in messages] == ["system", "human"]
    assert messages[0].content == SYSTEM_PROMPT
    user = messages[1].content
    assert user.endswith(QUESTION)
    for number, document in enumerate(documents, start=1):
        assert f"<<<منبع {number} | {document.metadata['source']}>>>" in user
        assert document.page_content.split()[0] in user
    assert "<<<منبع 4" not in user


def test_ask_command_prints_both_modes_as_json(demo_index, capsys):
    from index.cli import main

    code = main(["ask", "--index", str(demo_index), "--mode", "both", "--json", QUESTION])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and set(payload["answers"]) == {"plain", "rag"}
    rag = payload["answers"]["rag"]
    assert {"text", "citations", "emergency", "timings"} <= set(rag)
    assert payload["answers"]["plain"]["note"] == "needs a generative model"
