"""Crawling Persian medical sites into corpora (see the crawl issue)."""
