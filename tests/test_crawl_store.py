"""The crawl's durable state: the SQLite frontier and the exactly-once record file."""

from __future__ import annotations

import json

import pytest

from crawl.config import CrawlConfig
from crawl.frontier import Frontier, JobMismatch
from crawl.page import Link
from crawl.sink import JsonlSink, part_path


def _record(n: int) -> dict:
    return {"id": f"id{n}", "url": f"https://x.ir/{n}", "text": "متن"}


def test_sink_writes_each_id_once_across_reopenings(tmp_path):
    out = tmp_path / "out.jsonl"
    sink = JsonlSink(out, fsync=False)
    assert sink.write([_record(1), _record(2), _record(1)]) == 2
    sink.close()
    again = JsonlSink(out, fsync=False)
    assert again.count == 2 and again.write([_record(2), _record(3)]) == 1
    again.publish()
    assert out.exists() and not part_path(out).exists()
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["id1", "id2", "id3"]


def test_sink_cuts_a_torn_last_line_left_by_a_kill(tmp_path):
    out = tmp_path / "out.jsonl"
    part = part_path(out)
    part.write_text(json.dumps(_record(1)) + "\n" + '{"id": "id2", "url": "htt',
                    encoding="utf-8")
    sink = JsonlSink(out, fsync=False)
    assert sink.ids == {"id1"}
    sink.write([_record(2)])
    sink.publish()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["id1", "id2"]


def test_a_damaged_complete_line_stops_the_sink_and_loses_nothing(tmp_path):
    from index.errors import DataError

    out = tmp_path / "out.jsonl"
    part = part_path(out)
    content = (json.dumps(_record(1)) + "\n" + "garbage\n" + json.dumps(_record(3)) + "\n")
    part.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"out.jsonl.part:2: not a crawl record"):
        JsonlSink(out, fsync=False)
    assert part.read_text(encoding="utf-8") == content


def test_sink_reopens_a_published_output_to_continue_it(tmp_path):
    out = tmp_path / "out.jsonl"
    sink = JsonlSink(out, fsync=False)
    sink.write([_record(1)])
    sink.publish()
    sink = JsonlSink(out, fsync=False)
    assert not out.exists() and part_path(out).exists() and sink.count == 1
    sink.close()


def test_frontier_hands_out_pages_breadth_first_and_remembers_visited(tmp_path):
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([Link("https://x.ir/list", "listing")], depth=0)
    (root,) = frontier.next_tasks(5, None, set())
    frontier.complete(root.seq, 0, [Link("https://x.ir/a", "q"), Link("https://x.ir/b", "q"),
                                     Link("https://x.ir/list?page=2", "listing")],
                      {"q": 1, "listing": 0})
    assert [t.url for t in frontier.next_tasks(5, None, set())] == [
        "https://x.ir/list?page=2", "https://x.ir/a", "https://x.ir/b"]
    a = frontier.next_tasks(5, None, set())[1]
    # a page found again (other spelling) is not queued twice
    frontier.complete(a.seq, 1, [Link("HTTPS://X.ir/b/#x", "q"), Link("https://x.ir/c", "q")],
                      {"q": 2})
    tasks = frontier.next_tasks(5, None, set())
    assert [t.url for t in tasks] == ["https://x.ir/list?page=2", "https://x.ir/b",
                                      "https://x.ir/c"]
    assert [t.url for t in frontier.next_tasks(5, 1, {tasks[0].seq})] == ["https://x.ir/b"]
    frontier.fail(tasks[1].seq, "HTTP 500")
    assert frontier.counts() == {"pending": 2, "done": 2, "failed": 1, "blocked": 0}
    assert frontier.failures()[0]["error"] == "HTTP 500"
    assert frontier.retry_failed() == 1 and frontier.counts()["failed"] == 0
    frontier.close()


def test_frontier_refuses_a_job_of_another_site(tmp_path):
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.bind({"site": "drhast", "base_url": "https://drhast.com"})
    frontier.bind({"site": "drhast", "base_url": "https://drhast.com"})
    with pytest.raises(JobMismatch, match="another crawl"):
        frontier.bind({"site": "niniban", "base_url": "https://niniban.com"})
    frontier.close()


def test_crawl_config_is_polite_by_default_and_rejects_bad_values(tmp_path):
    settings = CrawlConfig(site="drhast", out=tmp_path / "o.jsonl").scrapy_settings()
    assert settings["ROBOTSTXT_OBEY"] and settings["AUTOTHROTTLE_ENABLED"]
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1 and settings["DOWNLOAD_DELAY"] >= 1
    assert "gaokerena" in settings["USER_AGENT"] and settings["RETRY_TIMES"] == 2
    assert "SCHEDULER" not in settings
    redis = CrawlConfig(site="drhast", out=tmp_path / "o.jsonl",
                        redis_url="redis://127.0.0.1:6379").scrapy_settings()
    assert redis["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert redis["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    with pytest.raises(ValueError, match="base_url"):
        CrawlConfig(site="drhast", out=tmp_path / "o.jsonl", base_url="ftp://x")
    with pytest.raises(ValueError, match="max_items"):
        CrawlConfig(site="drhast", out=tmp_path / "o.jsonl", max_items=0)


def test_a_job_refuses_another_output_or_a_lost_one_instead_of_skipping_its_pages(tmp_path):
    from crawl.runner import _prepare_job

    out, job = tmp_path / "a.jsonl", tmp_path / "job"
    config = CrawlConfig(site="drhast", out=out, job=job, base_url="http://127.0.0.1:9/drhast")
    _prepare_job(config)
    frontier = Frontier(job / "frontier.sqlite")
    (root,) = frontier.next_tasks(1, None, set())
    frontier.complete(root.seq, 1, [], {})  # its record went to a.jsonl.part
    frontier.close()
    part_path(out).write_text(json.dumps(_record(1)) + "\n", encoding="utf-8")
    _prepare_job(config)  # the same command again resumes
    with pytest.raises(JobMismatch, match=r"another crawl.*out"):
        _prepare_job(config.replace(out=tmp_path / "b.jsonl"))
    part_path(out).unlink()
    with pytest.raises(JobMismatch, match="is gone"):
        _prepare_job(config)


def test_a_pending_page_found_by_a_shorter_path_moves_up_to_that_depth(tmp_path):
    # With two pages in flight, a depth-2 page can finish before a depth-1 page that links
    # to the same page: the page is 2 hops away, not 3, so --depth 2 must still fetch it.
    frontier = Frontier(tmp_path / "f.sqlite")
    frontier.add([Link("https://x.ir/list", "listing")], depth=0)
    (root,) = frontier.next_tasks(1, None, set())
    frontier.complete(root.seq, 0, [Link("https://x.ir/a", "q"), Link("https://x.ir/b", "q")],
                      {"q": 1})
    a, b = frontier.next_tasks(2, None, set())
    frontier.complete(a.seq, 1, [Link("https://x.ir/c", "q")], {"q": 2})
    (c,) = frontier.next_tasks(1, None, {b.seq})
    frontier.complete(c.seq, 1, [Link("https://x.ir/z", "q")], {"q": 3})  # c finishes first
    frontier.complete(b.seq, 1, [Link("https://x.ir/z", "q"), Link("https://x.ir/c", "q")],
                      {"q": 2})
    assert [(t.url, t.depth) for t in frontier.next_tasks(5, 2, set())] == [("https://x.ir/z", 2)]
    assert frontier.counts() == {"pending": 1, "done": 4, "failed": 0, "blocked": 0}
    frontier.close()
