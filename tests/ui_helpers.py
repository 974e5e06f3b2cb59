"""Helpers for the web app tests: a scripted backend, a served app, a headless browser.

``ScriptedGenerator`` implements the backend protocol (``assistant.backends.base.Generator``)
with fixed Persian words, optionally slow or failing part-way, so a test controls timing and
failures at the boundary where a real model or server would sit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from assistant.backends.base import GenerationError
from index.records import Document

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / ".cache" / "test-artifacts"

RAG_WORDS = "برای سردرد میگرنی استراحت در اتاق تاریک کمک می‌کند [1] و ibuprofen 400 هم"
PLAIN_WORDS = "سردرد علت‌های زیادی دارد؛ اگر ادامه یافت به پزشک مراجعه کنید"


#: A poisoned page: script tags, an onerror image, Markdown and HTML javascript: links, a
#: hostile title and URL. Its made-up drug name makes it the top hit for EVIL_QUESTION.
EVIL_QUESTION = "داروی زیکلوفناک آزمایشی برای چیست؟"
EVIL = Document(
    doc_id="evil-1",
    text=("زیکلوفناک آزمایشی یک داروی ساختگی است. <script>window.__xss = 1</script> "
          "<img src=x onerror=\"window.__xss = 2\"> [اینجا](javascript:window.__xss=3) "
          "<a href=\"javascript:window.__xss=4\">پیوند</a> زیکلوفناک آزمایشی"),
    site="<b>evil</b>", url="javascript:window.__xss=5",
    title="<img src=y onerror=\"window.__xss = 6\"> زیکلوفناک",
)


def ui_retriever(tmp_path_factory, demo_documents):
    """The demo knowledge base plus the hostile passage, BM25 only (built in seconds, once).

    The page is under test here, not retrieval quality, so no embedder is trained; the
    folder under the session's temp root is built by the first module and reused by the rest.
    """
    from index.build import build_index
    from index.retriever import Retriever

    folder = tmp_path_factory.getbasetemp() / "ui-demo-bm25"
    if not (folder / "manifest.json").is_file():
        build_index([*demo_documents, EVIL], folder, embedder=None, progress=False)
    return Retriever.load(folder)


def is_rag(messages: list[dict]) -> bool:
    return "<<<منبع" in messages[-1]["content"]


class ScriptedGenerator:
    """Streams fixed words one by one; can pause between words and fail in plain mode.

    Attributes:
        fail_plain_after: in plain mode, raise GenerationError after this many words.
        delay_s: pause before each word (to test what happens mid-stream).
        streams_finished / streams_closed: how many streams ran to the end or were closed
            early, so a test can see that a closed tab stops generation.
    """

    backend = "scripted"
    model_id = "scripted-test-model"
    context_window = 4096

    def __init__(self, fail_plain_after: int | None = None, delay_s: float = 0.0) -> None:
        self.fail_plain_after = fail_plain_after
        self.delay_s = delay_s
        self.started = threading.Event()
        self.streams_finished = 0
        self.streams_closed = 0
        self.last_messages: list[dict] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, messages, config) -> str:
        return "".join(self.stream(messages, config))

    def stream(self, messages, config) -> Iterator[str]:
        self.last_messages = messages
        words = (RAG_WORDS if is_rag(messages) else PLAIN_WORDS).split()
        finished = False
        try:
            for n, word in enumerate(words):
                if not is_rag(messages) and n == self.fail_plain_after:
                    raise GenerationError("the model server stopped answering")
                if self.delay_s:
                    time.sleep(self.delay_s)
                self.started.set()
                yield word + (" " if n < len(words) - 1 else "")
            finished = True
        finally:
            if finished:
                self.streams_finished += 1
            else:
                self.streams_closed += 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(demo) -> Iterator[str]:
    """Serve ``demo`` on 127.0.0.1 at a free port for the duration; yield its URL."""
    from ui.app import launch

    _, url, _ = launch(demo, host="127.0.0.1", port=free_port(), prevent_thread_lock=True,
                       quiet=True)
    try:
        yield url
    finally:
        demo.close()


@contextlib.contextmanager
def chromium() -> Iterator:
    """A headless Debian Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser, url: str, width: int = 1280, height: int = 900) -> Iterator:
    """A fresh tab (own cookies, own Gradio session) showing the app at ``url``."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fa-IR")
    try:
        page = context.new_page()
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("#gk-question textarea", timeout=30_000)
        yield page
    finally:
        context.close()
