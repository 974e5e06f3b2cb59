"""Crawl a 5,000-page local fixture site with politeness off: pages/s and peak memory.

The fixture is drhast-shaped (facts sheet): 20 listing pages of 250 roots and 5,000
question pages, each linking 10 related questions (a graph with cycles). It is served by
a threaded server in this process; the crawl runs through the real CLI in a subprocess
(``--delay 0 --no-autothrottle --concurrency N``), so the figures include Scrapy, the
SQLite frontier and the fsynced output. Peak memory is the crawler process's max RSS.

    python benchmarks/crawl_site.py [--questions 5000] [--concurrency 8] [--no-fsync] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.crawl_fixture_site import (  # noqa: E402
    FixtureServer,
    FixtureSite,
    add_drhast,
    drhast_graph,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-fsync", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    graph = drhast_graph(n=args.questions, fanout=10, roots_per_page=args.questions // 20,
                         pages=20, seed=1)
    site = FixtureSite()
    add_drhast(site, graph)
    gaokerena = str(Path(sys.executable).with_name("gaokerena"))
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(site) as root:
        out = Path(tmp) / "drhast.jsonl"
        command = [gaokerena, "crawl", "drhast", "--out", str(out), "--base-url",
                   f"{root}/drhast", "--delay", "0", "--no-autothrottle", "--concurrency",
                   str(args.concurrency), "--quiet", "--json"]
        if args.no_fsync:
            command.append("--no-fsync")
        began = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            sys.exit(done.stderr[-3000:])
        summary = json.loads(done.stdout)
        lines = out.read_text(encoding="utf-8").count("\n")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "pages": summary["pages_this_run"],
        "records": lines,
        "expected_records": len(graph.bfs()),
        "crawl_s": summary["elapsed_s"],
        "pages_per_s": summary["pages_per_s"],
        "process_wall_s": round(wall, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "concurrency": args.concurrency,
        "fsync": not args.no_fsync,
        "load_average": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"crawled {result['pages']} pages -> {result['records']} records "
          f"(expected {result['expected_records']}) in {result['crawl_s']} s: "
          f"{result['pages_per_s']} pages/s; process {result['process_wall_s']} s wall, "
          f"peak RSS {result['peak_rss_mb']} MB (concurrency {args.concurrency}, fsync "
          f"{'on' if result['fsync'] else 'off'}, load {result['load_average']})")


if __name__ == "__main__":
    main()
