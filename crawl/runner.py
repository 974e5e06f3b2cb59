"""Run one crawl in this process and summarise it (I/O edge; one crawl per process).

Twisted's reactor cannot be restarted, so each ``gaokerena crawl SITE`` call is one
process running one :class:`~scrapy.crawler.CrawlerProcess`.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crawl.config import CrawlConfig
from crawl.frontier import Frontier, JobMismatch
from crawl.sink import JsonlSink, part_path
from index.files import write_json_atomic, write_jsonl_atomic


def run_crawl(config: CrawlConfig) -> dict:
    """Crawl until the frontier is empty, ``max_items`` is reached or the run is stopped.

    Returns a summary: pages by state, records in the output, failures file, speed.
    """
    if config.redis_url:
        _check_redis(config.redis_url)
    config.job_dir.mkdir(parents=True, exist_ok=True)
    with _job_lock(config.job_dir):
        if not config.redis_url:
            _prepare_job(config)
        # Read the output once before Scrapy starts: a damaged record must stop the run
        # here with its line number (inside Scrapy's signal handlers it would only be logged).
        JsonlSink(config.out, fsync=False).close()
        return _run(config)


def _run(config: CrawlConfig) -> dict:
    from scrapy.crawler import CrawlerProcess

    from crawl.spider import SiteSpider

    # The gaokerena CLI's log handler carries the level the user asked for (-v, -vv), so
    # Scrapy turning its own loggers to DEBUG adds no chatter (index/cli.py).
    process = CrawlerProcess({**config.scrapy_settings(), "LOG_INSTALL_ROOT_HANDLER": False})
    crawler = process.create_crawler(SiteSpider)
    began = time.monotonic()
    process.crawl(crawler, config=config)
    process.start()
    elapsed = time.monotonic() - began
    stats = crawler.stats.get_stats()
    spider = crawler.spider
    summary = {
        "site": config.site,
        "base_url": spider.base,
        "finish_reason": stats.get("finish_reason"),
        "out": str(config.out if config.out.exists() else part_path(config.out)),
        "complete": config.out.exists() and not part_path(config.out).exists(),
        "job": str(config.job_dir),
        "records": spider.sink.count if spider.sink else 0,
        "new_records": spider.new_records,
        "pages_this_run": spider.pages,
        "elapsed_s": round(elapsed, 3),
        "pages_per_s": round(spider.pages / elapsed, 2) if elapsed > 0 else None,
        "retries": stats.get("retry/count", 0),
        "distributed": bool(config.redis_url),
    }
    if not config.redis_url:
        frontier = Frontier(config.job_dir / "frontier.sqlite")
        try:
            summary["pages"] = frontier.counts()
            failures = frontier.failures()
        finally:
            frontier.close()
        summary["failures"] = len(failures)
        write_jsonl_atomic(config.job_dir / "failures.jsonl", failures)
        summary["failures_file"] = str(config.job_dir / "failures.jsonl")
    else:
        summary["failures"] = stats.get("gaokerena/failed", 0) + stats.get("gaokerena/blocked", 0)
        summary["failures_file"] = str(config.job_dir / "failures.jsonl")
    write_json_atomic(config.job_dir / "last_run.json", summary)
    return summary


@contextmanager
def _job_lock(job_dir: Path) -> Iterator[None]:
    """One process per job folder: two would fetch the same pending pages. The lock is
    released by the kernel when the process dies, so a killed crawl never leaves it stale."""
    from index.errors import GaokerenaError

    with (job_dir / "lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GaokerenaError(f"job folder {job_dir} is in use by another running crawl; "
                                 "wait for it or use another --job") from None
        yield


def _prepare_job(config: CrawlConfig) -> None:
    """Bind the job to its site and base and seed it, before Scrapy starts: a wrong
    ``--job`` folder fails here with a clear message instead of inside the reactor."""
    from crawl.sites import get_site

    spec = get_site(config.site)
    base = (config.base_url or spec.base).rstrip("/")
    frontier = Frontier(config.job_dir / "frontier.sqlite")
    try:
        # The output is part of the job: pages marked done have their records only there,
        # so another --out (or a deleted one) would silently lack them.
        frontier.bind({"site": spec.name, "base_url": base, "out": str(config.out.resolve())})
        if frontier.records_written() and not (config.out.exists()
                                               or part_path(config.out).exists()):
            raise JobMismatch(f"job folder {config.job_dir} has crawled pages whose records "
                              f"were written to {config.out}, which is gone; those pages "
                              "would not be fetched again. Use a new --job folder")
        if config.retry_failed:
            frontier.retry_failed()
        frontier.add(spec.start_links(base), depth=0)
    finally:
        frontier.close()


def _check_redis(url: str) -> None:
    """Fail in one line, before Scrapy starts, when Redis cannot be reached."""
    import redis

    from index.errors import GaokerenaError

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise GaokerenaError(f"cannot reach Redis at {url} ({error}); start redis-server or "
                             "drop --redis-url to crawl on this machine only") from error
