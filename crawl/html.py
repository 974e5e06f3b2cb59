"""Small BeautifulSoup helpers shared by the site parsers (all pure)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from crawl.urls import absolute

if TYPE_CHECKING:  # bs4 loads on first parse, keeping ``gaokerena --help`` fast
    from bs4 import BeautifulSoup, Tag

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
# Tags that never hold article text; removed before the body's text is read.
NOISE_TAGS = ("script", "style", "noscript", "aside", "nav", "form", "footer", "header",
              "iframe", "button", "svg", "template", "select", "input")


Keep = Callable[[str, Mapping[str, str]], bool]


def make_soup(html: str, keep: Keep | None = None) -> BeautifulSoup:
    """Parse with lxml, which repairs malformed HTML the way browsers roughly do.

    ``keep(name, attrs)`` limits the tree to the elements a parser reads (with everything
    inside them): building a Python object per tag is most of BeautifulSoup's cost, and a
    question page has hundreds of tags of menus and sidebars nobody reads.
    """
    from bs4 import BeautifulSoup

    if keep is None:
        return BeautifulSoup(html, "lxml")
    return BeautifulSoup(html, "lxml", parse_only=_keep_filter(keep))


def _keep_filter(keep: Keep):
    return _keep_filter_class()(keep)


@lru_cache(maxsize=1)
def _keep_filter_class():
    """bs4's filter hook, defined on first use so importing this module stays bs4-free."""
    from bs4.filter import ElementFilter

    class KeepFilter(ElementFilter):
        def __init__(self, keep: Keep) -> None:
            super().__init__()
            self.keep = keep

        def allow_tag_creation(self, nsprefix, name, attrs) -> bool:
            return self.keep(name, attrs or {})

        def allow_string_creation(self, string) -> bool:
            return False  # text outside kept elements

        def match(self, element, _known_rules: bool = False) -> bool:
            return True

    return KeepFilter


def keep_names(*names: str) -> Keep:
    """Keep elements by tag name: ``keep_names("a", "h1", "title")``."""
    wanted = frozenset(names)
    return lambda name, attrs: name in wanted


@lru_cache(maxsize=64)
def keep_css(selector: str, *names: str) -> Keep:
    """A cheap superset of a simple CSS selector (``div.x``, ``div#x``, ``div[class="a b"]``,
    ``div[class*="c "]``) plus the tags ``names``; the exact selector runs on the tree."""
    found = re.match(r"^([a-z0-9]*)(?:([.#])([\w-]+)|\[(class|id)[*^$]?=[\"']([^\"']+)[\"']\])?$",
                     selector.strip())
    if found is None:
        raise ValueError(f"keep_css understands div.x, div#x and div[class=\"x\"], "
                         f"got {selector!r}")
    tag, mark, token, attr, value = found.groups()
    key = "id" if mark == "#" or attr == "id" else "class"
    hint = token or value or ""
    extra = frozenset(names)

    def keep(name: str, attrs: Mapping[str, str]) -> bool:
        if name in extra:
            return True
        if tag and name != tag:
            return False
        raw = attrs.get(key, "")
        raw = " ".join(raw) if isinstance(raw, list) else raw
        return hint in f"{raw} " if key == "class" else raw == hint

    return keep


def clean_text(text: str) -> str:
    """Collapse runs of spaces, strip every line and drop empty lines (ZWNJ is kept)."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def text_of(node: Tag | None, separator: str = "\n") -> str:
    """Readable text of ``node`` (``""`` for None): block breaks become new lines."""
    if node is None:
        return ""
    return clean_text(node.get_text(separator))


def drop_tags(node: Tag, names: Iterable[str] = NOISE_TAGS) -> None:
    for tag in node.find_all(list(names)):
        tag.decompose()


def drop_classes(node: Tag, classes: Iterable[str]) -> None:
    for name in classes:
        for tag in node.find_all(class_=name):
            tag.decompose()


def title_of(soup: BeautifulSoup) -> str:
    """The page's ``<h1>``, else its ``<title>``: the headline people see."""
    for node in (soup.find("h1"), soup.title):
        text = text_of(node, " ")
        if text:
            return text
    return ""


def hrefs_in(nodes: Iterable[Tag], page_url: str) -> list[str]:
    """Absolute hrefs of the ``<a>`` tags in ``nodes``, in page order, repeats included
    (in-page, script, mail and phone links skipped)."""
    found = []
    for node in nodes:
        href = node.get("href")
        if isinstance(href, str) and href.strip() and not href.startswith(("#", "javascript:",
                                                                             "mailto:", "tel:")):
            found.append(absolute(href, page_url))
    return found


def links_in(nodes: Iterable[Tag], page_url: str) -> list[str]:
    """Absolute hrefs of the ``<a>`` tags in ``nodes``, in page order, without repeats."""
    return list(dict.fromkeys(hrefs_in(nodes, page_url)))
