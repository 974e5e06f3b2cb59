"""The durable crawl frontier: one SQLite file (WAL mode) in the job folder.

Scrapy's own JOBDIR forgets requests that were taken off its queue but not finished when
the process died (they are already in ``requests.seen``). Here every URL is a row that
stays ``pending`` until its page has been parsed *and* its records written, so a crawl
killed at any instant (SIGKILL included) re-fetches at most the pages that were in flight,
and the record writer drops the records it already has (see ``crawl/sink.py``).

The table is also the visited set (primary key = canonical URL) and the BFS queue:
pending rows are handed out in ``(depth, seq)`` order, where ``seq`` is the discovery
order, which is breadth-first order with FIFO ties.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from crawl.page import Link
from crawl.urls import canonical_url

PENDING, DONE, FAILED, BLOCKED = "pending", "done", "failed", "blocked"
FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    key     TEXT NOT NULL UNIQUE,      -- canonical url
    url     TEXT NOT NULL,             -- url as found, fetched as is
    role    TEXT NOT NULL,
    depth   INTEGER NOT NULL,
    state   TEXT NOT NULL DEFAULT 'pending',
    records INTEGER NOT NULL DEFAULT 0,
    error   TEXT,
    updated REAL
);
CREATE INDEX IF NOT EXISTS pages_queue ON pages (state, depth, seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Task:
    """A page to fetch, as handed to the spider."""

    url: str
    role: str
    depth: int
    seq: int


class JobMismatch(ValueError):
    """The job folder belongs to another site or base URL."""


class Frontier:
    """Pending/done/failed state of every URL of one crawl job."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Default isolation: DML opens a transaction and `with self._db` commits it atomically.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives the process being killed; the record file is
        # flushed (and fsynced) before the commit that marks its page done.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # -- job identity ----------------------------------------------------------------------

    def bind(self, identity: dict[str, str]) -> None:
        """Remember which site/base this job crawls; refuse to mix two crawls in one job."""
        stored = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        wanted = {**identity, "format_version": str(FORMAT_VERSION)}
        clash = {k: (stored[k], v) for k, v in wanted.items() if k in stored and stored[k] != v}
        if clash:
            detail = "; ".join(f"{k}: job has {old!r}, asked {new!r}"
                               for k, (old, new) in clash.items())
            raise JobMismatch(f"job folder {self.path.parent} belongs to another crawl "
                              f"({detail}); use a new --job folder")
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO meta VALUES (?, ?)", wanted.items())

    # -- queue -----------------------------------------------------------------------------

    def add(self, links: Iterable[Link], depth: int) -> int:
        """Insert unseen links (the visited set is the table itself); returns how many rows
        were added or moved to a smaller depth."""
        return self._insert(links, depth, in_transaction=False)

    def _insert(self, links: Iterable[Link], depth: int, in_transaction: bool) -> int:
        rows = [(canonical_url(link.url), link.url, link.role, depth, time.time())
                for link in links]
        before = self._db.total_changes
        # A pending page found again by a shorter path moves up to that depth: with several
        # pages in flight a deeper page can finish first, and keeping its depth would put the
        # page beyond --depth (never fetched) or too late in the BFS order.
        sql = ("INSERT INTO pages (key, url, role, depth, updated) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (key) DO UPDATE SET depth = excluded.depth "
               f"WHERE pages.state = '{PENDING}' AND excluded.depth < pages.depth")
        if in_transaction:
            self._db.executemany(sql, rows)
        else:
            with self._db:
                self._db.executemany(sql, rows)
        return self._db.total_changes - before

    def next_tasks(self, limit: int, max_depth: int | None, exclude: set[int]) -> list[Task]:
        """The first ``limit`` pending pages in BFS order, skipping those in flight."""
        depth_cap = max_depth if max_depth is not None else 2**62
        rows = self._db.execute(
            "SELECT url, role, depth, seq FROM pages WHERE state = ? AND depth <= ? "
            "ORDER BY depth, seq LIMIT ?",
            (PENDING, depth_cap, limit + len(exclude)),
        ).fetchall()
        tasks = [Task(*row) for row in rows if row[3] not in exclude]
        return tasks[:limit]

    def complete(self, seq: int, records: int, links: Iterable[Link],
                 link_depth_of: dict[str, int]) -> None:
        """Atomically: mark page ``seq`` done and add the links found on it."""
        with self._db:
            grouped: dict[int, list[Link]] = {}
            for link in links:
                grouped.setdefault(link_depth_of[link.role], []).append(link)
            for depth, group in grouped.items():
                self._insert(group, depth, in_transaction=True)
            self._db.execute("UPDATE pages SET state = ?, records = ?, error = NULL, "
                             "updated = ? WHERE seq = ?", (DONE, records, time.time(), seq))

    def fail(self, seq: int, error: str, state: str = FAILED) -> None:
        with self._db:
            self._db.execute("UPDATE pages SET state = ?, error = ?, updated = ? WHERE seq = ?",
                             (state, error[:500], time.time(), seq))

    def retry_failed(self) -> int:
        """Put failed pages back in the queue (``--retry-failed``)."""
        with self._db:
            return self._db.execute("UPDATE pages SET state = ?, error = NULL WHERE state = ?",
                                    (PENDING, FAILED)).rowcount

    # -- reporting -------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM pages GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in (PENDING, DONE, FAILED, BLOCKED)}

    def records_written(self) -> int:
        """Records found on pages marked done (they are in the job's output file)."""
        row = self._db.execute("SELECT COALESCE(SUM(records), 0) FROM pages WHERE state = ?",
                               (DONE,)).fetchone()
        return int(row[0])

    def failures(self) -> list[dict]:
        rows = self._db.execute("SELECT url, role, depth, state, error FROM pages "
                                "WHERE state IN (?, ?) ORDER BY seq", (FAILED, BLOCKED))
        return [dict(zip(("url", "role", "depth", "state", "error"), row, strict=True))
                for row in rows]
