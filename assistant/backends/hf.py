"""Local generation with transformers (and peft adapters): the home-machine backend.

Loads a causal LM and its tokenizer from a hub id or a folder, optionally applies a LoRA
adapter (and merges it), and answers with the model's own chat template. Offline, a hub id
that is not in the local cache fails at once with what to change, instead of hanging.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.backends.base import GenerationConfig, GenerationError, Message

logger = logging.getLogger(__name__)

# The published Gaokerena model (a merged LoRA fine-tune of aya-expanse-8b).
DEFAULT_MODEL = "gaokerena/gaokerena-v1.0"
BASE_MODEL = "CohereForAI/aya-expanse-8b"
GENERATE_THREAD = "gaokerena-hf-generate"


@dataclass(frozen=True)
class HFConfig:
    """Which model to load and how. ``model`` and ``adapter`` are hub ids or folders."""

    model: str = DEFAULT_MODEL
    adapter: str | None = None
    merge: bool = False
    device: str | None = None
    load_in_4bit: bool = False
    max_context_tokens: int = 4096

    def __post_init__(self) -> None:
        if not self.model:
            raise ValueError("model is empty; give a hub id or a folder")
        if self.max_context_tokens <= 0:
            raise ValueError("max_context_tokens must be > 0")


def _offline(name: str, what: str, error: Exception) -> GenerationError:
    return GenerationError(
        f"cannot load the {what} {name!r} ({type(error).__name__}: {str(error)[:200]}). "
        "Offline, a hub id must already be in the Hugging Face cache: run once with network "
        "access, or download it elsewhere and pass its folder with --model / --adapter "
        "(or choose --backend extractive or openai)."
    )


def _load_kwargs(name: str) -> dict:
    """Folders load as they are; hub ids only from the local cache when offline."""
    if Path(name).expanduser().exists():
        return {}
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}:
        return {"local_files_only": True}
    return {}


class HFGenerator:
    """Generate with a transformers causal LM, streaming through TextIteratorStreamer."""

    backend = "hf"

    def __init__(self, config: HFConfig | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config = config or HFConfig()
        name = self.config.model
        adapter = self.config.adapter
        base = name
        adapter_file = Path(name).expanduser() / "adapter_config.json"
        if adapter is None and adapter_file.is_file():
            # A folder holding only an adapter: load its base, then the adapter.
            base = json.loads(adapter_file.read_text())["base_model_name_or_path"]
            adapter = name
        device = self.config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
        kwargs: dict = {"dtype": dtype}
        if self.config.load_in_4bit:
            kwargs.update(_four_bit())
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(base, **_load_kwargs(base))
            model = AutoModelForCausalLM.from_pretrained(base, **kwargs, **_load_kwargs(base))
        except (OSError, ValueError) as error:
            raise _offline(base, "model", error) from None
        if self.tokenizer.chat_template is None:
            raise GenerationError(
                f"the tokenizer of {base!r} has no chat template; use a chat/instruct model "
                "(Gaokerena and aya-expanse have one)"
            )
        if adapter:
            model = _apply_adapter(model, base, adapter, self.config.merge)
        if not self.config.load_in_4bit:
            model = model.to(device)
        self.model = model.eval()
        self.device = device
        self.model_id = f"{base}+{adapter}" if adapter else base
        positions = getattr(model.config, "max_position_embeddings", None) or 8192
        self.context_window = min(int(positions), self.config.max_context_tokens)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def _inputs(self, messages: list[Message]):
        encoded = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        return {key: value.to(self.model.device) for key, value in encoded.items()}

    def _generate_kwargs(self, config: GenerationConfig) -> dict:
        kwargs = {"max_new_tokens": config.max_new_tokens,
                  "repetition_penalty": config.repetition_penalty,
                  "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}
        if config.temperature > 0:
            kwargs.update(do_sample=True, temperature=config.temperature, top_p=config.top_p)
        else:
            kwargs.update(do_sample=False)
        return kwargs

    def generate(self, messages: list[Message], config: GenerationConfig) -> str:
        import torch

        inputs = self._inputs(messages)
        with torch.inference_mode():
            output = self.model.generate(**inputs, **self._generate_kwargs(config))
        new_tokens = output[0, inputs["input_ids"].shape[1]:]
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True).strip()

    def stream(self, messages: list[Message], config: GenerationConfig) -> Iterator[str]:
        """Yield text as the model writes it; a consumer that stops early stops the model.

        Generation runs in a worker thread. When the consumer closes this generator (a
        closed browser tab, a timeout), a stopping criterion ends ``generate`` at the next
        token instead of letting it run on to ``max_new_tokens`` on a busy GPU.
        """
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True, timeout=config.timeout_s)
        abandoned = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            import torch

            try:
                with torch.inference_mode():
                    self.model.generate(**inputs, **self._generate_kwargs(config),
                                        streamer=streamer,
                                        stopping_criteria=StoppingCriteriaList(
                                            [_stop_when_set(abandoned)]))
            except BaseException as error:  # surfaced to the consumer below
                failure.append(error)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True, name=GENERATE_THREAD)
        worker.start()
        try:
            for text in streamer:
                if text:
                    yield text
        finally:
            abandoned.set()
        worker.join()
        if failure:
            raise GenerationError(f"generation failed: {failure[0]}") from failure[0]


def _stop_when_set(event: threading.Event):
    """A transformers stopping criterion that fires once ``event`` is set."""
    import torch
    from transformers import StoppingCriteria

    class StopWhenSet(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):
            return torch.full((input_ids.shape[0],), event.is_set(), dtype=torch.bool,
                              device=input_ids.device)

    return StopWhenSet()


def _apply_adapter(model, base: str, adapter: str, merge: bool):
    from peft import PeftConfig, PeftModel

    try:
        peft_config = PeftConfig.from_pretrained(adapter, **_load_kwargs(adapter))
    except (OSError, ValueError) as error:
        raise _offline(adapter, "adapter", error) from None
    trained_for = peft_config.base_model_name_or_path
    try:
        model = PeftModel.from_pretrained(model, adapter, **_load_kwargs(adapter))
    except (RuntimeError, ValueError, KeyError) as error:
        raise GenerationError(
            f"the adapter {adapter!r} does not fit the model {base!r}: it was trained for "
            f"{trained_for!r} ({type(error).__name__}: {str(error)[:200]}). Pass the matching "
            "base with --model."
        ) from None
    return model.merge_and_unload() if merge else model


def _four_bit() -> dict:
    try:
        import bitsandbytes  # noqa: F401
        from transformers import BitsAndBytesConfig
    except ImportError:
        raise GenerationError(
            "4-bit loading needs bitsandbytes and a CUDA GPU: pip install bitsandbytes, or "
            "leave out --load-in-4bit"
        ) from None
    return {"quantization_config": BitsAndBytesConfig(load_in_4bit=True), "device_map": "auto"}
