"""Both training stages on a tiny random aya-architecture model, on the CPU, a few steps each.

Checked like TRL's own tests: LoRA weights change and base weights do not, the loss falls
on a repeated batch, outputs load back (adapter, merged model, the assistant's loader) with
the same logits, an interrupted run resumes where it stopped, and a full disk never leaves a
checkpoint that looks complete.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from training.recipe import load_recipe

from .conftest import DEMO_KB


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread avoids oversubscription on a shared 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def sharp_cohere_dir(tiny_cohere_dir, tmp_path_factory) -> Path:
    """The tiny model with Cohere's logit scale at 1 instead of 0.0625.

    aya multiplies logits by 0.0625; on a random model with a small lm_head that leaves the
    output almost uniform whatever the layers do, so the adapters could barely move the loss.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("sharp") / "model"
    model = AutoModelForCausalLM.from_pretrained(tiny_cohere_dir)
    model.config.logit_scale = 1.0
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_cohere_dir).save_pretrained(out)
    return out


def tiny(model: Path, out: Path, *overrides: str):
    return load_recipe("tiny", [
        f"model={model}", f"output_dir={out}/{{stage}}", f"data.source={DEMO_KB}",
        "data.limit=24", "data.max_length=32", "train.max_steps=4", "train.save_steps=100",
        "train.logging_steps=1", "train.batch_size=4", *overrides,
    ])


def callback(**hooks):
    from transformers import TrainerCallback

    return type("Hooks", (TrainerCallback,), hooks)()


def probe_ids():
    import torch

    return torch.tensor([[5, 3, 4, 20, 31, 42, 57, 61, 7, 3, 5, 90, 100, 7]])


def logits(model):
    import torch

    model.eval()
    with torch.no_grad():
        return model(input_ids=probe_ids()).logits.float()


def test_pretrain_changes_every_lora_weight_and_no_base_weight(tiny_cohere_dir, tmp_path):
    from training.stages import run_stage

    seen: dict[str, dict] = {}

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        seen["before"] = {n: p.detach().clone() for n, p in model.named_parameters()}

    def on_train_end(self, args, state, control, model=None, **kwargs):
        seen["after"] = {n: p.detach().clone() for n, p in model.named_parameters()}

    # With the paper's gradient checkpointing (non-reentrant), which must not cut the
    # gradient path to the adapters, and with isolated documents (flattened batches).
    recipe = tiny(tiny_cohere_dir, tmp_path, "train.learning_rate=0.01",
                  "train.gradient_checkpointing=true", "data.isolate_documents=true")
    summary = run_stage("pretrain", recipe, progress=False,
                        callbacks=[callback(on_train_begin=on_train_begin,
                                            on_train_end=on_train_end)])
    before, after = seen["before"], seen["after"]
    lora = [n for n in before if "lora_" in n]
    base = [n for n in before if "lora_" not in n]
    # 2 layers x 7 projections x (A, B)
    assert len(lora) == 2 * 7 * 2
    assert all(not before[n].equal(after[n]) for n in lora), "a LoRA weight did not train"
    assert all(before[n].equal(after[n]) for n in base), "a base weight changed"
    assert summary["steps"] == 4 and summary["tokens_trained"] > 0
    assert summary["data"]["records_used"] == 24


def test_loss_falls_on_a_repeated_tiny_batch(sharp_cohere_dir, tmp_path):
    from training.stages import run_stage

    losses: list[float] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            losses.append(float(logs["loss"]))

    # Four pairs and batch 4: every step sees the same batch.
    recipe = tiny(sharp_cohere_dir, tmp_path, "data.limit=4", "data.max_length=96",
                  "train.max_steps=12", "train.learning_rate=0.01", "train.scheduler=constant",
                  "train.warmup_ratio=0", "lora.dropout=0.0")
    run_stage("instruct", recipe, progress=False, callbacks=[callback(on_log=on_log)])
    assert len(losses) == 12
    assert losses[-1] < losses[0] - 0.3, losses
    assert losses[-1] == min(losses), losses


def test_saved_adapter_and_merged_model_give_the_trained_logits(tiny_cohere_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from assistant.backends.hf import HFConfig, HFGenerator
    from training.stages import run_stage

    trained: dict[str, torch.Tensor] = {}

    def on_train_end(self, args, state, control, model=None, **kwargs):
        trained["logits"] = logits(model)

    recipe = tiny(tiny_cohere_dir, tmp_path, "train.learning_rate=0.05")
    summary = run_stage("pretrain", recipe, merge=True, progress=False,
                        callbacks=[callback(on_train_end=on_train_end)])
    expected = trained["logits"]
    base = AutoModelForCausalLM.from_pretrained(tiny_cohere_dir)
    assert not torch.allclose(logits(base), expected, atol=1e-3), "training changed nothing"

    adapter = Path(summary["files"]["adapter"])
    loaded = PeftModel.from_pretrained(base, adapter)
    torch.testing.assert_close(logits(loaded), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(logits(loaded.merge_and_unload()), expected, atol=1e-4,
                               rtol=1e-4)
    merged = AutoModelForCausalLM.from_pretrained(summary["files"]["merged"])
    torch.testing.assert_close(logits(merged), expected, atol=1e-4, rtol=1e-4)
    # The assistant loads an adapter folder on its own (it finds the base in the adapter).
    generator = HFGenerator(HFConfig(model=str(adapter), device="cpu"))
    torch.testing.assert_close(logits(generator.model), expected, atol=1e-5, rtol=1e-5)
    assert (Path(summary["output_dir"]) / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_instruct_merges_stage_one_first_and_its_adapter_holds_both(tiny_cohere_dir, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from assistant.backends.hf import HFConfig, HFGenerator
    from training.stages import run_stage

    first = run_stage("pretrain", tiny(tiny_cohere_dir, tmp_path, "train.learning_rate=0.05"),
                      progress=False)
    seen: dict[str, torch.Tensor] = {}

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        seen["start"] = logits(model)  # new LoRA B is zero: the merged stage-1 model
        seen["before"] = {n: p.detach().clone() for n, p in model.named_parameters()}
        model.train()

    def on_train_end(self, args, state, control, model=None, **kwargs):
        seen["end"] = logits(model)
        seen["after"] = {n: p.detach().clone() for n, p in model.named_parameters()}

    recipe = tiny(tiny_cohere_dir, tmp_path, f"base_adapter={first['files']['adapter']}",
                  "lora.r=2", "lora.alpha=2", "lora.dropout=0.4", "train.max_steps=3",
                  "data.max_length=96", "train.learning_rate=0.05")
    second = run_stage("instruct", recipe, merge=True, progress=False,
                       callbacks=[callback(on_train_begin=on_train_begin,
                                           on_train_end=on_train_end)])
    base = AutoModelForCausalLM.from_pretrained(tiny_cohere_dir)
    stage_one = PeftModel.from_pretrained(base, first["files"]["adapter"])
    torch.testing.assert_close(seen["start"], logits(stage_one), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(seen["start"], seen["end"], atol=1e-3)
    before, after = seen["before"], seen["after"]
    lora = [n for n in before if "lora_" in n]
    assert len(lora) == 2 * 7 * 2
    assert all(not before[n].equal(after[n]) for n in lora), "a LoRA weight did not train"
    assert all(before[n].equal(after[n]) for n in before if "lora_" not in n)

    stage_config = json.loads((Path(second["files"]["stage_adapter"]) / "adapter_config.json")
                              .read_text())
    assert stage_config["r"] == 2
    combined = Path(second["files"]["adapter"])
    assert json.loads((combined / "adapter_config.json").read_text())["r"] == 8 + 2
    # The combined adapter on the plain base, through the assistant's own loader ...
    generator = HFGenerator(HFConfig(model=str(combined), device="cpu"))
    torch.testing.assert_close(logits(generator.model), seen["end"], atol=1e-5, rtol=1e-5)
    # ... and the merged model folder give the trained model.
    merged = AutoModelForCausalLM.from_pretrained(second["files"]["merged"])
    torch.testing.assert_close(logits(merged), seen["end"], atol=1e-4, rtol=1e-4)


def test_interrupted_run_resumes_from_the_saved_step(tiny_cohere_dir, tmp_path):
    from safetensors.torch import load_file

    from training.stages import run_stage

    overrides = ("train.max_steps=4", "train.save_steps=2", "train.learning_rate=0.01")

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 3:
            raise KeyboardInterrupt

    recipe = tiny(tiny_cohere_dir, tmp_path / "a", *overrides)
    with pytest.raises(KeyboardInterrupt):
        run_stage("pretrain", recipe, progress=False,
                  callbacks=[callback(on_step_end=on_step_end)])
    checkpoints = tmp_path / "a" / "pretrain" / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint-2"]
    half = checkpoints / "checkpoint-3"  # as a kill during the next save would leave it
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"partial")
    (half / "trainer_state.json").write_text('{"global_step": 3, "log_hist')

    resumed = run_stage("pretrain", recipe, progress=False)
    assert resumed["resumed_from"] == str(checkpoints / "checkpoint-2")
    assert not half.exists()
    assert (resumed["steps"], resumed["steps_this_session"]) == (4, 2)

    straight = run_stage("pretrain", tiny(tiny_cohere_dir, tmp_path / "b", *overrides),
                         progress=False)
    weights = [load_file(Path(s["files"]["adapter"]) / "adapter_model.safetensors")
               for s in (resumed, straight)]
    assert weights[0].keys() == weights[1].keys()
    for name in weights[0]:
        assert weights[0][name].allclose(weights[1][name], atol=1e-6), name


def test_disk_full_on_save_leaves_the_last_good_checkpoint_as_latest(
        tiny_cohere_dir, tmp_path, monkeypatch):
    from transformers import Trainer
    from transformers.trainer_utils import get_last_checkpoint

    from training.checkpoints import SaveError, latest_checkpoint
    from training.stages import run_stage

    original = Trainer._save_optimizer_and_scheduler

    def save_or_fill_disk(self, output_dir):
        if self.state.global_step == 4:
            Path(output_dir, "optimizer.pt").write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, output_dir)

    monkeypatch.setattr(Trainer, "_save_optimizer_and_scheduler", save_or_fill_disk)
    recipe = tiny(tiny_cohere_dir, tmp_path, "train.save_steps=2", "train.save_total_limit=1")
    with pytest.raises(SaveError) as error:
        run_stage("pretrain", recipe, progress=False)
    assert "no space left" in str(error.value)
    assert "checkpoint-2" in str(error.value)
    checkpoints = tmp_path / "pretrain" / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint-2"]
    assert latest_checkpoint(checkpoints).name == "checkpoint-2"
    assert Path(get_last_checkpoint(str(checkpoints))).name == "checkpoint-2"
    assert not (tmp_path / "pretrain" / "adapter").exists()


def test_failed_folder_write_keeps_the_previous_folder(tmp_path):
    from training.checkpoints import SaveError, atomic_folder

    final = tmp_path / "adapter"
    with atomic_folder(final, "the adapter") as staging:
        (staging / "weights").write_text("old")
    with pytest.raises(SaveError, match="no space left"), \
            atomic_folder(final, "the adapter") as staging:
        (staging / "weights").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    # safetensors' own error type, as it reports a full disk
    safetensors_error = type("SafetensorError", (Exception,), {})
    with pytest.raises(SaveError, match="no space left"), \
            atomic_folder(final, "the adapter") as staging:
        raise safetensors_error("Error while serializing: IoError(Os { code: 28, kind: "
                                "StorageFull, message: \"No space left on device\" })")
    assert (final / "weights").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["adapter"]


def test_bf16_and_flash_attention_fall_back_on_cpu_with_a_warning(caplog):
    import torch

    from training.modeling import resolve_hardware
    from training.recipe import TrainSettings

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with caplog.at_level("WARNING", logger="training.modeling"):
        hardware = resolve_hardware(TrainSettings(bf16=True, flash_attention=True))
    assert (hardware.device, hardware.bf16, hardware.attention) == ("cpu", False, "sdpa")
    assert len(hardware.fallbacks) == 2
    assert "float32" in caplog.text and "SDPA" in caplog.text


def test_hub_model_offline_fails_fast_with_the_fix(monkeypatch):
    import time

    from training.modeling import ModelUnavailable, load_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable, match=r"HF_HUB_OFFLINE.*model=DIR"):
        load_tokenizer("CohereForAI/aya-expanse-8b")
    assert time.perf_counter() - started < 10


def test_tiny_recipe_on_a_fresh_clone_says_how_to_build_its_model(monkeypatch, tmp_path,
                                                                   capsys):
    from index.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # no models/tiny-aya here, as in a fresh clone
    assert main(["train", "pretrain", "--recipe", "tiny"]) == 2
    err = capsys.readouterr().err
    assert "there is no folder models/tiny-aya here" in err
    assert "python benchmarks/training_tiny.py --build-model models/tiny-aya" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_trains_and_prints_a_json_summary(tiny_cohere_dir, tmp_path, capsys):
    from index.cli import main

    code = main(["train", "instruct", "--recipe", "tiny", "--quiet", "--json",
                 f"model={tiny_cohere_dir}", f"output_dir={tmp_path}/{{stage}}",
                 f"data.source={DEMO_KB}", "data.limit=8", "data.max_length=48",
                 "train.max_steps=2", "train.batch_size=4"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stage"] == "instruct" and summary["steps"] == 2
    assert summary["energy"]["estimate"] is True and summary["energy"]["co2_kg"] >= 0
    assert summary["tokens_per_second"] > 0 and summary["peak_rss_mb"] > 0
    written = json.loads((tmp_path / "instruct" / "summary.json").read_text())
    assert written["steps"] == 2


def test_cli_reports_a_bad_recipe_key_in_one_line(capsys):
    from index.cli import main

    assert main(["train", "pretrain", "--recipe", "tiny", "lora.rank=4"]) == 2
    assert "unknown recipe key 'lora.rank'" in capsys.readouterr().err


def test_cli_shows_the_resolved_recipe_without_training(capsys):
    import yaml

    from index.cli import main

    assert main(["train", "instruct", "--recipe", "instruct", "--show-recipe", "lora.r=4",
                 "data.train_on_prompt=true"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)
    assert shown["lora"]["r"] == 4 and shown["data"]["train_on_prompt"] is True
    assert shown["base_adapter"] == "runs/pretrain/adapter"


def test_lora_targets_missing_from_the_model_list_its_linear_layers(tiny_cohere_dir):
    from transformers import AutoModelForCausalLM

    from training.modeling import ModelUnavailable, add_lora
    from training.recipe import LoraSettings

    model = AutoModelForCausalLM.from_pretrained(tiny_cohere_dir)
    with pytest.raises(ModelUnavailable, match=r"\['qkv_proj'\].*'down_proj', 'gate_proj'"):
        add_lora(model, LoraSettings(target_modules=("q_proj", "qkv_proj")))


def test_preflight_stops_bad_paths_and_blocks_before_any_data_loads(tiny_cohere_dir, tmp_path):
    from training.modeling import ModelUnavailable, preflight

    with pytest.raises(ModelUnavailable, match=r"no such adapter folder.*base_adapter=null"):
        preflight(str(tiny_cohere_dir), str(tmp_path / "runs/pretrain/adapter"), 64)
    with pytest.raises(ValueError, match=r"data.max_length=4096 .* at most 2048"):
        preflight(str(tiny_cohere_dir), None, 4096)
    with pytest.raises(ModelUnavailable, match="no such model config folder"):
        preflight(str(tmp_path / "missing-model"), None, 64)
    assert preflight(str(tiny_cohere_dir), None, 64).model_type == "cohere"


def test_isolated_documents_see_only_themselves_in_a_flattened_batch(sharp_cohere_dir):
    import torch
    from transformers import AutoModelForCausalLM

    from training.packing import FlatteningCollator, PaddingCollator, pack_blocks

    model = AutoModelForCausalLM.from_pretrained(sharp_cohere_dir, attn_implementation="sdpa")
    model.config.use_cache = False  # as in training: a cache turns the packed-mask path off
    model.eval()
    first, second = [5, 40, 41, 42, 7], [5, 50, 51, 52, 53, 7]
    blocks = pack_blocks([first, second], block_size=16, pad_id=0, positions=True)
    rows = [{key: blocks[key][0] for key in blocks}]
    with torch.no_grad():
        alone = model(input_ids=torch.tensor([second])).logits[0]
        isolated = model(**FlatteningCollator()(rows)).logits[0, len(first):]
        shared = model(**PaddingCollator(0)(
            [{k: v for k, v in rows[0].items() if k != "position_ids"}])).logits[0]
    torch.testing.assert_close(isolated, alone, atol=1e-5, rtol=1e-5)
    # Without isolation the second document attends to the first one.
    assert not torch.allclose(shared[len(first):len(first) + len(second)], alone, atol=1e-4)


@pytest.mark.gpu
def test_bf16_run_on_a_gpu_reports_gpu_memory(tiny_cohere_dir, tmp_path):
    import torch

    from training.stages import run_stage

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device")
    summary = run_stage("pretrain", tiny(tiny_cohere_dir, tmp_path, "train.device=cuda",
                                         "train.bf16=true", "train.flash_attention=true",
                                         "train.gradient_checkpointing=true"), progress=False)
    assert summary["hardware"]["bf16"] is torch.cuda.is_bf16_supported()
    assert summary["peak_gpu_gb"] > 0 and summary["gpus"] == 1
    assert summary["energy"]["power_watts"] == 250.0
