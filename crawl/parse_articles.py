"""Pure parsers of the health magazines: listings, sitemaps and article bodies.

The eleven magazine crawlers of the seed differ only in data (listing pages, link rule,
body selector, cleanup), so one set of functions reads an :class:`ArticleRules` instead of
eleven copies of a loop. The rules for each site are in ``crawl/sites.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawl.html import (
    drop_classes,
    drop_tags,
    keep_css,
    keep_names,
    links_in,
    make_soup,
    text_of,
    title_of,
)
from crawl.listing import Listing, find_listing
from crawl.page import ARTICLE, Entry, Link, Page
from crawl.urls import under

_CSS_BLOCK = re.compile(r"[^{}\n]*\{[^{}]*\}")


@dataclass(frozen=True)
class ArticleRules:
    """How one magazine is laid out.

    Attributes:
        listings: numbered listing pages (listing-based sites).
        sitemaps: site-root-relative sitemap paths (sitemap-based sites).
        link_prefix: article links start with base + this path.
        link_parent: only ``<a>`` whose parent tag has this name (``article``, ``h3``).
        link_container: only ``<a>`` inside elements matching this CSS selector.
        loc_prefix: sitemap ``<loc>`` values kept when under base + this path.
        child_sitemaps: in a sitemap index, follow only children whose URL contains this.
        body: CSS selector of the article body (``div[class="a b"]`` = exact class string).
        drop_classes: descendants with these classes are removed from the body.
        cut_at: the body text is cut before this phrase (a "was this useful?" footer).
        strip_css: remove ``selector { ... }`` blocks pasted into the body text.
    """

    body: str
    listings: tuple[Listing, ...] = ()
    sitemaps: tuple[str, ...] = ()
    link_prefix: str = "/"
    link_parent: str | None = None
    link_container: str | None = None
    loc_prefix: str = "/"
    child_sitemaps: str = ""
    drop_classes: tuple[str, ...] = ()
    cut_at: str | None = None
    strip_css: bool = False

    def __post_init__(self) -> None:
        if not self.listings and not self.sitemaps:
            raise ValueError("an article site needs listings=(Listing(...),) or "
                             "sitemaps=('/sitemap.xml',)")


def parse_listing(html: str, url: str, base: str, rules: ArticleRules) -> Page:
    """Article links of a listing page, then the next listing page while items remain."""
    if rules.link_container:
        soup = make_soup(html)  # containers are CSS; build the whole tree
    else:
        soup = make_soup(html, keep_names(rules.link_parent or "a"))
    if rules.link_container:
        anchors = [a for box in soup.select(rules.link_container)
                   for a in box.find_all("a", href=True)]
    else:
        anchors = soup.find_all("a", href=True)
    if rules.link_parent:
        anchors = [a for a in anchors if a.parent is not None and a.parent.name ==
                   rules.link_parent]
    links = [Link(href, "article") for href in links_in(anchors, url)
             if under(href, base, rules.link_prefix)
             and find_listing(rules.listings, href, base) is None]
    listing = find_listing(rules.listings, url, base)
    following = listing.next_link(url, base) if listing is not None and links else None
    return Page(links=links + ([following] if following else []))


def parse_sitemap(xml: str, url: str, base: str, rules: ArticleRules) -> Page:
    """A sitemap index leads to its child sitemaps; a urlset to the kept article locs.

    The seed's nabz crawler fetched the child sitemaps of an index as if they were
    articles; here they are parsed as sitemaps.
    """
    kind, locs = sitemap_locs(xml)
    if kind == "sitemapindex":
        return Page(links=[Link(loc, "sitemap") for loc in locs
                           if under(loc, base) and rules.child_sitemaps in loc])
    return Page(links=[Link(loc, "article") for loc in locs
                       if under(loc, base, rules.loc_prefix) and "wp-content" not in loc])


def sitemap_locs(xml: str) -> tuple[str, list[str]]:
    """The root's kind (urlset or sitemapindex) and each entry's own ``<loc>``.

    Parsed with lxml directly, as Scrapy's Sitemap does (recovering, no entity resolution,
    no network), but without importing Scrapy: Twisted's reactor module, which Scrapy pulls
    in, declares interfaces on ``abc.ABC`` and so breaks Gradio components built later in
    the same process. Only an entry's direct ``loc`` counts (not ``image:loc`` and such).
    """
    from lxml import etree

    parser = etree.XMLParser(recover=True, remove_comments=True, resolve_entities=False,
                             no_network=True)
    try:
        root = etree.fromstring(xml.encode("utf-8"), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return "", []
    if root is None:  # a broken sitemap is a page without links
        return "", []
    locs = []
    for entry in root:
        for child in entry:
            if isinstance(child.tag, str) and etree.QName(child).localname == "loc" and child.text:
                locs.append(child.text.strip())
                break
    return etree.QName(root).localname, locs


def parse_article(html: str, url: str, base: str, rules: ArticleRules) -> Page:
    """Title and cleaned body text; no entry when the body is missing or empty."""
    soup = make_soup(html, keep_css(rules.body, "h1", "title"))
    body = soup.select_one(rules.body)
    if body is None:
        return Page()
    drop_tags(body)
    drop_classes(body, rules.drop_classes)
    text = text_of(body)
    if rules.cut_at and rules.cut_at in text:
        text = text[: text.index(rules.cut_at)].strip()
    if rules.strip_css:
        text = _strip_css(text)
    entry = Entry(url, ARTICLE, title_of(soup), text=text)
    return Page([entry] if entry.complete else [])


def _strip_css(text: str) -> str:
    """Remove ``selector { ... }`` blocks, nested ones from the inside out."""
    previous = None
    while previous != text:
        previous, text = text, _CSS_BLOCK.sub("", text)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())
