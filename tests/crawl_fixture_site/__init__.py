"""A fixture website for the crawler tests and benchmarks, served on 127.0.0.1.

Pages follow the layouts in the facts sheet (drhast's question pages with related links and
a throw-away last ``/q/`` link, niniban's ``div#echo_detail`` with its marker, doctor-yab's
exact class strings, WordPress-style sitemaps), filled with generated Persian text. Each
site lives under its own prefix (``/drhast``, ``/niniban`` ...) of one server, which is
what ``--base-url`` is for. ``robots.txt`` is at the root, as on any host.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

WORDS = ("سردرد", "بارداری", "دکتر", "درمان", "قرص", "آزمایش", "خون", "فشار", "معده", "درد",
         "کودک", "تب", "سرفه", "پزشک", "داروی", "روزانه", "مصرف", "عفونت", "حساسیت", "پوست",
         "خواب", "تغذیه", "ویتامین", "قند", "کلسترول", "کبد", "کلیه", "سونوگرافی", "هفته",
         "ماه", "علائم", "بیماری", "توصیه", "می‌شود", "است", "دارم", "باید", "بهتر", "مراجعه",
         "کنید", "نگران", "نباشید", "شدید", "خفیف", "استراحت", "آب", "زیاد", "بنوشید")
ROBOTS = "User-agent: *\nDisallow: /drhast/q/private-\nDisallow: /doctoryab/faq/secret\n"


def persian(rng: random.Random, words: int) -> str:
    """Deterministic Persian-looking medical prose of ``words`` words."""
    out = []
    for i in range(words):
        out.append(rng.choice(WORDS))
        if i % 11 == 10:
            out[-1] += "."
    return " ".join(out) + "."


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0


@dataclass
class FixtureSite:
    """Routes by decoded path (with query) and the log of what was requested, in order."""

    routes: dict[str, Route] = field(default_factory=dict)
    delay: float = 0.0
    log: list[str] = field(default_factory=list)
    # While ``gate`` is set and not open, pages outside ``ungated`` wait for it (robots.txt
    # never waits): lets a test hold a crawl at a known point.
    gate: threading.Event | None = None
    ungated: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, html: str, **kwargs) -> None:
        self.routes[path] = Route(html.encode("utf-8"), **kwargs)

    def hits(self) -> Counter:
        with self._lock:
            return Counter(self.log)


def _page(title: str, body: str, head: str = "") -> str:
    return (f"<!DOCTYPE html><html lang='fa' dir='rtl'><head><meta charset='utf-8'>{head}"
            f"<title>{title}</title></head><body><header><a href='/'>خانه</a></header>"
            f"{body}<footer>تمام حقوق محفوظ است</footer></body></html>")


# --- drhast ------------------------------------------------------------------------------


@dataclass
class DrhastGraph:
    """Questions 1..n; ``related[i]`` in page order; listing pages list the roots."""

    related: dict[int, list[int]]
    listing: list[list[int]]
    no_answer: set[int] = field(default_factory=set)
    private: set[int] = field(default_factory=set)
    broken: set[int] = field(default_factory=set)
    slow: set[int] = field(default_factory=set)

    @property
    def dead(self) -> set[int]:
        """Questions whose page is never read: blocked by robots.txt, HTTP 500, timeout."""
        return self.private | self.broken | self.slow

    def bfs(self) -> list[int]:
        """Expected visit order: FIFO from the listing roots, each question once."""
        seen: set[int] = set()
        order: list[int] = []
        queue = deque(q for page in self.listing for q in page)
        while queue:
            q = queue.popleft()
            if q in seen:
                continue
            seen.add(q)
            order.append(q)
            if q in self.dead:
                continue  # never fetched, so its links are never seen
            queue.extend(self.related.get(q, []))
        return order


def drhast_graph(n: int = 40, fanout: int = 3, roots_per_page: int = 3, pages: int = 2,
                 seed: int = 7) -> DrhastGraph:
    """A related-questions graph with cycles; the last few questions are unreachable."""
    rng = random.Random(seed)
    reachable = n - 3
    related = {}
    for q in range(1, n + 1):
        if q > reachable:
            related[q] = [rng.randint(1, reachable) for _ in range(fanout)]
        else:
            related[q] = rng.sample(range(1, reachable + 1), fanout)
    listing = [list(range(1 + p * roots_per_page, 1 + (p + 1) * roots_per_page))
               for p in range(pages)]
    return DrhastGraph(related, listing)


def qpath(q: int, graph: DrhastGraph) -> str:
    return f"/q/private-{q}" if q in graph.private else f"/q/{q}-سوال"


def add_drhast(site: FixtureSite, graph: DrhastGraph, prefix: str = "/drhast",
               seed: int = 1, slow_delay: float = 3.0) -> None:
    rng = random.Random(seed)
    for number, roots in enumerate([*graph.listing, []], start=1):
        links = "".join(f"<li><a href='{prefix}{qpath(q, graph)}'>{persian(rng, 6)}</a></li>"
                        for q in roots)
        pager = f"<a href='{prefix}/q/page-{number + 1}'>بعدی</a>"
        site.add(f"{prefix}/q/page-{number}",
                 _page("پرسش و پاسخ", f"<ul>{links}</ul>{pager}"))
    for q, related in graph.related.items():
        answer = ("" if q in graph.no_answer else
                  f"<div class='answer'><span itemprop='text'>{persian(rng, 40)}</span></div>")
        links = "".join(f"<li><a href='{prefix}{qpath(r, graph)}'>{persian(rng, 5)}</a></li>"
                        for r in related)
        body = (f"<h1>سوال {q}</h1><h2 class='main-question__body' itemprop='text'>"
                f"{persian(rng, 25)}</h2>{answer}<aside><ul>{links}</ul>"
                f"<a href='{prefix}/q/new'>پرسش جدید</a></aside>")
        status = 500 if q in graph.broken else 200
        delay = slow_delay if q in graph.slow else 0.0
        site.add(prefix + qpath(q, graph), _page(f"سوال {q}", body), status=status, delay=delay)


# --- niniban, doctor-yab, magazines --------------------------------------------------------

NINIBAN_MARKER = "سوال مخاطب نی‌نی‌بان"


def add_niniban(site: FixtureSite, prefix: str = "/niniban", seed: int = 2) -> dict[str, str]:
    """Two categories x two pages; returns {path: kind} of the pages that make records."""
    rng = random.Random(seed)
    expected: dict[str, str] = {}
    cats = ["/بخش-بارداری-12", "/بخش-کودک-34"]
    site.add(prefix + "/", _page("نی‌نی‌بان", "".join(
        f"<a href='{prefix}{c}'>{c}</a>" for c in cats) + f"<a href='{prefix}/درباره'>ما</a>"))
    counter = 0
    for c in cats:
        for page in (1, 2):
            items = []
            for _ in range(3):
                counter += 1
                path = f"/مطلب-{counter}"
                items.append(f"<h3><a href='{prefix}{path}'>{persian(rng, 4)}</a></h3>")
                if counter % 3 == 0:
                    body = f"<div id='echo_detail'><p>{persian(rng, 60)}</p></div>"
                    expected[prefix + path] = "article"
                elif counter % 5 == 0:
                    body = "<div id='other'>بدون متن</div>"  # no body: no record
                else:
                    body = (f"<div id='echo_detail'><p><strong>{NINIBAN_MARKER}:</strong></p>"
                            f"<p>{persian(rng, 30)}</p><p><strong>پاسخ کارشناس:</strong></p>"
                            f"<p>{persian(rng, 50)}</p></div>")
                    expected[prefix + path] = "qa"
                site.add(prefix + path, _page(f"مطلب {counter}", f"<h1>مطلب {counter}</h1>{body}"))
            site.add(f"{prefix}{c}?page={page}",
                     _page("بخش", "".join(items) + f"<a href='{prefix}/'>خانه</a>"))
        site.add(f"{prefix}{c}?page=3", _page("بخش", "<p>مطلبی نیست</p>"))
    return expected


def to_cp1256(html: str) -> bytes:
    """windows-1256 has no Persian yeh: old sites wrote the Arabic ي instead."""
    return html.replace("charset='utf-8'", "charset='windows-1256'").replace(
        "ی", "ي").encode("cp1256")


def doctoryab_question(rng: random.Random) -> tuple[str, str, str]:
    question, answer = persian(rng, 20), persian(rng, 35)
    html = _page("پرسش", f"<h1>پرسش</h1><div itemprop='text' class='col-xs-12 faq-text'>"
                 f"{question}</div><p class='alert-warning2' itemprop='text'>{answer}</p>")
    return html, question, answer


def add_doctoryab(site: FixtureSite, prefix: str = "/doctoryab", items: int = 6,
                  seed: int = 3) -> dict[str, tuple[str, str]]:
    """Two listing pages with pager links; item 1 is windows-1256 (header), item 2 says
    its charset only in a meta tag, item 3 is malformed HTML, item 4 lacks its answer, the
    last item is cut off in the middle of its question. Returns the records expected,
    {path: (question, answer)} as a reader sees them."""
    rng = random.Random(seed)
    expected: dict[str, tuple[str, str]] = {}
    for page in (1, 2, 3):
        ids = range(1 + (page - 1) * items // 2, 1 + page * items // 2) if page < 3 else []
        links = "".join(f"<a href='{prefix}/faq/{i}'>پرسش {i}</a>" for i in ids)
        pager = "".join(f"<a href='{prefix}/faq/?page={p}'>{p}</a>" for p in (1, 2, 3))
        site.add(f"{prefix}/faq/?page={page}", _page("پرسش‌ها", links + pager))
    for i in range(1, items + 1):
        html, question, answer = doctoryab_question(rng)
        if i in (1, 2):
            question, answer = question.replace("ی", "ي"), answer.replace("ی", "ي")
        if i not in (4, items):
            expected[f"{prefix}/faq/{i}"] = (question, answer)
        if i == 1:
            site.routes[f"{prefix}/faq/{i}"] = Route(
                to_cp1256(html), content_type="text/html; charset=windows-1256")
        elif i == 2:
            site.routes[f"{prefix}/faq/{i}"] = Route(to_cp1256(html), content_type="text/html")
        elif i == 3:  # unclosed and stray tags, no end of document: still one good record
            site.add(f"{prefix}/faq/{i}", html.replace("</p>", "").replace(
                "<h1>", "</span></td><h1><b>").replace("</body></html>", ""))
        elif i == 4:
            site.add(f"{prefix}/faq/{i}", html.split("<p class='alert-warning2'")[0])
        elif i == items:
            site.add(f"{prefix}/faq/{i}", html[: html.index("faq-text") + 30])
        else:
            site.add(f"{prefix}/faq/{i}", html)
    return expected


def add_sitemap_magazine(site: FixtureSite, prefix: str, base: str, articles: int,
                         seed: int = 4) -> None:
    """nabz-style: /sitemap_index.xml -> post sitemaps -> articles (plus a wp-content loc)."""
    rng = random.Random(seed)
    chunk = max(1, articles // 2)
    children = []
    for part, start in enumerate(range(0, articles, chunk), start=1):
        locs = [f"{base}{prefix}/{i}-مقاله" for i in range(start, min(articles, start + chunk))]
        locs.append(f"{base}{prefix}/wp-content/uploads/a.jpg")
        xml = ("<?xml version='1.0' encoding='UTF-8'?><urlset "
               "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
               + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>")
        site.add(f"{prefix}/post-sitemap{part}.xml", xml, content_type="application/xml")
        children.append(f"{base}{prefix}/post-sitemap{part}.xml")
    index = ("<?xml version='1.0' encoding='UTF-8'?><sitemapindex "
             "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
             + "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
             + "</sitemapindex>")
    site.add(f"{prefix}/sitemap_index.xml", index, content_type="application/xml")
    for i in range(articles):
        body = (f"<h1>مقاله {i}</h1><div class='entry content clearfix'><p>{persian(rng, 80)}</p>"
                f"<script>var x = 1;</script><p>{persian(rng, 60)}</p></div>")
        site.add(f"{prefix}/{i}-مقاله", _page(f"مقاله {i}", body))


def add_listing_magazine(site: FixtureSite, prefix: str = "/seeb", seed: int = 5) -> list[str]:
    """seebmagazine-style: /category/medical-articles/page/N/ with links in div.grid_img,
    bodies in div#cont_p with CSS pasted into the text. Returns the article paths."""
    rng = random.Random(seed)
    paths = []
    for page in (1, 2, 3):
        items = []
        for i in range(3 if page < 3 else 0):
            path = f"{prefix}/مقاله-{page}-{i}"
            paths.append(path)
            items.append(f"<div class='grid_img'><a href='{path}'>{persian(rng, 4)}</a></div>")
            body = (f"<h1>مقاله {page}-{i}</h1><div id='cont_p'>.IRPP_ruby .postImage "
                    f"{{ float: right; }}\n<p>{persian(rng, 50)}</p></div>")
            site.add(path, _page(f"مقاله {page}-{i}", body))
        nav = f"<a href='{prefix}/about'>درباره</a>"
        site.add(f"{prefix}/category/medical-articles/page/{page}",
                 _page("مقالات پزشکی", nav + "".join(items)))
    return paths


# --- the server ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    site: FixtureSite

    def do_GET(self) -> None:
        path = unquote(self.path)
        with self.site._lock:
            self.site.log.append(path)
        if path == "/robots.txt":
            route = Route(ROBOTS.encode(), content_type="text/plain")
        else:
            route = self.site.routes.get(path) or self.site.routes.get(path.rstrip("/"))
            if route is None:
                route = Route(b"<html><body>not found</body></html>", status=404)
        gate = self.site.gate
        if gate is not None and path != "/robots.txt" and path not in self.site.ungated:
            gate.wait(timeout=60)
        pause = route.delay or self.site.delay
        if pause:
            time.sleep(pause)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


class FixtureServer:
    """``with FixtureServer(site) as root:`` serves ``site`` on 127.0.0.1 at a free port."""

    def __init__(self, site: FixtureSite) -> None:
        handler = type("Handler", (_Handler,), {"site": site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return self.root

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
