"""Crawling Persian medical sites into corpora (``run_crawl``) and filtering them
(``filter_file``)."""

from index.exports import lazy_exports

__all__ = ["CrawlConfig", "FilterConfig", "filter_file", "run_crawl"]
__getattr__ = lazy_exports(__name__, {
    "CrawlConfig": "crawl.config",
    "run_crawl": "crawl.runner",
    "FilterConfig": "crawl.filter.config",
    "filter_file": "crawl.filter.pipeline",
})
