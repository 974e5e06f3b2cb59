"""The OpenAI-compatible backend against a real chat server on 127.0.0.1.

The server is a few lines of ``http.server`` that speak ``POST /v1/chat/completions`` the
way vLLM and llama.cpp do (JSON, or SSE chunks over chunked transfer encoding). The model
name picks a scripted behaviour, and every request body is recorded so the tests can check
what the client sent.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.backends.base import GenerationConfig, GenerationError
from assistant.backends.openai_backend import OpenAIConfig, OpenAIGenerator

QUESTION = "سردرد دارم، چه کنم؟"
MESSAGES = [{"role": "system", "content": "شما پزشک هستید."},
            {"role": "user", "content": QUESTION}]
CHUNK_GAP_S = 0.05
SLOW_S = 1.5


def persian_reply(question: str) -> str:
    return (f"پاسخ آزمایشی به «{question}»: استراحت کنید، آب بنوشید "
            "و اگر بدتر شد به پزشک مراجعه کنید.")


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.requests: list[dict] = []
        self.headers_seen: list[dict[str, str]] = []
        self.last_piece_sent_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as real servers do
    server: ChatServer

    def log_message(self, format: str, *args) -> None:  # keep pytest output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/v1/chat/completions":
            return self._json(404, {"detail": "Not Found"})
        self.server.requests.append(body)
        self.server.headers_seen.append({k.lower(): v for k, v in self.headers.items()})
        model = body["model"]
        reply = persian_reply(body["messages"][-1]["content"])
        try:
            if model == "slow":
                time.sleep(SLOW_S)
            elif model == "unauthorized":
                return self._json(401, {"error": {"message": "Incorrect API key provided",
                                                  "type": "invalid_request_error"}})
            elif model == "missing":
                return self._json(404, {"object": "error", "type": "NotFoundError", "code": 404,
                                        "message": "The model `missing` does not exist."})
            elif model == "overloaded":
                return self._send(503, b"server overloaded, try later", "text/plain")
            elif model == "no-choices":
                return self._json(200, {"id": "x", "object": "chat.completion", "choices": []})
            if body.get("stream"):
                return self._stream(model, reply)
            self._json(200, {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply}}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14},
            })
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass

    def _stream(self, model: str, reply: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = reply.split(" ")
        pieces = [word + " " for word in words[:-1]] + [words[-1]]
        self._event(model, {"role": "assistant", "content": ""})  # vLLM opens with an empty delta
        for number, piece in enumerate(pieces):
            if model == "broken-stream" and number == 2:
                self.close_connection = True  # no terminating chunk: the body is cut off
                return
            if number:
                time.sleep(CHUNK_GAP_S)
            self._event(model, {"content": piece})
        self.server.last_piece_sent_at = time.monotonic()
        if model == "truncated-stream":  # a well-formed body that never says it has finished
            self._chunk(b"")
            return
        self._event(model, {}, finish_reason="stop")
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _event(self, model: str, delta: dict, finish_reason: str | None = None) -> None:
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                 "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
        self._chunk(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def server(chat_server: ChatServer) -> ChatServer:
    chat_server.requests.clear()
    chat_server.headers_seen.clear()
    return chat_server


def generator(server: ChatServer, model: str, **kwargs) -> OpenAIGenerator:
    kwargs.setdefault("max_retries", 0)
    return OpenAIGenerator(OpenAIConfig(base_url=server.url, model=model, **kwargs))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_generate_returns_the_persian_answer(server):
    answer = generator(server, "ok").generate(MESSAGES, GenerationConfig())
    assert answer == persian_reply(QUESTION)
    assert server.requests[0]["messages"] == MESSAGES


def test_stream_yields_pieces_as_they_arrive_that_add_up_to_the_answer(server):
    chunks, first_at = [], None
    for chunk in generator(server, "ok").stream(MESSAGES, GenerationConfig()):
        first_at = first_at or time.monotonic()
        chunks.append(chunk)
    assert len(chunks) > 5 and all(chunks)  # the empty opening delta is skipped
    assert "".join(chunks) == persian_reply(QUESTION)
    assert first_at < server.last_piece_sent_at - 3 * CHUNK_GAP_S
    assert server.requests[0]["stream"] is True


def test_decoding_settings_are_sent_and_repetition_penalty_only_when_set(server):
    gen = generator(server, "ok")
    gen.generate(MESSAGES, GenerationConfig(max_new_tokens=64, temperature=0.7, top_p=0.9,
                                            repetition_penalty=1.2))
    gen.generate(MESSAGES, GenerationConfig())
    tuned, default = server.requests
    assert (tuned["model"], tuned["max_tokens"], tuned["temperature"], tuned["top_p"],
            tuned["repetition_penalty"]) == ("ok", 64, 0.7, 0.9, 1.2)
    assert (default["max_tokens"], default["temperature"]) == (512, 0.0)
    assert "repetition_penalty" not in default


def test_api_key_is_a_placeholder_unless_given(server):
    generator(server, "ok").generate(MESSAGES, GenerationConfig())
    generator(server, "ok", api_key="sk-local").generate(MESSAGES, GenerationConfig())
    keys = [headers["authorization"] for headers in server.headers_seen]
    assert keys == ["Bearer not-needed", "Bearer sk-local"]
    assert "sk-local" not in repr(OpenAIConfig(base_url=server.url, model="m", api_key="sk-local"))


def test_down_endpoint_fails_fast_naming_the_base_url_flag():
    url = f"http://127.0.0.1:{free_port()}/v1"
    started = time.perf_counter()
    with pytest.raises(GenerationError, match="--base-url") as caught:
        OpenAIGenerator(OpenAIConfig(base_url=url, model="ok")).generate(
            MESSAGES, GenerationConfig())  # default retries: still quick
    assert time.perf_counter() - started < 10
    assert f"cannot reach {url}" in str(caught.value)


def test_slow_server_times_out_naming_the_timeout_and_how_to_raise_it(server):
    gen = generator(server, "slow", timeout_s=0.3)
    started = time.perf_counter()
    with pytest.raises(GenerationError, match="GAOKERENA_OPENAI_TIMEOUT") as caught:
        gen.generate(MESSAGES, GenerationConfig())
    assert "0.3 s" in str(caught.value)
    assert time.perf_counter() - started < SLOW_S
    with pytest.raises(GenerationError, match=r"GenerationConfig\(timeout_s"):
        list(generator(server, "slow").stream(MESSAGES, GenerationConfig(timeout_s=0.3)))


def test_unauthorized_asks_for_the_api_key(server):
    with pytest.raises(GenerationError, match="API key") as caught:
        generator(server, "unauthorized").generate(MESSAGES, GenerationConfig())
    assert "GAOKERENA_OPENAI_API_KEY" in str(caught.value)
    assert "Incorrect API key provided" in str(caught.value)


def test_unknown_model_names_the_model_and_the_url_path(server):
    with pytest.raises(GenerationError, match="'missing'") as caught:
        generator(server, "missing").generate(MESSAGES, GenerationConfig())
    assert "--model" in str(caught.value) and "/v1" in str(caught.value)
    assert "does not exist" in str(caught.value)


def test_base_url_without_v1_hints_at_the_path(server):
    gen = OpenAIGenerator(OpenAIConfig(base_url=server.url.removesuffix("/v1"), model="ok",
                                       max_retries=0))
    with pytest.raises(GenerationError, match="ends in /v1"):
        gen.generate(MESSAGES, GenerationConfig())


def test_other_status_codes_report_the_status_and_server_message(server):
    with pytest.raises(GenerationError, match="HTTP 503: server overloaded"):
        generator(server, "overloaded").generate(MESSAGES, GenerationConfig())


def test_response_without_choices_is_an_error(server):
    with pytest.raises(GenerationError, match="without any choices"):
        generator(server, "no-choices").generate(MESSAGES, GenerationConfig())


def test_broken_stream_raises_after_the_pieces_already_yielded(server):
    chunks = []
    with pytest.raises(GenerationError, match="broke after 2 pieces"):
        for chunk in generator(server, "broken-stream").stream(MESSAGES, GenerationConfig()):
            chunks.append(chunk)
    assert len(chunks) == 2


def test_stream_that_ends_without_finishing_is_an_error(server):
    chunks = []
    with pytest.raises(GenerationError, match="without finishing"):
        for chunk in generator(server, "truncated-stream").stream(MESSAGES, GenerationConfig()):
            chunks.append(chunk)
    assert "".join(chunks) == persian_reply(QUESTION)


def test_questions_never_reach_the_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    gen = generator(server, "ok")
    gen.generate(MESSAGES, GenerationConfig())
    list(gen.stream(MESSAGES, GenerationConfig()))
    with pytest.raises(GenerationError):
        generator(server, "missing").generate(MESSAGES, GenerationConfig())
    assert caplog.records  # the SDK and the backend did log, just not the contents
    assert QUESTION not in caplog.text and "سردرد" not in caplog.text


def test_from_env_reads_the_environment(monkeypatch):
    monkeypatch.setenv("GAOKERENA_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("GAOKERENA_OPENAI_MODEL", "gaokerena/gaokerena-v1.0")
    monkeypatch.setenv("GAOKERENA_OPENAI_TIMEOUT", "90")
    monkeypatch.delenv("GAOKERENA_OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback")
    config = OpenAIConfig.from_env()
    assert (config.base_url, config.model, config.api_key, config.timeout_s) == (
        "http://127.0.0.1:8000/v1", "gaokerena/gaokerena-v1.0", "sk-fallback", 90.0)
    monkeypatch.setenv("GAOKERENA_OPENAI_API_KEY", "sk-ours")
    assert OpenAIConfig.from_env().api_key == "sk-ours"
    flags = OpenAIConfig.from_env(base_url="http://10.0.0.2:11434/v1", model="aya")
    assert (flags.base_url, flags.model) == ("http://10.0.0.2:11434/v1", "aya")


def test_from_env_names_the_flags_and_variables_that_are_missing(monkeypatch):
    for name in ("GAOKERENA_OPENAI_BASE_URL", "GAOKERENA_OPENAI_MODEL", "GAOKERENA_OPENAI_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(GenerationError) as caught:
        OpenAIConfig.from_env()
    message = str(caught.value)
    for name in ("--base-url", "GAOKERENA_OPENAI_BASE_URL", "--model", "GAOKERENA_OPENAI_MODEL"):
        assert name in message
    with pytest.raises(GenerationError, match="GAOKERENA_OPENAI_MODEL"):
        OpenAIConfig.from_env(base_url="http://127.0.0.1:8000/v1")
    with pytest.raises(GenerationError, match="http://"):
        OpenAIConfig.from_env(base_url="127.0.0.1:8000/v1", model="aya")
    monkeypatch.setenv("GAOKERENA_OPENAI_TIMEOUT", "soon")
    with pytest.raises(GenerationError, match="number of seconds"):
        OpenAIConfig.from_env(base_url="http://127.0.0.1:8000/v1", model="aya")


def test_config_rejects_a_url_without_scheme_and_an_empty_model():
    with pytest.raises(ValueError, match=re.escape("http://127.0.0.1:8000/v1")):
        OpenAIConfig(base_url="localhost:8000", model="aya")
    with pytest.raises(ValueError, match="model is empty"):
        OpenAIConfig(base_url="http://127.0.0.1:8000/v1", model=" ")
