import time

import pytest
import torch

from assistant.backends.base import GenerationConfig, GenerationError
from assistant.backends.hf import HFConfig, HFGenerator

from .conftest import DEMO_KB
from .tiny_models import build_tiny_cohere, persian_texts

MESSAGES = [{"role": "system", "content": "شما پزشک هستید."},
            {"role": "user", "content": "سردرد دارم، چه کنم؟"}]
SHORT = GenerationConfig(max_new_tokens=12)


def test_tiny_aya_model_answers_with_its_chat_template(tiny_generator):
    text = tiny_generator.generate(MESSAGES, SHORT)
    assert isinstance(text, str) and text
    prompt = tiny_generator.tokenizer.apply_chat_template(MESSAGES, add_generation_prompt=True,
                                                          tokenize=False)
    assert prompt.endswith("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")


def test_streaming_yields_word_chunks_that_add_up_to_the_answer(tiny_generator):
    chunks = list(tiny_generator.stream(MESSAGES, SHORT))
    assert len(chunks) > 1
    assert "".join(chunks).strip() == tiny_generator.generate(MESSAGES, SHORT)


def test_paper_settings_are_greedy_with_repetition_penalty():
    config = GenerationConfig.paper()
    assert (config.temperature, config.repetition_penalty, config.max_new_tokens) == (0, 1.2, 1024)


def test_tokenizer_without_chat_template_is_refused(tmp_path):
    folder = build_tiny_cohere(tmp_path / "plain", persian_texts(DEMO_KB)[:200],
                               chat_template=False)
    with pytest.raises(GenerationError, match="chat template"):
        HFGenerator(HFConfig(model=str(folder)))


def test_hub_model_offline_fails_fast_with_the_setting_to_change():
    started = time.perf_counter()
    with pytest.raises(GenerationError, match="--model"):
        HFGenerator(HFConfig(model="gaokerena/not-in-this-cache"))
    assert time.perf_counter() - started < 20


def _save_lora(base_dir, out, seed=0):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj",
                                                                               "down_proj"]))
    with torch.no_grad():
        for name, parameter in lora.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)  # a trained adapter is not the identity
    lora.save_pretrained(out)
    return out


def _logits(generator, text="سردرد و تب"):
    ids = generator.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        return generator.model(**ids).logits


def test_lora_adapter_loads_and_merges_to_the_same_logits(tiny_cohere_dir, tiny_generator,
                                                           tmp_path):
    adapter = _save_lora(tiny_cohere_dir, tmp_path / "adapter")
    with_adapter = HFGenerator(HFConfig(model=str(tiny_cohere_dir), adapter=str(adapter)))
    merged = HFGenerator(HFConfig(model=str(tiny_cohere_dir), adapter=str(adapter), merge=True))
    assert not torch.allclose(_logits(with_adapter), _logits(tiny_generator), atol=1e-3)
    assert torch.allclose(_logits(with_adapter), _logits(merged), atol=1e-4)
    assert "+" in with_adapter.model_id


def test_adapter_folder_alone_loads_its_base(tiny_cohere_dir, tmp_path):
    adapter = _save_lora(tiny_cohere_dir, tmp_path / "adapter-only")
    generator = HFGenerator(HFConfig(model=str(adapter)))
    assert generator.model_id == f"{tiny_cohere_dir}+{adapter}"


def test_adapter_for_another_base_is_explained(tiny_cohere_dir, tmp_path):
    from transformers import CohereConfig, CohereForCausalLM

    other_dir = tmp_path / "other-base"
    config = CohereConfig(vocab_size=300, hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2)
    CohereForCausalLM(config).save_pretrained(other_dir)
    adapter = _save_lora(other_dir, tmp_path / "foreign-adapter")
    with pytest.raises(GenerationError, match="does not fit"):
        HFGenerator(HFConfig(model=str(tiny_cohere_dir), adapter=str(adapter)))


def test_a_stream_closed_early_stops_the_model(tiny_generator):
    """2,000 tokens take the tiny model about 3 s; an abandoned stream must end at once."""
    import threading

    from assistant.backends.hf import GENERATE_THREAD

    def generating() -> bool:
        return any(t.name == GENERATE_THREAD for t in threading.enumerate())

    stream = tiny_generator.stream(MESSAGES, GenerationConfig(max_new_tokens=2000))
    next(stream)
    assert generating()
    stream.close()  # what Gradio does when the tab goes away
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline and generating():
        time.sleep(0.01)
    assert not generating()
