"""The sites the crawler knows: where each starts and which parser reads which page.

One :class:`SiteSpec` per spider. Every page in the frontier carries a ``role`` (listing,
question, item, article, sitemap, home) that picks its parser, so a resumed crawl parses
a page the same way the first run would have. Base URLs are the real sites; ``--base-url``
points a crawl at a mirror or a local fixture site with the same layout.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

from crawl import parse_articles as art
from crawl import parse_qa as qa
from crawl.listing import Listing
from crawl.page import ARTICLE, QA, Link, Page
from crawl.urls import join_base

Parser = Callable[[str, str, str], Page]


@dataclass(frozen=True)
class SiteSpec:
    """A site: its spider name, record ``site`` value, default base, starts and parsers."""

    name: str
    base: str
    kind: str
    description: str
    starts: tuple[tuple[str, str], ...]  # (site-root-relative path, role)
    parsers: Mapping[str, Parser] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        """The record's ``site`` field: the real site's host, whatever base was crawled."""
        host = urlsplit(self.base).hostname or self.name
        return host.removeprefix("www.")

    def start_links(self, base: str | None = None) -> list[Link]:
        return [Link(join_base(base or self.base, path), role) for path, role in self.starts]

    def parse(self, role: str, html: str, url: str, base: str | None = None) -> Page:
        try:
            parser = self.parsers[role]
        except KeyError:
            raise ValueError(f"site {self.name} has no parser for role {role!r}; "
                             f"roles: {sorted(self.parsers)}") from None
        return parser(html, url, base or self.base)


def _article_site(name: str, base: str, description: str, rules: art.ArticleRules) -> SiteSpec:
    starts = tuple((listing.template.format(page=listing.first), "listing")
                   for listing in rules.listings)
    starts += tuple((path, "sitemap") for path in rules.sitemaps)
    return SiteSpec(
        name, base, ARTICLE, description, starts,
        {"listing": partial(_call, art.parse_listing, rules=rules),
         "sitemap": partial(_call, art.parse_sitemap, rules=rules),
         "article": partial(_call, art.parse_article, rules=rules)},
    )


def _call(function, html: str, url: str, base: str, *, rules: art.ArticleRules) -> Page:
    return function(html, url, base, rules)


_DARMANKADE_CATEGORIES = {"medicine": 22, "psychological-health": 23, "diseases": 83,
                          "mother-and-child": 17, "health": 34, "medical-tests": 10}
_WP_FOOTERS = ("ez-toc-container-direction", "aiosrs-rating-wrap",
               "stream-item-below-post-content", "post-bottom-source")

SITES: dict[str, SiteSpec] = {spec.name: spec for spec in (
    SiteSpec("drhast", qa.DRHAST, QA,
             "drhast.com doctor answers: BFS over the related-questions graph from /q/page-1..20",
             (("/q/page-1", "listing"),),
             {"listing": qa.parse_drhast_listing, "question": qa.parse_drhast_question}),
    SiteSpec("niniban", qa.NINIBAN, QA,
             "niniban.com: categories -> question pages (split into question/answer) and "
             "articles", (("/", "home"),),
             {"home": qa.parse_niniban_home, "listing": qa.parse_niniban_category,
              "item": qa.parse_niniban_item}),
    SiteSpec("doctoryab", qa.DOCTORYAB, QA, "doctor-yab.ir FAQ: /faq/?page=1..5100",
             (("/faq/?page=1", "listing"),),
             {"listing": qa.parse_doctoryab_listing, "item": qa.parse_doctoryab_item}),
    SiteSpec("isovisit", qa.ISOVISIT, QA,
             "isovisit.com questions (layout assumed, see docs/crawl.md)",
             (("/questions?page=1", "listing"),),
             {"listing": qa.parse_isovisit_listing, "item": qa.parse_isovisit_item}),
    _article_site("darmankade", "https://www.darmankade.com",
                  "darmankade.com blog, six categories", art.ArticleRules(
                      body="div.entry-content",
                      listings=tuple(Listing(f"/blog/{cat}/page/{{page}}/", 0, last - 1)
                                     for cat, last in _DARMANKADE_CATEGORIES.items()),
                      link_prefix="/blog/", link_parent="article",
                      cut_at="آیا این مقاله برای شما مفید بود؟")),
    _article_site("doctoreto", "https://doctoreto.com", "doctoreto.com blog, all posts",
                  art.ArticleRules(body="div.start-content",
                                   listings=(Listing("/blog/all-posts/page/{page}/", 1, 264),),
                                   link_prefix="/blog/")),
    _article_site("hamrahteb", "https://hamrah-teb.com", "hamrah-teb.com blogs",
                  art.ArticleRules(body='div[class="article-content text-justify"]',
                                   listings=(Listing("/blogs?page={page}", 1, 53),),
                                   link_prefix="/blog/", link_container="div.post-content")),
    _article_site("hidoctor", "https://www.hidoctor.ir", "hidoctor.ir posts",
                  art.ArticleRules(
                      body='div[class="post-content typography single-post-body clearfix '
                           'progressive"]',
                      listings=(Listing("/page/{page}/", 1, 14736),), link_parent="article")),
    _article_site("seebmagazine", "https://seebmagazine.com", "seebmagazine.com medical articles",
                  art.ArticleRules(
                      body="div#cont_p", strip_css=True, link_container="div.grid_img",
                      listings=(Listing("/category/medical-articles/page/{page}/", 1, 39),))),
    _article_site("extern", "https://extern.ir", "extern.ir health articles (sitemap)",
                  art.ArticleRules(body="div.paper__content",
                                   sitemaps=("/extern_health-sitemap.xml",),
                                   loc_prefix="/health")),
    _article_site("paziresh24", "https://www.paziresh24.com", "paziresh24 blog (sitemap)",
                  art.ArticleRules(body="div.entry-content", drop_classes=_WP_FOOTERS,
                                   sitemaps=("/blog/sitemap_index.xml",),
                                   child_sitemaps="post-sitemap", loc_prefix="/blog/")),
    _article_site("majalepezeshki", "https://majalepezeshki.com",
                  "majalepezeshki articles (sitemap)",
                  art.ArticleRules(body='div[class*="content "]', sitemaps=("/post-sitemap.xml",),
                                   loc_prefix="/article")),
    _article_site("nabz", "https://nabz.ir", "nabz health magazine (sitemap index)",
                  art.ArticleRules(body='div[class*="content "]',
                                   sitemaps=("/sitemap_index.xml",))),
    _article_site("salammag", "https://salammag.com", "salammag articles (sitemap)",
                  art.ArticleRules(body='div[class*="content "]',
                                   sitemaps=("/post-sitemap1.xml",))),
)}


def get_site(name: str) -> SiteSpec:
    try:
        return SITES[name]
    except KeyError:
        raise ValueError(f"unknown site {name!r}; known: {', '.join(sorted(SITES))}") from None
