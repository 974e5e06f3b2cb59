"""Which retriever to ship: variants with and without the pre-trained encoder, on held-out data.

The static embedder and the translation table learn from MF3QA train, whose two sites are
drhast (14,820 pairs) and niniban (3,405); dev is niniban too. A default chosen on dev
rewards memorising one site, so every variant is scored in three setups:

- ``dev``: static embedder and table trained on all of train; the 2,000 dev questions.
- ``loso`` (leave one site out): trained on drhast pairs only; the same niniban dev
  questions, from a site the trained parts never saw. This one picks the default.
- ``holdout``: trained on 90% of train (seed 7, as fusion_holdout.py); the other 10%.
- ``full`` (not in the default run): as ``dev``, over every train + dev answer (20,225), the
  corpus the retrieval targets and README figures use; the encoder encodes ~15,000 more.

Each setup searches a corpus of its gold answers plus ``--distractors`` random train answers
(3,000 by default, as in the retrieval issue's figures), so the encoder encodes about 5,000
passages per setup instead of 20,000. Encoder vectors are cached by text in ``--work``, and
trained parts are reused from there, so a rerun only searches.

    python benchmarks/encoder_variants.py --work benchmarks/results/variants
    python benchmarks/encoder_variants.py --work ... --adapted benchmarks/results/e5-drhast

``--adapted DIR`` adds an encoder fine-tuned with ``gaokerena train embedder --base e5-small``
(train it on drhast pairs only, or the loso column is not held out). Prints one table:
MRR@10 / R@20 per setup, and query p50 / p95 of each variant (real encoding, no cache).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MF3QA = REPO.parent / "shared" / "data" / "mf3qa"
SETUPS = ("dev", "loso", "holdout", "full")


@dataclass(frozen=True)
class Variant:
    """A fusion setting over one index: which sides count and how much."""

    label: str
    mode: str = "hybrid"
    dense: float = 0.6
    lexical: float = 0.4
    translation: float = 0.5
    encoder: float = 0.0
    adapted: bool = False
    stage: str = "candidates"


VARIANTS = [
    Variant("BM25 alone", mode="lexical"),
    Variant("static embedder alone", mode="dense"),
    Variant("e5-small alone", mode="encoder"),
    Variant("today's hybrid (BM25 + static + table)"),
    Variant("hybrid + e5 (weight 0.3)", encoder=0.3),
    Variant("hybrid + e5 (weight 0.6)", encoder=0.6),
    Variant("hybrid + e5 (weight 1.0)", encoder=1.0),
    Variant("hybrid + e5 (weight 1.5)", encoder=1.5),
    Variant("hybrid, e5 reranks its candidates (weight 0.6)", encoder=0.6, stage="rerank"),
    Variant("hybrid, e5 reranks its candidates (weight 1.0)", encoder=1.0, stage="rerank"),
    Variant("BM25 + table + e5 (no static)", dense=0.0, encoder=0.6),
    Variant("BM25 + e5", dense=0.0, translation=0.0, encoder=0.6),
]
ADAPTED = [
    Variant("adapted e5 alone", mode="encoder", adapted=True),
    Variant("hybrid + adapted e5 (weight 0.6)", encoder=0.6, adapted=True),
    Variant("hybrid + adapted e5 (weight 1.0)", encoder=1.0, adapted=True),
    Variant("hybrid, adapted e5 reranks its candidates (weight 1.0)", encoder=1.0, adapted=True,
            stage="rerank"),
]


class CachedEncoder:
    """A TextEncoder whose vectors are remembered by text (passages on disk, queries in memory).

    Benchmark-only: variants and setups share one encoding of each text.
    """

    def __init__(self, encoder, cache: Path) -> None:
        self.encoder, self.cache = encoder, cache
        self.name, self.dimension = encoder.name, encoder.dimension
        self.queries: dict[str, np.ndarray] = {}
        cache.mkdir(parents=True, exist_ok=True)

    def fingerprint(self) -> list[float]:
        return self.encoder.fingerprint()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.queries]
        if missing:
            for text, vector in zip(missing, self.encoder.encode_queries(missing), strict=True):
                self.queries[text] = vector
        return np.stack([self.queries[t] for t in texts])

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        paths = [self.cache / f"{key}.npy" for key in keys]
        todo = [i for i, path in enumerate(paths) if not path.exists()]
        if todo:
            vectors = self.encoder.encode_documents([texts[i] for i in todo])
            for i, vector in zip(todo, vectors, strict=True):
                np.save(paths[i], vector)
        return np.stack([np.load(path) for path in paths]).astype(np.float32)


def records(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def split_setup(name: str, train: list[dict], dev: list[dict], distractors: int, seed: int):
    """(training pairs, questions with gold ids, corpus records) of one setup."""
    rng = random.Random(seed)
    if name == "holdout":
        shuffled = train[:]
        random.Random(7).shuffle(shuffled)
        cut = int(len(shuffled) * 0.9)
        fit, gold = shuffled[:cut], shuffled[cut:]
    else:
        fit = train if name in ("dev", "full") else [r for r in train
                                                     if r["source"] != "niniban.com"]
        gold = dev
    gold_ids = {r["id"] for r in gold}
    others = [r for r in train if r["id"] not in gold_ids]
    corpus = gold + (others if name == "full" else
                     rng.sample(others, min(distractors, len(others))))
    pairs = [(r["question"], r["answer"]) for r in fit]
    return pairs, [(r["id"], r["question"]) for r in gold], corpus


def train_parts(pairs, folder: Path, timings: dict) -> tuple[Path, object]:
    """The static embedder and translation table of a setup, trained once into ``folder``."""
    from index.translation import TranslationTable
    from training.embedder import EmbedderTrainConfig, train_embedder
    from training.translation import fit_translation, pair_terms

    embedder_dir, table_dir = folder / "embedder", folder / "translation"
    if not (embedder_dir / "training_summary.json").is_file():
        started = time.perf_counter()
        train_embedder(pairs, embedder_dir, EmbedderTrainConfig(), progress=False)
        timings["train_embedder_s"] = round(time.perf_counter() - started, 1)
    if not (table_dir / "vocabulary.json").is_file():
        started = time.perf_counter()
        fit_translation(pair_terms(pairs)).save(table_dir)
        timings["train_translation_s"] = round(time.perf_counter() - started, 1)
    return embedder_dir, TranslationTable.load(table_dir)


def open_variant(index_dir: Path, variant: Variant, embedder, encoder):
    """The retriever of one variant: its mode, its fusion weights, the sides it needs."""
    from index.config import FusionConfig
    from index.retriever import Retriever

    fusion = replace(FusionConfig(), dense_weight=variant.dense, lexical_weight=variant.lexical,
                     translation_weight=variant.translation, encoder_weight=variant.encoder,
                     encoder_stage=variant.stage)
    return Retriever.load(index_dir, embedder if variant.mode in ("hybrid", "dense") else None,
                          mode=variant.mode, fusion=fusion,
                          encoder=encoder if variant.mode in ("hybrid", "encoder") else None)


def evaluate(index_dir: Path, variant: Variant, embedder, encoder, queries) -> dict:
    from index.metrics import evaluate_retrieval

    result = evaluate_retrieval(open_variant(index_dir, variant, embedder, encoder), queries,
                                progress=False)
    return {"mrr@10": result["mrr@10"], "recall@20": result["recall@20"]}


def latency(index_dir: Path, variant: Variant, embedder, encoder, questions) -> dict:
    """p50 / p95 of one query at a time with the real (uncached) encoder."""
    retriever = open_variant(index_dir, variant, embedder, encoder)
    retriever.search(questions[0], k=10)
    seconds = []
    for question in questions:
        started = time.perf_counter()
        retriever.search(question, k=10)
        seconds.append(time.perf_counter() - started)
    p50, p95 = np.percentile(np.array(seconds) * 1000, [50, 95])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1)}


def run(args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(2)
    from index.build import build_index
    from index.config import IndexConfig
    from index.embed import BUILTIN_ENCODER, EmbedderConfig, load_embedder
    from index.files import write_jsonl_atomic
    from index.records import FieldConfig, record_to_document

    train, dev = records(args.train), records(args.dev)
    report: dict = {"setups": {}, "timings": {}, "distractors": args.distractors}
    encoders = {False: CachedEncoder(load_embedder(EmbedderConfig(
        name=BUILTIN_ENCODER, show_progress=False, max_seq_length=256)),
        args.work / "cache-e5")}
    if args.adapted:
        encoders[True] = CachedEncoder(load_embedder(EmbedderConfig(
            name=str(args.adapted), show_progress=False, max_seq_length=256)),
            args.work / f"cache-{args.adapted.name}")
    variants = [v for v in VARIANTS + (ADAPTED if args.adapted else [])
                if not args.only or any(part in v.label for part in args.only)]
    fields = FieldConfig(text_fields=("answer",))
    for setup in args.setups:
        timings = report["timings"].setdefault(setup, {})
        pairs, queries, corpus = split_setup(setup, train, dev, args.distractors, args.seed)
        queries = queries[: args.limit or None]
        parts = args.work / ("dev" if setup == "full" else setup)  # the same training pairs
        embedder_dir, table = train_parts(pairs, parts, timings)
        if setup == "loso":  # what an adapted encoder may learn from (--adapted)
            write_jsonl_atomic(parts / "pairs.jsonl",
                               [{"question": q, "answer": a} for q, a in pairs])
        embedder = load_embedder(EmbedderConfig(name=str(embedder_dir), show_progress=False))
        documents = [record_to_document(r, fields, f"{setup}:{i}", str(i))
                     for i, r in enumerate(corpus)]
        indexes = {}
        for adapted, encoder in encoders.items():
            index_dir = args.work / setup / ("index-adapted" if adapted else "index")
            started = time.perf_counter()
            build_index(documents, index_dir, IndexConfig(), embedder, progress=False,
                        translation=table, encoder=encoder)
            timings["build_adapted_s" if adapted else "build_s"] = round(
                time.perf_counter() - started, 1)
            indexes[adapted] = index_dir
        rows = report["setups"].setdefault(setup, {"pairs": len(pairs), "queries": len(queries),
                                                   "corpus": len(corpus), "variants": {}})
        for variant in variants:
            rows["variants"][variant.label] = evaluate(
                indexes[variant.adapted], variant, embedder, encoders[variant.adapted], queries)
            print(f"{setup:8} {variant.label:42} {rows['variants'][variant.label]}",
                  file=sys.stderr, flush=True)
        if setup == (args.latency_setup or args.setups[-1]) and args.latency_queries:
            report["latency"] = {}
            questions = [question for _, question in queries[: args.latency_queries]]
            for variant in variants:
                real = encoders[variant.adapted].encoder
                report["latency"][variant.label] = latency(indexes[variant.adapted], variant,
                                                           embedder, real, questions)
    return report


def print_table(report: dict) -> None:
    setups = list(report["setups"])
    labels = list(next(iter(report["setups"].values()))["variants"])
    base = "today's hybrid (BM25 + static + table)"
    head = " | ".join(f"{s} MRR@10 / R@20" for s in setups)
    print(f"| variant | {head} | p50 / p95 ms |")
    print("|" + " --- |" * (len(setups) + 2))
    for label in labels:
        cells = []
        for setup in setups:
            m = report["setups"][setup]["variants"][label]
            cells.append(f"{m['mrr@10']:.3f} / {m['recall@20']:.3f}")
        lat = report.get("latency", {}).get(label)
        timing = f"{lat['p50_ms']} / {lat['p95_ms']}" if lat else "-"
        print(f"| {label} | {' | '.join(cells)} | {timing} |")
    print()
    for setup, info in report["setups"].items():
        print(f"{setup}: {info['pairs']} training pairs, {info['queries']} questions, "
              f"{info['corpus']} answers indexed; timings {report['timings'].get(setup)}")
    if "loso" in report["setups"] and base in report["setups"]["loso"]["variants"]:
        rows = report["setups"]["loso"]["variants"]
        best = max(rows, key=lambda label: rows[label]["mrr@10"])
        gain = rows[best]["mrr@10"] / rows[base]["mrr@10"] - 1
        print(f"best on the held-out site (loso): {best}, {gain:+.1%} MRR@10 over today's "
              "hybrid (target >= +15%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=MF3QA / "train.jsonl")
    parser.add_argument("--dev", type=Path, default=MF3QA / "dev.jsonl")
    parser.add_argument("--work", type=Path, required=True,
                        help="folder for trained parts, indexes and the vector cache")
    parser.add_argument("--setups", nargs="+", choices=SETUPS, default=list(SETUPS[:3]))
    parser.add_argument("--distractors", type=int, default=3000,
                        help="random train answers added to each setup's gold answers")
    parser.add_argument("--adapted", type=Path, help="an adapted encoder folder to compare")
    parser.add_argument("--limit", type=int, help="only the first N questions per setup")
    parser.add_argument("--only", nargs="+", metavar="TEXT",
                        help="only the variants whose label contains one of these")
    parser.add_argument("--latency-queries", type=int, default=200,
                        help="questions timed one by one, with real encoding (0: none)")
    parser.add_argument("--latency-setup", choices=SETUPS,
                        help="setup whose index is timed (default: the last one run)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not args.train.is_file():
        print(f"error: {args.train} not found (the shared MF3QA data)", file=sys.stderr)
        return 2
    report = run(args)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
