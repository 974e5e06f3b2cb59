"""One crawl's settings, and their translation into Scrapy settings.

Polite by default, as a crawl of someone else's site should be: robots.txt obeyed, one
request at a time per site, a delay with AutoThrottle on top, an identifying User-Agent,
retries. Tests and benchmarks against a local fixture site turn the delays off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

# Site owners should be able to tell who is crawling; add a contact with --user-agent.
DEFAULT_USER_AGENT = ("gaokerena-rag-crawler/0.1 (research corpus of Persian medical text; "
                      "obeys robots.txt)")
ROLES_WITHOUT_HOP = frozenset({"home", "listing", "sitemap"})


@dataclass(frozen=True)
class CrawlConfig:
    """Everything one ``gaokerena crawl SITE`` run needs.

    Attributes:
        site: spider name (``gaokerena crawl list``).
        out: JSON Lines output; ``OUT.part`` while running.
        job: job folder holding the frontier (default: ``OUT.job`` beside the output).
        base_url: crawl a mirror or a fixture site with the real site's layout.
        max_items: stop once the output holds this many records (counting earlier runs).
        max_depth: link hops from the start pages (listing pages do not count as hops).
        delay: seconds between requests to the site (AutoThrottle never goes below it).
        autothrottle: adapt the delay to the site's latency.
        concurrency: simultaneous requests per site.
        timeout: seconds before a request counts as timed out (then retried).
        retries: extra attempts after a failure (HTTP 5xx, timeouts, lost connections).
        obey_robots: honour robots.txt.
        redis_url: run distributed: queue and dupefilter in Redis (scrapy-redis).
        redis_idle_s: an idle worker waits this long for other workers' pages, then stops.
        fsync: fsync the output after every page, not only flush it.
        retry_failed: put pages that failed in earlier runs back in the queue.
        window: pages handed to Scrapy at once (default: 2 x concurrency).
        progress: show a progress bar on stderr.
        log_level: Scrapy's log level.
    """

    site: str
    out: Path
    job: Path | None = None
    base_url: str | None = None
    max_items: int | None = None
    max_depth: int | None = None
    delay: float = 1.0
    autothrottle: bool = True
    concurrency: int = 1
    timeout: float = 30.0
    retries: int = 2
    user_agent: str = DEFAULT_USER_AGENT
    obey_robots: bool = True
    redis_url: str | None = None
    redis_idle_s: float = 30.0
    fsync: bool = True
    retry_failed: bool = False
    window: int | None = None
    progress: bool = True
    log_level: str = "WARNING"

    def __post_init__(self) -> None:
        checks = [
            (self.max_items is None or self.max_items > 0, "max_items must be > 0, e.g. 1000"),
            (self.max_depth is None or self.max_depth >= 0, "max_depth must be >= 0, e.g. 3"),
            (self.delay >= 0, "delay must be >= 0 seconds, e.g. 1.0"),
            (self.concurrency >= 1, "concurrency must be >= 1, e.g. 1"),
            (self.timeout > 0, "timeout must be > 0 seconds, e.g. 30"),
            (self.retries >= 0, "retries must be >= 0, e.g. 2"),
            (self.window is None or self.window >= 1, "window must be >= 1, e.g. 4"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got "
                             f"{self.base_url!r} (e.g. http://127.0.0.1:8000/drhast)")
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://",
                                                                         "unix://")):
            raise ValueError(f"redis_url must look like redis://127.0.0.1:6379, "
                             f"got {self.redis_url!r}")

    @property
    def job_dir(self) -> Path:
        return self.job if self.job is not None else self.out.with_name(self.out.name + ".job")

    @property
    def pages_in_flight(self) -> int:
        return self.window or 2 * self.concurrency

    def replace(self, **changes) -> CrawlConfig:
        return replace(self, **changes)

    def scrapy_settings(self) -> dict:
        """Scrapy settings for this run (checked against Scrapy 2.19's defaults)."""
        settings = {
            "BOT_NAME": "gaokerena",
            "USER_AGENT": self.user_agent,
            "ROBOTSTXT_OBEY": self.obey_robots,
            "DOWNLOAD_DELAY": self.delay,
            "DOWNLOAD_DELAY_JITTER": 0.5 if self.delay > 0 else 0.0,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(self.delay, 1.0),
            "AUTOTHROTTLE_TARGET_CONCURRENCY": float(self.concurrency),
            # One site per crawl: a worker takes from a shared Redis queue only what it
            # can download now, instead of hoarding 16 requests other workers could take.
            "CONCURRENT_REQUESTS": self.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": self.concurrency,
            "DOWNLOAD_TIMEOUT": self.timeout,
            "RETRY_ENABLED": self.retries > 0,
            "RETRY_TIMES": self.retries,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,  # no control port opened on this machine
            "FEED_EXPORT_ENCODING": "utf-8",
            "LOG_LEVEL": self.log_level,
            # The frontier hands pages out in BFS order; Scrapy's queues keep that order.
            "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
            "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
        }
        if self.redis_url:
            settings.update({
                "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
                "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
                "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
                "SCHEDULER_PERSIST": True,
                "REDIS_URL": self.redis_url,
            })
        return settings
