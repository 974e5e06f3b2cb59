"""Preference tuning from the web app's votes: reading the file, and DPO on a tiny aya model.

Checked like TRL's own tests: after a few DPO steps on the CPU only LoRA weights have
changed, and the chosen answers have become more likely than the rejected ones on the voted
pairs; the adapter loads in the hf backend and exports to GGUF for llamacpp.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.errors import DataError
from training.recipe import DpoRecipe, RecipeError, load_recipe
from training.votes import read_votes
from ui.votes import Pair, preference_record

from .conftest import DEMO_KB
from .tiny_models import build_tiny_cohere, persian_texts

pytest.importorskip("trl", reason="trl is not installed (pip install '.[home]')")

LAYOUT = {"right": "plain", "left": "rag"}


def _kb(n: int) -> list[dict]:
    return [json.loads(line) for line in DEMO_KB.read_text(encoding="utf-8").splitlines()[:n]]


def _clear_votes(n: int = 8) -> list[dict]:
    """n votes for the doctor's answer over another question's answer (the RAG column)."""
    rows = _kb(n)
    return [preference_record(Pair(question=row["question"], rag=row["answer"][:160],
                                   plain=rows[(i + 1) % n]["answer"][:160], model_id="tiny"),
                              "rag", LAYOUT) for i, row in enumerate(rows)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _dump(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False)


def test_votes_file_keeps_clear_votes_and_reports_torn_and_foreign_lines_by_number(tmp_path):
    clear = _clear_votes(3)
    tie = preference_record(Pair(question="س", plain="الف", rag="ب"), "tie", LAYOUT)
    bad = preference_record(Pair(question="س", plain="الف", rag="ب"), "both_bad", LAYOUT)
    same = preference_record(Pair(question="س", plain="همان", rag="همان"), "plain", LAYOUT)
    no_fields = {key: value for key, value in clear[0].items() if key != "chosen"}
    path = _write(tmp_path / "votes.jsonl", [
        _dump(clear[0]), _dump(tie), '{"question": "نیمه', _dump(clear[1]), "",
        '{"text": "a crawl record"}', _dump(bad), _dump(no_fields), "[1, 2]", _dump(same),
        _dump(clear[2]),
    ])
    read = read_votes(path)
    assert [pair["prompt"][0]["content"] for pair in read.pairs] == [
        clear[0]["question"], clear[1]["question"], clear[2]["question"]]
    assert read.counts() == {"pairs": 3, "tie": 1, "both_bad": 1, "same_answers": 1,
                             "torn": 1, "foreign": 3}
    assert read.lines["torn"] == [3] and read.lines["foreign"] == [6, 8, 9]
    assert "1 torn (line 3)" in read.describe() and "3 foreign (line 6, 8, 9)" in \
        read.describe()


def test_a_votes_file_with_no_usable_pair_stops_with_the_counts_per_reason(tmp_path, capsys):
    from index.cli import main

    tie = preference_record(Pair(question="س", plain="الف", rag="ب"), "tie", LAYOUT)
    bad = preference_record(Pair(question="س", plain="الف", rag="ب"), "both_bad", LAYOUT)
    path = _write(tmp_path / "votes.jsonl", [_dump(tie), _dump(tie), _dump(bad), '{"vo'])
    # The model does not exist: the votes are read and refused before any model loads.
    code = main(["train", "dpo", "--votes", str(path), f"model={tmp_path / 'no-model'}",
                 f"output_dir={tmp_path / 'run'}"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "no usable preference pair" in err
    assert "2 tie, 1 both bad, 1 torn (line 4)" in err
    assert not (tmp_path / "run").exists()


def test_a_missing_votes_file_names_the_option_that_writes_it(tmp_path):
    with pytest.raises(DataError, match="--votes-file"):
        read_votes(tmp_path / "none.jsonl")


def test_the_dpo_recipe_documents_its_defaults_and_checks_its_keys():
    recipe = load_recipe("dpo", ["model=m"], schema=DpoRecipe)
    assert (recipe.dpo.beta, recipe.dpo.loss_type, recipe.train.epochs) == (0.1, "sigmoid", 1)
    with pytest.raises(RecipeError, match=r"dpo\.beta"):
        load_recipe("dpo", ["dpo.beta=0"], schema=DpoRecipe)
    with pytest.raises(RecipeError, match=r"unknown recipe key 'dpo\.temperature'"):
        load_recipe("dpo", ["dpo.temperature=1"], schema=DpoRecipe)


@pytest.fixture(scope="module")
def sharp_tied_dir(tmp_path_factory) -> Path:
    """The tiny aya model, tied like the real one (so it exports), with logit scale 1.

    aya's 0.0625 logit scale leaves a random tiny model's output almost uniform, so a few
    steps could barely move the log-probabilities the test measures.
    """
    from transformers import AutoModelForCausalLM

    out = build_tiny_cohere(tmp_path_factory.mktemp("dpo") / "model",
                            persian_texts(DEMO_KB), tied=True)
    model = AutoModelForCausalLM.from_pretrained(out)
    model.config.logit_scale = 1.0
    model.save_pretrained(out)
    return out


def _recipe(model: Path, out: Path, *overrides: str) -> DpoRecipe:
    return load_recipe("dpo", [
        f"model={model}", f"output_dir={out}", "train.device=cpu", "train.bf16=false",
        "train.gradient_checkpointing=false", "train.batch_size=4", "train.grad_accum=1",
        "train.max_steps=6", "train.learning_rate=5e-3", "train.warmup_ratio=0",
        "train.save_steps=100", "dpo.max_length=96", "lora.r=8", *overrides,
    ], schema=DpoRecipe)


def _margins(model, tokenizer, pairs: list[dict]) -> list[float]:
    """log p(chosen | prompt) - log p(rejected | prompt) per pair, with the chat template."""
    import torch

    def logp(prompt: list[dict], answer: list[dict]) -> float:
        start = tokenizer.apply_chat_template(prompt, add_generation_prompt=True,
                                              return_tensors="pt", return_dict=True)["input_ids"]
        full = tokenizer.apply_chat_template(prompt + answer, return_tensors="pt",
                                             return_dict=True)["input_ids"][:, :96]
        with torch.no_grad():
            logits = model(input_ids=full).logits.float().log_softmax(-1)
        targets = full[0, start.shape[1]:]
        picked = logits[0, start.shape[1] - 1: -1].gather(-1, targets[:, None])
        return float(picked.sum())

    model.eval()
    return [logp(p["prompt"], p["chosen"]) - logp(p["prompt"], p["rejected"]) for p in pairs]


def test_dpo_changes_only_lora_weights_and_raises_the_chosen_over_rejected_margin(
        sharp_tied_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback

    from training.dpo import run_dpo

    torch.set_num_threads(1)
    votes = _write(tmp_path / "votes.jsonl", [_dump(v) for v in _clear_votes(8)])
    seen: dict[str, dict] = {}

    class Snapshot(TrainerCallback):
        def on_train_begin(self, args, state, control, model=None, **kwargs):
            seen["before"] = {n: p.detach().clone() for n, p in model.named_parameters()}

        def on_train_end(self, args, state, control, model=None, **kwargs):
            seen["after"] = {n: p.detach().clone() for n, p in model.named_parameters()}

    summary = run_dpo(_recipe(sharp_tied_dir, tmp_path / "run"), votes, progress=False,
                      callbacks=[Snapshot()])
    before, after = seen["before"], seen["after"]
    lora = [n for n in before if "lora_" in n]
    assert len(lora) == 2 * 7 * 2  # 2 layers x 7 projections x (A, B)
    assert all(not before[n].equal(after[n]) for n in lora if "lora_B" in n)
    assert all(before[n].equal(after[n]) for n in before if "lora_" not in n), \
        "a base weight changed"

    pairs = read_votes(votes).pairs
    tokenizer = AutoTokenizer.from_pretrained(sharp_tied_dir)
    base = AutoModelForCausalLM.from_pretrained(sharp_tied_dir)
    margin_before = sum(_margins(base, tokenizer, pairs)) / len(pairs)
    tuned = PeftModel.from_pretrained(base, summary["files"]["adapter"])
    margin_after = sum(_margins(tuned, tokenizer, pairs)) / len(pairs)
    assert margin_after > margin_before + 1.0, (margin_before, margin_after)

    out = tmp_path / "run"
    for name in ("loss.png", "reward_margin.png", "reward_accuracy.png", "summary.json",
                 "votes.json", "recipe.yaml"):
        assert (out / name).is_file(), name
    assert summary["steps"] == 6 and summary["votes"]["pairs"] == 8
    assert summary["final_reward_margin"] > 0 and summary["steps_per_second"] > 0


def test_an_interrupted_dpo_run_resumes_and_its_adapter_loads_in_every_backend(
        sharp_tied_dir, tmp_path):
    import torch

    from assistant.backends.base import GenerationConfig
    from assistant.backends.hf import HFConfig, HFGenerator
    from training.dpo import run_dpo

    torch.set_num_threads(1)
    votes = _write(tmp_path / "votes.jsonl", [_dump(v) for v in _clear_votes(8)])
    first = run_dpo(_recipe(sharp_tied_dir, tmp_path / "run", "train.max_steps=2",
                            "train.save_steps=2"), votes, progress=False)
    assert first["steps"] == 2
    second = run_dpo(_recipe(sharp_tied_dir, tmp_path / "run", "train.max_steps=4",
                             "train.save_steps=2"), votes, progress=False)
    assert second["resumed_from"].endswith("checkpoint-2")
    assert (second["steps"], second["steps_this_session"]) == (4, 2)

    adapter = second["files"]["adapter"]
    messages = [{"role": "user", "content": "سرم درد می‌کند"}]
    short = GenerationConfig(max_new_tokens=6)
    hf = HFGenerator(HFConfig(model=adapter, device="cpu"))  # the folder stands for base+LoRA
    assert "+" in hf.model_id and isinstance(hf.generate(messages, short), str)

    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    from assistant.backends.llamacpp import LlamaCppConfig, LlamaCppGenerator
    from training.gguf_export import ExportConfig, export_gguf
    from training.llama_cpp_source import ConverterUnavailable

    try:
        record = export_gguf(ExportConfig(model=adapter, out=tmp_path / "dpo.gguf",
                                          quant="q8_0"))
    except ConverterUnavailable as error:
        pytest.skip(f"llama.cpp's converter is not available: {error}")
    assert record["adapter"] == adapter
    generator = LlamaCppGenerator(LlamaCppConfig(model=str(tmp_path / "dpo.gguf"), n_ctx=256,
                                                 n_threads=1))
    assert isinstance(generator.generate(messages, short), str)
