"""Canonical URLs and the record ids derived from them.

A page reached through two spellings of its address (``HTTP://Drhast.com/q/12/#a`` and
``http://drhast.com/q/12``) must get one id, or a resumed or distributed crawl writes it
twice. The rule, applied in this order:

1. scheme and host lower-cased, the default port (80/443) dropped;
2. the fragment dropped;
3. the path percent-decoded and re-encoded one way (Persian paths arrive both raw and
   ``%D8%A8...``), an empty path becomes ``/`` and a trailing ``/`` elsewhere is removed;
4. query parameters sorted (blank values kept).

The record id is the first 16 hex digits of SHA-1 over the canonical URL: stable across
runs, machines and Python versions.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def canonical_url(url: str) -> str:
    """Return the one spelling of ``url`` used for ids, the visited set and dedup.

    >>> canonical_url("HTTPS://Drhast.com:443/q/12/?b=2&a=1#top")
    'https://drhast.com/q/12?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = quote(unquote(parts.path), safe=_PATH_SAFE) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, host, path, query, ""))


def record_id(url: str) -> str:
    """Stable id of the record found at ``url``: 16 hex digits of SHA-1(canonical url)."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]


def absolute(href: str, page_url: str) -> str:
    """``href`` resolved against the page it was found on, without its fragment."""
    href = href.strip()
    if not href.startswith(("http://", "https://")):  # absolute hrefs skip urljoin (hot path)
        href = urljoin(page_url, href)
    return href.split("#", 1)[0]


@lru_cache(maxsize=256)
def _root_and_path(base: str, prefix: str) -> tuple[str, str]:
    want = unquote(base.rstrip("/") + "/" + prefix.lstrip("/"))
    scheme_end = want.find("//") + 2
    path_start = want.find("/", scheme_end)
    return want[:path_start].lower(), want[path_start:]


def under(url: str, base: str, prefix: str = "/") -> bool:
    """True when ``url`` is on ``base``'s host and its path starts with base path + prefix.

    Link rules are written relative to the site root (``/q/``), so the same rule matches
    the real site, a mirror and a fixture site served under ``http://127.0.0.1:8000/drhast``.
    Scheme and host compare case-insensitively, paths after percent-decoding.

    >>> under("https://Drhast.com/q/12", "https://drhast.com", "/q/")
    True
    """
    root, path = _root_and_path(base, prefix)
    target = unquote(url) if "%" in url else url
    return target[: len(root)].lower() == root and target[len(root):].startswith(path)
def relative_path(url: str, base: str) -> str:
    """Path of ``url`` below ``base`` (decoded), with its query: ``/q/page-2?x=1``."""
    target, root = urlsplit(url), urlsplit(base)
    path = unquote(target.path)[len(unquote(root.path.rstrip("/"))):] or "/"
    return path + (f"?{target.query}" if target.query else "")


def join_base(base: str, path: str) -> str:
    """``base`` + a site-root-relative ``path`` (``/q/page-1``), keeping base's own path."""
    return base.rstrip("/") + "/" + path.lstrip("/")
