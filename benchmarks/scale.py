"""Retrieval at the corpus's real size: 20k to 1M passages, exact and approximate side by side.

The product's index is MF3QA plus a magazine corpus and crawls, hundreds of thousands of
passages. This script grows MF3QA's train + dev answers to each size the way issue 17 did:
the answers once as they are, then again and again with their sentences shuffled and 8
random words from the corpus appended (so no copy merges with another), and for each size
prints:

- build: seconds and peak RAM of ``build_index`` (a separate process per size);
- load: seconds of a fresh ``Retriever.load`` and the process's RAM after it;
- per dense kind (flat = exact, hnsw, ivfsq), built from the same stored vectors: dense
  build seconds, file size, hybrid query p50/p95 (k=10, one query at a time) in wall time
  and in the query thread's CPU time (what an idle machine would show; wall time on a busy
  one mostly measures the wait for a core), and MRR@10 on the dev questions, with MRR's
  change against the exact (flat) search of the same corpus;
- fresh: the wall seconds of a new ``gaokerena index search`` process answering one question.

A copy of an answer counts as that answer (it is the same doctor's text), so MRR@10 stays
comparable across sizes. Each size builds in its own process, so peak RAM is that size's.

    python benchmarks/scale.py --sizes 20000 100000 --work benchmarks/results/scale
    python benchmarks/scale.py --sizes 1000000 --limit 500   # a quiet machine, ~40 min

Targets (issue 17, two cores): 100k p95 <= 20 ms; 1M p95 <= 50 ms, peak RAM <= 4 GB, build
<= 30 min; MRR@10 within 1% of exact; a fresh search within 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MF3QA = REPO.parent / "shared" / "data" / "mf3qa"
KINDS = ("flat", "hnsw", "ivfsq")
COPY_MARK = "~"
TARGETS = {"p95_ms_100k": 20.0, "p95_ms_1m": 50.0, "ram_gb_1m": 4.0, "build_min_1m": 30.0,
           "mrr_drop": 0.01, "fresh_s": 3.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 300_000,
                                                                 1_000_000],
                        help="corpus sizes in documents (default: %(default)s)")
    parser.add_argument("--work", type=Path, help="keep embedder and indexes here "
                        "(default: a temporary folder); existing indexes are reused")
    parser.add_argument("--embedder", type=Path, help="a trained embedder folder to use")
    parser.add_argument("--train-minutes", type=float, default=3.0,
                        help="train the embedder for at most this long (default: %(default)s)")
    parser.add_argument("--no-translation", action="store_true",
                        help="build without the word-translation table")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS,
                        help="dense kinds to compare (default: %(default)s)")
    parser.add_argument("--limit", type=int, default=500,
                        help="dev questions to time and score (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--stage", choices=("build", "query"), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not the parent's)."""
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return round(int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def grow_corpus(size: int, seed: int = 17):
    """MF3QA answers repeated to ``size`` documents: copies shuffled and salted with words."""
    from index.chunk import split_sentences
    from index.records import Document, load_documents

    base = load_documents(MF3QA / "train.jsonl") + load_documents(MF3QA / "dev.jsonl")
    rng = random.Random(seed)
    words = sorted({word for doc in base for word in doc.text.split() if len(word) > 2})
    documents = list(base[:size])
    copy = 0
    while len(documents) < size:
        copy += 1
        for doc in base:
            if len(documents) >= size:
                break
            sentences = split_sentences(doc.text)
            rng.shuffle(sentences)
            text = " ".join([*sentences, *rng.sample(words, 8)])
            documents.append(Document(f"{doc.doc_id}{COPY_MARK}{copy}", text, doc.site,
                                      doc.url, doc.title))
    return documents


def stage_build(args: argparse.Namespace, work: Path) -> dict:
    from index.build import build_index
    from index.config import DenseConfig, IndexConfig
    from index.embed import EmbedderConfig, load_embedder

    translation = None
    if (work / "translation").is_dir():
        from index.translation import TranslationTable

        translation = TranslationTable.load(work / "translation")
    started = time.perf_counter()
    documents = grow_corpus(args.size)
    corpus_s = time.perf_counter() - started
    embedder = load_embedder(EmbedderConfig(name=str(args.embedder), show_progress=False))
    started = time.perf_counter()
    manifest = build_index(documents, work / f"index-{args.size}",
                           IndexConfig(dense=DenseConfig(kind="flat")), embedder,
                           progress=sys.stderr.isatty(), translation=translation)
    return {"documents": manifest.documents, "passages": manifest.chunks,
            "corpus_s": round(corpus_s, 1), "build_s": round(time.perf_counter() - started, 1),
            "build_peak_mb": peak_rss_mb()}


def _relevant_rank(hits, relevant: str) -> int | None:
    from index.metrics import first_relevant_rank

    ids = ([doc_id.split(COPY_MARK)[0] for doc_id in hit.doc_ids] for hit in hits)
    return first_relevant_rank(ids, relevant)


def _measure(retriever, queries) -> dict:
    import numpy as np

    from index.errors import QueryError
    from index.metrics import summarize_ranks

    retriever.search(queries[0][1], k=10)
    ranks, seconds, cpu = [], [], []
    for relevant, question in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        try:
            hits = retriever.search(question, k=10)
        except QueryError:
            ranks.append(None)
            continue
        cpu.append(time.thread_time() - started_cpu)
        seconds.append(time.perf_counter() - started)
        ranks.append(_relevant_rank(hits, relevant))
    p50, p95 = np.percentile(np.asarray(seconds) * 1000, [50, 95])
    cpu50, cpu95 = np.percentile(np.asarray(cpu) * 1000, [50, 95])
    return {"p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2),
            "cpu_p50_ms": round(float(cpu50), 2), "cpu_p95_ms": round(float(cpu95), 2),
            "mrr@10": round(summarize_ranks(ranks)["mrr@10"], 4)}


def stage_query(args: argparse.Namespace, work: Path) -> dict:
    from index.config import DenseConfig
    from index.dense import build_dense_index, load_dense_index, save_dense_index
    from index.metrics import load_queries
    from index.retriever import Retriever

    folder = work / f"index-{args.size}"
    queries = load_queries(MF3QA / "dev.jsonl", limit=args.limit)
    started = time.perf_counter()
    retriever = Retriever.load(folder)
    report = {"load_s": round(time.perf_counter() - started, 2), "load_rss_mb": current_rss_mb(),
              "kinds": {}}
    vectors = retriever.dense.reconstruct_n(0, retriever.dense.ntotal)
    exact = None
    for kind in args.kinds:
        row: dict = {}
        if kind == "flat":
            dense = retriever.dense
            row["file_mb"] = round((folder / "dense.faiss").stat().st_size / 2**20, 1)
        else:
            config = DenseConfig(kind=kind)
            started = time.perf_counter()
            built = build_dense_index(vectors, config)
            row["dense_build_s"] = round(time.perf_counter() - started, 1)
            path = work / f"dense-{args.size}-{kind}.faiss"
            save_dense_index(built, path)
            del built
            row["file_mb"] = round(path.stat().st_size / 2**20, 1)
            dense = load_dense_index(path, config)
            path.unlink()
        retriever.dense = dense
        row.update(_measure(retriever, queries))
        if kind == "flat":
            exact = row["mrr@10"]
        if exact:
            row["mrr_vs_exact"] = round(row["mrr@10"] / exact - 1, 4)
        report["kinds"][kind] = row
    report["peak_mb"] = peak_rss_mb()
    return report


def fresh_search_seconds(folder: Path, question: str) -> float:
    """Wall seconds of a new process running ``gaokerena index search`` once."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from index.cli import main; raise SystemExit(main())",
                    "index", "search", "--index", str(folder), "--k", "3", question],
                   check=True, capture_output=True, env=_child_env())
    return round(time.perf_counter() - started, 2)


def _child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def _run_stage(args: argparse.Namespace, work: Path, stage: str, size: int) -> dict:
    command = [sys.executable, __file__, "--stage", stage, "--size", str(size), "--work",
               str(work), "--embedder", str(args.embedder), "--limit", str(args.limit),
               "--kinds", *args.kinds]
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, env=_child_env())
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def prepare(args: argparse.Namespace, work: Path) -> None:
    """The embedder and translation table every size shares, trained once on train pairs."""
    from training.embedder import EmbedderTrainConfig, load_pairs, train_embedder

    pairs = None
    if args.embedder is None:
        args.embedder = work / "embedder"
        if not (args.embedder / "modules.json").is_file():
            pairs = load_pairs([MF3QA / "train.jsonl"])
            print(f"training an embedder for at most {args.train_minutes} min", file=sys.stderr)
            train_embedder(pairs, args.embedder,
                           EmbedderTrainConfig(max_minutes=args.train_minutes), progress=False)
    if not args.no_translation and not (work / "translation").is_dir():
        from training.translation import fit_translation, pair_terms

        pairs = pairs or load_pairs([MF3QA / "train.jsonl"])
        fit_translation(pair_terms(pairs)).save(work / "translation")


def run(args: argparse.Namespace, work: Path) -> dict:
    prepare(args, work)
    question = json.loads((MF3QA / "dev.jsonl").open(encoding="utf-8").readline())["question"]
    report: dict = {"sizes": {}, "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    for size in args.sizes:
        folder = work / f"index-{size}"
        row: dict = {}
        if (folder / "manifest.json").is_file():
            row["build"] = "reused"
        else:
            print(f"building {size:,} documents", file=sys.stderr)
            row["build"] = _run_stage(args, work, "build", size)
        fresh_search_seconds(folder, question)  # the first one also writes the stamp
        row["fresh_s"] = fresh_search_seconds(folder, question)
        print(f"querying {size:,} documents", file=sys.stderr)
        row["query"] = _run_stage(args, work, "query", size)
        report["sizes"][size] = row
        print_size(size, row)
    report["load_average_after"] = os.getloadavg()
    return report


def print_size(size: int, row: dict) -> None:
    build, query = row["build"], row["query"]
    if isinstance(build, dict):
        print(f"\n{size:,} documents -> {build['passages']:,} passages: build {build['build_s']} s"
              f" (peak {build['build_peak_mb']:,} MB)", end="")
    else:
        print(f"\n{size:,} documents: index reused", end="")
    print(f"; load {query['load_s']} s ({query['load_rss_mb']:,} MB after load, peak "
          f"{query['peak_mb']:,} MB); fresh `index search` {row['fresh_s']} s")
    print(f"  {'kind':6} {'dense build s':>13} {'file MB':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'cpu p50':>7} {'cpu p95':>7} {'MRR@10':>7} {'vs exact':>8}")
    for kind, result in query["kinds"].items():
        change = result.get("mrr_vs_exact")
        print(f"  {kind:6} {result.get('dense_build_s', '-')!s:>13} {result['file_mb']:8.1f} "
              f"{result['p50_ms']:7.2f} {result['p95_ms']:7.2f} {result['cpu_p50_ms']:7.2f} "
              f"{result['cpu_p95_ms']:7.2f} {result['mrr@10']:7.4f} "
              f"{'' if change is None else f'{change:+.2%}':>8}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.path.insert(0, str(REPO))
    if args.stage:
        stage = stage_build if args.stage == "build" else stage_query
        print(json.dumps(stage(args, args.work)))
        return 0
    with tempfile.TemporaryDirectory(prefix="gaokerena-scale-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        report = run(args, work)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
