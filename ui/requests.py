"""What the page accepts as a question, and what it says when it does not.

Kept apart from the Gradio wiring so the rules (empty, too long, no column selected, not
answerable by the index) are plain functions with plain results, tested without a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assistant.pipeline import Assistant
from index.errors import QueryError
from ui.answers import with_k

MODE_ORDER = ("plain", "rag")

EMPTY_HINT = "پرسش خالی است؛ پرسش پزشکی خود را به فارسی بنویسید و Enter را بزنید."
NO_MODE_HINT = "دست‌کم یکی از دو ستون («بدون بازیابی» یا «با بازیابی») را در تنظیمات روشن کنید."
TOO_LONG = ("پرسش {length:,} نویسه است و حداکثر {limit:,} نویسه پذیرفته می‌شود. لطفاً پرسش را "
            "کوتاه‌تر و فقط با جزئیات لازم بنویسید (متن شما در کادر باقی مانده است).")
REFUSED = "این پرسش قابل پاسخ نیست: {reason}"


@dataclass(frozen=True)
class Notice:
    """A question the page will not answer: the message, and ``hint`` or ``error``."""

    message: str
    kind: str


@dataclass(frozen=True)
class Request:
    """A question the page will answer, with the assistant view for its ``k``."""

    question: str
    modes: tuple[str, ...]
    assistant: Assistant


def check_request(assistant: Assistant, text: Any, k: Any, modes: Any,
                  max_k: int) -> Request | Notice:
    """Turn the raw form values into a Request, or a Notice saying what to change.

    The length is checked before anything else reads the text, so a 100k-character paste
    costs nothing; ``k`` is clamped to 1..max_k (the slider's range, whatever a client sends).
    """
    text = text if isinstance(text, str) else ""
    if not text.strip():
        return Notice(EMPTY_HINT, "hint")
    limit = assistant.max_question_chars
    if len(text) > limit:
        return Notice(TOO_LONG.format(length=len(text), limit=limit), "error")
    active = tuple(m for m in MODE_ORDER if m in (modes or []))
    if not active:
        return Notice(NO_MODE_HINT, "hint")
    try:
        k_value = int(k or 1)
    except (TypeError, ValueError):
        k_value = assistant.config.k
    local = with_k(assistant, max(1, min(k_value, max_k)))
    try:
        question = local.check_question(text)
    except QueryError as error:
        return Notice(REFUSED.format(reason=error), "error")
    return Request(question, active, local)
