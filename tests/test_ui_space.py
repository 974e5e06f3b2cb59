"""The Hugging Face Spaces entry file: its settings, and the file run as Spaces runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui.space import REPO, SpaceSettings

from .ui_helpers import free_port


def test_settings_come_from_the_space_variables():
    settings = SpaceSettings.from_env({
        "GAOKERENA_DATASET": "gaokerena/MF3QA", "GAOKERENA_TEXT_FIELDS": "answer, question",
        "GAOKERENA_BACKEND": "openai", "GAOKERENA_OPENAI_BASE_URL": "http://10.0.0.2:8000/v1",
        "GAOKERENA_MERGE": "true", "GRADIO_SERVER_PORT": "7861", "GAOKERENA_INDEX": " ",
    })
    assert settings.dataset == "gaokerena/MF3QA" and settings.index is None
    assert settings.text_fields == ("answer", "question") and settings.merge
    assert settings.backend == "openai" and settings.port == 7861 and settings.host == "0.0.0.0"
    assert SpaceSettings.from_env({}).backend == "extractive"
    assert SpaceSettings.from_env({}).encoder == "e5-small"
    assert SpaceSettings.from_env({"GAOKERENA_ENCODER": "none"}).encoder is None


@pytest.mark.parametrize("env, message", [
    ({"GAOKERENA_BACKEND": "llama"}, "GAOKERENA_BACKEND must be"),
    ({"GAOKERENA_INDEX": "x", "GAOKERENA_DATASET": "y"}, "only one of"),
])
def test_contradictory_space_settings_are_refused(env, message):
    with pytest.raises(ValueError, match=message):
        SpaceSettings.from_env(env)


@pytest.mark.slow
def test_the_entry_file_builds_the_demo_index_and_serves_it(tmp_path):
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port), "GAOKERENA_CACHE": str(tmp_path / "cache"),
           "GRADIO_ANALYTICS_ENABLED": "False",
           "GAOKERENA_ENCODER": "none"}  # the encoder side is tested in test_e5_encoder.py
    log = (tmp_path / "space.log").open("w")
    # As Spaces does: `python ui/space.py` from the repository root, the project not installed.
    process = subprocess.Popen([sys.executable, str(Path("ui") / "space.py")], cwd=REPO,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "space.log").read_text()
            assert time.monotonic() < deadline, "the Space did not start in 120 s"
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        client = Client(f"http://127.0.0.1:{port}", verbose=False)
        result = client.predict("چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟",
                                5, ["plain", "rag"], api_name="/ask")
        assert "[1]" in result[2][-1]["content"][0]["text"]
        assert (tmp_path / "cache" / "index-demo" / "manifest.json").is_file()
    finally:
        process.terminate()
        process.wait(10)
        log.close()
