"""Distributed crawling: two crawler processes share one queue and dupefilter in Redis.

Needs a real ``redis-server`` (Debian package ``redis-server``); the test starts its own
on 127.0.0.1 at a free port, with persistence off, and skips when the binary is absent.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time

import pytest

from crawl.urls import record_id
from tests.crawl_fixture_site import FixtureServer, FixtureSite, add_drhast, drhast_graph, qpath
from tests.test_crawl_run import crawl_command, read_ids

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url():
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server not installed (apt-get install -y redis-server): the "
                    "distributed crawl needs a real Redis")
    import redis

    port = _free_port()
    server = subprocess.Popen([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait(condition, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"worker ended early: {process.stderr.read()[-2000:]}")
        assert time.monotonic() < deadline, "the crawl never reached the expected point"
        time.sleep(0.02)


@pytest.mark.slow
def test_two_workers_share_the_queue_and_cover_the_graph_without_duplicates(tmp_path,
                                                                            redis_url):
    import redis

    graph = drhast_graph(n=32, fanout=3, seed=3)
    graph.private = {graph.bfs()[9]}
    site = FixtureSite(delay=0.05, gate=threading.Event(), ungated={"/drhast/q/page-1"})
    add_drhast(site, graph)
    with FixtureServer(site) as root:
        outs = [tmp_path / f"worker{i}.jsonl" for i in (1, 2)]
        commands = [crawl_command("drhast", f"{root}/drhast", out, "--redis-url", redis_url,
                                  "--redis-idle", "0") for out in outs]
        # Worker 1 reads the listing page and queues its links in Redis, then waits at the
        # gate for its next page. Worker 2 joins the running crawl, as on a real cluster:
        # its start page is already in the shared dupefilter, it takes work from the shared
        # queue (its first request is for robots.txt). Then the gate opens for both.
        first = subprocess.Popen(commands[0], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        _wait(lambda: site.hits()["/drhast/q/page-1"] == 1 and len(site.log) >= 3, first)
        second = subprocess.Popen(commands[1], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        _wait(lambda: site.hits()["/robots.txt"] == 2, second)
        site.gate.set()
        workers = [first, second]
        results = [worker.communicate(timeout=90) for worker in workers]
    for worker, (_, stderr) in zip(workers, results, strict=True):
        assert worker.returncode == 0, stderr[-3000:]
    per_worker = [read_ids(out) for out in outs]
    summaries = [json.loads(stdout) for stdout, _ in results]
    assert all(summary["distributed"] for summary in summaries)
    ids = per_worker[0] + per_worker[1]
    expected = {record_id(f"{root}/drhast{qpath(q, graph)}") for q in graph.bfs()
                if q not in graph.private}
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert all(per_worker), "both workers should have taken pages from the shared queue"
    fetched = [p for p in site.log if p.startswith("/drhast/q/")]
    assert len(fetched) == len(set(fetched))  # the shared dupefilter: no page twice
    blocked = [json.loads(line) for out in outs
               if (out.with_name(out.name + ".job") / "failures.jsonl").exists()
               for line in (out.with_name(out.name + ".job") / "failures.jsonl").read_text()
               .splitlines()]
    (private,) = graph.private
    assert [(row["url"].rsplit("/", 1)[-1], row["state"]) for row in blocked] == [
        (f"private-{private}", "blocked")]
    keys = {key.decode() for key in redis.Redis.from_url(redis_url).keys("drhast:*")}
    assert "drhast:dupefilter" in keys
