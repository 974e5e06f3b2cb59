"""In-process llama.cpp (llama-cpp-python): a quantized GGUF on an ordinary computer.

A 4-bit GGUF of an 8B model needs about 5 GB of memory and runs at reading speed on a
laptop's CPU, where transformers needs about 32 GB in float32. ``gaokerena export gguf``
writes such a file; this backend answers with it, in this process, with no server to run.

The conversation is rendered with the chat template stored in the GGUF (the model's own, as
exported). A GGUF without one gets the project's aya/Command-R template
(``assistant/data/chat_template.jinja``) and a warning, never llama-cpp-python's silent
``llama-2`` fallback, which would ask an aya model in a format it never saw.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.backends.base import GenerationConfig, GenerationError, Message

logger = logging.getLogger(__name__)

GGUF_MAGIC = b"GGUF"
TEMPLATE_KEY = "tokenizer.chat_template"


@dataclass(frozen=True)
class LlamaCppConfig:
    """The GGUF file and llama.cpp's settings.

    ``n_ctx`` is the context window in tokens (prompt + answer; the pipeline fits retrieved
    passages into it). ``n_threads`` 0 means one per physical core as llama.cpp counts them;
    set it to the machine's performance cores on a laptop. ``seed`` fixes sampling when
    temperature > 0 (greedy decoding, the default, needs none).
    """

    model: str
    n_ctx: int = 4096
    n_threads: int = 0
    n_batch: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model is empty; give a .gguf file (gaokerena export gguf writes "
                             "one)")
        if self.n_ctx < 64:
            raise ValueError(f"n_ctx must be >= 64 tokens, e.g. 4096, got {self.n_ctx}")
        if self.n_threads < 0:
            raise ValueError(f"n_threads must be >= 0 (0: llama.cpp's default), got "
                             f"{self.n_threads}")
        if self.n_batch <= 0:
            raise ValueError(f"n_batch must be > 0, e.g. 512, got {self.n_batch}")


def project_template() -> str:
    """The aya/Command-R template used when a GGUF carries none."""
    return (resources.files("assistant") / "data" / "chat_template.jinja").read_text("utf-8")


def check_gguf(path: Path) -> None:
    """Refuse a missing, empty or non-GGUF file with what it is and what to do.

    llama.cpp's own message for these is a bare "failed to load model"; the first four bytes
    of every GGUF file are ``GGUF``, so the common mistakes are caught here first.
    """
    if not path.is_file():
        raise GenerationError(f"{path}: no such GGUF file; write one with `gaokerena export "
                              "gguf --model DIR --out FILE.gguf`")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        what = "an empty file" if not magic else "not a GGUF file (it does not start with GGUF)"
        raise GenerationError(f"{path} is {what}; --backend llamacpp needs a llama.cpp GGUF "
                              "model, such as `gaokerena export gguf` writes (a transformers "
                              "folder goes with --backend hf)")


class LlamaCppGenerator:
    """Generate with llama.cpp in this process; one request at a time per loaded model.

    A llama.cpp context holds one conversation's state, so concurrent requests (``serve``
    with several sessions) wait for each other on a lock instead of corrupting it.
    """

    backend = "llamacpp"

    def __init__(self, config: LlamaCppConfig) -> None:
        try:
            import llama_cpp
        except ModuleNotFoundError:
            raise GenerationError(
                "--backend llamacpp needs llama-cpp-python: pip install 'gaokerena-rag[home]' "
                "(it builds from source; CMAKE_ARGS=\"-DGGML_NATIVE=OFF\" gives a portable "
                "build)") from None
        self.config = config
        path = Path(config.model).expanduser()
        check_gguf(path)
        threads = config.n_threads or None
        try:
            self.llm = llama_cpp.Llama(model_path=str(path), n_ctx=config.n_ctx,
                                       n_threads=threads, n_threads_batch=threads,
                                       n_batch=min(config.n_batch, config.n_ctx),
                                       seed=config.seed, verbose=False)
        except (ValueError, RuntimeError, OSError) as error:
            raise GenerationError(
                f"llama.cpp cannot load {path}: the file is damaged or truncated, or was "
                f"written for another llama.cpp version ({type(error).__name__}: "
                f"{str(error)[:200]}). Export it again with `gaokerena export gguf`.") from None
        self.template_source = "gguf"
        if TEMPLATE_KEY not in self.llm.metadata:
            logger.warning("%s has no chat template; using the project's aya/Command-R "
                           "template (assistant/data/chat_template.jinja)", path)
            self.llm.chat_handler = self._project_handler()
            self.template_source = "project"
        else:
            self.llm.chat_format = "chat_template.default"  # the GGUF's, never a guess
        self.model_id = path.name
        self.context_window = self.llm.n_ctx()
        self._lock = threading.Lock()

    def _project_handler(self):
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        def text(token: int) -> str:
            if token < 0:
                return ""
            return self.llm.detokenize([token], special=True).decode("utf-8", "replace")

        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        return Jinja2ChatFormatter(template=project_template(), eos_token=text(eos),
                                   bos_token=text(bos), stop_token_ids=[eos]).to_chat_handler()

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _sampling(self, config: GenerationConfig) -> dict:
        kwargs = {"max_tokens": config.max_new_tokens, "repeat_penalty":
                  config.repetition_penalty, "seed": self.config.seed}
        if config.temperature > 0:
            kwargs.update(temperature=config.temperature, top_p=config.top_p)
        else:
            kwargs.update(temperature=0.0, top_p=1.0, top_k=1)
        return kwargs

    def generate(self, messages: list[Message], config: GenerationConfig) -> str:
        return "".join(self.stream(messages, config)).strip()

    def stream(self, messages: list[Message], config: GenerationConfig) -> Iterator[str]:
        """Yield text as llama.cpp writes it; a consumer that stops early stops the model.

        llama-cpp-python produces each token when the next chunk is asked for, in the
        consumer's own thread: closing this generator (a closed browser tab) closes the
        completion at once, and the lock is released for the next request.
        """
        with self._lock:
            try:
                chunks = self.llm.create_chat_completion(messages=messages, stream=True,
                                                         **self._sampling(config))
            except ValueError as error:  # e.g. the prompt does not fit n_ctx
                raise GenerationError(f"llama.cpp refused the request: {error}") from None
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
            except ValueError as error:
                raise GenerationError(f"llama.cpp failed while generating: {error}") from None
            finally:
                chunks.close()

