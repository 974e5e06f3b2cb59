"""The pure parts of the crawler: URL canonicalisation and the per-site parsers."""

from __future__ import annotations

import pytest

from crawl import parse_articles as art
from crawl import parse_qa as qa
from crawl.listing import Listing
from crawl.sites import SITES, get_site
from crawl.urls import canonical_url, record_id

B = "http://127.0.0.1:8000/drhast"


def test_canonical_url_unifies_case_port_fragment_slash_query_order_and_encoding():
    spellings = ["HTTPS://Niniban.com:443/بخش-بارداری-12/?page=2&a=1#top",
                 "https://niniban.com/%D8%A8%D8%AE%D8%B4-%D8%A8%D8%A7%D8%B1%D8%AF%D8%A7%D8%B1"
                 "%DB%8C-12?a=1&page=2"]
    assert len({canonical_url(url) for url in spellings}) == 1
    assert len({record_id(url) for url in spellings}) == 1
    assert canonical_url("http://x.ir:8080/a/") == "http://x.ir:8080/a"
    assert record_id("https://drhast.com/q/1") != record_id("https://drhast.com/q/2")
    assert len(record_id("https://drhast.com/q/1")) == 16


def _drhast_question_html(links: list[str], answer: bool = True) -> str:
    related = "".join(f"<a href='{href}'>مرتبط</a>" for href in links)
    span = "<span itemprop='text'>روزی دو لیوان آب بنوشید.</span>" if answer else ""
    return (f"<html><body><h1>سردرد</h1><h2 class='main-question__body' itemprop='text'>"
            f"  سردرد   صبحگاهی دارم؟ </h2>{span}{related}</body></html>")


def test_drhast_question_gives_question_answer_and_related_links_minus_the_last():
    html = _drhast_question_html([f"{B}/q/2-x", f"{B}/q/3-y", f"{B}/q/1-self",
                                  "https://other.ir/q/9", f"{B}/q/new"])
    page = qa.parse_drhast_question(html, f"{B}/q/1-self", B)
    (entry,) = page.entries
    assert (entry.question, entry.answer) == ("سردرد صبحگاهی دارم؟", "روزی دو لیوان آب بنوشید.")
    assert entry.kind == "qa" and entry.title == "سردرد"
    assert [link.url for link in page.links] == [f"{B}/q/2-x", f"{B}/q/3-y"]
    assert {link.role for link in page.links} == {"question"}


def test_drhast_trailing_link_that_repeats_an_earlier_one_costs_no_related_question():
    # A "more" link at the end that repeats an earlier /q/ link is the one dropped, not the
    # last real related question.
    html = _drhast_question_html([f"{B}/q/7-top", f"{B}/q/2-x", f"{B}/q/3-y", f"{B}/q/7-top"])
    page = qa.parse_drhast_question(html, f"{B}/q/1", B)
    assert [link.url for link in page.links] == [f"{B}/q/7-top", f"{B}/q/2-x", f"{B}/q/3-y"]


def test_drhast_question_without_answer_gives_links_but_no_record():
    page = qa.parse_drhast_question(_drhast_question_html([f"{B}/q/2", f"{B}/q/new"],
                                                          answer=False), f"{B}/q/1", B)
    assert page.entries == [] and [link.url for link in page.links] == [f"{B}/q/2"]


def test_drhast_listing_follows_questions_and_the_next_page_until_the_last():
    html = "".join(f"<a href='/drhast/q/{i}-x'>x</a>" for i in (5, 6)) + \
        "<a href='/drhast/q/page-3'>next</a>"
    page = qa.parse_drhast_listing(html, f"{B}/q/page-2", B)
    assert [(link.url, link.role) for link in page.links] == [
        (f"{B}/q/5-x", "question"), (f"{B}/q/6-x", "question"), (f"{B}/q/page-3", "listing")]
    assert qa.parse_drhast_listing(html, f"{B}/q/page-20", B).links[-1].role == "question"
    assert qa.parse_drhast_listing("<p>خالی</p>", f"{B}/q/page-2", B).links == []


def test_niniban_question_page_is_split_at_the_marker_and_the_answer_heading():
    html = ("<div id='echo_detail'><p>مقدمه</p><p><b>سوال مخاطب نی‌نی‌بان:</b></p>"
            "<p>سلام، بارداری در هفته ده و لکه بینی دارم.</p><p>نگرانم.</p>"
            "<p><b>پاسخ کارشناس:</b></p><p>لکه بینی خفیف شایع است.</p></div>")
    (entry,) = qa.parse_niniban_item(html, "https://niniban.com/a-1").entries
    assert entry.kind == "qa"
    assert entry.question == "سلام، بارداری در هفته ده و لکه بینی دارم.\nنگرانم."
    assert entry.answer == "لکه بینی خفیف شایع است."


def test_niniban_marker_matches_without_zwnj_and_with_arabic_yeh():
    html = ("<div id='echo_detail'>سوال مخاطب ني ني بان: درد دارم\nپاسخ: استراحت کنید</div>")
    (entry,) = qa.parse_niniban_item(html, "https://niniban.com/a-2").entries
    assert (entry.question, entry.answer) == ("درد دارم", "استراحت کنید")


def test_niniban_page_without_marker_is_an_article_and_without_body_is_nothing():
    (entry,) = qa.parse_niniban_item("<div id='echo_detail'><p>تغذیه در بارداری</p></div>",
                                     "https://niniban.com/a-3").entries
    assert entry.kind == "article" and entry.text == "تغذیه در بارداری"
    assert qa.parse_niniban_item("<div id='x'>متن</div>", "https://niniban.com/a-4").entries == []


def test_niniban_home_and_category_links():
    home = ("<a href='/بخش-بارداری-12'>بارداری</a><a href='/درباره-ما'>ما</a>"
            "<a href='https://other.ir/بخش-x-1'>x</a>")
    (link,) = qa.parse_niniban_home(home, "https://niniban.com/").links
    assert canonical_url(link.url) == canonical_url("https://niniban.com/بخش-بارداری-12?page=1")
    category = ("<h3><a href='/مطلب-1'>۱</a></h3><p><a href='/مطلب-2'>۲</a></p>"
                "<h3><a href='/مطلب-3'>۳</a></h3>")
    page = qa.parse_niniban_category(category, "https://niniban.com/بخش-بارداری-12?page=80")
    assert [link.role for link in page.links] == ["item", "item"]  # page 80 is the last


def test_doctoryab_needs_the_exact_class_string():
    good = ("<div itemprop='text' class='col-xs-12 faq-text'> سرفه دارم </div>"
            "<p class='alert-warning2' itemprop='text'>شربت بخورید</p>")
    (entry,) = qa.parse_doctoryab_item(good, "https://doctor-yab.ir/faq/1").entries
    assert (entry.question, entry.answer) == ("سرفه دارم", "شربت بخورید")
    reordered = good.replace("col-xs-12 faq-text", "faq-text col-xs-12")
    assert qa.parse_doctoryab_item(reordered, "https://doctor-yab.ir/faq/1").entries == []


def test_doctoryab_listing_skips_pager_links_and_adds_the_next_page():
    html = ("<a href='/faq/12-سوال'>۱</a><a href='/faq/?page=2'>۲</a><a href='/faq/'>همه</a>"
            "<a href='/blog/x'>x</a>")
    page = qa.parse_doctoryab_listing(html, "https://doctor-yab.ir/faq/?page=1")
    assert [(canonical_url(link.url), link.role) for link in page.links] == [
        (canonical_url("https://doctor-yab.ir/faq/12-سوال"), "item"),
        ("https://doctor-yab.ir/faq?page=2", "listing")]


DARMANKADE = get_site("darmankade")


def test_article_body_is_cleaned_and_cut_before_the_footer_question():
    html = ("<h1>فشار خون</h1><div class='entry-content'><p>فشار خون بالا</p><script>x()</script>"
            "<nav>منو</nav><p>نمک کمتر بخورید.</p><p>آیا این مقاله برای شما مفید بود؟</p>"
            "<p>بله</p></div>")
    page = DARMANKADE.parse("article", html, "https://www.darmankade.com/blog/a")
    (entry,) = page.entries
    assert entry.text == "فشار خون بالا\nنمک کمتر بخورید." and entry.title == "فشار خون"
    assert DARMANKADE.parse("article", "<div class='other'>x</div>",
                            "https://www.darmankade.com/blog/a").entries == []


def test_article_listing_keeps_links_under_article_tags_and_follows_pages():
    html = ("<article><a href='/blog/a'>a</a></article><div><a href='/blog/b'>b</a></div>"
            "<article><a href='/blog/medicine/page/1/'>p</a></article>")
    page = DARMANKADE.parse("listing", html, "https://www.darmankade.com/blog/medicine/page/0/")
    assert [(link.url, link.role) for link in page.links] == [
        ("https://www.darmankade.com/blog/a", "article"),
        ("https://www.darmankade.com/blog/medicine/page/1/", "listing")]


def test_seebmagazine_css_blocks_are_removed():
    rules = art.ArticleRules(body="div#cont_p", strip_css=True, listings=(Listing("/p/{page}"),))
    html = ("<div id='cont_p'>.IRPP_ruby , .IRPP_ruby .postImage { a: b; .x { c: d } }\n"
            "<p>درمان آسم</p></div>")
    (entry,) = art.parse_article(html, "https://seebmagazine.com/a", "https://seebmagazine.com",
                                 rules).entries
    assert entry.text == "درمان آسم"


def test_sitemap_index_leads_to_sitemaps_and_urlset_to_filtered_articles():
    rules = get_site("paziresh24")
    base = "https://www.paziresh24.com"
    index = ("<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/"
             "sitemap/0.9'><sitemap><loc>https://www.paziresh24.com/blog/post-sitemap1.xml</loc>"
             "</sitemap><sitemap><loc>https://www.paziresh24.com/blog/category-sitemap.xml</loc>"
             "</sitemap></sitemapindex>")
    page = rules.parse("sitemap", index, f"{base}/blog/sitemap_index.xml")
    assert [(link.url, link.role) for link in page.links] == [
        (f"{base}/blog/post-sitemap1.xml", "sitemap")]
    urlset = ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
              f"<url><loc>{base}/blog/a</loc></url><url><loc>{base}/blog/wp-content/x.jpg</loc>"
              f"</url><url><loc>{base}/doctor/b</loc></url></urlset>")
    page = rules.parse("sitemap", urlset, f"{base}/blog/post-sitemap1.xml")
    assert [(link.url, link.role) for link in page.links] == [(f"{base}/blog/a", "article")]
    assert rules.parse("sitemap", "<html>not xml", f"{base}/x.xml").links == []


def test_every_site_has_a_parser_for_every_start_role_and_a_domain():
    assert len(SITES) == 14
    for spec in SITES.values():
        assert spec.domain and "." in spec.domain
        for link in spec.start_links():
            assert link.role in spec.parsers, (spec.name, link.role)
    with pytest.raises(ValueError, match="unknown site"):
        get_site("nope")


def test_sitemap_entries_give_their_own_loc_and_garbage_gives_nothing():
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">'
        "<url><loc> https://example.ir/a </loc><image:image><image:loc>https://example.ir/a.jpg"
        "</image:loc></image:image></url><url><loc>https://example.ir/b</loc></url></urlset>"
    )
    assert art.sitemap_locs(xml) == ("urlset", ["https://example.ir/a", "https://example.ir/b"])
    assert art.sitemap_locs("<<not xml") == ("", [])
    assert art.sitemap_locs("") == ("", [])


def test_parsers_do_not_import_scrapy():
    """Twisted (pulled in by Scrapy) declares interfaces on abc.ABC, which breaks Gradio
    components built later in the same process; parsing must stay Scrapy-free."""
    import subprocess
    import sys

    code = ("import sys; import crawl.parse_articles, crawl.parse_qa, crawl.sites; "
            "print('twisted' in sys.modules or 'scrapy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
