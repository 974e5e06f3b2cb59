"""The generator interface every backend implements, and its settings.

Plain and RAG answers differ only in their messages; the backend, its model and these
settings stay the same, so the comparison between the two is fair.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from index.errors import GaokerenaError

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


class GenerationError(GaokerenaError):
    """A backend that cannot answer: model not loadable, endpoint down or timing out."""


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding settings. Greedy by default; ``paper()`` gives Gaokerena's evaluation settings."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        if self.max_new_tokens <= 0:
            raise ValueError(f"max_new_tokens must be > 0, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 is greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {self.timeout_s}")

    @classmethod
    def paper(cls) -> GenerationConfig:
        """The Gaokerena paper's evaluation decoding: greedy, penalty 1.2, 1024 tokens."""
        return cls(max_new_tokens=1024, temperature=0.0, repetition_penalty=1.2)


class Generator(Protocol):
    """What the pipeline needs from a backend."""

    backend: str
    model_id: str

    def generate(self, messages: list[Message], config: GenerationConfig) -> str: ...

    def stream(self, messages: list[Message], config: GenerationConfig) -> Iterator[str]: ...
