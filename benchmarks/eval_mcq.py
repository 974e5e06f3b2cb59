"""`gaokerena eval mcq` over all Persian MMLU and IBMSEE questions, plain and RAG.

Target from the evaluation issue: all 1,089 MMLU-fa and 1,710 IBMSEE questions parse
(0 skipped) and a full run with a tiny model on 2 cores finishes in <= 10 minutes with both
modes; report the time per question.

The model is a randomly initialised Cohere (aya architecture, 2 layers, hidden 64) built
here. Its byte-level BPE tokenizer is trained on MF3QA training answers with a 16k vocabulary
so that Persian text costs about as many tokens as with a real tokenizer (the tests' 2k
vocabulary splits Persian into roughly twice as many tokens, which would make RAG prompts
unrealistically long). RAG retrieves from the demo index: `--index DIR` uses an existing one
(`make demo-index` builds .cache/demo/index); without it, a quick embedder is trained on the
demo knowledge base (as tests/conftest.py does) and the index is built under --work.

    python benchmarks/eval_mcq.py --work benchmarks/results/eval_mcq --index .cache/demo/index
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # for tests.tiny_models
DATA = REPO.parent / "shared" / "data"
DEMO_KB = REPO / "index" / "data" / "demo_kb.jsonl"


def build_model(out: Path, vocab_size: int, max_texts: int) -> Path:
    """A tiny random Cohere model and a Persian tokenizer trained on MF3QA answers."""
    import torch
    from transformers import CohereConfig, CohereForCausalLM

    from tests.tiny_models import build_tokenizer, persian_texts

    texts = persian_texts(DEMO_KB)
    train = DATA / "mf3qa" / "train.jsonl"
    if train.is_file():
        with train.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if number >= max_texts:
                    break
                texts.append(json.loads(line)["answer"])
    torch.manual_seed(0)
    tokenizer = build_tokenizer(texts, vocab_size=vocab_size)
    config = CohereConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False,
    )
    CohereForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_demo_index(work: Path) -> Path:
    """The demo knowledge base indexed with a quickly trained embedder (as in conftest)."""
    from index.build import build_index
    from index.embed import EmbedderConfig, load_embedder
    from index.records import FieldConfig, load_documents
    from training.embedder import EmbedderTrainConfig, load_pairs, train_embedder

    embedder_dir = work / "embedder"
    config = EmbedderTrainConfig(dimension=64, epochs=5, min_steps=60, batch_size=64,
                                 min_frequency=2)
    train_embedder(load_pairs([DEMO_KB]), embedder_dir, config, progress=False)
    embedder = load_embedder(EmbedderConfig(name=str(embedder_dir), show_progress=False))
    documents = load_documents(DEMO_KB, FieldConfig(text_fields=("title", "question",
                                                                 "answer")))
    out = work / "index"
    build_index(documents, out, embedder=embedder, progress=False)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "results" / "eval_mcq")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--index", type=Path, help="an existing index (default: build the demo)")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--vocab", type=int, default=16000)
    parser.add_argument("--tokenizer-texts", type=int, default=6000,
                        help="MF3QA answers the tokenizer is trained on")
    parser.add_argument("--limit", type=int, help="first N questions per file (smoke run)")
    parser.add_argument("--threads", type=int, default=2,
                        help="torch threads (2 cores; use 1 on a machine shared with others)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from evaluation.mcq_data import load_mcq
    from index.cli import main as gaokerena

    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    mmlu = load_mcq([args.data / "mmlu_fa"])
    ibmsee = load_mcq([args.data / "ibmsee"])
    parse_s = time.perf_counter() - started

    started = time.perf_counter()
    model = build_model(args.work / "model", args.vocab, args.tokenizer_texts)
    index = args.index or build_demo_index(args.work)
    setup_s = time.perf_counter() - started

    out = args.work / "run"
    command = ["eval", "mcq", "--data", str(args.data / "mmlu_fa"), "--data",
               str(args.data / "ibmsee"), "--model", str(model), "--device", "cpu",
               "--index", str(index), "--k", str(args.k), "--mode", "both", "--restart",
               "--threads", str(args.threads),
               "--out", str(out), "--quiet", "--json"]
    if args.limit:
        command += ["--limit", str(args.limit)]
    started = time.perf_counter()
    import contextlib
    import io

    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        code = gaokerena(command)
    run_s = time.perf_counter() - started
    if code != 0:
        print(f"eval mcq failed with exit code {code}", file=sys.stderr)
        return code
    report = json.loads(captured.getvalue())
    questions = report["questions"]
    figures = {
        "mmlu_fa_questions": len(mmlu.questions), "mmlu_fa_skipped": len(mmlu.problems),
        "ibmsee_questions": len(ibmsee.questions), "ibmsee_skipped": len(ibmsee.problems),
        "parse_s": round(parse_s, 2), "setup_s": round(setup_s, 2),
        "questions_scored": questions, "modes": 2,
        "run_s": round(run_s, 1),
        "run_s_per_question_both_modes": round(run_s / questions, 4),
        "plain_s_per_question": report["modes"]["plain"]["seconds_per_question"],
        "rag_s_per_question": report["modes"]["rag"]["seconds_per_question"],
        "rag_mean_passages": report["modes"]["rag"]["retrieval"]["mean_passages"],
        "rag_mean_retrieval_s": report["modes"]["rag"]["retrieval"]["mean_retrieval_s"],
        "plain_accuracy": report["modes"]["plain"]["overall"]["accuracy"],
        "rag_accuracy": report["modes"]["rag"]["overall"]["accuracy"],
        "target_s": 600, "met": run_s <= 600,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"parsed: MMLU-fa {figures['mmlu_fa_questions']} (skipped "
              f"{figures['mmlu_fa_skipped']}), IBMSEE {figures['ibmsee_questions']} (skipped "
              f"{figures['ibmsee_skipped']}) in {figures['parse_s']} s")
        print(f"setup (tiny model{'' if args.index else ' + demo index'}): "
              f"{figures['setup_s']} s")
        print(f"eval mcq, both modes, {questions} questions: {figures['run_s']} s "
              f"(target <= 600 s: {'met' if figures['met'] else 'NOT met'}); "
              f"{figures['run_s_per_question_both_modes']} s per question for both modes")
        print(f"scoring time per question: plain {figures['plain_s_per_question']} s, rag "
              f"{figures['rag_s_per_question']} s (retrieval {figures['rag_mean_retrieval_s']} "
              f"s, {figures['rag_mean_passages']} passages)")
        print(f"accuracy of the random model: plain {figures['plain_accuracy']}, rag "
              f"{figures['rag_accuracy']} (chance 0.25)")
        print(f"report: {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
