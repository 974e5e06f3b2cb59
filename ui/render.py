"""Text and HTML for the page, made from untrusted passages and model output.

Passages come from crawled web pages and answers from a model that quotes them, so every
string here is data: it is HTML-escaped before it reaches the browser, links are kept only
when they are plain ``http(s)`` URLs, and nothing is ever inserted as markup. These are pure
functions; ``ui/app.py`` only places their results.

Example:
    >>> safe_url("javascript:alert(1)")
    ''
    >>> escape_chat("<b>[1]</b> «آسپرین»")
    '&lt;b&gt;[1]&lt;/b&gt; «آسپرین»'
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from assistant.extractive import source_label
from assistant.pipeline import Citation

#: Shown in a bubble from submit until the first words arrive, so the bubble already has
#: its direction and size (text that first appears left-aligned and then jumps is unreadable).
PENDING = "…"
_URL_SAFE = re.compile(r"^[^\s<>\"'`]+$")
_PASSAGE_PREVIEW_CHARS = 600


def escape_chat(text: str) -> str:
    """Text for a Chatbot message: markdown stays, HTML shows as text.

    Gradio's sanitizer *removes* tags; escaping keeps ``<script>`` in a quoted passage
    visible as the characters it is, which is what a reader of a quotation expects.
    Markdown images are shown as text too: a model that echoes a crawled page could
    otherwise make the reader's browser fetch an outside image, telling that server who
    is reading about which illness.
    """
    return html.escape(text, quote=False).replace("![", "!\\[")


def safe_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL without spaces or quotes, else ``''``."""
    url = (url or "").strip()
    if not url or not _URL_SAFE.match(url):
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return url


def visible_prefix(text: str, final: bool) -> str:
    """What to show of a growing answer: whole words only until the stream ends.

    Backends stream sub-word pieces; a Persian word shown half-built renders in the wrong
    letter forms (joining changes with the next letter), so the tail after the last space
    waits for the next chunk.
    """
    if final:
        return text
    cut = max(text.rfind(" "), text.rfind("\n"))
    return text[: cut + 1] if cut >= 0 else ""


def emergency_html(guidance: str) -> str:
    """The red banner shown above both answers when the emergency detector fires."""
    return (
        '<div class="gk-emergency" role="alert" dir="rtl">'
        '<strong>⚠️ هشدار اورژانسی</strong> '
        f'<span dir="auto">{html.escape(guidance)}</span> '
        '<a class="gk-call" href="tel:115">تماس با ۱۱۵</a></div>'
    )


def _passage_html(citation: Citation) -> str:
    text = citation.text.strip()
    if citation.cited or len(text) <= _PASSAGE_PREVIEW_CHARS:
        body = f'<p class="gk-passage" dir="auto">{html.escape(text)}</p>'
    else:
        shown, rest = text[:_PASSAGE_PREVIEW_CHARS], text[_PASSAGE_PREVIEW_CHARS:]
        body = (f'<p class="gk-passage" dir="auto">{html.escape(shown)}'
                f'<details><summary>ادامه متن</summary>{html.escape(rest)}</details></p>')
    return body


def sources_html(citations: Sequence[Citation]) -> str:
    """The numbered sources panel under the RAG answer; cited passages marked and in full.

    Each entry shows the number the answer cites (``[2]``), the source's label (title and
    site, or the passage's first words and site: ``assistant.extractive.source_label``), a
    link when the source has a safe http(s) URL, and the passage itself, escaped.
    """
    if not citations:
        return '<div class="gk-sources gk-empty" dir="rtl">منبعی برای این پاسخ نیست.</div>'
    items = []
    for citation in citations:
        title = html.escape(source_label(citation))  # title (or first words) · site
        meta = []
        url = safe_url(citation.url)
        if url:
            meta.append(f'<a class="gk-link" href="{html.escape(url, quote=True)}" '
                        'target="_blank" rel="noopener noreferrer nofollow" dir="ltr">'
                        f"{html.escape(url)}</a>")
        elif citation.url:
            meta.append(f'<span class="gk-url" dir="ltr">{html.escape(citation.url)}</span>')
        if citation.also:
            meta.append(f'<span class="gk-also">همین متن در {citation.also} منبع دیگر</span>')
        badge = '<span class="gk-cited">استناد شده</span>' if citation.cited else ""
        items.append(
            f'<li class="gk-source{" gk-is-cited" if citation.cited else ""}" '
            f'data-number="{citation.number}">'
            f'<div class="gk-source-head"><span class="gk-num">[{citation.number}]</span> '
            f'<span class="gk-title" dir="auto">{title}</span> {badge}</div>'
            f'<div class="gk-meta">{" ".join(m for m in meta if m)}</div>'
            f"{_passage_html(citation)}</li>"
        )
    return ('<div class="gk-sources" dir="rtl"><h4>منابع پاسخ با بازیابی</h4>'
            f'<ol class="gk-source-list">{"".join(items)}</ol></div>')


def status_html(message: str, kind: str = "info") -> str:
    """A one-line notice under the question box (hints, refused questions)."""
    if not message:
        return ""
    return f'<div class="gk-status gk-{kind}" role="status" dir="auto">{html.escape(message)}</div>'
