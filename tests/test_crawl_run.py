"""End-to-end crawls of the fixture website on 127.0.0.1 through the real CLI.

Each crawl runs ``gaokerena crawl ...`` in a subprocess (one Twisted reactor per process,
as in real use) with politeness off, against a threaded server whose request log shows
what was fetched, in which order and how often.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawl.urls import record_id
from tests.crawl_fixture_site import (
    FixtureServer,
    FixtureSite,
    add_doctoryab,
    add_drhast,
    add_listing_magazine,
    add_niniban,
    add_sitemap_magazine,
    drhast_graph,
    qpath,
)

GAOKERENA = str(Path(sys.executable).with_name("gaokerena"))
FAST = ["--delay", "0", "--no-autothrottle", "--quiet", "--json", "--no-fsync"]


def crawl_command(site: str, base: str, out: Path, *extra: str) -> list[str]:
    return [GAOKERENA, "crawl", site, "--out", str(out), "--base-url", base, *FAST, *extra]


def run(command: list[str], timeout: float = 60) -> dict:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def read_ids(path: Path) -> list[str]:
    return [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- drhast: BFS, robots.txt, 500s and timeouts in one crawl ------------------------------


@pytest.fixture(scope="module")
def drhast_crawl(tmp_path_factory):
    graph = drhast_graph(n=40, fanout=3)
    order = graph.bfs()
    graph.private, graph.broken, graph.slow = {order[7]}, {order[10]}, {order[13]}
    graph.no_answer = {order[16]}
    site = FixtureSite()
    add_drhast(site, graph, slow_delay=2.5)
    out = tmp_path_factory.mktemp("drhast") / "drhast.jsonl"
    with FixtureServer(site) as root:
        summary = run(crawl_command("drhast", f"{root}/drhast", out, "--timeout", "1",
                                    "--retries", "2"))
    return graph, site, root, out, summary


def test_bfs_fetches_every_reachable_question_once_in_breadth_first_order(drhast_crawl):
    graph, site, _, _, summary = drhast_crawl
    fetched = [path for path in site.log if path.startswith("/drhast/q/")
               and "/page-" not in path]
    first_seen = list(dict.fromkeys(fetched))
    expected = [f"/drhast{qpath(q, graph)}" for q in graph.bfs() if q not in graph.private]
    assert first_seen == expected
    hits = site.hits()
    retried = {f"/drhast{qpath(q, graph)}" for q in graph.broken | graph.slow}
    assert all(hits[path] == 1 for path in expected if path not in retried)
    assert "/drhast/q/new" not in hits  # the throw-away last link is never followed
    unreachable = {f"/drhast{qpath(q, graph)}" for q in graph.related} - set(expected)
    assert unreachable and not unreachable & set(hits)
    assert summary["finish_reason"] == "finished" and summary["complete"]


def test_output_has_one_record_per_readable_question_with_all_fields(drhast_crawl):
    graph, _, root, out, summary = drhast_crawl
    good = [q for q in graph.bfs() if q not in graph.dead | graph.no_answer]
    rows = records(out)
    assert sorted(r["id"] for r in rows) == sorted(
        record_id(f"{root}/drhast{qpath(q, graph)}") for q in good)
    assert summary["records"] == len(good)
    for row in rows:
        assert set(row) == {"id", "url", "site", "kind", "title", "question", "answer", "text",
                            "crawled_at"}
        assert row["site"] == "drhast.com" and row["kind"] == "qa"
        assert row["question"] and row["answer"] and row["text"]


def test_robots_disallow_is_honoured_and_recorded(drhast_crawl):
    graph, site, _, out, _ = drhast_crawl
    (private,) = graph.private
    assert f"/drhast{qpath(private, graph)}" not in site.hits()
    failures = [json.loads(line) for line in
                (out.parent / "drhast.jsonl.job" / "failures.jsonl").read_text().splitlines()]
    blocked = [f for f in failures if f["state"] == "blocked"]
    assert [f["url"].rsplit("/", 1)[-1] for f in blocked] == [f"private-{private}"]
    assert blocked[0]["error"] == "forbidden by robots.txt"


def test_500s_and_timeouts_are_retried_then_recorded_as_failures(drhast_crawl):
    graph, site, _, out, summary = drhast_crawl
    hits = site.hits()
    (broken,), (slow,) = graph.broken, graph.slow
    assert hits[f"/drhast{qpath(broken, graph)}"] == 3  # 1 try + 2 retries
    assert hits[f"/drhast{qpath(slow, graph)}"] == 3
    failures = {json.loads(line)["url"].rsplit("/", 1)[-1]: json.loads(line) for line in
                (out.parent / "drhast.jsonl.job" / "failures.jsonl").read_text().splitlines()}
    assert failures[qpath(broken, graph).rsplit("/", 1)[-1]]["error"] == "HTTP 500"
    assert "Timeout" in failures[qpath(slow, graph).rsplit("/", 1)[-1]]["error"]
    assert summary["pages"]["failed"] == 2 and summary["pages"]["blocked"] == 1


def test_output_loads_with_datasets(drhast_crawl):
    from datasets import load_dataset

    _, _, _, out, summary = drhast_crawl
    dataset = load_dataset("json", data_files=str(out), split="train")
    assert dataset.num_rows == summary["records"]
    assert {"id", "question", "answer", "site", "kind"} <= set(dataset.column_names)


# --- pause / resume ------------------------------------------------------------------------


def _wait_for_lines(path: Path, lines: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= lines:
            return
        if process.poll() is not None:
            pytest.fail(f"crawl ended before it could be killed: {process.stderr.read()}")
        time.sleep(0.02)
    pytest.fail(f"{path} never reached {lines} lines")


@pytest.mark.slow
def test_sigkill_mid_crawl_then_resume_gives_exactly_the_full_set(tmp_path):
    graph = drhast_graph(n=40, fanout=3, seed=11)
    site = FixtureSite(delay=0.03)
    add_drhast(site, graph)
    out, job = tmp_path / "drhast.jsonl", tmp_path / "job"
    part = out.with_name("drhast.jsonl.part")
    with FixtureServer(site) as root:
        command = crawl_command("drhast", f"{root}/drhast", out, "--job", str(job))
        for kill_at in (5, 15):
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, start_new_session=True)
            _wait_for_lines(part, kill_at, process, timeout=30)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            assert not out.exists()
        with part.open("a", encoding="utf-8") as handle:  # the worst a kill can leave
            handle.write('{"id": "torn", "url": "http://')
        site.delay = 0.0
        summary = run(command)
    expected = {record_id(f"{root}/drhast{qpath(q, graph)}") for q in graph.bfs()}
    ids = read_ids(out)
    assert len(ids) == len(set(ids)) == len(expected) and set(ids) == expected
    assert summary["pages"]["pending"] == 0 and summary["complete"]


def test_max_items_stops_early_and_a_rerun_continues_the_same_output(tmp_path):
    graph = drhast_graph(n=30, fanout=3, seed=5)
    site = FixtureSite()
    add_drhast(site, graph)
    out = tmp_path / "drhast.jsonl"
    with FixtureServer(site) as root:
        first = run(crawl_command("drhast", f"{root}/drhast", out, "--max-items", "5"))
        five = read_ids(out)
        second = run(crawl_command("drhast", f"{root}/drhast", out, "--max-items", "12"))
        run(crawl_command("drhast", f"{root}/drhast", tmp_path / "d.jsonl", "--depth", "1"))
    assert first["finish_reason"] == "max_items" and len(five) == 5
    ids = read_ids(out)
    assert len(ids) == len(set(ids)) == 12 and ids[:5] == five
    assert second["new_records"] == 7
    roots = {record_id(f"{root}/drhast{qpath(q, graph)}") for page in graph.listing
             for q in page}
    assert set(read_ids(tmp_path / "d.jsonl")) == roots


# --- other sites: encodings, malformed pages, question/article split, sitemaps -------------


def test_windows_1256_malformed_and_incomplete_pages(tmp_path):
    site = FixtureSite()
    expected = add_doctoryab(site)
    out = tmp_path / "dy.jsonl"
    with FixtureServer(site) as root:
        summary = run(crawl_command("doctoryab", f"{root}/doctoryab", out))
    got = {r["url"].removeprefix(root): (r["question"], r["answer"]) for r in records(out)}
    assert got == expected  # items 1-2 (windows-1256) read right; 4 and 6 make no record
    assert "ي" in got["/doctoryab/faq/1"][0]
    assert summary["pages"]["failed"] == 0 and summary["records"] == 4


def test_niniban_question_pages_become_qa_and_others_articles(tmp_path):
    site = FixtureSite()
    expected = add_niniban(site)
    out = tmp_path / "niniban.jsonl"
    with FixtureServer(site) as root:
        run(crawl_command("niniban", f"{root}/niniban", out))
    from urllib.parse import unquote

    got = {unquote(r["url"]).removeprefix(root): r["kind"] for r in records(out)}
    assert got == expected
    assert all(r["site"] == "niniban.com" for r in records(out))


def test_sitemap_index_magazine_crawls_articles_not_xml(tmp_path):
    site = FixtureSite()
    with FixtureServer(site) as root:
        add_sitemap_magazine(site, "/nabz", root, articles=6)
        out = tmp_path / "nabz.jsonl"
        run(crawl_command("nabz", f"{root}/nabz", out))
    rows = records(out)
    assert len(rows) == 6 and {r["kind"] for r in rows} == {"article"}
    assert all("var x" not in r["text"] and r["text"] for r in rows)
    hits = site.hits()
    assert hits["/nabz/post-sitemap1.xml"] == 1 and hits["/nabz/post-sitemap2.xml"] == 1
    assert not any("wp-content" in path for path in hits)


def test_listing_magazine_follows_pages_until_an_empty_one(tmp_path):
    site = FixtureSite()
    paths = add_listing_magazine(site)
    out = tmp_path / "seeb.jsonl"
    with FixtureServer(site) as root:
        summary = run(crawl_command("seebmagazine", f"{root}/seeb", out))
    from urllib.parse import unquote

    rows = records(out)
    assert sorted(unquote(r["url"]).removeprefix(root) for r in rows) == sorted(paths)
    assert all("IRPP" not in r["text"] and "{" not in r["text"] and r["text"] for r in rows)
    assert "/seeb/about" not in site.hits() and "/seeb/category/medical-articles/page/4" not in \
        site.hits()
    assert summary["pages"]["failed"] == 0


# --- command line --------------------------------------------------------------------------


def test_crawl_list_names_every_spider():
    from index.cli import main

    done = subprocess.run([GAOKERENA, "crawl", "list", "--json"], capture_output=True, text=True)
    assert done.returncode == 0
    names = {row["name"] for row in json.loads(done.stdout)}
    assert {"drhast", "niniban", "doctoryab", "isovisit", "extern", "nabz"} <= names
    assert main(["crawl", "drhast", "--out", "x.jsonl", "--base-url", "ftp://x"]) == 2


def test_a_job_folder_of_another_site_is_refused_with_a_clear_error(tmp_path):
    job = tmp_path / "job"
    from crawl.frontier import Frontier

    frontier = Frontier(job / "frontier.sqlite")
    frontier.bind({"site": "niniban", "base_url": "https://niniban.com"})
    frontier.close()
    done = subprocess.run([GAOKERENA, "crawl", "drhast", "--out", str(tmp_path / "o.jsonl"),
                           "--job", str(job), *FAST], capture_output=True, text=True)
    assert done.returncode == 2 and "belongs to another crawl" in done.stderr


def test_a_job_folder_in_use_by_a_running_crawl_is_refused(tmp_path):
    import fcntl

    job = tmp_path / "job"
    job.mkdir()
    with (job / "lock").open("a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        done = subprocess.run([GAOKERENA, "crawl", "drhast", "--out", str(tmp_path / "o.jsonl"),
                               "--job", str(job), *FAST], capture_output=True, text=True)
    assert done.returncode == 2 and "in use by another running crawl" in done.stderr
