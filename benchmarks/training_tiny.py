"""Throughput of the bundled `tiny` recipe on the CPU: tokens/s and peak RSS per stage.

Runs `gaokerena train pretrain` and `gaokerena train instruct` (stage 2 merging the stage-1
adapter, as the paper does) in fresh processes pinned to --threads threads, on a tiny random
aya-architecture model (built here with the test suite's builder unless --model is given),
and prints the figures each run's summary.json reports.

    python benchmarks/training_tiny.py                      # 2 threads, 50 steps per stage
    python benchmarks/training_tiny.py --build-model models/tiny-aya   # only write the model
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_KB = REPO / "index" / "data" / "demo_kb.jsonl"


def build_model(out: Path) -> Path:
    """A random tiny Cohere (aya architecture) model + Persian BPE tokenizer with a chat
    template, as the tests build it."""
    sys.path.insert(0, str(REPO))
    from tests.tiny_models import build_tiny_cohere, persian_texts

    return build_tiny_cohere(out, persian_texts(DEMO_KB))


def run(stage: str, model: Path, work: Path, steps: int, threads: int,
        extra: list[str]) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    command = [sys.executable, "-c", "import sys; from index.cli import main; "
               "sys.exit(main(sys.argv[1:]))", "train", stage, "--recipe", "tiny", "--quiet",
               "--json", f"model={model}", f"output_dir={work}/{{stage}}",
               f"data.source={DEMO_KB}", f"train.max_steps={steps}", "train.resume=never",
               f"train.save_steps={steps}", *extra]
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{stage} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="a model folder (default: build a tiny one)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks/results/training_tiny")
    parser.add_argument("--steps", type=int, default=50, help="optimizer steps per stage")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--build-model", type=Path, metavar="DIR",
                        help="only write a tiny random model to DIR and exit")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if args.build_model:
        print(f"wrote {build_model(args.build_model)}")
        return 0
    model = args.model
    if model is None:
        model = args.work / "model"
        if not (model / "config.json").is_file():
            build_model(model)
    pretrain = run("pretrain", model, args.work, args.steps, args.threads, [])
    instruct = run("instruct", model, args.work, args.steps, args.threads,
                   [f"base_adapter={pretrain['files']['adapter']}", "lora.r=2", "lora.alpha=2",
                    "lora.dropout=0.4", "data.max_length=128"])
    rows = []
    for summary in (pretrain, instruct):
        rows.append({
            "stage": summary["stage"], "threads": args.threads, "steps": summary["steps"],
            "batch": "4 x 1", "tokens": summary["tokens_this_session"],
            "train_s": summary["train_seconds"], "wall_s": summary["wall_seconds"],
            "tokens_per_s": summary["tokens_per_second"], "peak_rss_mb": summary["peak_rss_mb"],
            "loss": summary["train_loss"],
        })
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"tiny recipe, {args.threads} threads, model {model}")
    print(f"{'stage':<9} {'steps':>5} {'tokens':>7} {'train s':>8} {'wall s':>7} "
          f"{'tokens/s':>9} {'peak RSS MB':>11} {'loss':>7}")
    for row in rows:
        print(f"{row['stage']:<9} {row['steps']:>5} {row['tokens']:>7} {row['train_s']:>8.2f} "
              f"{row['wall_s']:>7.2f} {row['tokens_per_s']:>9.0f} {row['peak_rss_mb']:>11.0f} "
              f"{row['loss']:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
