"""One backend config: ``ask``, ``serve``, ``eval`` and the Space describe a model the same way."""

import argparse

import pytest

from assistant.options import BackendConfig, add_backend_options, load_generator
from index.cli import main, make_parser
from ui.space import SpaceSettings

OPTIONS = ["--backend", "openai", "--model", "aya", "--base-url", "http://10.0.0.2:8000/v1",
           "--timeout", "30", "--retries", "0"]
EXPECTED = BackendConfig(backend="openai", model="aya", base_url="http://10.0.0.2:8000/v1",
                         timeout_s=30.0, retries=0)


@pytest.mark.parametrize("command", [
    ["ask", *OPTIONS, "--index", "i", "پرسش"],
    ["serve", *OPTIONS, "--index", "i"],
    ["eval", "generate", *OPTIONS, "--questions", "q", "--mode", "rag", "--out", "o"],
    ["eval", "mcq", *OPTIONS, "--data", "d", "--out", "o"],
])
def test_every_answering_command_reads_the_same_backend_options(command):
    assert BackendConfig.from_args(make_parser().parse_args(command)) == EXPECTED


def test_the_space_builds_the_config_serve_would():
    settings = SpaceSettings.from_env({"GAOKERENA_BACKEND": "hf", "GAOKERENA_MODEL": "m",
                                       "GAOKERENA_ADAPTER": "a", "GAOKERENA_MERGE": "1"})
    parser = argparse.ArgumentParser()
    add_backend_options(parser)
    args = parser.parse_args(["--backend", "hf", "--model", "m", "--adapter", "a", "--merge"])
    assert settings.backend_config() == BackendConfig.from_args(args)


def test_the_loader_passes_timeout_and_retries_to_the_openai_client():
    generator = load_generator(EXPECTED)
    try:
        assert (generator.config.timeout_s, generator.config.max_retries) == (30.0, 0)
        assert generator.model_id == "aya"
    finally:
        generator.close()
    assert load_generator(BackendConfig()) is None  # extractive: no model


@pytest.mark.parametrize("bad, message", [
    (["--timeout", "0"], "invalid option: timeout must be > 0"),
    (["--retries", "-1"], "invalid option: retries must be >= 0"),
    (["--max-new-tokens", "0"], "invalid option:"),
])
def test_a_bad_backend_option_is_one_line_naming_it(capsys, tmp_path, bad, message):
    code = main(["ask", "--backend", "openai", "--model", "aya", "--base-url",
                 "http://127.0.0.1:9/v1", "--mode", "plain", *bad, "پرسش"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"error: {message}") and "\n" not in err


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="backend must be one of extractive, hf, openai, "
                       "llamacpp"):
        BackendConfig(backend="llama")


LLAMACPP = ["--backend", "llamacpp", "--model", "models/g.gguf", "--n-ctx", "2048",
            "--n-threads", "4"]


@pytest.mark.parametrize("command", [
    ["ask", *LLAMACPP, "--index", "i", "پرسش"],
    ["serve", *LLAMACPP, "--index", "i"],
    ["eval", "generate", *LLAMACPP, "--questions", "q", "--mode", "rag", "--out", "o"],
    ["eval", "mcq", *LLAMACPP, "--data", "d", "--out", "o"],
])
def test_every_answering_command_and_the_space_read_the_llamacpp_options(command):
    expected = BackendConfig(backend="llamacpp", model="models/g.gguf", n_ctx=2048, n_threads=4)
    assert BackendConfig.from_args(make_parser().parse_args(command)) == expected
    settings = SpaceSettings.from_env({"GAOKERENA_BACKEND": "llamacpp",
                                       "GAOKERENA_MODEL": "models/g.gguf",
                                       "GAOKERENA_N_CTX": "2048", "GAOKERENA_N_THREADS": "4"})
    assert settings.backend_config() == expected


def test_llamacpp_without_a_model_file_is_refused_naming_the_option():
    with pytest.raises(ValueError, match=r"--model FILE\.gguf"):
        BackendConfig(backend="llamacpp")
