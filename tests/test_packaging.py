"""The package metadata tells the truth: the base install answers, extras are named when missing.

``pip install gaokerena-rag`` is the retriever and the assistant; the web app, the crawler,
training recipes and evaluation need extras (pyproject.toml). Building a fresh environment per
test is too slow, so the base install is imitated by making the extras' libraries unimportable.
"""

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from index.cli import missing_extra

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
#: Top-level modules of the extras' libraries (ui, crawl, distributed, train, eval).
EXTRA_MODULES = ("gradio", "scrapy", "bs4", "lxml", "datasketch", "matplotlib", "rouge_score",
                 "bert_score", "redis", "scrapy_redis")

BASE_INSTALL = """
import importlib.abc, json, sys
from pathlib import Path

BLOCKED = set(sys.argv[1].split(","))

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NotInstalled())
from index.cli import main

out, kb = Path(sys.argv[2]), sys.argv[3]
results = {}
try:
    main(["--help"])
except SystemExit as done:
    results["help"] = done.code
results["build"] = main(["index", "build", "--input", kb, "--text-field", "answer",
                         "--no-embedder", "--out", str(out / "idx"), "--quiet"])
results["ask"] = main(["ask", "--index", str(out / "idx"), "سرم تیر می‌کشد و نور اذیتم می‌کند"])
results["serve"] = main(["serve", "--index", str(out / "idx")])
(out / "answers.jsonl").write_text('{"id": 1, "answer": "الف", "reference": "الف"}\\n')
results["eval"] = main(["eval", "reference", "--answers", str(out / "answers.jsonl")])
results["loaded"] = sorted(BLOCKED & {name.split(".")[0] for name in sys.modules})
print(json.dumps(results))
"""


def test_the_base_install_answers_and_names_the_extra_a_command_needs(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", BASE_INSTALL, ",".join(EXTRA_MODULES), str(tmp_path),
         str(REPO / "index" / "data" / "demo_kb.jsonl")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results == {"help": 0, "build": 0, "ask": 0, "serve": 2, "eval": 2, "loaded": []}
    assert "error: this command needs gradio, which is not installed: pip install " \
           "'gaokerena-rag[ui]'" in done.stderr
    assert "needs rouge_score, which is not installed: pip install 'gaokerena-rag[eval]'" \
           in done.stderr


def test_a_missing_library_is_mapped_to_its_extra():
    def missing(name):
        return ModuleNotFoundError(f"No module named {name!r}", name=name)

    assert "gaokerena-rag[crawl]" in missing_extra(missing("scrapy.http"), "crawl")
    assert "gaokerena-rag[distributed]" in missing_extra(missing("redis"), "crawl")
    assert "gaokerena-rag[train]" in missing_extra(missing("matplotlib"), "training")
    assert missing_extra(missing("gradio"), "assistant") is None  # base command: a real bug
    assert missing_extra(missing("assistant.nothing"), "ui") is None  # our own module


def test_every_extra_is_in_all_and_the_base_leaves_the_extras_out():
    extras = PYPROJECT["project"]["optional-dependencies"]
    (everything,) = extras["all"]
    assert set(everything.split("[")[1].rstrip("]").split(",")) == set(extras) - {"all", "dev"}
    base = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    for library in ("gradio", "scrapy", "bert-score", "rouge-score", "matplotlib", "datasketch"):
        assert library not in base


def _data_files(package: str) -> set[Path]:
    root = REPO / package
    return {path for path in root.rglob("*") if path.is_file() and path.suffix != ".py"
            and "__pycache__" not in path.parts and not path.name.startswith(".")}


@pytest.mark.parametrize("package", sorted(PYPROJECT["project"]["entry-points"]
                                           ["gaokerena.commands"]))
def test_package_data_names_existing_files_and_ships_every_data_file(package):
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"].get(package, [])
    root = REPO / package
    shipped = set()
    for pattern in patterns:
        matched = {p for p in root.glob(pattern) if p.is_file()}
        assert matched, f"package-data {package}: {pattern!r} matches no file"
        shipped |= matched
    left_out = sorted(str(p.relative_to(REPO)) for p in _data_files(package) - shipped)
    assert not left_out, f"data files a wheel would leave out: {left_out}"


PACKAGES = ("index", "assistant", "ui", "crawl", "training", "evaluation")


def test_each_package_names_what_it_offers_and_importing_them_loads_nothing_heavy():
    script = ("import sys; import " + ", ".join(PACKAGES) + "; "
              "print(sorted(m for m in ('numpy', 'torch', 'hazm', 'faiss', 'gradio', 'scrapy', "
              "'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
    import importlib

    for name in PACKAGES:
        package = importlib.import_module(name)
        assert package.__all__, name
        for exported in package.__all__:
            assert getattr(package, exported).__name__ == exported, (name, exported)
        with pytest.raises(AttributeError):
            package.not_a_public_name  # noqa: B018


def test_the_readme_python_example_runs_with_the_public_names(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (example,) = [block.split("```")[0] for block in readme.split("```python\n")[1:]]
    imports = [line for line in example.splitlines() if line.startswith("from ")]
    assert imports == ["from assistant import Assistant",
                       "from index import Retriever, build_index, load_documents"]
    monkeypatch.chdir(tmp_path)
    kb = repr(str(REPO / "index" / "data" / "demo_kb.jsonl"))
    code = example.replace('"index/data/demo_kb.jsonl"', kb)
    exec(compile(code, "README.md", "exec"), {})
    assert (tmp_path / "indexes" / "demo" / "manifest.json").is_file()


def test_a_command_whose_extra_is_not_installed_stops_before_any_work(monkeypatch, capsys):
    from importlib import metadata

    from index import cli

    requirements = ['pyyaml>=6; extra == "train"', 'not-installed-anywhere>=1; extra == "train"',
                    'gradio>=6; extra == "ui"', "numpy>=1.24"]
    assert cli.missing_packages("train", requirements) == ["not-installed-anywhere"]
    assert cli.missing_packages("ui", requirements) == []
    monkeypatch.setattr(metadata, "requires", lambda name: requirements)
    assert cli.main(["train", "pretrain", "--recipe", "no-such-recipe"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: this command needs not-installed-anywhere, which is not installed: "
                   "pip install 'gaokerena-rag[train]' (or 'gaokerena-rag[all]' for everything)\n")
