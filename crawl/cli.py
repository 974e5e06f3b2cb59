"""``gaokerena crawl ...`` commands (plugged into the CLI through an entry point).

``crawl list`` names the spiders, ``crawl SITE --out FILE.jsonl`` runs one, and
``crawl filter`` (crawl/filter/cli.py) cleans a finished crawl. Scrapy is imported only
inside the command, so ``gaokerena --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

REDIS_ENV = "GAOKERENA_REDIS_URL"


def register(registry) -> None:
    """Add ``crawl list``, ``crawl <site>`` for every known site and ``crawl filter``."""
    from crawl.filter.cli import add_filter_command
    from crawl.sites import SITES

    group = registry.group("crawl", "crawl Persian medical sites and filter the crawl")
    listing = group.add_parser("list", help="list the spiders (sites) and what they crawl")
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=run_list)
    for spec in SITES.values():
        parser = group.add_parser(
            spec.name, help=f"crawl {spec.description}",
            description=f"Crawl {spec.description} into JSON Lines records {{id, url, site, "
            "kind, title, question, answer, text, crawled_at}. Polite by default (robots.txt, "
            "one request at a time, 1 s delay + AutoThrottle). Stop it any time (even kill "
            "-9) and run the same command again: it resumes from the job folder without "
            "losing or repeating records. OUT appears when a run ends; OUT.part meanwhile.",
        )
        _add_crawl_options(parser)
        parser.set_defaults(func=run_site, site=spec.name)
    add_filter_command(group)


def _add_crawl_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.jsonl",
                        help="output records (UTF-8 JSON Lines)")
    parser.add_argument("--job", type=Path, metavar="DIR",
                        help="job folder with the resumable frontier (default: OUT.job)")
    parser.add_argument("--base-url", metavar="URL",
                        help="crawl a mirror or local copy with the same layout, e.g. "
                        "http://127.0.0.1:8000/drhast")
    parser.add_argument("--max-items", type=int, metavar="N",
                        help="stop when the output holds N records (earlier runs count)")
    parser.add_argument("--depth", type=int, metavar="N",
                        help="follow links at most N hops from the start pages")
    polite = parser.add_argument_group("politeness (defaults are polite; relax only for "
                                       "sites you run)")
    polite.add_argument("--delay", type=float, default=1.0,
                        help="seconds between requests to the site (default: 1.0)")
    polite.add_argument("--no-autothrottle", action="store_true",
                        help="keep the delay fixed instead of adapting it to the site")
    polite.add_argument("--concurrency", type=int, default=1,
                        help="simultaneous requests to the site (default: 1)")
    polite.add_argument("--timeout", type=float, default=30.0,
                        help="seconds before a request times out (default: 30)")
    polite.add_argument("--retries", type=int, default=2,
                        help="retries of 5xx answers, timeouts and lost connections "
                        "(default: 2)")
    polite.add_argument("--ignore-robots", action="store_true",
                        help="do not read robots.txt (only for your own mirror or fixture)")
    polite.add_argument("--user-agent", help="override the identifying User-Agent")
    parser.add_argument("--redis-url", default=os.environ.get(REDIS_ENV), metavar="URL",
                        help="distributed crawl: share the queue and the dupefilter in Redis, "
                        f"e.g. redis://127.0.0.1:6379 (default: ${REDIS_ENV})")
    parser.add_argument("--redis-idle", type=float, default=30.0, metavar="SECONDS",
                        help="distributed crawl: a worker with nothing to do waits this long "
                        "for other workers to queue pages before it stops (default: 30)")
    parser.add_argument("--retry-failed", action="store_true",
                        help="fetch again the pages that failed in earlier runs of this job")
    parser.add_argument("--no-fsync", action="store_true",
                        help="flush but do not fsync the output per page (faster; a killed "
                        "process still loses nothing, a power cut may lose the last pages' "
                        "records for good)")
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_list(args: argparse.Namespace) -> int:
    from crawl.sites import SITES

    rows = [{"name": s.name, "site": s.domain, "kind": s.kind, "base_url": s.base,
             "description": s.description} for s in SITES.values()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        width = max(len(row["name"]) for row in rows)
        for row in rows:
            print(f"{row['name']:<{width}}  {row['kind']:<7}  {row['description']}")
    return 0


def run_site(args: argparse.Namespace) -> int:
    import logging

    from crawl.config import DEFAULT_USER_AGENT, CrawlConfig
    from crawl.frontier import JobMismatch
    from crawl.runner import run_crawl
    from index.cli import invalid_option
    from index.errors import GaokerenaError

    level = logging.getLogger().getEffectiveLevel()
    with invalid_option():
        config = CrawlConfig(
            site=args.site, out=args.out, job=args.job, base_url=args.base_url,
            max_items=args.max_items, max_depth=args.depth, delay=args.delay,
            autothrottle=not args.no_autothrottle, concurrency=args.concurrency,
            timeout=args.timeout, retries=args.retries, obey_robots=not args.ignore_robots,
            user_agent=args.user_agent or DEFAULT_USER_AGENT, redis_url=args.redis_url,
            redis_idle_s=args.redis_idle,
            fsync=not args.no_fsync, retry_failed=args.retry_failed,
            progress=not args.quiet and not args.json, log_level=logging.getLevelName(level),
        )
    try:
        summary = run_crawl(config)
    except JobMismatch as error:
        raise GaokerenaError(str(error)) from error
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        pages = summary.get("pages", {})
        print(f"{summary['site']}: {summary['records']} records in {summary['out']} "
              f"({summary['new_records']} new; {summary['pages_this_run']} pages this run, "
              f"{summary['pages_per_s']} pages/s); finish: {summary['finish_reason']}")
        if pages:
            print(f"pages: {pages.get('done', 0)} done, {pages.get('pending', 0)} pending, "
                  f"{pages.get('failed', 0)} failed, {pages.get('blocked', 0)} blocked by "
                  f"robots.txt; failures listed in {summary.get('failures_file')}")
    return 0
