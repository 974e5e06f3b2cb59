"""The web page: one Persian question, two answers side by side, the sources, votes.

``build_demo(assistant)`` returns a ``gr.Blocks``; ``launch(demo, ...)`` serves it with the
right-to-left style sheet (Gradio 6 takes CSS and theme at launch, not in ``Blocks``). The
columns «بدون بازیابی» (right, read first) and «با بازیابی» (left) stream at the same time
from ``Assistant.stream``; the RAG column's numbered sources sit under it. Per-user state lives in
``gr.State`` (nothing global), requests run through Gradio's queue, and the only thing ever
written to disk is a vote the user chose to share.

Example:
    >>> from assistant.pipeline import Assistant  # doctest: +SKIP
    >>> demo = build_demo(Assistant(retriever))  # doctest: +SKIP
    >>> launch(demo, host="127.0.0.1", port=7860)  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.pipeline import Assistant
from assistant.safety import DISCLAIMER
from index.errors import GaokerenaError
from ui.answers import answer_stream, mark_cited
from ui.render import (
    PENDING,
    emergency_html,
    escape_chat,
    sources_html,
    status_html,
    visible_prefix,
)
from ui.requests import MODE_ORDER, Notice, check_request
from ui.streams import run_columns
from ui.votes import VOTES, Pair, VoteStore, preference_record

MODE_TITLES = {"plain": "بدون بازیابی", "rag": "با بازیابی"}
#: The row is laid out right to left: the first column («بدون بازیابی») is on the right.
LAYOUT = {"right": "plain", "left": "rag"}

EXAMPLES = (
    "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟",
    "سه روز است آب بینی‌ام راه افتاده و گلویم می‌خارد؛ آنتی‌بیوتیک بخورم؟",
    "برای سردرد می‌توانم ibuprofen 400 را با معده خالی بخورم؟",
    "قند خون ناشتای من ۱۲۶ است؛ یعنی دیابت دارم؟",
    "پدرم ناگهان صورتش کج شده و یک طرف بدنش بی‌حس شده است",
)

VOTE_SAVED = "رأی شما ذخیره شد. سپاس!"
VOTE_NOT_SAVED = "رأی شما ثبت شد ولی ذخیره نشد (گزینه‌ی ذخیره‌ی رأی خاموش است)."
VOTE_NOTHING = "ابتدا پرسشی بپرسید؛ رأی به آخرین جفت پاسخ داده می‌شود."
ERROR_PREFIX = "⚠️ خطا در تولید این پاسخ: "


@dataclass(frozen=True)
class UIConfig:
    """Page settings; passed explicitly, never read from globals.

    Attributes:
        votes_file: where opted-in votes are appended (JSONL); None hides the opt-in.
        max_turns: question/answer pairs kept on screen per column.
        concurrency: answers generated at once (Gradio queue); more wait in line.
        queue_size: requests allowed to wait; beyond it users see "busy, retry".
        max_k: the largest k the slider offers.
    """

    votes_file: Path | None = None
    max_turns: int = 10
    concurrency: int = 8
    queue_size: int = 64
    max_k: int = 10
    examples: tuple[str, ...] = EXAMPLES

    def __post_init__(self) -> None:
        for name in ("max_turns", "concurrency", "queue_size", "max_k"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")


def new_session() -> dict[str, Any]:
    """Per-browser-tab state: both chat histories and the last answered pair."""
    return {"plain": [], "rag": [], "last": None, "voted": False}


def css() -> str:
    """The right-to-left style sheet (read at launch, not at import)."""
    return resources.files("ui").joinpath("assets/app.css").read_text(encoding="utf-8")


def _settings_markdown(assistant: Assistant) -> str:
    retriever = assistant.retriever
    index = (f"`{retriever.folder.name}` · {len(retriever.chunks):,} passages · "
             f"{retriever.mode}") if retriever is not None else "none"
    return (f"**موتور پاسخ (backend):** `{assistant.backend}`  \n"
            f"**مدل:** `{assistant.model_id}`  \n**نمایه (index):** {index}")


def _column_text(state_text: str, done: bool, error: str | None) -> str:
    shown = visible_prefix(state_text, final=done)
    if error:
        shown = f"{state_text.rstrip()}\n\n{ERROR_PREFIX}{error}".lstrip()
    return escape_chat(shown) if shown else PENDING


def build_demo(assistant: Assistant, config: UIConfig | None = None) -> Any:
    """The Gradio app for ``assistant``: returns a ``gr.Blocks`` ready to ``launch``."""
    import gradio as gr

    config = config or UIConfig()
    store = VoteStore(config.votes_file) if config.votes_file else None
    has_model = assistant.generator is not None

    # No usage analytics: the app runs offline and nothing about a visit leaves the machine.
    with gr.Blocks(title="گائوکرنا: پرسش و پاسخ پزشکی فارسی", analytics_enabled=False) as demo:
        session = gr.State(new_session())
        gr.HTML(
            '<div class="gk-header" dir="rtl"><h1>گائوکرنا · پرسش و پاسخ پزشکی</h1>'
            "<p>پاسخ مدل به‌تنهایی («بدون بازیابی») و پاسخ مستند به منابع («با بازیابی») را "
            "کنار هم ببینید و منابع را بخوانید.</p>"
            f'<p class="gk-disclaimer">{html.escape(DISCLAIMER)}</p></div>'
        )
        banner = gr.HTML("", visible=False, elem_id="gk-emergency")
        question = gr.Textbox(
            show_label=False, placeholder="پرسش پزشکی خود را به فارسی بنویسید…", rtl=True,
            lines=1, max_lines=6, submit_btn="بپرس", elem_id="gk-question", autofocus=True,
        )
        status = gr.HTML("", elem_id="gk-status")
        chats = {}
        with gr.Row(elem_id="gk-columns", equal_height=False):
            for mode in MODE_ORDER:
                with gr.Column(min_width=300, elem_id=f"gk-col-{mode}"):
                    chats[mode] = gr.Chatbot(
                        label=MODE_TITLES[mode], rtl=True, elem_id=f"gk-{mode}", height=460,
                        latex_delimiters=[], feedback_options=None, allow_tags=False,
                        placeholder=f"<div dir='rtl'>پاسخ «{MODE_TITLES[mode]}» اینجا "
                        "نمایش داده می‌شود.</div>",
                        buttons=["copy"],
                    )
                    if mode == "rag":
                        sources = gr.HTML("", elem_id="gk-sources")
        with gr.Row(elem_id="gk-votes", visible=has_model):
            vote_buttons = {value: gr.Button(label, size="sm", interactive=False,
                                             elem_id=f"gk-vote-{value}")
                            for value, label in VOTES.items()}
        opt_in = gr.Checkbox(
            value=False, visible=has_model and store is not None, elem_id="gk-opt-in",
            label="اجازه می‌دهم رأی من (پرسش، دو پاسخ و منابع، بدون هیچ اطلاعات دیگری) برای "
            "بهبود مدل ذخیره شود.",
        )
        vote_status = gr.HTML("", elem_id="gk-vote-status")
        gr.Examples(examples=[[e] for e in config.examples], inputs=[question],
                    label="نمونه پرسش‌ها")
        with gr.Accordion("تنظیمات", open=False, elem_id="gk-settings"):
            gr.Markdown(_settings_markdown(assistant), rtl=True)
            k = gr.Slider(1, config.max_k, value=min(assistant.config.k, config.max_k), step=1,
                          label="تعداد متن‌های بازیابی‌شده (k)")
            modes = gr.CheckboxGroup([(MODE_TITLES[m], m) for m in MODE_ORDER],
                                     value=list(MODE_ORDER), label="ستون‌ها")
            clear = gr.Button("پاک کردن گفت‌وگو", size="sm")
        gr.Markdown(
            "هر پرسش جداگانه پاسخ داده می‌شود. پرسش‌ها ذخیره نمی‌شوند. " + DISCLAIMER,
            rtl=True, elem_classes=["gk-disclaimer"],
        )

        buttons = list(vote_buttons.values())
        outputs = [question, chats["plain"], chats["rag"], sources, banner, status, session,
                   *buttons]

        def disable_votes() -> dict:
            return {b: gr.Button(interactive=False) for b in buttons}

        def ask(text: Any, k_value: Any, mode_values: Any, state: dict | None):
            state = dict(state or new_session())
            request = check_request(assistant, text, k_value, mode_values, config.max_k)
            if isinstance(request, Notice):
                yield {status: status_html(request.message, request.kind)}
                return
            text, active, local = request.question, list(request.modes), request.assistant
            emergency = local.detector.detect(text)
            citations = []
            sources_view = ""
            rag_stream = None
            if "rag" in active:
                try:  # one retrieval for the sources panel and the RAG column
                    plan = local.plan(text, "rag")  # text was checked by check_request
                    citations, rag_stream = plan.citations(None), local.stream_plan(plan)
                    sources_view = sources_html(citations)
                except GaokerenaError as error:
                    sources_view = status_html(f"{ERROR_PREFIX}{error}", "error")
            keep = 2 * (config.max_turns - 1)
            history = {m: list(state[m])[-keep:] if keep else [] for m in MODE_ORDER}
            for mode in active:
                history[mode] += [{"role": "user", "content": escape_chat(text)},
                                  {"role": "assistant", "content": PENDING}]
            state["voted"] = False
            started = {question: gr.Textbox(value="", interactive=False),
                       sources: sources_view, status: "",
                       banner: gr.HTML(emergency_html(emergency.guidance) if emergency else "",
                                       visible=emergency is not None),
                       **disable_votes()}
            producers = {m: functools.partial(answer_stream, local, text, m) for m in active}
            if rag_stream is not None:
                producers["rag"] = functools.partial(iter, rag_stream)
            final = {}
            # The first update waits up to 50 ms for words: a fast backend's first bubble
            # shows the answer at once, a slow one's shows the placeholder.
            for snapshot in run_columns(producers, pending_after_s=0.05):
                for mode, column in snapshot.items():
                    history[mode][-1] = {"role": "assistant", "content": _column_text(
                        column.text, column.done, column.error)}
                final = snapshot
                yield {**started, **{chats[m]: history[m] for m in MODE_ORDER}}
                started = {}

            if "rag" in active and citations and not final["rag"].error:
                citations = mark_cited(citations, final["rag"].text)
                sources_view = sources_html(citations)
            complete = (has_model and active == list(MODE_ORDER)
                        and not any(final[m].error for m in active))
            state.update(plain=history["plain"], rag=history["rag"], last=Pair(
                question=text, plain=final["plain"].text, rag=final["rag"].text,
                sources=[c.to_dict() for c in citations], backend=local.backend,
                model_id=local.model_id, k=local.config.k,
            ).to_dict() if complete else None)
            # Every output once more, so an API client's final result is the whole page.
            yield {question: "", chats["plain"]: history["plain"], chats["rag"]: history["rag"],
                   sources: sources_view, status: "", session: state,
                   banner: gr.HTML(emergency_html(emergency.guidance) if emergency else "",
                                   visible=emergency is not None),
                   **{b: gr.Button(interactive=complete) for b in buttons}}

        asked = question.submit(ask, [question, k, modes, session], outputs, api_name="ask",
                                trigger_mode="once", show_progress="hidden")
        # Typing is paused while both answers stream (one question at a time per tab) and
        # always resumed afterwards, whether the answer completed, failed or was refused.
        asked.then(lambda: gr.Textbox(interactive=True), None, question,
                   api_visibility="private", show_progress="hidden")

        def vote(choice: str, opted_in: bool, state: dict | None):
            state = dict(state or new_session())
            if not state.get("last") or state.get("voted"):
                return {vote_status: status_html(VOTE_NOTHING, "hint")}
            saved = bool(opted_in) and store is not None
            if saved:
                store.append(preference_record(Pair.from_dict(state["last"]), choice, LAYOUT))
            state["voted"] = True
            message = VOTE_SAVED if saved else VOTE_NOT_SAVED
            return {vote_status: status_html(f"{VOTES[choice]} — {message}", "ok"),
                    session: state, **disable_votes()}

        for value, button in vote_buttons.items():
            button.click(functools.partial(vote, value), [opt_in, session],
                         [vote_status, session, *buttons], api_name=f"vote_{value}",
                         show_progress="hidden")

        def reset():
            return {session: new_session(), chats["plain"]: [], chats["rag"]: [],
                    sources: "", banner: gr.HTML("", visible=False), status: "",
                    vote_status: "", **disable_votes()}

        clear.click(reset, None, [session, chats["plain"], chats["rag"], sources, banner,
                                  status, vote_status, *buttons], api_visibility="private")

    demo.queue(default_concurrency_limit=config.concurrency, max_size=config.queue_size)
    return demo


def launch(demo: Any, host: str = "127.0.0.1", port: int = 7860, share: bool = False,
           **kwargs: Any):
    """Serve ``demo`` with the app's style sheet; returns what ``Blocks.launch`` returns."""
    import gradio as gr

    theme = gr.themes.Soft(primary_hue="teal")
    return demo.launch(server_name=host, server_port=port, share=share, css=css(),
                       theme=theme, footer_links=["api"], **kwargs)
