"""``gaokerena crawl filter`` end to end on a tiny hand-written crawl, and on bad input."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from crawl.filter.cli import add_filter_command
from crawl.filter.config import FilterConfig
from crawl.filter.pipeline import filter_file, filter_records, load_records
from index.errors import DataError, GaokerenaError

# An original answer of about 60 hazm tokens, long enough for the default floor (44).
LONG_ANSWER = (
    "دوست عزیز کم‌خونی فقر آهن در بارداری شایع است، چون حجم خون مادر بیشتر می‌شود و جنین هم "
    "برای رشد به آهن نیاز دارد. قرص آهن را روزی یک عدد، یک ساعت پیش از غذا یا دو ساعت بعد از آن، "
    "با آب یا آب پرتقال بخورید و همراه چای، شیر یا قرص کلسیم مصرف نکنید. یبوست و تیرگی مدفوع "
    "طبیعی است. آزمایش خون را یک ماه بعد تکرار کنید و اگر بهتر نشد به پزشک خود مراجعه کنید."
)
ARTICLE = " ".join(["ورزش منظم فشار خون را پایین می‌آورد و خواب را بهتر می‌کند."] * 12)


def qa(record_id: str, question: str, answer: str = LONG_ANSWER, **extra) -> dict:
    return {"id": record_id, "question": question, "answer": answer,
            "source": "https://niniban.com", **extra}


CRAWL = [
    qa("good", "در هفته بیستم بارداری هستم و هموگلوبینم ده است، قرص آهن چطور بخورم؟",
       url="https://niniban.com/q/1", kind="qa", title="", text="",
       crawled_at="2026-11-23T10:00:00Z"),  # the spiders' shape: every field present
    qa("short", "سردرد بعد از زایمان طبیعی است؟", "بله دوست عزیز طبیعی است."),
    qa("greeting", "سلام خسته نباشید ممنون"),
    qa("dup", "در هفته بیستم بارداری هستم و هموگلوبینم ده است، قرص آهن چطور بخورم؟"),
    qa("near", "سلام در هفته بیستم بارداری هستم و هموگلوبینم ده است. قرص آهن چطور بخورم؟"),
    qa("spam", "خرید قرص لاغری با تخفیف ویژه؟ در کانال تلگرام @slim_shop عضو شوید",
       LONG_ANSWER + " برای خرید تماس بگیرید"),
    qa("english", "Is it safe to take iron tablets while pregnant in week twenty?",
       "Yes, iron is usually recommended in pregnancy. " * 12),
    {"id": "noanswer", "question": "آیا قهوه در بارداری ضرر دارد؟", "source": "niniban.com"},
    qa("pii", "شماره من ۰۹۱۲۳۴۵۶۷۸۹ است، دکتر نوشین احمدی گفت آهن بخورم، چند عدد در روز؟"),
    {"id": "art1", "kind": "article", "site": "hidoctor.ir", "url": "https://www.hidoctor.ir/1",
     "title": "ورزش و فشار خون", "question": "", "answer": "",
     "text": ARTICLE + "\nآیا این مقاله برای شما مفید بود؟", "crawled_at": "2026-11-23"},
]
EXPECTED_RULES = {"short": "short_answer", "greeting": "greeting_only", "dup": "duplicate",
                  "near": "near_duplicate", "spam": "spam", "english": "not_persian",
                  "noanswer": "missing_fields"}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture
def crawl_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "raw.jsonl", CRAWL)


@pytest.fixture
def filtered(tmp_path, crawl_file):
    config = FilterConfig(min_article_tokens=50)
    summary = filter_file(crawl_file, tmp_path / "clean.jsonl", tmp_path / "report", config)
    return summary, read_jsonl(tmp_path / "clean.jsonl"), tmp_path / "report"


def test_each_rule_drops_its_record_and_says_why(filtered):
    summary, kept, report_dir = filtered
    assert [r["id"] for r in kept] == ["good", "pii", "art1"]
    rejected = {r["id"]: r for r in read_jsonl(report_dir / "rejected.jsonl")}
    assert {rid: r["rule"] for rid, r in rejected.items()} == EXPECTED_RULES
    assert rejected["dup"]["detail"] == "same question as good"
    assert rejected["near"]["detail"].startswith("like good")
    assert rejected["noanswer"]["line"] == 8
    assert summary["removed_per_rule"] == {rule: 1 for rule in EXPECTED_RULES.values()}


def test_kept_records_keep_their_id_and_fields_with_clean_text(filtered):
    _, kept, _ = filtered
    good, pii, article = kept
    assert set(good) == set(CRAWL[0]) and good["url"] == CRAWL[0]["url"]
    assert good["crawled_at"] == CRAWL[0]["crawled_at"]
    assert "می‌شود" in good["answer"]
    assert "[تلفن]" in pii["question"] and "۰۹۱۲" not in pii["question"]
    assert "دکتر [نام] گفت" in pii["question"] and "نوشین" not in pii["question"]
    assert article["title"] == "ورزش و فشار خون"
    assert "مفید بود" not in article["text"]


def test_the_report_counts_sites_scrubs_and_lengths(filtered):
    _, _, report_dir = filtered
    saved = json.loads((report_dir / "report.json").read_text("utf-8"))
    assert saved["read"] == len(CRAWL) and saved["kept"] == 3 and saved["dropped"] == 7
    assert saved["kept_per_site"] == {"niniban.com": 2, "hidoctor.ir": 1}
    assert saved["site_share"]["niniban.com"] == pytest.approx(2 / 3, abs=1e-3)
    assert saved["pii_scrubbed"] == {"doctor_name": 1, "phone": 1}
    assert saved["boilerplate_lines_removed"] == 1
    lengths = saved["token_length"]
    assert lengths["after"]["n"] == 3 and lengths["before"]["n"] == len(CRAWL) - 1
    assert sum(lengths["before"]["counts"]) == lengths["before"]["n"]
    assert saved["config"]["min_answer_tokens"] == 44
    for name in ("removed_per_rule.png", "site_share.png", "token_lengths.png"):
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in report_dir.iterdir() if p.name.startswith(".")]


def test_thresholds_are_configurable(tmp_path, crawl_file):
    records = load_records(crawl_file)
    loose = filter_records(records, FilterConfig(min_answer_tokens=3, near_dedup=False,
                                                 min_article_tokens=50))
    assert {"short", "near"} <= set(loose.kept_ids)
    strict = filter_records(records, FilterConfig(min_answer_tokens=500, min_article_tokens=50))
    assert strict.kept_ids == ["art1"]


def test_an_answer_of_greetings_only_is_named_as_such(tmp_path):
    records = load_records(write_jsonl(tmp_path / "g.jsonl", [
        qa("g1", "بعد از سزارین کی می‌توانم ورزش کنم؟", "سلام دوست عزیز، ممنون!")]))
    result = filter_records(records, FilterConfig())
    assert [(r["id"], r["rule"]) for r in result.rejected] == [("g1", "greeting_only")]


def test_two_workers_give_the_same_result_as_one(tmp_path):
    rows = [dict(row, id=f"{row['id']}-{copy}") for copy in range(55) for row in CRAWL]
    records = load_records(write_jsonl(tmp_path / "many.jsonl", rows))
    config = FilterConfig(min_article_tokens=50)
    one, two = filter_records(records, config), filter_records(records, config, workers=2)
    assert len(records) >= 500  # large enough to use the process pool
    assert one.kept == two.kept and one.rejected == two.rejected


@pytest.mark.parametrize(("content", "fragments"), [
    (b"", ["no records", "empty"]),
    (b'{"id": "a", "question": "q", "answer": "x"}\n{"id": "b", "question": \n',
     ["raw.jsonl:2", "not valid JSON"]),
    (b'{"id": "a", "question": "q", "answer": "x"}\n{"id": "b", "answer": "\xff\xfe"}\n',
     ["raw.jsonl:2", "not UTF-8"]),
    (b'["a", "b"]\n', ["raw.jsonl:1", "JSON object"]),
    (b'{"title": "only a title"}\n', ["none of the 1 records", "text"]),
])
def test_bad_input_fails_clearly_and_writes_nothing(tmp_path, content, fragments):
    raw = tmp_path / "raw.jsonl"
    raw.write_bytes(content)
    out = tmp_path / "clean.jsonl"
    out.write_text("previous result\n", "utf-8")
    with pytest.raises(DataError) as error:
        filter_file(raw, out, tmp_path / "report", FilterConfig())
    for fragment in fragments:
        assert fragment in str(error.value)
    assert out.read_text("utf-8") == "previous result\n"
    assert not (tmp_path / "report").exists()
    assert raw.read_bytes() == content


def test_the_output_may_not_overwrite_the_input(crawl_file):
    with pytest.raises(DataError, match="is the input file"):
        filter_file(crawl_file, crawl_file, crawl_file.parent / "r", FilterConfig())


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="gaokerena crawl")
    add_filter_command(parser.add_subparsers(dest="cmd", required=True))
    args = parser.parse_args(["filter", *argv])
    return args.func(args)


def test_the_command_prints_json_and_writes_the_files(tmp_path, crawl_file, capsys):
    code = run_cli("--input", str(crawl_file), "--out", str(tmp_path / "c.jsonl"), "--report",
                   str(tmp_path / "rep"), "--min-article-tokens", "50", "--no-plots", "--json",
                   "--quiet")
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kept"] == 3 and summary["files"] == ["rejected.jsonl", "report.json"]
    assert len(read_jsonl(tmp_path / "c.jsonl")) == 3


def test_the_command_turns_bad_options_into_user_errors(tmp_path, crawl_file):
    with pytest.raises(GaokerenaError, match="near_dup_threshold"):
        run_cli("--input", str(crawl_file), "--out", str(tmp_path / "c.jsonl"), "--report",
                str(tmp_path / "rep"), "--near-dup-threshold", "2")


def test_gaokerena_crawl_filter_is_registered(tmp_path, crawl_file, capsys):
    from index.cli import main

    code = main(["crawl", "filter", "--input", str(crawl_file), "--out", str(tmp_path / "c.jsonl"),
                 "--report", str(tmp_path / "rep"), "--no-plots", "--quiet"])
    assert code == 0
    out = capsys.readouterr().out
    assert "kept 3" in out and "dropped by near_duplicate: 1" in out
    code = main(["crawl", "filter", "--input", str(tmp_path / "missing.jsonl"), "--out",
                 str(tmp_path / "c2.jsonl"), "--report", str(tmp_path / "rep2")])
    assert code == 2 and "no such file" in capsys.readouterr().err


def test_human_kept_niniban_rows_are_verbatim_raw_rows(shared_data):
    """The matching rule behind the benchmark's precision/recall holds on the real files."""
    from crawl.filter.compare import pair_of, reference_pairs
    from index.records import iter_jsonl

    raw = {pair_of(data) for _, data in iter_jsonl(shared_data / "raw" /
                                                     "niniban_crawled_unfiltered.jsonl")}
    human = reference_pairs([shared_data / "mf3qa" / "train.jsonl",
                             shared_data / "mf3qa" / "dev.jsonl"], site="niniban.com")
    assert len(human) == 5405
    assert human <= raw


def test_the_doctors_name_is_scrubbed_from_a_qa_records_title_and_text_too(tmp_path):
    # The spiders write a QA record's text as "question\n\nanswer" and its title is often the
    # question: the name must not survive there after being scrubbed from the question.
    question = "دکتر نوشین احمدی گفت روزی یک قرص آهن بخورم، در بارداری کافی است؟"
    answer = LONG_ANSWER + "\nپاسخ دکتر مریم رضایی"  # the answering doctor's public signature
    record = qa("q1", question, answer, url="https://drhast.com/q/1", kind="qa", title=question,
                text=f"{question}\n\n{answer}", crawled_at="2026-11-23")
    result = filter_records(load_records(write_jsonl(tmp_path / "n.jsonl", [record])),
                            FilterConfig())
    (kept,) = result.kept
    for name in ("question", "title", "text"):
        assert "نوشین" not in kept[name] and "احمدی" not in kept[name], name
        assert "دکتر [نام] گفت" in kept[name], name
    assert "مریم رضایی" in kept["answer"] and "مریم رضایی" in kept["text"]
