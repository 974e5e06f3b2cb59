"""Approximate dense search at a million passages, on synthetic clustered vectors.

Target from the issue, for one million 256-dimensional vectors on a two-core home machine:
recall@10 >= 0.95 of exact search, p95 query latency <= 30 ms (one query at a time), and
RAM <= 2 GB. Each approximate kind of the project's own FAISS builder
(index.dense.build_dense_index: hnsw, ivfsq, optionally ivfpq / ivf) is built on the same
vectors and compared with the exact top-10 of faiss.IndexFlatIP.

The vectors are unit-length points around random cluster centres (a stand-in for sentence
embeddings, which cluster by topic). Memory is reported two ways: the size of the index
itself (what a serving process holds) and the RSS of this process, which also holds the
N x D raw vectors (1 GB at the defaults) that a serving process would not.

    python benchmarks/ann_1m.py --n 100000          # try small first
    python benchmarks/ann_1m.py                     # 1M x 256, hnsw and ivfsq
    python benchmarks/ann_1m.py --kinds hnsw,ivfsq,ivfpq --ef-search 128 --nprobe 32 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time

import numpy as np

TARGETS = {"recall@10": 0.95, "p95_ms": 30.0, "ram_gb": 2.0}
KINDS = ("hnsw", "ivf", "ivfsq", "ivfpq")
GB = 1024**3


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="corpus vectors")
    parser.add_argument("--dim", type=int, default=256, help="dimension")
    parser.add_argument("--queries", type=int, default=1000, help="query vectors")
    parser.add_argument("--centres", type=int, default=2000, help="cluster centres")
    parser.add_argument("--noise", type=float, default=0.5,
                        help="length of the Gaussian offset from a unit centre (default: 0.5)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default="hnsw,ivfsq",
                        help=f"comma-separated, from {','.join(KINDS)} (default: %(default)s)")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=80)
    parser.add_argument("--ef-search", type=int, default=64)
    parser.add_argument("--nlist", type=int, default=0, help="IVF lists (0: about 4*sqrt(n))")
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--pq-m", type=int, default=32, help="PQ sub-quantizers (ivfpq)")
    parser.add_argument("--threads", type=int, default=2, help="torch and FAISS threads")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    args.kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = sorted(set(args.kinds) - set(KINDS))
    if unknown:
        parser.error(f"unknown kind(s) {unknown}; choose from {KINDS}")
    return args


def rss_gb() -> float:
    """Resident memory of this process now."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / GB
    except ImportError:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / GB
    return float("nan")


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB  # KiB on Linux


def clustered_unit_vectors(n: int, centres: np.ndarray, noise: float,
                           rng: np.random.Generator, block: int = 100_000) -> np.ndarray:
    """``n`` unit vectors, each a random centre plus Gaussian noise of length about ``noise``."""
    dim = centres.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, block):
        size = min(block, n - start)
        points = centres[rng.integers(len(centres), size=size)]
        points += rng.standard_normal((size, dim), dtype=np.float32) * (noise / np.sqrt(dim))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        out[start:start + size] = points
    return out


def index_file_gb(index) -> float:
    """Serialized size of a FAISS index, which is close to what it holds in memory."""
    import faiss

    with tempfile.NamedTemporaryFile(suffix=".faiss") as handle:
        faiss.write_index(index, handle.name)
        return os.path.getsize(handle.name) / GB


def run(args: argparse.Namespace) -> dict:
    import faiss
    import torch

    from index.config import DenseConfig
    from index.dense import build_dense_index, search_dense

    torch.set_num_threads(args.threads)
    faiss.omp_set_num_threads(args.threads)
    k = 10
    rng = np.random.default_rng(args.seed)
    centres = rng.standard_normal((args.centres, args.dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    started = time.perf_counter()
    vectors = clustered_unit_vectors(args.n, centres, args.noise, rng)
    queries = clustered_unit_vectors(args.queries, centres, args.noise, rng)
    report: dict = {"n": args.n, "dim": args.dim, "queries": args.queries,
                    "targets": TARGETS, "data_seconds": round(time.perf_counter() - started, 1),
                    "kinds": {}}

    started = time.perf_counter()
    exact = faiss.IndexFlatIP(args.dim)
    exact.add(vectors)
    _, truth = exact.search(queries, k)
    report["exact_seconds"] = round(time.perf_counter() - started, 1)
    del exact
    report["rss_gb_data"] = round(rss_gb(), 3)

    for kind in args.kinds:
        config = DenseConfig(kind=kind, hnsw_m=args.hnsw_m,
                             hnsw_ef_construction=args.ef_construction,
                             hnsw_ef_search=args.ef_search, ivf_nlist=args.nlist,
                             ivf_nprobe=args.nprobe, pq_m=args.pq_m)
        before = rss_gb()
        started = time.perf_counter()
        index = build_dense_index(vectors, config)
        build_seconds = time.perf_counter() - started
        after = rss_gb()

        for query in queries[:10]:  # warm-up
            search_dense(index, query[None, :], k)
        found = np.empty_like(truth)
        latencies = []
        for i, query in enumerate(queries):
            started = time.perf_counter()
            _, ids = search_dense(index, query[None, :], k)
            latencies.append(time.perf_counter() - started)
            found[i] = ids[0]
        recall = np.mean([len(set(found[i]) & set(truth[i])) / k for i in range(len(truth))])
        p50, p95 = np.percentile(np.asarray(latencies) * 1000, [50, 95])
        report["kinds"][kind] = {
            "config": {key: value for key, value in config.to_dict().items()
                       if key != "batch_size"},
            "build_seconds": round(build_seconds, 1),
            "recall@10": round(float(recall), 4),
            "p50_ms": round(float(p50), 3),
            "p95_ms": round(float(p95), 3),
            "index_gb": round(index_file_gb(index), 3),
            "rss_growth_gb": round(after - before, 3),
            "rss_gb": round(after, 3),
        }
        del index
    report["peak_rss_gb"] = round(peak_rss_gb(), 3)
    return report


def print_report(report: dict) -> None:
    print(f"{report['n']:,} x {report['dim']} synthetic unit vectors, {report['queries']:,} "
          f"queries; data {report['data_seconds']} s, exact top-10 {report['exact_seconds']} s; "
          f"RSS with the raw vectors {report['rss_gb_data']} GB")
    print(f"targets: recall@10 >= {TARGETS['recall@10']}, p95 <= {TARGETS['p95_ms']:.0f} ms, "
          f"index RAM <= {TARGETS['ram_gb']:.0f} GB")
    print(f"{'kind':6} {'build s':>8} {'recall@10':>9} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'index GB':>8} {'RSS GB':>7}  verdict")
    for kind, row in report["kinds"].items():
        missed = [name for name, ok in (
            ("recall", row["recall@10"] >= TARGETS["recall@10"]),
            ("latency", row["p95_ms"] <= TARGETS["p95_ms"]),
            ("memory", row["index_gb"] <= TARGETS["ram_gb"]),
        ) if not ok]
        verdict = "ok" if not missed else "MISSED " + ", ".join(missed)
        print(f"{kind:6} {row['build_seconds']:8.1f} {row['recall@10']:9.4f} "
              f"{row['p50_ms']:8.2f} {row['p95_ms']:8.2f} {row['index_gb']:8.3f} "
              f"{row['rss_gb']:7.3f}  {verdict}")
    print(f"peak RSS of this process: {report['peak_rss_gb']} GB (raw vectors and exact index "
          "included)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
