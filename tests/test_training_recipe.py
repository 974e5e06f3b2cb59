"""Recipes: the paper's values load, and a wrong key or type fails naming the key."""

from __future__ import annotations

import pytest

from training.recipe import (
    PAPER_TARGETS,
    Recipe,
    RecipeError,
    apply_overrides,
    bundled_recipes,
    load_recipe,
    recipe_from_dict,
)


def test_bundled_recipes_are_pretrain_instruct_and_tiny():
    assert {"pretrain", "instruct", "tiny"} <= set(bundled_recipes())


def test_pretrain_recipe_has_the_papers_table_iv_values():
    recipe = load_recipe("pretrain")
    assert recipe.model == "CohereForAI/aya-expanse-8b"
    assert (recipe.data.fraction, recipe.data.max_length, recipe.data.text_field) == (
        0.6, 1024, "content")
    assert (recipe.lora.r, recipe.lora.alpha, recipe.lora.dropout) == (8, 16, 0.05)
    assert recipe.lora.target_modules == PAPER_TARGETS
    train = recipe.train
    assert (train.epochs, train.batch_size, train.grad_accum) == (1.0, 2, 16)
    assert (train.optimizer, train.learning_rate, train.scheduler) == ("adamw_torch", 5e-4,
                                                                      "cosine")
    assert (train.warmup_ratio, train.weight_decay, train.max_grad_norm) == (0.03, 0.1, 0.3)
    assert train.gradient_checkpointing and train.bf16 and train.flash_attention


def test_instruct_recipe_merges_stage_one_and_uses_rank_two():
    recipe = load_recipe("instruct.yaml")
    assert recipe.base_adapter == "runs/pretrain/adapter"
    assert (recipe.lora.r, recipe.lora.alpha, recipe.lora.dropout) == (2, 2, 0.4)
    assert recipe.train.weight_decay == 0.5
    assert recipe.data.train_on_prompt is False


def test_tiny_recipe_runs_on_cpu_and_names_its_output_per_stage():
    recipe = load_recipe("tiny")
    assert recipe.train.device == "cpu" and not recipe.train.bf16
    assert recipe.output_path("pretrain").name == "tiny-pretrain"
    assert recipe.output_path("instruct").name == "tiny-instruct"


def test_unknown_key_names_it_and_lists_the_allowed_keys():
    with pytest.raises(RecipeError) as error:
        load_recipe("tiny", ["lora.rank=4"])
    message = str(error.value)
    assert "'lora.rank'" in message
    assert "r, alpha, dropout, target_modules, bias" in message


def test_unknown_top_level_key_is_refused():
    with pytest.raises(RecipeError, match=r"'epochs'.*allowed keys at the top level: model"):
        recipe_from_dict({"model": "m", "epochs": 2})


def test_wrong_type_names_the_key_and_the_expected_type():
    with pytest.raises(RecipeError, match=r"'train.batch_size' must be int, got str 'two'"):
        load_recipe("tiny", ["train.batch_size=two"])
    with pytest.raises(RecipeError, match=r"'train.bf16' must be bool, got int 1"):
        load_recipe("tiny", ["train.bf16=1"])
    with pytest.raises(RecipeError, match=r"'lora.r' must be int, got bool True"):
        recipe_from_dict({"model": "m", "lora": {"r": True}})
    with pytest.raises(RecipeError, match=r"'lora' must be a section"):
        recipe_from_dict({"model": "m", "lora": 8})


def test_value_out_of_range_shows_the_allowed_values():
    with pytest.raises(RecipeError, match=r"train.scheduler must be one of .*'cosine'"):
        load_recipe("tiny", ["train.scheduler=cos"])
    with pytest.raises(RecipeError, match=r"data.fraction must lie in \(0, 1\]"):
        load_recipe("tiny", ["data.fraction=1.5"])


def test_overrides_parse_yaml_values_into_dotted_sections():
    recipe = load_recipe("tiny", ["lora.r=4", "train.learning_rate=1e-2", "train.bf16=true",
                                  "lora.target_modules=[q_proj, v_proj]", "base_adapter=null",
                                  "model=/some/folder", "data.limit=5"])
    assert recipe.lora.r == 4
    assert recipe.train.learning_rate == 0.01
    assert recipe.train.bf16 is True
    assert recipe.lora.target_modules == ("q_proj", "v_proj")
    assert recipe.base_adapter is None
    assert recipe.model == "/some/folder"
    assert recipe.data.limit == 5


def test_integers_are_accepted_where_floats_are_expected():
    recipe = recipe_from_dict({"model": "m", "train": {"learning_rate": 1, "epochs": 2}})
    assert recipe.train.learning_rate == 1.0 and isinstance(recipe.train.epochs, float)


def test_malformed_overrides_are_refused():
    with pytest.raises(RecipeError, match="not key=value"):
        apply_overrides({}, ["lora.r"])
    with pytest.raises(RecipeError, match="is a value, not a section"):
        apply_overrides({"model": "m"}, ["model.name=x"])


def test_missing_recipe_file_lists_the_bundled_ones(tmp_path):
    with pytest.raises(RecipeError, match="bundled: dpo, instruct, pretrain, tiny"):
        load_recipe(tmp_path / "nope.yaml")


def test_recipe_file_with_bad_yaml_or_bytes_fails_clearly(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [unclosed\n", encoding="utf-8")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(broken)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"model: \xff\xfe\n")
    with pytest.raises(RecipeError, match="not UTF-8"):
        load_recipe(binary)


def test_empty_model_asks_for_one():
    with pytest.raises(RecipeError, match="model is empty"):
        recipe_from_dict({})


def test_recipe_round_trips_through_its_plain_dict():
    recipe = load_recipe("pretrain", ["lora.r=16"])
    assert recipe_from_dict(recipe.to_dict()) == recipe
    assert isinstance(recipe, Recipe)


def test_unknown_optimizer_lists_transformers_optimizers():
    from training.stages import check_optimizer

    check_optimizer("adamw_torch")
    with pytest.raises(RecipeError, match=r"'train.optimizer' is 'adam'.*adamw_torch"):
        check_optimizer("adam")
