"""The one Scrapy spider behind every site: fetch, parse with the site's pure parser, write.

Single-machine mode: the SQLite :class:`~crawl.frontier.Frontier` is the queue and the
visited set. The spider keeps only a small window of pages in flight, taken in BFS order,
so Scrapy's scheduler never holds state that a kill could lose. For each page, in order:
records are appended (flushed, fsynced), then one transaction marks the page done and adds
its links. Distributed mode (``redis_url``): requests go through scrapy-redis's shared
queue and dupefilter instead, so several processes or machines share one crawl.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawl.config import ROLES_WITHOUT_HOP, CrawlConfig
from crawl.frontier import BLOCKED, FAILED, Frontier, Task
from crawl.page import Entry, Link
from crawl.sink import JsonlSink
from crawl.sites import get_site
from crawl.urls import record_id

logger = logging.getLogger(__name__)
META_KEY = "gaokerena"


def make_record(entry: Entry, site: str, crawled_at: str) -> dict:
    """The output record: ``{id, url, site, kind, title, question, answer, text, crawled_at}``."""
    return {"id": record_id(entry.url), "url": entry.url, "site": site, "kind": entry.kind,
            "title": entry.title, "question": entry.question, "answer": entry.answer,
            "text": entry.text, "crawled_at": crawled_at}


def describe_failure(failure) -> tuple[str, str]:
    """(state, message) for a failed request: robots.txt blocks are not errors."""
    error = failure.value
    if isinstance(error, IgnoreRequest) and "robots.txt" in str(error):
        return BLOCKED, "forbidden by robots.txt"
    if isinstance(error, HttpError):
        return FAILED, f"HTTP {error.response.status}"
    return FAILED, f"{type(error).__name__}: {error}".strip()


class SiteSpider(scrapy.Spider):
    """Crawls one :class:`~crawl.sites.SiteSpec`; ``name`` is the site's name."""

    name = "gaokerena"

    def __init__(self, config: CrawlConfig, **kwargs) -> None:
        super().__init__(name=config.site, **kwargs)
        self.config = config
        self.spec = get_site(config.site)
        self.base = (config.base_url or self.spec.base).rstrip("/")
        # Redirects off the site are refused (and recorded as failures), like other links.
        self.allowed_domains = [urlsplit(self.base).hostname or ""]
        self.distributed = config.redis_url is not None
        self.frontier: Frontier | None = None
        self.sink: JsonlSink | None = None
        self.in_flight: dict[int, Task] = {}
        self.idle_since: float | None = None
        self.pages = 0
        self.new_records = 0
        self._bar = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_opened, signal=signals.spider_opened)
        return spider

    # -- lifecycle -------------------------------------------------------------------------

    def _on_opened(self, spider) -> None:
        self.sink = JsonlSink(self.config.out, fsync=self.config.fsync)
        if not self.distributed:
            # run_crawl has bound the job to this site and seeded the start pages.
            self.frontier = Frontier(self.config.job_dir / "frontier.sqlite")
        if self.config.progress:
            from tqdm import tqdm

            self._bar = tqdm(desc=f"crawl {self.spec.name}", unit="page", leave=True,
                             initial=0, postfix={"records": self.sink.count})

    async def start(self):
        if self._limit_reached():
            return  # nothing to do: closes as finished, the output is published
        if self.distributed:
            for link in self.spec.start_links(self.base):
                yield self._request(link.url, link.role, 0, None)
            return
        for request in self._fill():
            yield request

    def closed(self, reason: str) -> None:
        if self._bar is not None:
            self._bar.close()
        if self.frontier is not None:
            self.frontier.close()
        if self.sink is not None:
            finished = reason in ("finished", "max_items")
            if finished:
                self.sink.publish()
            else:
                self.sink.close()

    # -- queue -----------------------------------------------------------------------------

    def _request(self, url: str, role: str, depth: int, seq: int | None) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_page, errback=self.on_error, priority=-depth,
            dont_filter=not self.distributed,
            meta={META_KEY: {"url": url, "role": role, "depth": depth, "seq": seq}},
        )

    def _fill(self) -> list[scrapy.Request]:
        """Top the window of in-flight pages up from the frontier, in BFS order."""
        if self.frontier is None or self._limit_reached():
            return []
        room = self.config.pages_in_flight - len(self.in_flight)
        if room <= 0:
            return []
        tasks = self.frontier.next_tasks(room, self.config.max_depth, set(self.in_flight))
        for task in tasks:
            self.in_flight[task.seq] = task
        return [self._request(t.url, t.role, t.depth, t.seq) for t in tasks]

    def _on_idle(self, spider) -> None:
        if self.distributed:
            now = time.monotonic()
            self.idle_since = self.idle_since or now
            if now - self.idle_since < self.config.redis_idle_s:
                raise DontCloseSpider  # other workers may still add pages to the queue
            return
        self.in_flight.clear()  # idle: nothing is in flight, whatever we thought
        requests = self._fill()
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def _limit_reached(self) -> bool:
        limit = self.config.max_items
        return limit is not None and self.sink is not None and self.sink.count >= limit

    # -- callbacks -------------------------------------------------------------------------

    def parse_page(self, response):
        task = response.meta[META_KEY]
        self.idle_since = None
        if not isinstance(response, TextResponse):
            yield from self._record_failure(task, FAILED, "not a text page "
                                            f"({response.headers.get('Content-Type')!r})")
            return
        try:
            page = self.spec.parse(task["role"], response.text, response.url, self.base)
        except Exception as error:  # a parser bug fails one page only
            logger.exception("parser failed on %s", response.url)
            yield from self._record_failure(task, FAILED, f"parse error: {error!r}")
            return
        crawled_at = datetime.now(UTC).isoformat(timespec="seconds")
        records = [make_record(entry, self.spec.domain, crawled_at) for entry in page.entries]
        cut = False
        if self.config.max_items is not None:
            room = max(0, self.config.max_items - self.sink.count)
            fresh = [r for r in records if r["id"] not in self.sink.ids]
            cut = len(fresh) > room
            records = fresh[:room]
        written = self.sink.write(records)
        self.new_records += written
        depth = task["depth"]
        if not cut:
            self._finish(task, page.links, len(page.entries))
        self.pages += 1
        if self._bar is not None:
            self._bar.set_postfix(records=self.sink.count, refresh=False)
            self._bar.update(1)
        yield from records
        if self.distributed:
            for link in page.links:
                link_depth = self._link_depth(link, depth)
                if self.config.max_depth is None or link_depth <= self.config.max_depth:
                    yield self._request(link.url, link.role, link_depth, None)
        if self._limit_reached():
            raise CloseSpider("max_items")
        yield from self._fill()

    def on_error(self, failure):
        task = failure.request.meta.get(META_KEY, {})
        self.idle_since = None
        state, message = describe_failure(failure)
        logger.info("%s %s: %s", state, failure.request.url, message)
        yield from self._record_failure(task, state, message)

    def _record_failure(self, task: dict, state: str, message: str):
        if self.frontier is not None and task.get("seq") is not None:
            self.frontier.fail(task["seq"], message, state)
            self.in_flight.pop(task["seq"], None)
        else:  # distributed: no frontier here; keep a failures file per worker
            self.crawler.stats.inc_value(f"gaokerena/{state}")
            row = {"url": task.get("url", ""), "role": task.get("role"),
                   "depth": task.get("depth"), "state": state, "error": message}
            with (self.config.job_dir / "failures.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        yield from self._fill()

    def _finish(self, task: dict, links: list[Link], records: int) -> None:
        if self.frontier is None:
            return
        depths = {link.role: self._link_depth(link, task["depth"]) for link in links}
        self.frontier.complete(task["seq"], records, links, depths)
        self.in_flight.pop(task["seq"], None)

    @staticmethod
    def _link_depth(link: Link, depth: int) -> int:
        return depth if link.role in ROLES_WITHOUT_HOP else depth + 1
