"""Numbered listing pages (``/q/page-3``, ``/faq/?page=3``): which page a URL is, and the next.

The seed scripts looped over fixed page ranges. Here a listing page leads to the next one
only while it still lists items, up to the site's last known page, so a crawl of a small
mirror or fixture site stops where that site ends instead of requesting hundreds of 404s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from crawl.page import Link
from crawl.urls import join_base, relative_path


def _strip_slash(path: str) -> str:
    head, sep, query = path.partition("?")
    return (head.rstrip("/") or "/") + sep + query


@dataclass(frozen=True)
class Listing:
    """A family of listing pages: ``template`` is site-root relative with ``{page}``."""

    template: str
    first: int = 1
    last: int = 1

    def __post_init__(self) -> None:
        if "{page}" not in self.template:
            raise ValueError(f"listing template needs {{page}}, e.g. '/q/page-{{page}}', "
                             f"got {self.template!r}")
        if self.last < self.first:
            raise ValueError(f"last page {self.last} is before first page {self.first}")

    @cached_property
    def _pattern(self) -> re.Pattern[str]:
        escaped = re.escape(_strip_slash(self.template)).replace(r"\{page\}", r"(\d+)")
        return re.compile(f"^{escaped}$")

    def url(self, base: str, page: int) -> str:
        return join_base(base, self.template.format(page=page))

    def page_of(self, url: str, base: str) -> int | None:
        found = self._pattern.match(_strip_slash(relative_path(url, base)))
        return int(found.group(1)) if found else None

    def next_link(self, url: str, base: str, role: str = "listing") -> Link | None:
        page = self.page_of(url, base)
        if page is None or page >= self.last:
            return None
        return Link(self.url(base, page + 1), role)


def find_listing(listings: tuple[Listing, ...], url: str, base: str) -> Listing | None:
    return next((item for item in listings if item.page_of(url, base) is not None), None)
