"""One question in, a grounded answer out: retrieve, build the prompt, generate, cite.

``Assistant.answer(question, mode)`` serves both sides of the comparison: ``rag`` retrieves
passages and puts them in the prompt, ``plain`` asks the same model the same way without
them. Emergency guidance comes first and the disclaimer last in every mode and backend, and
nothing about the question is logged or stored.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.backends.base import GenerationConfig, GenerationError, Generator, Message
from assistant.extractive import extractive_answer, source_label
from assistant.prompts import Passage, fit_passages, plain_messages, rag_messages
from assistant.safety import DISCLAIMER
from index.retriever import Hit, QueryLimits, Retriever, check_question_size

MODES = ("rag", "plain")
NEEDS_GENERATOR = (
    "پاسخ بدون بازیابی به یک مدل زبانی نیاز دارد؛ با --backend hf، --backend openai یا "
    "--backend llamacpp (فایل GGUF روی همین رایانه) یک مدل "
    "انتخاب کنید. (The plain answer needs a generative model: choose --backend hf, openai "
    "or llamacpp.)"
)
_CITATION = re.compile(r"\[([0-9۰-۹]+)\]")
_PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")


@dataclass(frozen=True)
class AssistantConfig:
    """How many passages to retrieve and fit, and how to decode.

    The longest question accepted is the retriever's (``index.retriever.QueryLimits``): one
    limit for searching and answering.
    """

    k: int = 5
    quote_passages: int = 2
    context_tokens: int = 3072
    generation: GenerationConfig = field(default_factory=GenerationConfig)

    def __post_init__(self) -> None:
        for name in ("k", "quote_passages", "context_tokens"):
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


@dataclass
class Plan:
    """One answer before its words: everything but the model's reply.

    ``answer`` and ``stream`` both start here, so the emergency check, the retrieval, the
    passages that fit and their numbering are the same whichever way the words arrive.
    ``messages`` is None when no model is called; ``body`` is then the whole answer body
    (quoted passages, or the note that plain answers need a model).
    """

    mode: str
    emergency: Any
    shown: list[Hit]
    messages: list[Message] | None
    body: str = ""
    note: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def citations(self, body: str | None) -> list[Citation]:
        """The shown passages as citations; ``body`` None: the model's reply is not known yet.

        Extractive answers quote, and so cite, every passage they show; a model's answer
        cites the passages whose ``[n]`` its reply contains.
        """
        numbers = cited_numbers(body) if self.messages is not None and body else set()
        return [_citation(n, hit, self.messages is None or n in numbers)
                for n, hit in enumerate(self.shown, start=1)]

    def framed(self, words: Iterable[str]) -> Iterator[str]:
        """Emergency guidance first, then the body's words, the disclaimer last."""
        if self.emergency:
            yield self.emergency.guidance + "\n\n"
        yield from words
        yield "\n\n"
        yield DISCLAIMER


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

    @property
    def max_question_chars(self) -> int:
        """The longest question accepted: the retriever's limit (or the default one)."""
        return (self.retriever.limits if self.retriever is not None else QueryLimits()).max_chars

    def check_question(self, question: str) -> str:
        """The question, stripped; QueryError (with what to do) when it cannot be answered."""
        if self.retriever is not None:
            self.retriever.check_query(question)  # size, words, Persian
        else:
            check_question_size(question, self.max_question_chars)
        return question.strip()

    def plan(self, question: str, mode: str = "rag", hits: list[Hit] | None = None) -> Plan:
        """Everything an answer needs before the model speaks, for a checked question.

        ``hits`` None retrieves when the mode needs passages.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        plan = Plan(mode, self.detector.detect(question), [], None)
        if mode == "plain" and self.generator is None:
            plan.body, plan.note = NEEDS_GENERATOR, "needs a generative model"
            return plan
        if mode == "rag" and self.retriever is not None and hits is None:
            started = time.perf_counter()
            hits = self.retriever.search(question, k=self.config.k)
            plan.timings["retrieval_s"] = time.perf_counter() - started
        hits = hits or []
        if self.generator is None:
            started = time.perf_counter()
            quoted = extractive_answer(hits, self.config.quote_passages)
            plan.timings["generation_s"] = time.perf_counter() - started
            plan.body, plan.shown = quoted.text, list(quoted.sources)
        elif mode == "rag":
            fitted = fit_passages(question, [Passage(n, h.text, source_label(h)) for n, h
                                             in enumerate(hits, start=1)],
                                  self._count_tokens, self._prompt_budget())
            plan.shown = [hits[position] for position, _ in fitted]
            plan.messages = rag_messages(question, [passage for _, passage in fitted])
        else:
            plan.messages = plain_messages(question)
        return plan

    def _count_tokens(self, text: str) -> int:
        count = getattr(self.generator, "count_tokens", None)
        return count(text) if count else len(text) // 3

    def _prompt_budget(self) -> int:
        budget = self.config.context_tokens
        window = getattr(self.generator, "context_window", None)
        if window:  # leave room for the answer inside the model's context
            budget = min(budget, window - self.config.generation.max_new_tokens)
        return budget

    def _words(self, plan: Plan) -> Iterator[str]:
        if plan.messages is None:
            yield plan.body.strip()
        else:
            yield from self.generator.stream(plan.messages, self.config.generation)

    def _complete(self, plan: Plan, body: str, note: str = "",
                  citations: list[Citation] | None = None) -> Answer:
        return Answer(mode=plan.mode, text="".join(plan.framed([body.strip()])),
                      citations=plan.citations(body) if citations is None else citations,
                      emergency=plan.emergency is not None,
                      emergency_category=plan.emergency.category if plan.emergency else None,
                      timings={k: round(v, 4) for k, v in plan.timings.items()},
                      backend=self.backend, model_id=self.model_id, note=note or plan.note)

    def _generate(self, plan: Plan) -> Answer:
        if plan.messages is None:
            return self._complete(plan, plan.body)
        started = time.perf_counter()
        body = self.generator.generate(plan.messages, self.config.generation)
        plan.timings["generation_s"] = time.perf_counter() - started
        return self._complete(plan, body)

    def answer(self, question: str, mode: str = "rag") -> Answer:
        """Answer in ``mode`` ('rag' or 'plain'); raises QueryError for unusable questions."""
        return self._generate(self.plan(self.check_question(question), mode))

    def compare(self, question: str) -> dict[str, Answer]:
        """Both modes for one question; a failing generation keeps the other mode's answer."""
        question = self.check_question(question)
        answers = {}
        for mode in ("plain", "rag"):
            plan = self.plan(question, mode)
            try:
                answers[mode] = self._generate(plan)
            except GenerationError as error:
                answers[mode] = self._complete(plan, f"خطا: {error}", str(error), [])
        return answers

    def stream(self, question: str, mode: str = "rag") -> Iterator[str]:
        """Yield the answer as it grows: guidance first, then the model's words, disclaimer last."""
        yield from self.stream_plan(self.plan(self.check_question(question), mode))

    def stream_plan(self, plan: Plan) -> Iterator[str]:
        """The growing text of a planned answer (for callers that checked the question once)."""
        return plan.framed(self._words(plan))

    def stream_with_sources(self, question: str) -> tuple[list[Citation], Iterator[str]]:
        """The RAG answer's sources and its growing text, from one retrieval.

        What the web app shows side by side: the passages as numbered in the prompt (which
        of them a model cited is known once its reply is complete: :func:`cited_numbers`).
        """
        plan = self.plan(self.check_question(question), "rag")
        return plan.citations(None), self.stream_plan(plan)


def _citation(number: int, hit: Hit, cited: bool) -> Citation:
    return Citation(number, hit.doc_id, hit.text, hit.site, hit.url, hit.title, hit.score, cited,
                    len(hit.also))
