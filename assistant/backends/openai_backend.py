"""Generation through any OpenAI-compatible chat server: vLLM, llama.cpp, Ollama, TGI.

The model runs in its own server process (often on the same home machine or a GPU box on
the local network); this module only speaks the ``/v1/chat/completions`` protocol through the
official ``openai`` SDK. Every failure of the server or the network becomes a
``GenerationError`` that says what to change, and no message content is ever logged:
the questions are medical and private.

Example (a local vLLM)::

    vllm serve gaokerena/gaokerena-v1.0 --port 8000
    gaokerena ask --backend openai --base-url http://127.0.0.1:8000/v1 \\
        --model gaokerena/gaokerena-v1.0 "سردرد دارم، چه کنم؟"
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.backends.base import GenerationConfig, GenerationError, Message

if TYPE_CHECKING:
    from openai import OpenAI

logger = logging.getLogger(__name__)

BASE_URL_ENV = "GAOKERENA_OPENAI_BASE_URL"
MODEL_ENV = "GAOKERENA_OPENAI_MODEL"
API_KEY_ENV = "GAOKERENA_OPENAI_API_KEY"
TIMEOUT_ENV = "GAOKERENA_OPENAI_TIMEOUT"
# Local servers ignore the key, but the SDK refuses to start without one.
PLACEHOLDER_API_KEY = "not-needed"


@dataclass(frozen=True)
class OpenAIConfig:
    """Where the server is and how long to wait for it.

    ``timeout_s`` bounds each wait on the server (connecting, the first token, the gap
    between tokens), not the whole answer; a long answer that keeps streaming never times out.
    """

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    max_retries: int = 2

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"base_url must start with http:// or https://, got {self.base_url!r}; "
                "e.g. http://127.0.0.1:8000/v1"
            )
        if not self.model.strip():
            raise ValueError("model is empty; give the name the server serves, e.g. "
                             "gaokerena/gaokerena-v1.0 (GET <base_url>/models lists them)")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0 seconds, e.g. 60, got {self.timeout_s}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, e.g. 2, got {self.max_retries}")

    @classmethod
    def from_env(
        cls,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
    ) -> OpenAIConfig:
        """Command-line values first, then the environment, so a shell profile can hold them.

        Reads GAOKERENA_OPENAI_BASE_URL, GAOKERENA_OPENAI_MODEL, GAOKERENA_OPENAI_API_KEY
        (then OPENAI_API_KEY) and GAOKERENA_OPENAI_TIMEOUT (seconds).
        """
        base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        model = model or os.environ.get(MODEL_ENV) or None
        api_key = (api_key or os.environ.get(API_KEY_ENV) or os.environ.get("OPENAI_API_KEY")
                   or None)
        missing = []
        if not base_url:
            missing.append(f"the server URL: pass --base-url (e.g. http://127.0.0.1:8000/v1) "
                           f"or set {BASE_URL_ENV}")
        if not model:
            missing.append(f"the model name: pass --model (the name the server serves) "
                           f"or set {MODEL_ENV}")
        if missing:
            raise GenerationError("the openai backend needs " + "; and ".join(missing))
        kwargs: dict[str, Any] = {}
        timeout = os.environ.get(TIMEOUT_ENV)
        if timeout:
            try:
                kwargs["timeout_s"] = float(timeout)
            except ValueError:
                raise GenerationError(
                    f"{TIMEOUT_ENV} must be a number of seconds, e.g. 120, got {timeout!r}"
                ) from None
        try:
            return cls(base_url=base_url, model=model, api_key=api_key, **kwargs)
        except ValueError as error:
            raise GenerationError(f"{error} (from --base-url / {BASE_URL_ENV}, --model / "
                                  f"{MODEL_ENV}, {TIMEOUT_ENV})") from None


class OpenAIGenerator:
    """Answer through an OpenAI-compatible ``/chat/completions`` endpoint, streamed over SSE."""

    backend = "openai"

    def __init__(self, config: OpenAIConfig) -> None:
        from openai import OpenAI  # imported here: the SDK takes about a second to import

        self.config = config
        self.model_id = config.model
        self.client: OpenAI = OpenAI(
            base_url=config.base_url,
            api_key=config.api_key or PLACEHOLDER_API_KEY,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
        )
        logger.debug("openai backend: %s at %s", config.model, config.base_url)

    def close(self) -> None:
        """Release the HTTP connections (the generator is unusable afterwards)."""
        self.client.close()

    def _create(self, messages: list[Message], config: GenerationConfig, stream: bool):
        """One chat-completions request; SDK failures become a GenerationError."""
        timeout = self._timeout(config)
        try:
            return self.client.chat.completions.create(
                model=self.config.model, messages=messages, stream=stream, timeout=timeout,
                **_sampling(config),
            )
        except Exception as error:
            raise self._explain(error, timeout) from error

    def generate(self, messages: list[Message], config: GenerationConfig) -> str:
        response = self._create(messages, config, stream=False)
        choices = getattr(response, "choices", None)
        if not choices:
            raise GenerationError(
                f"the server at {self.config.base_url} answered without any choices; is it "
                "an OpenAI-compatible chat server? Check --base-url (it usually ends in /v1)"
            )
        message = getattr(choices[0], "message", None)
        content = getattr(message, "content", None) or ""
        logger.debug("openai backend: %d characters, finish_reason=%s", len(content),
                     getattr(choices[0], "finish_reason", None))
        return content.strip()

    def stream(self, messages: list[Message], config: GenerationConfig) -> Iterator[str]:
        """Yield text deltas as the server sends them.

        A stream that stops before the server marks the answer finished (a ``finish_reason``)
        raises ``GenerationError`` after the pieces already yielded, so a cut-off answer is
        never mistaken for a whole one.
        """
        timeout = self._timeout(config)
        chunks = self._create(messages, config, stream=True)
        finished = False
        pieces = 0
        with chunks:
            try:
                for chunk in chunks:
                    for choice in getattr(chunk, "choices", None) or ():
                        delta = getattr(choice, "delta", None)
                        text = getattr(delta, "content", None)
                        if text:
                            pieces += 1
                            yield text
                        if getattr(choice, "finish_reason", None):
                            finished = True
            except Exception as error:
                raise self._explain(error, timeout, after=pieces) from error
        if not finished:
            raise GenerationError(
                f"the stream from {self.config.base_url} ended after {pieces} pieces without "
                "finishing the answer (the server closed it early: it may have crashed or run "
                "out of memory); check the server's log and ask again"
            )

    def _timeout(self, config: GenerationConfig) -> float:
        # Both are limits on one wait; the tighter one applies.
        return min(self.config.timeout_s, config.timeout_s)

    def _explain(self, error: Exception, timeout: float, after: int | None = None
                 ) -> GenerationError:
        """Turn an SDK error into one that tells the person at the keyboard what to do."""
        import openai

        url = self.config.base_url
        streaming = after is not None
        where = f" after {after} pieces of the answer" if streaming else ""
        logger.debug("openai backend failed: %s", type(error).__name__)
        if isinstance(error, openai.APITimeoutError):
            if timeout == self.config.timeout_s:
                raise_it = (f"raise it with {TIMEOUT_ENV} or OpenAIConfig(timeout_s=...)")
            else:
                raise_it = "raise GenerationConfig(timeout_s=...)"
            return GenerationError(
                f"{url} sent nothing for {timeout:g} s{where} (the timeout); a large model "
                f"on a busy server can be slower: {raise_it}, or check that the server is "
                "not stuck"
            )
        if isinstance(error, openai.APIConnectionError):
            if streaming:
                return GenerationError(
                    f"the connection to {url} broke{where} (did the server crash, restart "
                    "or run out of memory?); check its log and ask again"
                )
            return GenerationError(
                f"cannot reach {url}; start the server or change --base-url / {BASE_URL_ENV} "
                f"({_cause(error)})"
            )
        if isinstance(error, openai.AuthenticationError):
            return GenerationError(
                f"{url} refused the API key (401): pass the key the server expects with "
                f"{API_KEY_ENV} (or OPENAI_API_KEY); server said: "
                f"{_server_message(error) or 'nothing'}"
            )
        if isinstance(error, openai.NotFoundError):
            return GenerationError(
                f"{url} answered 404 for model {self.config.model!r}: check the model name "
                "(--model / GAOKERENA_OPENAI_MODEL; GET <base_url>/models lists the served "
                "names) and the URL path (--base-url usually ends in /v1, e.g. "
                f"http://127.0.0.1:8000/v1); server said: {_server_message(error) or 'nothing'}"
            )
        if isinstance(error, openai.APIStatusError):
            return GenerationError(
                f"{url} answered HTTP {error.status_code}{where}: "
                f"{_server_message(error) or 'no message'}"
            )
        if isinstance(error, openai.APIError):
            return GenerationError(
                f"{url} reported an error{where}: {_server_message(error) or error.message}"
            )
        if isinstance(error, openai.OpenAIError):
            return GenerationError(f"the openai client failed with {url}: {error}")
        return GenerationError(
            f"unexpected answer from {url}{where} ({type(error).__name__}: {str(error)[:200]}); "
            "is it an OpenAI-compatible chat server?"
        )


def _sampling(config: GenerationConfig) -> dict[str, Any]:
    """GenerationConfig as chat-completions parameters.

    ``repetition_penalty`` is not an OpenAI parameter; vLLM, llama.cpp and TGI accept it in
    the request body, and it is sent only when it changes something, so strict servers that
    reject unknown fields still work with the default settings.
    """
    kwargs: dict[str, Any] = {"max_tokens": config.max_new_tokens,
                              "temperature": config.temperature, "top_p": config.top_p}
    if config.repetition_penalty != 1.0:
        kwargs["extra_body"] = {"repetition_penalty": config.repetition_penalty}
    return kwargs


def _server_message(error: Exception) -> str:
    """The server's own words from an error body (OpenAI, vLLM, TGI and FastAPI shapes)."""
    body = getattr(error, "body", None)
    text: Any = body
    if isinstance(body, dict):
        text = next((body[key] for key in ("message", "error", "detail")
                     if isinstance(body.get(key), str) and body[key]), None)
        if text is None and isinstance(body.get("error"), dict):
            text = body["error"].get("message")
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())[:300]


def _cause(error: BaseException) -> str:
    cause = error.__cause__ or error.__context__
    return f"{type(cause).__name__}: {str(cause)[:120]}" if cause else str(error)
