"""``gaokerena eval mcq | generate | judge | reference`` (plugged in through an entry point).

``eval retrieval`` comes from ``index.cli`` and shares the ``eval`` group. Heavy imports
(torch, transformers, matplotlib, the index) stay inside the command functions.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from assistant.options import (
    BackendConfig,
    add_backend_options,
    add_generation_options,
    load_generator,
)
from index.cli import invalid_option
from index.errors import DataError

logger = logging.getLogger(__name__)


def register(registry) -> None:
    group = registry.group("eval", "measure retrieval and answer quality")
    _register_mcq(group)
    _register_generate(group)
    _register_judge(group)
    _register_reference(group)


def _workers(value: int) -> int:
    if value <= 0:
        raise DataError(f"invalid option: --workers must be > 0, e.g. 4, got {value}")
    return value


# --- eval mcq ---------------------------------------------------------------------------


def _register_mcq(group) -> None:
    mcq = group.add_parser(
        "mcq",
        help="multiple-choice accuracy (Persian MMLU, IBMSEE) with and without retrieval",
        description="Score four-option questions (JSONL: question, options (4), answer 1-4, "
        "optional topic/exam) in plain and/or RAG mode with one model. Local models (hf) are "
        "scored by option log-likelihood; API models (openai) answer and the answer is "
        "parsed. RAG retrieves k passages with the question and puts them before it. Writes "
        "report.json, accuracy.png and per-question predictions_<mode>.jsonl to --out; a "
        "stopped run continues where it stopped when run again.",
    )
    mcq.add_argument("--data", action="append", required=True, type=Path,
                     metavar="FILE_OR_DIR", help="a .jsonl file or a folder of them; repeat")
    add_backend_options(mcq, "hf", ("hf", "openai", "llamacpp"))
    mcq.add_argument("--mode", choices=("plain", "rag", "both"), default="both")
    mcq.add_argument("--index", type=Path, help="index folder (needed for rag)")
    mcq.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    mcq.add_argument("--limit", type=int, help="only the first N questions of each file")
    mcq.add_argument("--scoring", choices=("loglik", "generate"),
                     help="loglik (hf only) or generate and parse (default: loglik for hf, "
                     "generate for openai)")
    mcq.add_argument("--format", dest="fmt", choices=("numbers", "cloze"), default="numbers",
                     help="loglik prompt: numbers = options listed, «۱»..«۴» scored (default); "
                     "cloze = option texts scored after the question")
    mcq.add_argument("--length-norm", choices=("none", "chars", "tokens"), default="none",
                     help="loglik: divide an option's log-likelihood by its length")
    mcq.add_argument("--no-chat-template", action="store_true",
                     help="loglik: plain text prompt ending in «پاسخ:» instead of the chat "
                     "template")
    mcq.add_argument("--batch-size", type=int,
                     help="loglik: questions per forward pass (default: 1 on a CPU, where "
                     "padding a batch costs more than it saves; 8 on a GPU)")
    mcq.add_argument("--threads", type=int,
                     help="torch CPU threads (default: torch's choice; 1-2 on a busy machine)")
    mcq.add_argument("--context-tokens", type=int, default=2048,
                     help="token budget for prompt + passages (default: 2048)")
    mcq.add_argument("--max-new-tokens", type=int, default=16,
                     help="generate: answer length (default: 16)")
    mcq.add_argument("--workers", type=int, default=1,
                     help="generate: questions in flight at a time (API backends; default: 1)")
    mcq.add_argument("--retrieval-queries", type=Path,
                     help="also report `eval retrieval` metrics of --index on this JSONL")
    mcq.add_argument("--skip-invalid", action="store_true",
                     help="score the valid rows when some are unusable (listed in the report)")
    mcq.add_argument("--restart", action="store_true",
                     help="discard the results already in --out instead of continuing")
    mcq.add_argument("--out", required=True, type=Path, help="output folder")
    mcq.add_argument("--json", action="store_true", help="print the report as JSON")
    mcq.add_argument("--quiet", action="store_true", help="no progress bars")
    mcq.set_defaults(func=run_mcq_command)


def _mcq_scorer(args: argparse.Namespace):
    from evaluation.loglik import LoglikConfig, LoglikScorer

    generator = load_generator(BackendConfig.from_args(args))
    batch = args.batch_size or (1 if generator.device == "cpu" else 8)
    with invalid_option():
        config = LoglikConfig(length_norm=args.length_norm, batch_questions=batch,
                              chat_template=False if args.no_chat_template else None)
    return LoglikScorer(generator.model, generator.tokenizer, config), generator.model_id


def run_mcq_command(args: argparse.Namespace) -> int:
    from evaluation.mcq import McqConfig, run_mcq, settings_record
    from evaluation.mcq_data import load_mcq, problems_message
    from evaluation.mcq_report import build_report, format_report, plot_report
    from evaluation.resume import check_settings
    from index.files import write_json_atomic

    if args.threads is not None:
        if args.threads <= 0:
            raise DataError(f"invalid option: --threads must be > 0, got {args.threads}")
        import torch

        torch.set_num_threads(args.threads)
    scoring = args.scoring or ("loglik" if args.backend == "hf" else "generate")
    if scoring == "loglik" and args.backend != "hf":
        raise DataError("log-likelihood scoring needs a local model (--backend hf); an API "
                        "model is scored with --scoring generate")
    modes = ("plain", "rag") if args.mode == "both" else (args.mode,)
    if "rag" in modes and args.index is None:
        raise DataError("rag mode needs --index DIR (build one with `gaokerena index build`), "
                        "or use --mode plain")
    if args.limit is not None and args.limit <= 0:
        raise DataError(f"--limit must be > 0, got {args.limit}")
    with invalid_option():
        config = McqConfig(fmt=args.fmt, scoring=scoring, k=args.k,
                           context_tokens=args.context_tokens,
                           max_new_tokens=args.max_new_tokens)
    data = load_mcq(args.data, limit=args.limit)
    if data.problems and not args.skip_invalid:
        raise DataError(problems_message(data.problems))
    if not data.questions:
        raise DataError("no usable questions in " + ", ".join(data.files))
    for problem in data.problems:
        logger.warning("skipped %s", problem)

    retriever = None
    if "rag" in modes or args.retrieval_queries:
        if args.index is None:
            raise DataError("--retrieval-queries needs --index DIR")
        from index.retriever import Retriever

        retriever = Retriever.load(args.index)
    scorer = generator = None
    if scoring == "loglik":
        scorer, model_id = _mcq_scorer(args)
        extra = {"length_norm": args.length_norm, "chat_template": scorer.chat}
    else:
        generator = load_generator(BackendConfig.from_args(args))
        model_id, extra = generator.model_id, {}
    out: Path = args.out
    if args.restart and out.exists():
        for path in out.glob("predictions_*.jsonl"):
            path.unlink()
        (out / "run_settings.json").unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    settings = settings_record(config, model_id, str(args.index) if args.index else None,
                               {**extra, "backend": args.backend})
    check_settings(out, settings)
    results = run_mcq(data.questions, modes, out, config, scorer=scorer, generator=generator,
                      retriever=retriever, show_progress=not args.quiet,
                      workers=_workers(args.workers))
    retrieval = None
    if args.retrieval_queries:
        from index.metrics import evaluate_retrieval, load_queries

        retrieval = evaluate_retrieval(retriever, load_queries(args.retrieval_queries),
                                       progress=not args.quiet)
        retrieval["queries"] = str(args.retrieval_queries)
    from index.normalize import shared_normalizer

    report = build_report(results, {**settings, "modes": list(modes)}, data.files,
                          data.problems, normalize=shared_normalizer(), retrieval=retrieval)
    if scorer is not None and scorer.truncated:
        report["truncated_prompts"] = scorer.truncated
    write_json_atomic(out / "report.json", report)
    plot_report(report, out / "accuracy.png")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_report(report))
        print(f"report: {out / 'report.json'}, chart: {out / 'accuracy.png'}")
    return 0


# --- eval generate ----------------------------------------------------------------------


def _register_generate(group) -> None:
    generate = group.add_parser(
        "generate",
        help="answer a JSONL of questions (plain or rag) for judging and reference metrics",
        description="Answer each question of --questions (JSONL: id, question, optional "
        "answer = the doctor's reference) through the assistant pipeline and append one JSON "
        "line per answer to --out. A stopped run continues where it stopped.",
    )
    generate.add_argument("--questions", required=True, type=Path, help="JSONL of questions")
    add_backend_options(generate, "hf")
    generate.add_argument("--mode", choices=("plain", "rag"), required=True)
    generate.add_argument("--index", type=Path, help="index folder (needed for rag)")
    generate.add_argument("--k", type=int, default=5, help="passages retrieved per question")
    add_generation_options(generate)
    generate.add_argument("--limit", type=int, help="only the first N questions")
    generate.add_argument("--out", required=True, type=Path, help="output .jsonl (appended)")
    generate.add_argument("--workers", type=int, default=1,
                          help="questions in flight at a time (API backends; default: 1)")
    generate.add_argument("--json", action="store_true", help="print the counts as JSON")
    generate.add_argument("--quiet", action="store_true", help="no progress bar")
    generate.set_defaults(func=run_generate_command)


def run_generate_command(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from assistant.options import assistant_config
    from assistant.pipeline import Assistant
    from evaluation.generate import load_questions, run_generate
    from evaluation.resume import ResultLog

    if (args.mode == "rag" or args.backend == "extractive") and args.index is None:
        raise DataError("--index DIR is needed for rag or extractive answers")
    if args.mode == "plain" and args.backend == "extractive":
        raise DataError("plain answers need a model: --backend hf, openai or llamacpp")
    config, backend = assistant_config(args), BackendConfig.from_args(args)
    questions = load_questions(args.questions, limit=args.limit)
    retriever = None
    if args.index is not None:
        from index.retriever import Retriever

        retriever = Retriever.load(args.index)
    assistant = Assistant(retriever, load_generator(backend), config)
    with ResultLog(args.out, key_field="id") as log:
        already = len(log.done & {q.id for q in questions})
        with tqdm(total=len(questions), initial=already, unit="q", desc=args.mode,
                  disable=args.quiet) as bar:
            answered = run_generate(questions, assistant, args.mode, log, bar.update,
                                    workers=_workers(args.workers))
    if args.json:
        print(json.dumps({"answered_now": answered, "from_before": already,
                          "questions": len(questions), "out": str(args.out)}))
    else:
        print(f"{answered} answered now, {already} from before; {args.out}")
    return 0


# --- eval judge -------------------------------------------------------------------------


def _register_judge(group) -> None:
    judge = group.add_parser(
        "judge",
        help="pairwise LLM judging of two answer files, both orders, ties allowed",
        description="For each question answered in both --a and --b (files of `eval "
        "generate`), ask the judge model twice (A first, then B first). Same winner, or a win "
        "and a tie: that answer wins; two ties: tie; A in one order and B in the other: "
        "inconsistent (counted apart); an unreadable verdict: invalid. Writes judgments.jsonl "
        "(resumable), summary.json and judgments.png to --out.",
    )
    judge.add_argument("--a", required=True, type=Path, help="answers A (JSONL with id, answer)")
    judge.add_argument("--b", required=True, type=Path, help="answers B")
    judge.add_argument("--a-name", help="label of A (default: the file name)")
    judge.add_argument("--b-name", help="label of B (default: the file name)")
    judge.add_argument("--field", default="answer", help="the answer column (default: answer)")
    judge.add_argument("--judge-base-url", help="OpenAI-compatible URL, e.g. "
                       "https://api.openai.com/v1 (or GAOKERENA_OPENAI_BASE_URL)")
    judge.add_argument("--judge-model", help="judge model name, e.g. gpt-4o "
                       "(or GAOKERENA_OPENAI_MODEL); the key: GAOKERENA_OPENAI_API_KEY")
    judge.add_argument("--judge-timeout", type=float, help="seconds to wait on the judge")
    judge.add_argument("--judge-retries", type=int, default=2)
    judge.add_argument("--max-new-tokens", type=int, default=512)
    judge.add_argument("--workers", type=int, default=1,
                       help="pairs judged at the same time (default: 1)")
    judge.add_argument("--limit", type=int, help="only the first N pairs")
    judge.add_argument("--restart", action="store_true",
                       help="discard the judgments already in --out instead of continuing")
    judge.add_argument("--out", required=True, type=Path, help="output folder")
    judge.add_argument("--json", action="store_true", help="print the summary as JSON")
    judge.add_argument("--quiet", action="store_true", help="no progress bar")
    judge.set_defaults(func=run_judge_command)


def _answer_rows(path: Path) -> list[dict]:
    from index.records import iter_jsonl

    rows = []
    for line, record in iter_jsonl(path):
        if record.get("id") is None:
            raise DataError(f"{path}:{line}: an answer row needs an 'id'")
        rows.append(record)
    if not rows:
        raise DataError(f"{path}: no answers (the file is empty)")
    return rows


def run_judge_command(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from evaluation.judge import (
        JudgeConfig,
        format_judgments,
        pair_answers,
        plot_judgments,
        run_judge,
        summarize_judgments,
    )
    from evaluation.resume import ResultLog, check_settings
    from index.files import write_json_atomic

    pairs, left_out = pair_answers(_answer_rows(args.a), _answer_rows(args.b), args.field)
    if not pairs:
        raise DataError(f"no question is answered in both files ({left_out}); are they "
                        "answers to the same questions?")
    if args.limit:
        pairs = pairs[:args.limit]
    with invalid_option():
        config = JudgeConfig(max_new_tokens=args.max_new_tokens)
        judge = BackendConfig(backend="openai", model=args.judge_model,
                              base_url=args.judge_base_url, timeout_s=args.judge_timeout,
                              retries=args.judge_retries)
    generator = load_generator(judge)
    if args.restart:
        for name in ("judgments.jsonl", "judge_settings.json"):
            (args.out / name).unlink(missing_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    check_settings(args.out, {"a": str(args.a), "b": str(args.b), "field": args.field,
                              "judge_model": generator.model_id,
                              "max_new_tokens": args.max_new_tokens}, "judge_settings.json")
    with ResultLog(args.out / "judgments.jsonl", key_field="id") as log:
        already = len(log.done & {p["id"] for p in pairs})
        with tqdm(total=len(pairs), initial=already, unit="pair", desc="judge",
                  disable=args.quiet) as bar:
            run_judge(pairs, generator, log, config, bar.update,
                      workers=_workers(args.workers))
        wanted = {p["id"] for p in pairs}
        rows = [row for row in log.rows if row["id"] in wanted]
    summary = summarize_judgments(rows, args.a_name or args.a.name, args.b_name or args.b.name)
    summary.update(judge_model=generator.model_id, left_out=left_out)
    write_json_atomic(args.out / "summary.json", summary)
    plot_judgments(summary, args.out / "judgments.png")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(format_judgments(summary))
        print(f"summary: {args.out / 'summary.json'}, chart: {args.out / 'judgments.png'}")
    return 0


# --- eval reference ---------------------------------------------------------------------


def _register_reference(group) -> None:
    reference = group.add_parser(
        "reference",
        help="ROUGE-L (and BERTScore) of free-form answers against doctors' answers",
        description="Compare each answer of --answers (an `eval generate` file, or JSONL with "
        "id and answer) with its reference: the 'reference' column, or the 'answer' of the "
        "row with the same id in --references. ROUGE-L runs on hazm-normalized Persian "
        "tokens; BERTScore needs a local encoder folder (--bertscore-model).",
    )
    reference.add_argument("--answers", required=True, type=Path)
    reference.add_argument("--references", type=Path,
                           help="JSONL with id and answer (default: the answers' reference)")
    reference.add_argument("--bertscore-model", help="a local transformers encoder folder")
    reference.add_argument("--bertscore-layers", type=int,
                           help="encoder layer whose embeddings are compared (default: last)")
    reference.add_argument("--out", type=Path, help="write the report JSON here")
    reference.add_argument("--json", action="store_true", help="print the report as JSON")
    reference.set_defaults(func=run_reference_command)


def run_reference_command(args: argparse.Namespace) -> int:
    from evaluation.reference import BertScoreConfig, reference_report
    from index.files import write_json_atomic

    rows = _answer_rows(args.answers)
    if args.references:
        references = {str(row["id"]): row.get("answer") for row in _answer_rows(args.references)}
        rows = [{**row, "reference": references.get(str(row["id"]))} for row in rows]
    if not any(row.get("reference") for row in rows):
        raise DataError(f"{args.answers}: no row has a reference answer; pass --references "
                        "FILE (JSONL with id and answer)")
    bert = None
    if args.bertscore_model:
        with invalid_option():
            bert = BertScoreConfig(model=args.bertscore_model, num_layers=args.bertscore_layers)
    report = reference_report(rows, bert)
    report["answers"] = str(args.answers)
    if args.out:
        write_json_atomic(args.out, report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        bs = report["bertscore"]
        bert_text = (f"BERTScore F1 {bs['f1']} (P {bs['precision']}, R {bs['recall']})"
                     if bs["available"] else f"BERTScore unavailable: {bs['reason']}")
        print(f"{report['n']} answers with a reference ({report['left_out']} left out): "
              f"ROUGE-L F1 {report['rouge_l_f1']}; {bert_text}")
    return 0
