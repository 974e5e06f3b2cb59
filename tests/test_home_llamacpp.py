"""Export to GGUF and answer with llama.cpp, on a tiny random aya-architecture model.

The tiny model is exported by llama.cpp's own converter and quantizer, then answers through
``--backend llamacpp`` in both modes; an f16 export gives the same greedy answer as the
transformers model it came from. Skipped when llama-cpp-python is not installed (the
``home`` extra) or its converter cannot be fetched.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from assistant.backends.base import GenerationConfig, GenerationError

from .conftest import DEMO_KB
from .tiny_models import build_tiny_aya_for_gguf, persian_texts

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install "
                    "'.[home]' with CMAKE_ARGS=-DGGML_NATIVE=OFF)")

QUESTION = "سردرد دارم، چه کنم؟"
MESSAGES = [{"role": "user", "content": QUESTION}]
SHORT = GenerationConfig(max_new_tokens=12)


def _visible_model(out: Path, chat_template: bool = True) -> Path:
    return build_tiny_aya_for_gguf(out, persian_texts(DEMO_KB), chat_template=chat_template)


@pytest.fixture(scope="module")
def converter():
    from training.llama_cpp_source import ConverterUnavailable, ensure_converter

    try:
        return ensure_converter()
    except ConverterUnavailable as error:
        pytest.skip(f"llama.cpp's converter is not available here: {error}")


@pytest.fixture(scope="module")
def aya_dir(tmp_path_factory) -> Path:
    return _visible_model(tmp_path_factory.mktemp("aya") / "model")


@pytest.fixture(scope="module")
def exported(aya_dir, converter, tmp_path_factory) -> dict[str, Path]:
    from training.gguf_export import ExportConfig, export_gguf

    out = tmp_path_factory.mktemp("gguf")
    files = {}
    for quant in ("q4_k_m", "f16"):
        files[quant] = out / f"tiny-{quant}.gguf"
        export_gguf(ExportConfig(model=str(aya_dir), out=files[quant], quant=quant, threads=1),
                    converter)
    return files


def _llamacpp(path: Path, n_ctx: int = 1024):
    from assistant.options import BackendConfig, load_generator

    return load_generator(BackendConfig("llamacpp", model=str(path), n_ctx=n_ctx, n_threads=1))


def test_export_writes_a_quantized_gguf_with_the_chat_template_and_a_record(exported, aya_dir):
    from index.manifest import sha256_file
    from training.gguf_export import metadata_path

    path = exported["q4_k_m"]
    record = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    assert record["source_model"] == str(aya_dir) and record["adapter"] is None
    assert record["quant"] == "q4_k_m" and record["architecture"] == "CohereForCausalLM"
    assert record["sha256"] == sha256_file(path) and record["bytes"] == path.stat().st_size
    assert path.stat().st_size < exported["f16"].stat().st_size
    generator = _llamacpp(path)
    metadata = generator.llm.metadata
    assert metadata["general.file_type"] == "15"  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    template = (aya_dir / "chat_template.jinja").read_text(encoding="utf-8")
    assert metadata["tokenizer.chat_template"] == template
    assert generator.template_source == "gguf"
    assert not list(path.parent.glob(".*")), "the export left temporary files behind"


def test_f16_gguf_gives_the_same_greedy_answer_as_transformers(exported, aya_dir):
    from assistant.backends.hf import HFConfig, HFGenerator

    hf = HFGenerator(HFConfig(model=str(aya_dir), device="cpu"))
    expected = hf.generate(MESSAGES, SHORT)
    assert expected  # ordinary Persian tokens, not only special ones
    assert _llamacpp(exported["f16"]).generate(MESSAGES, SHORT) == expected


def test_llamacpp_backend_answers_plain_and_rag_through_the_assistant(exported,
                                                                      demo_retriever):
    from assistant.pipeline import Assistant, AssistantConfig

    assistant = Assistant(demo_retriever, _llamacpp(exported["q4_k_m"]),
                          AssistantConfig(k=2, generation=SHORT))
    answers = assistant.compare("سرم تیر می‌کشد و نور اذیتم می‌کند")
    for mode in ("plain", "rag"):
        answer = answers[mode]
        assert answer.backend == "llamacpp" and answer.model_id == "tiny-q4_k_m.gguf"
        assert answer.text.strip()
    assert answers["rag"].citations and not answers["plain"].citations


def test_streaming_adds_up_to_the_answer_and_stops_when_the_consumer_stops(exported):
    generator = _llamacpp(exported["q4_k_m"])
    chunks = list(generator.stream(MESSAGES, SHORT))
    assert len(chunks) > 1 and "".join(chunks).strip() == generator.generate(MESSAGES, SHORT)

    prompt_tokens = len(generator.llm.tokenize(
        "".join(m["content"] for m in MESSAGES).encode(), add_bos=False)) + 8
    stream = generator.stream(MESSAGES, GenerationConfig(max_new_tokens=400))
    next(stream)
    stream.close()  # a closed browser tab
    assert generator.llm.n_tokens < prompt_tokens + 10, "generation went on after the close"
    assert generator._lock.acquire(blocking=False), "the model stayed locked after the close"
    generator._lock.release()


def test_an_adapter_is_merged_before_export(aya_dir, converter, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from assistant.backends.hf import HFConfig, HFGenerator
    from training.gguf_export import ExportConfig, export_gguf

    torch.manual_seed(1)
    lora = get_peft_model(AutoModelForCausalLM.from_pretrained(aya_dir),
                          LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "down_proj"]))
    with torch.no_grad():
        for name, parameter in lora.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)  # a trained adapter is not the identity
    lora.save_pretrained(tmp_path / "adapter")
    out = tmp_path / "merged-f16.gguf"
    record = export_gguf(ExportConfig(model=str(tmp_path / "adapter"), out=out, quant="f16"),
                         converter)
    assert record["adapter"] == str(tmp_path / "adapter")
    assert record["source_model"] == str(aya_dir)
    merged = HFGenerator(HFConfig(model=str(aya_dir), adapter=str(tmp_path / "adapter"),
                                  merge=True, device="cpu"))
    plain = HFGenerator(HFConfig(model=str(aya_dir), device="cpu"))
    expected = merged.generate(MESSAGES, SHORT)
    assert expected != plain.generate(MESSAGES, SHORT)
    assert _llamacpp(out).generate(MESSAGES, SHORT) == expected


def test_an_architecture_llama_cpp_cannot_convert_is_named_and_nothing_is_written(
        converter, tmp_path):
    from transformers import OPTConfig, OPTForCausalLM

    from training.gguf_export import ExportConfig, ExportError, export_gguf

    model = tmp_path / "opt"
    OPTForCausalLM(OPTConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1,
                             ffn_dim=32, num_attention_heads=2, word_embed_proj_dim=16,
                             max_position_embeddings=32)).save_pretrained(model)
    out = tmp_path / "out" / "opt.gguf"
    with pytest.raises(ExportError, match="'OPTForCausalLM'"):
        export_gguf(ExportConfig(model=str(model), out=out), converter)
    assert not out.parent.exists()


def test_a_gguf_without_chat_template_gets_the_projects_template_and_a_warning(
        converter, exported, tmp_path, caplog):
    from training.gguf_export import ExportConfig, export_gguf

    bare = _visible_model(tmp_path / "bare", chat_template=False)
    out = tmp_path / "bare.gguf"
    record = export_gguf(ExportConfig(model=str(bare), out=out, quant="f16"), converter)
    assert record["chat_template"] is False
    with caplog.at_level(logging.WARNING, logger="assistant.backends.llamacpp"):
        generator = _llamacpp(out)
    assert "no chat template" in caplog.text and generator.template_source == "project"
    # The project's template is the aya format the model was built with: same answer.
    assert generator.generate(MESSAGES, SHORT) == _llamacpp(exported["f16"]).generate(
        MESSAGES, SHORT)


@pytest.mark.parametrize("content, message", [
    (None, "no such GGUF file"),
    (b"", "is an empty file"),
    (b'{"architectures": ["CohereForCausalLM"]}', "not a GGUF file"),
    ("half", "damaged or truncated"),
])
def test_a_damaged_or_non_gguf_file_is_refused_with_a_clear_message(exported, tmp_path,
                                                                      content, message):
    path = tmp_path / "model.gguf"
    if content == "half":
        data = exported["q4_k_m"].read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(GenerationError, match=message):
        _llamacpp(path)


def test_the_cli_reports_a_non_gguf_model_in_one_line(tmp_path, capsys):
    from index.cli import main

    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    code = main(["ask", "--backend", "llamacpp", "--model", str(tmp_path / "config.json"),
                 "--mode", "plain", QUESTION])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "not a GGUF file" in err and "\n" not in err
