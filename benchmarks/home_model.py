"""Gaokerena on a home computer, measured on a tiny aya model: llama.cpp vs transformers.

Side by side on --threads CPU threads: generation tokens/s of the tiny model as a GGUF in
llama.cpp (q4_k_m and f16) and as the same model in transformers (float32), export and
quantize time, peak RSS of each step (every step runs in a fresh process), and DPO steps/s
on the tiny model. The tiny model (2 layers, width 64) says how the pieces behave and what
they cost in overhead, not what an 8B model does: docs/home.md has that estimate.

    python benchmarks/home_model.py              # a table
    python benchmarks/home_model.py --json       # the same figures as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO_KB = REPO / "index" / "data" / "demo_kb.jsonl"
MESSAGES = [{"role": "user", "content": "چند روز است سرم تیر می‌کشد و نور اذیتم می‌کند، چه کار کنم؟"}]


def _peak_rss_mb() -> float:
    """Peak RSS of this process and of the children it waited for (the converter)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def measure_export(model: Path, out: Path, quant: str, threads: int) -> dict:
    from training.gguf_export import ExportConfig, export_gguf

    record = export_gguf(ExportConfig(model=str(model), out=out, quant=quant, threads=threads))
    return {"step": f"export {quant}", "seconds": record["seconds"],
            "convert_s": record.get("convert_seconds"),
            "quantize_s": record.get("quantize_seconds"), "mib": record["bytes"] / 2**20,
            "peak_rss_mb": _peak_rss_mb()}


def measure_llamacpp(path: Path, tokens: int, threads: int, repeats: int) -> dict:
    from assistant.backends.llamacpp import LlamaCppConfig, LlamaCppGenerator

    started = time.perf_counter()
    generator = LlamaCppGenerator(LlamaCppConfig(model=str(path), n_ctx=1024,
                                                 n_threads=threads))
    load = time.perf_counter() - started
    rates = []
    for _ in range(repeats):
        clock = time.perf_counter()
        result = generator.llm.create_chat_completion(messages=MESSAGES, max_tokens=tokens,
                                                      temperature=0.0, top_k=1)
        made = result["usage"]["completion_tokens"]
        rates.append(made / (time.perf_counter() - clock))
    return {"step": f"llama.cpp {path.stem.rsplit('-', 1)[-1]}", "tokens": made,
            "tokens_per_s": round(sorted(rates)[len(rates) // 2], 1),
            "load_s": round(load, 3), "peak_rss_mb": _peak_rss_mb()}


def measure_transformers(model: Path, tokens: int, threads: int, repeats: int) -> dict:
    import torch

    from assistant.backends.hf import HFConfig, HFGenerator

    torch.set_num_threads(threads)
    started = time.perf_counter()
    generator = HFGenerator(HFConfig(model=str(model), device="cpu"))
    load = time.perf_counter() - started
    inputs = generator._inputs(MESSAGES)
    rates = []
    for _ in range(repeats):
        clock = time.perf_counter()
        with torch.inference_mode():
            output = generator.model.generate(**inputs, max_new_tokens=tokens,
                                              min_new_tokens=tokens, do_sample=False)
        made = output.shape[1] - inputs["input_ids"].shape[1]
        rates.append(made / (time.perf_counter() - clock))
    return {"step": "transformers f32", "tokens": made,
            "tokens_per_s": round(sorted(rates)[len(rates) // 2], 1),
            "load_s": round(load, 3), "peak_rss_mb": _peak_rss_mb()}


def measure_dpo(model: Path, work: Path, steps: int, threads: int) -> dict:
    import torch

    from training.dpo import run_dpo
    from training.recipe import DpoRecipe, load_recipe

    torch.set_num_threads(threads)
    votes = work / "votes.jsonl"
    rows = [json.loads(line) for line in DEMO_KB.read_text(encoding="utf-8").splitlines()[:32]]
    with votes.open("w", encoding="utf-8") as out:
        for i, row in enumerate(rows):
            record = {"vote": "rag", "prompt": [{"role": "user", "content": row["question"]}],
                      "chosen": [{"role": "assistant", "content": row["answer"][:300]}],
                      "rejected": [{"role": "assistant",
                                    "content": rows[(i + 1) % len(rows)]["answer"][:300]}]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    recipe = load_recipe("dpo", [
        f"model={model}", f"output_dir={work / 'dpo'}", "train.device=cpu", "train.bf16=false",
        "train.gradient_checkpointing=false", "train.batch_size=2", "train.grad_accum=1",
        f"train.max_steps={steps}", f"train.save_steps={steps}", "train.resume=never",
        "dpo.max_length=256"], schema=DpoRecipe)
    summary = run_dpo(recipe, votes, progress=False)
    return {"step": "dpo (batch 2, 256 tokens)", "steps": summary["steps"],
            "steps_per_s": summary["steps_per_second"], "peak_rss_mb": _peak_rss_mb()}


def _child(args: list[str], threads: int) -> dict:
    """One measurement in a fresh process, so its peak RSS is its own."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                       os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, __file__, "--measure", *args], env=env, cwd=REPO,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks/results/home_model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128, help="tokens generated per answer")
    parser.add_argument("--repeats", type=int, default=5, help="answers per backend (median)")
    parser.add_argument("--dpo-steps", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        sys.path.insert(0, str(REPO))
        kind, *rest = args.measure
        if kind == "export":
            row = measure_export(Path(rest[0]), Path(rest[1]), rest[2], args.threads)
        elif kind == "llamacpp":
            row = measure_llamacpp(Path(rest[0]), args.tokens, args.threads, args.repeats)
        elif kind == "transformers":
            row = measure_transformers(Path(rest[0]), args.tokens, args.threads, args.repeats)
        elif kind == "build":
            from tests.tiny_models import build_tiny_aya_for_gguf, persian_texts

            build_tiny_aya_for_gguf(Path(rest[0]), persian_texts(DEMO_KB))
            row = {"step": "build", "peak_rss_mb": _peak_rss_mb()}
        else:
            row = measure_dpo(Path(rest[0]), Path(rest[1]), args.dpo_steps, args.threads)
        print(json.dumps(row, ensure_ascii=False))
        return 0

    # This process stays small (no torch): Linux hands a parent's peak RSS on to the
    # children it starts, so a heavy parent would set a floor under every figure below.
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    model = work / "tiny-aya"
    if not (model / "config.json").is_file():
        _child(["build", str(model)], args.threads)
    common = ["--threads", str(args.threads), "--tokens", str(args.tokens), "--repeats",
              str(args.repeats), "--dpo-steps", str(args.dpo_steps)]
    rows = []
    for quant in ("q4_k_m", "f16"):
        rows.append(_child(["export", str(model), str(work / f"tiny-{quant}.gguf"), quant,
                            *common], args.threads))
    for quant in ("q4_k_m", "f16"):
        rows.append(_child(["llamacpp", str(work / f"tiny-{quant}.gguf"), *common],
                           args.threads))
    rows.append(_child(["transformers", str(model), *common], args.threads))
    rows.append(_child(["dpo", str(model), str(work), *common], args.threads))
    by_step = {row["step"]: row for row in rows}
    ratio = round(by_step["llama.cpp q4_k_m"]["tokens_per_s"] /
                  by_step["transformers f32"]["tokens_per_s"], 2)
    report = {"threads": args.threads, "tokens": args.tokens, "rows": rows,
              "llamacpp_q4_over_transformers": ratio}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(f"tiny aya model (2 layers, width 64), {args.threads} threads, {args.tokens} tokens "
          "an answer, median of the repeats")
    print(f"{'step':<28} {'tokens/s':>9} {'steps/s':>8} {'load s':>7} {'convert s':>9} "
          f"{'quantize s':>10} {'total s':>8} {'MiB':>6} {'peak RSS MB':>12}")
    for row in rows:
        cells = [row.get(key, "") for key in ("tokens_per_s", "steps_per_s", "load_s",
                                              "convert_s", "quantize_s", "seconds")]
        cells = ["" if cell is None else cell for cell in cells]
        mib = round(row["mib"], 2) if "mib" in row else ""
        print(f"{row['step']:<28} {cells[0]:>9} {cells[1]:>8} {cells[2]:>7} {cells[3]:>9} "
              f"{cells[4]:>10} {cells[5]:>8} {mib:>6} {row['peak_rss_mb']:>12}")
    print(f"llama.cpp q4_k_m / transformers f32: {ratio}x tokens/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
