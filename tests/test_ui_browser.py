"""The web app in a real browser: headless Debian Chromium driven by Playwright.

One app per module over the demo knowledge base plus one hostile passage (script tags, an
``onerror`` image, ``javascript:`` links; see ``ui_helpers.EVIL``), answered by the
extractive backend; a second app
with a slow scripted backend for closing the tab mid-stream. A screenshot is written to
``.cache/test-artifacts/ui-browser.png``.
"""

from __future__ import annotations

import logging
import time

import pytest

from assistant.pipeline import Assistant
from ui.app import build_demo

from .ui_helpers import (
    ARTIFACTS,
    CHROMIUM,
    EVIL_QUESTION,
    ScriptedGenerator,
    chromium,
    open_page,
    served,
    ui_retriever,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium); "
    "never a Playwright browser download",
)

QUESTION = "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟"
EMERGENCY = "پدرم ناگهان صورتش کج شده و یک طرف بدنش بی‌حس شده و نمی‌تواند حرف بزند"
BOT = '[data-testid="bot"]'
USER = '[data-testid="user"]'



@pytest.fixture(scope="module")
def retriever(tmp_path_factory, demo_documents):
    return ui_retriever(tmp_path_factory, demo_documents)

@pytest.fixture(scope="module")
def app_url(retriever):
    with served(build_demo(Assistant(retriever))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as page:
        yield page


def ask(page, question: str) -> None:
    box = page.locator("#gk-question textarea")
    box.fill(question)
    box.press("Enter")


def wait_for_answer(page) -> None:
    page.wait_for_function(
        """() => { const bots = document.querySelectorAll('#gk-rag [data-testid="bot"]');
                   return bots.length && bots[bots.length - 1].innerText.includes('۱۱۵'); }""",
        timeout=20_000)


def direction(page, selector: str) -> str:
    return page.locator(selector).first.evaluate("e => getComputedStyle(e).direction")


def test_question_and_answers_are_right_to_left_and_fill_both_columns(page):
    ask(page, QUESTION)
    wait_for_answer(page)
    assert direction(page, "#gk-question textarea") == "rtl"
    assert direction(page, f"#gk-rag {BOT}") == "rtl"
    assert direction(page, f"#gk-plain {BOT}") == "rtl"
    assert direction(page, "#gk-sources") == "rtl"
    assert page.locator(f"#gk-plain {USER}").inner_text().strip() == QUESTION
    assert "--backend" in page.locator(f"#gk-plain {BOT}").inner_text()
    assert "[1]" in page.locator(f"#gk-rag {BOT}").inner_text()
    cited = page.locator("#gk-sources li.gk-is-cited")
    assert cited.count() >= 1 and cited.first.locator(".gk-passage").inner_text().strip()
    assert page.locator("#gk-question textarea").input_value() == ""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-browser.png"), full_page=True)


def test_an_emergency_question_shows_the_banner(page):
    assert not page.locator("#gk-emergency .gk-emergency").is_visible()
    ask(page, EMERGENCY)
    banner = page.locator("#gk-emergency .gk-emergency")
    banner.wait_for(state="visible", timeout=20_000)
    assert "۱۱۵" in banner.inner_text() and banner.get_attribute("role") == "alert"


def test_a_hostile_passage_is_shown_as_text_and_runs_nothing(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ask(page, EVIL_QUESTION)
    wait_for_answer(page)
    page.wait_for_timeout(300)  # give any injected handler time to fire
    assert page.evaluate("() => window.__xss") is None and not dialogs
    sources = page.locator("#gk-sources").inner_text()
    assert "<script>window.__xss = 1</script>" in sources
    assert 'onerror="window.__xss = 2"' in sources and "<img src=y" in sources
    assert "<script>window.__xss = 1</script>" in page.locator(f"#gk-rag {BOT}").inner_text()
    assert page.locator('a[href^="javascript"], a[href*="__xss"]').count() == 0
    assert page.locator("#gk-sources img, #gk-rag img, #gk-sources script").count() == 0


def test_empty_and_double_submits_give_a_hint_and_one_answer(page):
    page.locator("#gk-question textarea").press("Enter")
    page.locator("#gk-status .gk-hint").wait_for(timeout=10_000)
    assert page.locator(f"#gk-rag {USER}").count() == 0
    box = page.locator("#gk-question textarea")
    box.fill(QUESTION)
    box.press("Enter")
    box.press("Enter")
    wait_for_answer(page)
    page.wait_for_timeout(500)
    assert page.locator(f"#gk-rag {USER}").count() == 1
    assert page.locator(f"#gk-plain {USER}").count() == 1


def test_a_huge_paste_gets_a_clear_message(page):
    box = page.locator("#gk-question textarea")
    box.fill("سر" * 50_000)
    box.press("Enter")
    page.locator("#gk-status .gk-error").wait_for(timeout=20_000)
    assert "100,000" in page.locator("#gk-status").inner_text()
    assert page.locator(f"#gk-rag {USER}").count() == 0


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_closing_the_tab_mid_stream_stops_generation_without_server_errors(browser,
                                                                          retriever):
    from gradio_client import Client

    generator = ScriptedGenerator(delay_s=0.4)
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        with served(build_demo(Assistant(retriever, generator))) as url:
            with open_page(browser, url) as tab:
                ask(tab, QUESTION)
                assert generator.started.wait(10)
                tab.wait_for_function(
                    "() => document.querySelector('#gk-rag [data-testid=\"bot\"]')"
                    "?.innerText.trim().length > 1", timeout=10_000)
                tab.close()
            deadline = time.monotonic() + 10
            while generator.streams_closed < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert generator.streams_closed == 2 and generator.streams_finished == 0
            generator.delay_s = 0.0  # the server still answers the next visitor
            result = Client(url, verbose=False).predict(QUESTION, 3, ["plain", "rag"],
                                                        api_name="/ask")
            assert "ibuprofen" in result[2][-1]["content"][0]["text"]
    finally:
        logging.getLogger().removeHandler(errors)
    assert not [r for r in errors.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in errors.records]


def test_on_a_phone_the_columns_stack_without_sideways_scrolling(browser, app_url):
    with open_page(browser, app_url, width=390, height=844) as phone:
        ask(phone, QUESTION)
        wait_for_answer(phone)
        plain = phone.locator("#gk-plain").bounding_box()
        rag = phone.locator("#gk-rag").bounding_box()
        assert plain["y"] + plain["height"] <= rag["y"]  # plain first, RAG under it
        assert plain["width"] > 300 and rag["width"] > 300
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
