"""Training recipes: typed dataclasses read from YAML, with ``key=value`` overrides.

A recipe fixes every number of a run (the paper's Table IV for ``pretrain.yaml`` and
``instruct.yaml``), so a run can be repeated from its file. The schema is checked strictly:
an unknown key or a wrong type fails before any model loads, with the key's dotted name and
what would be accepted, because a typo such as ``lora.rank`` silently ignored would train
something other than what the file says.

Example:
    >>> recipe = load_recipe("tiny", ["lora.r=4", "train.max_steps=3"])  # doctest: +SKIP
    >>> recipe.lora.r
    4
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from index.errors import GaokerenaError

STAGES = ("pretrain", "instruct")
#: TRL's pairwise DPO losses offered here: "sigmoid" is the DPO paper's, "ipo" (Azar et al.)
#: does not push a margin without bound on a few noisy votes, "hinge" is SLiC's.
DPO_LOSSES = ("sigmoid", "ipo", "hinge")
PAPER_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEVICES = ("auto", "cpu", "cuda")
BIASES = ("none", "all", "lora_only")
RESUME = ("auto", "never")


def _schedulers() -> list[str]:
    """transformers' own ``lr_scheduler_type`` names, so a new release needs no edit here."""
    from transformers import SchedulerType

    return [scheduler.value for scheduler in SchedulerType]


class RecipeError(GaokerenaError):
    """A recipe file or override that does not fit the schema (names the key)."""


def _check(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{key} {message}")


@dataclass(frozen=True)
class DataSettings:
    """Where the text comes from and how it becomes training examples.

    ``source`` is a ``.jsonl`` file, a folder written by ``datasets.save_to_disk`` or a hub
    dataset id. Stage 1 reads ``text_field``; stage 2 reads ``question_field`` and
    ``answer_field`` (MF3QA's shape). ``fraction`` keeps the first part of the records, as the
    paper's ``train[:60%]`` does; ``limit`` caps the record count for smoke runs.
    ``isolate_documents`` keeps packed documents from attending to each other (stage 1; see
    ``training.packing``).
    """

    source: str = ""
    split: str = "train"
    fraction: float = 1.0
    limit: int | None = None
    text_field: str = "content"
    question_field: str = "question"
    answer_field: str = "answer"
    max_length: int = 1024
    isolate_documents: bool = False
    train_on_prompt: bool = False
    chat_template: str | None = None
    normalize: bool = False
    num_proc: int = 1

    def __post_init__(self) -> None:
        _check(0 < self.fraction <= 1, "data.fraction", f"must lie in (0, 1], e.g. 0.6; got "
               f"{self.fraction!r}")
        _check(self.limit is None or self.limit > 0, "data.limit", "must be > 0 or null")
        _check(self.max_length >= 8, "data.max_length", f"must be >= 8 (the paper uses 1024); "
               f"got {self.max_length!r}")
        _check(self.num_proc >= 1, "data.num_proc", "must be >= 1")
        for name in ("text_field", "question_field", "answer_field", "split"):
            _check(bool(getattr(self, name)), f"data.{name}", "must not be empty")


@dataclass(frozen=True)
class LoraSettings:
    """The adapter. Paper: r/alpha/dropout 8/16/0.05 (stage 1) and 2/2/0.4 (stage 2)."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = PAPER_TARGETS
    bias: str = "none"

    def __post_init__(self) -> None:
        _check(self.r > 0, "lora.r", f"must be > 0, e.g. 8; got {self.r!r}")
        _check(self.alpha > 0, "lora.alpha", f"must be > 0, e.g. 16; got {self.alpha!r}")
        _check(0 <= self.dropout < 1, "lora.dropout", f"must lie in [0, 1); got {self.dropout!r}")
        _check(bool(self.target_modules), "lora.target_modules",
               f"needs at least one module name, e.g. {list(PAPER_TARGETS)}")
        _check(self.bias in BIASES, "lora.bias", f"must be one of {list(BIASES)}; got "
               f"{self.bias!r}")


@dataclass(frozen=True)
class TrainSettings:
    """Optimiser, schedule and hardware switches, handed to transformers' TrainingArguments.

    ``bf16`` and ``flash_attention`` are requests: without a GPU that supports them the run
    falls back to float32 / SDPA attention with a warning, and the summary records it.
    """

    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 2
    grad_accum: int = 16
    optimizer: str = "adamw_torch"
    learning_rate: float = 5e-4
    scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.1
    max_grad_norm: float = 0.3
    gradient_checkpointing: bool = True
    bf16: bool = True
    flash_attention: bool = True
    device: str = "auto"
    logging_steps: int = 4
    save_steps: int = 1000
    save_total_limit: int = 1
    resume: str = "auto"
    seed: int = 42
    dataloader_workers: int = 0

    def __post_init__(self) -> None:
        _check(self.epochs > 0, "train.epochs", f"must be > 0; got {self.epochs!r}")
        _check(self.max_steps == -1 or self.max_steps > 0, "train.max_steps",
               "must be -1 (use epochs) or > 0")
        for name in ("batch_size", "grad_accum", "logging_steps", "save_steps"):
            _check(getattr(self, name) > 0, f"train.{name}", f"must be > 0; got "
                   f"{getattr(self, name)!r}")
        _check(self.learning_rate > 0, "train.learning_rate", "must be > 0, e.g. 5e-4")
        _check(0 <= self.warmup_ratio < 1, "train.warmup_ratio", "must lie in [0, 1), e.g. 0.03")
        _check(self.weight_decay >= 0, "train.weight_decay", "must be >= 0")
        _check(self.max_grad_norm > 0, "train.max_grad_norm", "must be > 0, e.g. 0.3")
        schedulers = _schedulers()
        _check(self.scheduler in schedulers, "train.scheduler",
               f"must be one of {schedulers}; got {self.scheduler!r}")
        _check(self.device in DEVICES, "train.device", f"must be one of {list(DEVICES)}; got "
               f"{self.device!r}")
        _check(self.save_total_limit >= 1, "train.save_total_limit", "must be >= 1")
        _check(self.resume in RESUME or bool(self.resume), "train.resume",
               f"must be one of {list(RESUME)} or a checkpoint folder")
        _check(self.dataloader_workers >= 0, "train.dataloader_workers", "must be >= 0")


@dataclass(frozen=True)
class EnergySettings:
    """Inputs of the energy and CO2 estimate (power x hours x grid intensity x PUE).

    Defaults reproduce the paper's own estimate: an A100 PCIe (250 W board power) in Google
    Cloud asia-east1 (557 g CO2e/kWh in the ML CO2 Impact calculator), where 19 h give
    19 x 0.25 x 0.557 = 2.65 kg, against the 2.66 kg the paper reports. ``cpu_power_watts``
    is used when no GPU trains; it is a guess at a desktop CPU's package power.
    """

    gpu_power_watts: float = 250.0
    cpu_power_watts: float = 65.0
    grid_intensity_g_per_kwh: float = 557.0
    pue: float = 1.0

    def __post_init__(self) -> None:
        for name in ("gpu_power_watts", "cpu_power_watts", "grid_intensity_g_per_kwh"):
            _check(getattr(self, name) >= 0, f"energy.{name}", "must be >= 0")
        _check(self.pue >= 1, "energy.pue", "must be >= 1 (1.0 = no datacentre overhead)")


class _Run:
    """What every run recipe shares: a model, an output folder, the checks and the YAML form."""

    model: str
    output_dir: str

    def __post_init__(self) -> None:
        _check(bool(self.model), "model", "is empty; give a hub id or a model folder "
               "(model=PATH on the command line)")
        _check(bool(self.output_dir), "output_dir", "is empty")

    def output_path(self, stage: str) -> Path:
        return Path(self.output_dir.format(stage=stage)).expanduser()

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


@dataclass(frozen=True)
class Recipe(_Run):
    """One training run. ``output_dir`` may contain ``{stage}``.

    ``base_adapter`` is a LoRA adapter merged into ``model`` before the new LoRA is added:
    stage 2 of the paper merges the stage-1 adapter this way.
    """

    model: str = ""
    output_dir: str = "runs/{stage}"
    base_adapter: str | None = None
    #: What to do when ``model`` is missing, added to the error (the tiny recipe's local model
    #: is built by a script, not downloaded).
    model_help: str | None = None
    data: DataSettings = field(default_factory=DataSettings)
    lora: LoraSettings = field(default_factory=LoraSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    energy: EnergySettings = field(default_factory=EnergySettings)


@dataclass(frozen=True)
class DpoSettings:
    """Preference tuning on votes (``gaokerena train dpo``).

    ``beta`` is DPO's temperature: how far the tuned model may move from the instruct model
    (0.1 is the DPO paper's and TRL's default; smaller moves further). ``max_length`` caps
    prompt + answer in tokens (longer pairs are truncated from the end). ``min_pairs`` stops
    a run with fewer clear votes than that: a few dozen pairs mostly teach noise.
    """

    beta: float = 0.1
    loss_type: str = "sigmoid"
    max_length: int = 1024
    min_pairs: int = 1

    def __post_init__(self) -> None:
        _check(self.beta > 0, "dpo.beta", f"must be > 0, e.g. 0.1; got {self.beta!r}")
        _check(self.loss_type in DPO_LOSSES, "dpo.loss_type",
               f"must be one of {list(DPO_LOSSES)}; got {self.loss_type!r}")
        _check(self.max_length >= 16, "dpo.max_length", f"must be >= 16, e.g. 1024; got "
               f"{self.max_length!r}")
        _check(self.min_pairs >= 1, "dpo.min_pairs", f"must be >= 1; got {self.min_pairs!r}")


@dataclass(frozen=True)
class DpoRecipe(_Run):
    """A preference-tuning run: a fresh LoRA on ``model`` (the instruct model), trained with
    TRL's DPOTrainer on the web app's votes; the reference model is ``model`` itself (the
    adapter switched off), so no second copy is loaded. ``output_dir`` may contain
    ``{stage}`` (``dpo``)."""

    model: str = ""
    output_dir: str = "runs/{stage}"
    model_help: str | None = None
    lora: LoraSettings = field(default_factory=LoraSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    dpo: DpoSettings = field(default_factory=DpoSettings)
    energy: EnergySettings = field(default_factory=EnergySettings)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


# ---------------------------------------------------------------------------------------------
# Building a recipe from plain data, with errors that name the key.


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(arg) for arg in typing.get_args(hint))
    if origin is tuple:
        return f"list of {_type_name(typing.get_args(hint)[0])}"
    if hint is type(None):
        return "null"
    return getattr(hint, "__name__", str(hint))


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against a type hint; ints pass as floats, lists become tuples."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            try:
                return _coerce(value, option, key)
            except RecipeError:
                continue
        raise _type_error(key, hint, value)
    if hint is type(None):
        if value is None:
            return None
        raise _type_error(key, hint, value)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise _type_error(key, hint, value)
        item_hint = typing.get_args(hint)[0]
        return tuple(_coerce(item, item_hint, key) for item in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise _type_error(key, hint, value)
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _type_error(key, hint, value)
    if hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 1e-2 (no dot) as a string
            try:
                return float(value)
            except ValueError:
                pass
        raise _type_error(key, hint, value)
    if hint is str:
        if isinstance(value, str):
            return value
        raise _type_error(key, hint, value)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise RecipeError(f"recipe key {key!r} must be a section (a mapping of keys), got "
                              f"{type(value).__name__} {value!r}")
        return _build(hint, value, prefix=f"{key}.")
    raise TypeError(f"unsupported recipe type {hint!r} for {key}")  # a bug in the schema


def _type_error(key: str, hint: Any, value: Any) -> RecipeError:
    return RecipeError(f"recipe key {key!r} must be {_type_name(hint)}, got "
                       f"{type(value).__name__} {value!r}")


def _build(cls: type, raw: dict[str, Any], prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in hints:
            where = f"section {prefix.rstrip('.')!r}" if prefix else "the top level"
            raise RecipeError(f"unknown recipe key {prefix + str(key)!r}; allowed keys at "
                              f"{where}: {', '.join(allowed)}")
    values = {key: _coerce(value, hints[key], prefix + key) for key, value in raw.items()}
    try:
        return cls(**values)
    except ValueError as error:
        raise RecipeError(f"recipe value: {error}") from None


def recipe_from_dict(raw: dict[str, Any], schema: type = Recipe) -> Any:
    """Validate plain data (as read from YAML) into a :class:`Recipe` (or ``schema``)."""
    if not isinstance(raw, dict):
        raise RecipeError(f"a recipe must be a YAML mapping of keys, got {type(raw).__name__}")
    return _build(schema, raw)


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of ``raw`` with ``key=value`` items applied (dotted keys, YAML values).

    ``lora.r=4`` sets an int, ``train.bf16=false`` a bool, ``base_adapter=null`` clears a key,
    ``lora.target_modules=[q_proj,v_proj]`` a list. Keys are checked later by the schema.
    """
    import copy

    import yaml

    result = copy.deepcopy(raw)
    for item in overrides:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RecipeError(f"override {item!r} is not key=value (e.g. lora.r=4 or "
                              "model=models/tiny-aya)")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as error:
            raise RecipeError(f"override {item!r}: the value is not a YAML scalar or list "
                              f"({error})") from None
        node = result
        parts = key.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise RecipeError(f"override {item!r}: {'.'.join(parts[: depth + 1])!r} is a "
                                  "value, not a section")
            node = child
        node[parts[-1]] = value
    return result


def bundled_recipes() -> list[str]:
    """Names of the recipes shipped in ``training/recipes``."""
    folder = resources.files("training") / "recipes"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def read_recipe_file(name: str | Path) -> dict[str, Any]:
    """Read a recipe file, or a bundled one by name (``tiny``, ``pretrain``, ``instruct``)."""
    import yaml

    path = Path(name).expanduser()
    if path.is_file():
        text = _read_text(path)
    else:
        stem = str(name).removesuffix(".yaml")
        bundled = resources.files("training") / "recipes" / f"{stem}.yaml"
        if "/" in stem or not bundled.is_file():
            raise RecipeError(f"recipe {str(name)!r}: no such file, and not a bundled recipe "
                              f"(bundled: {', '.join(bundled_recipes())})")
        text = bundled.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RecipeError(f"recipe {str(name)!r} is not valid YAML: {error}") from None
    return raw if raw is not None else {}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RecipeError(f"recipe {path} is not UTF-8 text ({error.reason})") from None


def load_recipe(name: str | Path, overrides: list[str] | None = None,
                schema: type = Recipe) -> Any:
    """Read a recipe (file or bundled name), apply overrides, validate against ``schema``
    (:class:`Recipe` for the two stages, :class:`DpoRecipe` for ``train dpo``)."""
    return recipe_from_dict(apply_overrides(read_recipe_file(name), list(overrides or [])),
                            schema)
