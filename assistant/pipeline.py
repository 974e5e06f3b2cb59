"""One question in, a grounded answer out: retrieve, build the prompt, generate, cite.

``Assistant.answer(question, mode)`` serves both sides of the comparison: ``rag`` retrieves
passages and puts them in the prompt, ``plain`` asks the same model the same way without
them. Emergency guidance comes first and the disclaimer last in every mode and backend, and
nothing about the question is logged or stored.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.backends.base import GenerationConfig, GenerationError, Generator
from assistant.extractive import extractive_answer, source_label
from assistant.prompts import Passage, fit_passages, plain_messages, rag_messages
from assistant.safety import DISCLAIMER
from index.retriever import Hit, Retriever, check_question_size

MODES = ("rag", "plain")
NEEDS_GENERATOR = (
    "پاسخ بدون بازیابی به یک مدل زبانی نیاز دارد؛ با --backend hf یا --backend openai یک مدل "
    "انتخاب کنید. (The plain answer needs a generative model: choose --backend hf or openai.)"
)
_CITATION = re.compile(r"\[([0-9۰-۹]+)\]")
_PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


@dataclass(frozen=True)
class AssistantConfig:
    """How many passages to retrieve and fit, and how to decode."""

    k: int = 5
    quote_passages: int = 2
    context_tokens: int = 3072
    max_question_chars: int = 4000
    generation: GenerationConfig = field(default_factory=GenerationConfig)

    def __post_init__(self) -> None:
        for name in ("k", "quote_passages", "context_tokens", "max_question_chars"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class Citation:
    """What ``[n]`` in an answer refers to."""

    number: int
    doc_id: str
    text: str
    site: str
    url: str
    title: str
    score: float
    cited: bool = False
    also: int = 0  # other documents that hold this passage word for word

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Answer:
    mode: str
    text: str
    citations: list[Citation]
    emergency: bool
    emergency_category: str | None
    timings: dict[str, float]
    backend: str
    model_id: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["citations"] = [c.to_dict() for c in self.citations]
        return data


def cited_numbers(text: str) -> set[int]:
    """Citation numbers used in an answer, Persian or Latin digits: «[۲]» and «[2]» alike."""
    return {int(n.translate(_PERSIAN_DIGITS)) for n in _CITATION.findall(text)}


class Assistant:
    """Answers questions from a retriever and an optional generator (None: extractive)."""

    def __init__(self, retriever: Retriever | None, generator: Generator | None = None,
                 config: AssistantConfig | None = None, detector=None) -> None:
        if retriever is None and generator is None:
            raise ValueError("an assistant needs an index, a generator, or both")
        from assistant.emergency import EmergencyDetector

        self.retriever = retriever
        self.generator = generator
        self.config = config or AssistantConfig()
        self.detector = detector or EmergencyDetector()

    @property
    def backend(self) -> str:
        return self.generator.backend if self.generator else "extractive"

    @property
    def model_id(self) -> str:
        return self.generator.model_id if self.generator else "none"

    def check_question(self, question: str) -> str:
        """The question, stripped; QueryError (with what to do) when it cannot be answered."""
        check_question_size(question, self.config.max_question_chars)
        if self.retriever is not None:
            self.retriever.check_query(question)
        return question.strip()

    def _count_tokens(self, text: str) -> int:
        count = getattr(self.generator, "count_tokens", None)
        return count(text) if count else len(text) // 3

    def _retrieve(self, question: str) -> tuple[list[Hit], float]:
        if self.retriever is None:
            return [], 0.0
        started = time.perf_counter()
        hits = self.retriever.search(question, k=self.config.k)
        return hits, time.perf_counter() - started

    def _frame(self, body: str, emergency) -> str:
        parts = [emergency.guidance] if emergency else []
        return "\n\n".join([*parts, body.strip(), DISCLAIMER])

    def _passages(self, question: str, hits: list[Hit]) -> tuple[list[Passage], list[Hit]]:
        candidates = [Passage(i, h.text, source_label(h)) for i, h in enumerate(hits, start=1)]
        budget = self.config.context_tokens
        window = getattr(self.generator, "context_window", None)
        if window:  # leave room for the answer inside the model's context
            budget = min(budget, window - self.config.generation.max_new_tokens)
        fitted = fit_passages(question, candidates, self._count_tokens, budget)
        # fitted keeps rank order, so walking the hits once pairs them even when two
        # passages have the same text (doctors reuse answers).
        remaining = iter(hits)
        used = [next(h for h in remaining if h.text == p.text) for p in fitted]
        return fitted, used

    def _extractive(self, question: str, hits: list[Hit] | None = None,
                    ) -> tuple[str, list[Citation], dict[str, float]]:
        """Quoted passages as the answer body, with their citations and timings."""
        timings: dict[str, float] = {}
        if hits is None:
            hits, timings["retrieval_s"] = self._retrieve(question)
        started = time.perf_counter()
        extractive = extractive_answer(hits, self.config.quote_passages)
        timings["generation_s"] = time.perf_counter() - started
        citations = [_citation(n, h, True) for n, h in enumerate(extractive.sources, start=1)]
        return extractive.text, citations, timings

    def answer(self, question: str, mode: str = "rag") -> Answer:
        """Answer in ``mode`` ('rag' or 'plain'); raises QueryError for unusable questions."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        question = self.check_question(question)
        emergency = self.detector.detect(question)
        timings: dict[str, float] = {}
        citations: list[Citation] = []
        note = ""
        if mode == "plain" and self.generator is None:
            body, note = NEEDS_GENERATOR, "needs a generative model"
        elif self.generator is None:
            body, citations, timings = self._extractive(question)
        else:
            hits, used = [], []
            if mode == "rag":
                hits, timings["retrieval_s"] = self._retrieve(question)
                passages, used = self._passages(question, hits)
                messages = rag_messages(question, passages)
            else:
                messages = plain_messages(question)
            started = time.perf_counter()
            body = self.generator.generate(messages, self.config.generation)
            timings["generation_s"] = time.perf_counter() - started
            numbers = cited_numbers(body)
            citations = [_citation(n, h, n in numbers) for n, h in enumerate(used, start=1)]
        return Answer(mode=mode, text=self._frame(body, emergency), citations=citations,
                      emergency=emergency is not None,
                      emergency_category=emergency.category if emergency else None,
                      timings={k: round(v, 4) for k, v in timings.items()},
                      backend=self.backend, model_id=self.model_id, note=note)

    def sources(self, question: str) -> list[Citation]:
        """The passages a RAG answer to ``question`` shows, numbered as that answer numbers them.

        For a streamed answer, whose text carries no sources, a caller (the web app) shows
        these beside it. Extractive answers quote, and so cite, every passage they show; a
        model's prompt holds the passages that fit its context window, and which of them it
        cited is known only once its answer is complete (see :func:`cited_numbers`).
        """
        question = self.check_question(question)
        return self._shown(question, self._retrieve(question)[0])

    def stream_with_sources(self, question: str) -> tuple[list[Citation], Iterator[str]]:
        """The RAG answer's sources and its growing text, from one retrieval.

        What the web app shows side by side; :meth:`sources` then :meth:`stream` would
        retrieve (and fit the passages to the model) twice.
        """
        question = self.check_question(question)
        hits = self._retrieve(question)[0]
        return self._shown(question, hits), self._stream(question, "rag", hits)

    def _shown(self, question: str, hits: list[Hit]) -> list[Citation]:
        if self.generator is None:
            shown, cited = extractive_answer(hits, self.config.quote_passages).sources, True
        else:
            shown, cited = self._passages(question, hits)[1], False
        return [_citation(n, h, cited) for n, h in enumerate(shown, start=1)]

    def compare(self, question: str) -> dict[str, Answer]:
        """Both modes for one question; a failing generation keeps the other mode's answer."""
        self.check_question(question)
        answers = {}
        for mode in ("plain", "rag"):
            try:
                answers[mode] = self.answer(question, mode)
            except GenerationError as error:
                answers[mode] = Answer(mode, self._frame(f"خطا: {error}", None), [], False, None,
                                       {}, self.backend, self.model_id, note=str(error))
        return answers

    def stream(self, question: str, mode: str = "rag") -> Iterator[str]:
        """Yield the answer as it grows: guidance first, then the model's words, disclaimer last."""
        yield from self._stream(self.check_question(question), mode, None)

    def _stream(self, question: str, mode: str, hits: list[Hit] | None) -> Iterator[str]:
        """``stream`` for a checked question; ``hits`` None retrieves when the mode needs it."""
        emergency = self.detector.detect(question)
        if emergency:
            yield emergency.guidance + "\n\n"
        if self.generator is None:
            body = NEEDS_GENERATOR if mode == "plain" else self._extractive(question, hits)[0]
            yield body.strip() + "\n\n"
        else:
            if mode == "rag":
                if hits is None:
                    hits, _ = self._retrieve(question)
                messages = rag_messages(question, self._passages(question, hits)[0])
            else:
                messages = plain_messages(question)
            yield from self.generator.stream(messages, self.config.generation)
            yield "\n\n"
        yield DISCLAIMER


def _citation(number: int, hit: Hit, cited: bool) -> Citation:
    return Citation(number, hit.doc_id, hit.text, hit.site, hit.url, hit.title, hit.score, cited,
                    len(hit.also))
