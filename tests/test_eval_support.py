"""Helpers for the evaluation tests (no tests here): Persian exam rows and a scripted
OpenAI-compatible chat server on 127.0.0.1.

The server speaks ``POST /v1/chat/completions`` (non-streaming JSON, as vLLM does). A
``responder(body) -> str`` decides each reply; returning ``HANG`` makes it sleep past the
client's timeout, as an overloaded endpoint does. Every request body is recorded.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HANG = "<hang>"
HANG_S = 3.0

# Six original four-option questions (the correct options are varied: 1, 2, 3, 4, 2, 3).
MCQ_ROWS = [
    {"id": 0, "question": "کدام عضو ادرار را در بدن ذخیره می‌کند؟",
     "options": ["مثانه", "کلیه", "حالب", "کبد"], "answer": 1},
    {"id": 1, "question": "کمبود کدام ویتامین باعث کم‌خونی مگالوبلاستیک می‌شود؟",
     "options": ["ویتامین ث", "ویتامین ب۱۲", "ویتامین د", "ویتامین آ"], "answer": 2},
    {"id": 2, "question": "هورمون انسولین در کدام عضو ساخته می‌شود؟",
     "options": ["تیروئید", "کبد", "لوزالمعده", "طحال"], "answer": 3},
    {"id": 3, "question": "کدام گزینه از علائم شایع میگرن است؟",
     "options": ["سرفه", "خارش پوست", "درد مفاصل", "سردرد ضربان‌دار یک‌طرفه"], "answer": 4},
    {"id": 4, "question": "فشار خون طبیعی یک فرد بالغ تقریباً چقدر است؟",
     "options": ["۱۸۰ روی ۱۲۰", "۱۲۰ روی ۸۰", "۹۰ روی ۴۰", "۲۰۰ روی ۱۰۰"], "answer": 2},
    {"id": 5, "question": "کدام آزمایش برای بررسی قند خون ناشتا انجام می‌شود؟",
     "options": ["آزمایش ادرار", "نوار قلب", "قند خون ناشتا", "عکس قفسه سینه"], "answer": 3},
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows),
                    encoding="utf-8")
    return path


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, responder: Callable[[dict], str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.responder = responder
        self.requests: list[dict] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ScriptedServer

    def log_message(self, format: str, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        reply = self.server.responder(body)
        try:
            if reply == HANG:
                time.sleep(HANG_S)
                return
            payload = json.dumps({
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
            }, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeouts)
            pass
