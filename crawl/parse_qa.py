"""Pure parsers of the question-answer forums: ``parse_*(html, url, base) -> Page``.

Selectors follow the facts sheet (the Gaokerena-V crawlers); ``base`` is the site root the
crawl runs against (the real site, a mirror or a local fixture), so link rules are written
relative to it. A page whose question or answer is missing yields no entry (the seed wrote
the literal ``Tag not found.`` instead, which then had to be filtered out).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawl.html import (
    drop_tags,
    hrefs_in,
    keep_css,
    keep_names,
    links_in,
    make_soup,
    text_of,
    title_of,
)
from crawl.listing import Listing
from crawl.page import ARTICLE, QA, Entry, Link, Page
from crawl.urls import relative_path, under

DRHAST = "https://drhast.com"
NINIBAN = "https://niniban.com"
DOCTORYAB = "https://doctor-yab.ir"
ISOVISIT = "https://www.isovisit.com"

DRHAST_LISTING = Listing("/q/page-{page}", 1, 20)
DOCTORYAB_LISTING = Listing("/faq/?page={page}", 1, 5100)
ISOVISIT_LISTING = Listing("/questions?page={page}", 1, 1000)
NINIBAN_LAST_PAGE = 80

_DRHAST_PAGER = re.compile(r"/q/(page-\d+)?/?(\?.*)?$")

# The elements each parser reads; BeautifulSoup builds nothing else (see make_soup).
_LINKS = keep_names("a")
_DRHAST_QUESTION = keep_names("a", "h1", "h2", "span", "title")
_NINIBAN_ITEM = keep_css("div#echo_detail", "h1", "title")


# Predicates of the same kind, for pages whose fields are found by attribute.


def _doctoryab_item(name: str, attrs) -> bool:
    return name in ("h1", "title") or attrs.get("itemprop") == "text"


def _isovisit_item(name: str, attrs) -> bool:
    return name in ("h1", "title") or "-body" in str(attrs.get("class", ""))


def _field(node) -> str:
    """Text of one field; page chrome swallowed by unclosed tags (a footer inside an
    unterminated ``<p>``) is dropped, so malformed pages don't leak it into answers."""
    if node is None:
        return ""
    drop_tags(node)
    return text_of(node)


# --- drhast: a listing of the last 2,000 questions, each linking ~100 related ones ---------


def _drhast_question_links(soup, url: str, base: str) -> list[Link]:
    hrefs = [href for href in hrefs_in(soup.find_all("a", href=True), url)
             if under(href, base, "/q/")]
    # The site's last /q/ link is a pager / "more" link (facts sheet). Drop it before
    # removing repeats: when it repeats an earlier link, dropping after would lose the last
    # real related question instead.
    hrefs = list(dict.fromkeys(hrefs[:-1]))
    own = url.split("#", 1)[0].rstrip("/")
    return [Link(href, "question") for href in hrefs
            if not _DRHAST_PAGER.search(href) and href.rstrip("/") != own]


def parse_drhast_listing(html: str, url: str, base: str = DRHAST) -> Page:
    """``/q/page-N``: every ``/q/`` link but the last, plus the next listing page."""
    soup = make_soup(html, _LINKS)
    links = _drhast_question_links(soup, url, base)
    following = DRHAST_LISTING.next_link(url, base) if links else None
    return Page(links=links + ([following] if following else []))


def parse_drhast_question(html: str, url: str, base: str = DRHAST) -> Page:
    """A question page: the question, the first ``span[itemprop=text]`` as the answer and
    the related questions (the graph the BFS walks).

    >>> page = parse_drhast_question('<h2 class="main-question__body" itemprop="text">'
    ...     'سردرد دارم</h2><span itemprop="text">استراحت کنید</span>', 'https://drhast.com/q/1')
    >>> page.entries[0].answer
    'استراحت کنید'
    """
    soup = make_soup(html, _DRHAST_QUESTION)
    links = _drhast_question_links(soup, url, base)
    title = title_of(soup)
    # find() instead of CSS selectors here: same elements, a third of the time.
    question = " ".join(_field(soup.find("h2", class_="main-question__body",
                                         itemprop="text")).split())
    answer = _field(soup.find("span", itemprop="text"))
    entry = Entry(url, QA, title, question, answer, _qa_text(question, answer))
    return Page([entry] if entry.complete else [], links)


# --- niniban: categories -> question/article pages split by a marker ----------------------

_CATEGORY = re.compile(r"^/بخش-.+-\d+/?$")
# «سوال مخاطب نی‌نی‌بان» with or without its ZWNJs/spaces and Arabic yeh/kaf variants.
_NINIBAN_MARKER = re.compile(
    "سو[اآ]ل[\\s\u200c]*مخاطب[\\s\u200c]*ن[یيى][\\s\u200c]*ن[یيى][\\s\u200c]*بان[\\s:：]*"
)
_ANSWER_MARKER = re.compile(r"(?m)^\s*پاسخ(?:[\s\u200c]+[^\s:]+)?\s*[:：]\s*")


def parse_niniban_home(html: str, url: str, base: str = NINIBAN) -> Page:
    """The home page's category links ``/بخش-<slug>-<id>``, each as its page 1."""
    soup = make_soup(html, _LINKS)
    links = []
    for href in links_in(soup.find_all("a", href=True), url):
        path = relative_path(href, base)
        if under(href, base) and "?" not in path and _CATEGORY.match(path):
            links.append(Link(_with_page(href, 1), "listing"))
    return Page(links=links)


def parse_niniban_category(html: str, url: str, base: str = NINIBAN) -> Page:
    """A category page: ``<a>`` links whose parent is ``<h3>``, then ``?page=i+1`` (<= 80)."""
    soup = make_soup(html, keep_names("h3"))
    anchors = [a for a in soup.find_all("a", href=True) if a.parent is not None
               and a.parent.name == "h3"]
    links = [Link(href, "item") for href in links_in(anchors, url) if under(href, base)]
    page = int(dict(parse_qsl(urlsplit(url).query)).get("page", "1") or 1)
    if links and page < NINIBAN_LAST_PAGE:
        links.append(Link(_with_page(url, page + 1), "listing"))
    return Page(links=links)


def parse_niniban_item(html: str, url: str, base: str = NINIBAN) -> Page:
    """``div#echo_detail``: a question page when it holds «سوال مخاطب نی‌نی‌بان».

    The question is the text after the marker up to the first line starting with
    ``پاسخ ...:`` («پاسخ کارشناس:»); the answer is the rest. Without an answer marker the
    first paragraph after the marker is the question. Pages without the marker are
    articles.
    """
    soup = make_soup(html, _NINIBAN_ITEM)
    title = title_of(soup)
    text = _field(soup.find("div", id="echo_detail"))
    if not text:
        return Page()
    marker = _NINIBAN_MARKER.search(text)
    if marker is None:
        return Page([Entry(url, ARTICLE, title, text=text)])
    rest = text[marker.end():]
    split = _ANSWER_MARKER.search(rest)
    if split is not None:
        question, answer = rest[: split.start()].strip(), rest[split.end():].strip()
    else:
        question, _, answer = (part.strip() for part in rest.partition("\n"))
    entry = Entry(url, QA, title, question, answer, _qa_text(question, answer))
    return Page([entry] if entry.complete else [])


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["page"] = str(page)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# --- doctor-yab: numbered FAQ listing -> question pages -----------------------------------


def parse_doctoryab_listing(html: str, url: str, base: str = DOCTORYAB) -> Page:
    """Links under ``/faq/`` except the pager (``/faq/?page=N``) and the listing itself."""
    soup = make_soup(html, _LINKS)
    links = []
    for href in links_in(soup.find_all("a", href=True), url):
        path = relative_path(href, base)
        if under(href, base, "/faq/") and "page=" not in path and path.rstrip("/") != "/faq":
            links.append(Link(href, "item"))
    following = DOCTORYAB_LISTING.next_link(url, base) if links else None
    return Page(links=links + ([following] if following else []))


def parse_doctoryab_item(html: str, url: str, base: str = DOCTORYAB) -> Page:
    """Question: ``div[itemprop=text]`` with class exactly ``col-xs-12 faq-text``;
    answer: ``p.alert-warning2[itemprop=text]``."""
    soup = make_soup(html, _doctoryab_item)
    title = title_of(soup)
    question = _field(soup.find("div", attrs={"itemprop": "text",
                                              "class": "col-xs-12 faq-text"}))
    answer = _field(soup.find("p", class_="alert-warning2", itemprop="text"))
    entry = Entry(url, QA, title, question, answer, _qa_text(question, answer))
    return Page([entry] if entry.complete else [])


# --- isovisit: not in the seed; structure assumed (see docs/crawl.md) ---------------------


def parse_isovisit_listing(html: str, url: str, base: str = ISOVISIT) -> Page:
    """``/questions?page=N``: links under ``/question/`` (an assumption, see docs)."""
    soup = make_soup(html, _LINKS)
    links = [Link(href, "item") for href in links_in(soup.find_all("a", href=True), url)
             if under(href, base, "/question/")]
    following = ISOVISIT_LISTING.next_link(url, base) if links else None
    return Page(links=links + ([following] if following else []))


def parse_isovisit_item(html: str, url: str, base: str = ISOVISIT) -> Page:
    """Question in ``div.question-body``, the first ``div.answer-body`` as the answer."""
    soup = make_soup(html, _isovisit_item)
    title = title_of(soup)
    question = _field(soup.select_one("div.question-body"))
    answer = _field(soup.select_one("div.answer-body"))
    entry = Entry(url, QA, title, question, answer, _qa_text(question, answer))
    return Page([entry] if entry.complete else [])


def _qa_text(question: str, answer: str) -> str:
    return f"{question}\n\n{answer}" if question and answer else ""
