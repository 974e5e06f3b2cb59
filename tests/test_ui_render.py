"""The web app's pure parts: escaping, sources, word-boundary streaming, votes, merging."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import pytest

from assistant.backends.base import GenerationError
from assistant.pipeline import Assistant, AssistantConfig, Citation
from assistant.safety import DISCLAIMER
from ui.answers import mark_cited, with_k
from ui.render import emergency_html, escape_chat, safe_url, sources_html, visible_prefix
from ui.streams import run_columns
from ui.votes import Pair, VoteStore, preference_record, read_votes

from .ui_helpers import ScriptedGenerator, ui_retriever

QUESTION = "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟"
EVIL = ('<script>window.__xss=1</script> درد <img src=x onerror="window.__xss=2"> '
        '<a href="javascript:alert(1)">کلیک</a>')



@pytest.fixture(scope="module")
def retriever(tmp_path_factory, demo_documents):
    return ui_retriever(tmp_path_factory, demo_documents)

def citation(number=1, text="متن", url="", title="عنوان", cited=True) -> Citation:
    return Citation(number, f"doc-{number}", text, "سایت", url, title, 1.0, cited)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)",
                                 " javascript:alert(1)", "data:text/html,<b>x</b>",
                                 "vbscript:x", "//evil.example/x", "http://a b", "ftp://x.ir/f",
                                 'https://x.ir/"onmouseover="alert(1)', ""])
def test_only_plain_http_links_survive(url):
    assert safe_url(url) == ""


def test_http_and_https_links_are_kept():
    assert safe_url("https://www.hidoctor.ir/مقاله?id=3") == "https://www.hidoctor.ir/مقاله?id=3"
    assert safe_url("http://niniban.com/x") == "http://niniban.com/x"


def test_chat_text_keeps_markdown_but_shows_tags_as_text():
    assert escape_chat("**مهم** <script>x</script>") == "**مهم** &lt;script&gt;x&lt;/script&gt;"


def test_markdown_images_in_answers_are_shown_as_text_not_fetched():
    assert escape_chat("ببینید ![x](https://tracker.example/p.png)") == (
        "ببینید !\\[x](https://tracker.example/p.png)")


def test_sources_panel_escapes_hostile_passages_titles_and_links():
    panel = sources_html([citation(text=EVIL, url="javascript:alert(1)", title="<b>عنوان</b>")])
    assert "<script" not in panel and "<img" not in panel and "<a " not in panel
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in panel
    assert "&lt;b&gt;عنوان&lt;/b&gt;" in panel and 'href="' not in panel
    assert '<span class="gk-url" dir="ltr">javascript:alert(1)</span>' in panel  # as text


def test_sources_panel_numbers_links_and_marks_cited_passages():
    panel = sources_html([citation(1, url="https://doctor-yab.ir/faq/1"),
                          citation(2, cited=False, title="دوم")])
    assert panel.index("[1]") < panel.index("[2]")
    assert 'href="https://doctor-yab.ir/faq/1"' in panel and 'rel="noopener noreferrer' in panel
    assert panel.count("استناد شده") == 1


def test_sources_panel_says_how_many_other_sources_repeat_a_passage():
    repeated = Citation(1, "doc-1", "متن", "سایت", "", "عنوان", 1.0, True, also=3)
    assert "همین متن در 3 منبع دیگر" in sources_html([repeated])
    assert "منبع دیگر" not in sources_html([citation()])


def test_long_uncited_passage_is_folded_after_a_preview():
    panel = sources_html([citation(text="کلمه " * 400, cited=False)])
    assert "<details>" in panel


def test_streamed_text_is_shown_at_word_boundaries():
    assert visible_prefix("سردرد میگر", final=False) == "سردرد "
    assert visible_prefix("سردرد", final=False) == ""
    assert visible_prefix("سردرد میگرنی", final=True) == "سردرد میگرنی"


def test_emergency_banner_escapes_and_offers_a_call():
    banner = emergency_html("<b>همین حالا</b> با ۱۱۵ تماس بگیرید")
    assert 'href="tel:115"' in banner and "&lt;b&gt;" in banner and 'role="alert"' in banner


def test_a_failing_column_shows_its_error_while_the_other_completes():
    def good():
        yield from ("پاسخ ", "کامل")

    def broken():
        yield "نیمه "
        raise GenerationError("endpoint down")

    final = list(run_columns({"plain": broken, "rag": good}))[-1]
    assert final["rag"].done and final["rag"].text == "پاسخ کامل" and not final["rag"].error
    assert final["plain"].done and final["plain"].text == "نیمه "
    assert "endpoint down" in final["plain"].error


def test_a_backend_bug_becomes_a_generic_error_without_details():
    def buggy():
        raise KeyError("secret internals")
        yield ""

    final = list(run_columns({"plain": buggy}))[-1]
    assert "KeyError" in final["plain"].error and "secret" not in final["plain"].error


def test_closing_the_merged_stream_stops_the_producers():
    produced = []
    closed = threading.Event()

    def endless():
        try:
            while True:
                produced.append(1)
                time.sleep(0.01)
                yield "کلمه "
        finally:
            closed.set()

    snapshots = run_columns({"rag": endless})
    next(snapshots)
    snapshots.close()
    assert closed.wait(2.0)
    count = len(produced)
    time.sleep(0.1)
    assert len(produced) <= count + 1


def test_sources_match_the_extractive_answer_numbering(retriever):
    assistant = Assistant(retriever)
    answer = assistant.answer(QUESTION, "rag")
    sources, _ = assistant.stream_with_sources(QUESTION)
    assert [(c.number, c.doc_id, c.cited) for c in sources] == [
        (c.number, c.doc_id, c.cited) for c in answer.citations]


def test_sources_of_a_model_are_the_prompt_passages_with_its_numbers(retriever):
    from assistant.prompts import sanitize_passage

    generator = ScriptedGenerator()
    assistant = Assistant(retriever, generator, AssistantConfig(k=4))
    sources, words = assistant.stream_with_sources(QUESTION)
    answer = "".join(words)
    prompt = generator.last_messages[-1]["content"]
    assert [c.number for c in sources] == list(range(1, len(sources) + 1)) and sources
    for c in sources:
        block = prompt.split(f"<<<منبع {c.number}")[1].split(f"<<<پایان منبع {c.number}>>>")[0]
        assert sanitize_passage(c.text) in block and not c.cited
    assert mark_cited(sources, answer)[0].cited  # the scripted answer cites [1]


def test_k_is_per_request_and_leaves_the_shared_assistant_alone(retriever):
    assistant = Assistant(retriever)
    local = with_k(assistant, 2)
    assert local.config.k == 2 and assistant.config.k == 5 and local.retriever is retriever


def test_cited_marks_follow_the_answer_in_both_digit_systems():
    marked = mark_cited([citation(1, cited=False), citation(2, cited=False),
                         citation(3, cited=False)], "طبق [۲] و [3]")
    assert [c.cited for c in marked] == [False, True, True]


def test_vote_record_is_a_dpo_preference_pair():
    pair = Pair("پرسش", "پاسخ ساده", "پاسخ با منبع [1]", [{"number": 1}], "hf", "gaokerena", 5)
    record = preference_record(pair, "rag", {"right": "plain", "left": "rag"},
                               now=datetime(2026, 11, 23, tzinfo=UTC))
    assert record["chosen"][0]["content"] == "پاسخ با منبع [1]"
    assert record["rejected"][0]["content"] == "پاسخ ساده"
    assert record["prompt"][0]["content"] == "پرسش" and record["time"].startswith("2026-11-23")
    tie = preference_record(pair, "tie", {})
    assert "chosen" not in tie and tie["answers"]["plain"] == "پاسخ ساده"
    with pytest.raises(ValueError, match="vote must be one of"):
        preference_record(pair, "left", {})


def test_concurrent_votes_append_whole_lines(tmp_path):
    store = VoteStore(tmp_path / "votes" / "preferences.jsonl")
    pair = Pair("پرسش", "الف", "ب")
    threads = [threading.Thread(target=store.append, args=(preference_record(pair, "tie", {}),))
               for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20 and all(json.loads(line)["vote"] == "tie" for line in lines)


def test_an_interrupted_last_vote_line_is_skipped(tmp_path):
    path = tmp_path / "preferences.jsonl"
    path.write_text('{"vote": "tie"}\n{"vote": "pl', encoding="utf-8")
    assert read_votes(path) == [{"vote": "tie"}]


def test_form_values_become_a_request_or_a_notice(retriever):
    from ui.requests import Notice, Request, check_request

    assistant = Assistant(retriever)
    assert check_request(assistant, "  ", 5, ["rag"], 10) == Notice(
        "پرسش خالی است؛ پرسش پزشکی خود را به فارسی بنویسید و Enter را بزنید.", "hint")
    too_long = check_request(assistant, "سر" * 50_000, 5, ["rag"], 10)
    assert too_long.kind == "error" and "100,000" in too_long.message
    assert check_request(assistant, QUESTION, 5, [], 10).kind == "hint"
    assert "Persian" in check_request(assistant, "aspirin dose for adults", 5, ["rag"], 10).message
    request = check_request(assistant, f"  {QUESTION} ", 99, ["rag", "plain"], 10)
    assert isinstance(request, Request) and request.question == QUESTION
    assert request.modes == ("plain", "rag") and request.assistant.config.k == 10
    assert check_request(assistant, QUESTION, "x", ["rag"], 10).assistant.config.k == 5


def test_a_vote_after_an_interrupted_line_is_kept(tmp_path):
    path = tmp_path / "preferences.jsonl"
    path.write_text('{"vote": "tie"}\n{"vote": "pl', encoding="utf-8")
    VoteStore(path).append(preference_record(Pair("پرسش", "الف", "ب"), "rag", {}))
    assert [r["vote"] for r in read_votes(path)] == ["tie", "rag"]


def test_a_source_without_a_title_is_named_by_its_first_words_and_site_not_its_id():
    from assistant.extractive import source_label

    untitled = Citation(1, "dev-01950", "سردرد یک‌طرفه با تهوع و حساسیت به نور دارم، میگرن است؟ "
                        "بله، این نشانه‌ها با میگرن جور است.", "doctoreto", "", "", 1.0)
    label = source_label(untitled)
    assert label == "سردرد یک‌طرفه با تهوع و حساسیت به نور … · doctoreto"
    html_text = sources_html([untitled])
    assert f'<span class="gk-title" dir="auto">{label}</span>' in html_text
    assert "dev-01950" not in html_text
    titled = Citation(2, "d2", "متن", "site", "https://example.org/a", "میگرن", 1.0)
    assert source_label(titled) == "میگرن · site"
    assert source_label(Citation(3, "d3", "", "", "", "", 1.0)) == "d3"  # nothing else to show


def test_a_column_streams_a_checked_question_without_checking_it_again(retriever, monkeypatch):
    from ui.answers import answer_stream

    assistant = Assistant(retriever)
    question = assistant.check_question(QUESTION)  # as check_request does, once

    def checked_twice(self, question):
        raise AssertionError("the question was checked again")

    monkeypatch.setattr(Assistant, "check_question", checked_twice)
    text = "".join(answer_stream(assistant, question, "rag"))
    assert text == "".join(assistant.stream_plan(assistant.plan(question, "rag")))
    assert text.endswith(DISCLAIMER) and "[1]" in text
