"""The review report, opened in a real browser: headless Chromium (Debian's `chromium`, installed here
where it is missing and the suite runs as root, as CI does) loads the file, runs its script, and the
DOM after load is checked; a screenshot of it is what the README shows (`UPDATE_SCREENSHOT=1` writes
it to docs/review.png)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import lxml.html
import pytest

from migrate.review.items import Reviewed
from migrate.review.page import PAGE_SIZE, review_html
from tests.conftest import ROOT, SAMPLES, migrate, wxr, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
NAMES = ("chromium", "chromium-browser", "google-chrome")


def _find() -> str | None:
    return next((path for name in NAMES if (path := shutil.which(name))), None)


@pytest.fixture(scope="session")
def chromium() -> str:
    found = _find()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=1200).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=1200)
        found = _find()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs as root and must test the review in a real browser")
        pytest.skip("no Chromium on this machine")
    return found


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    argv = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=15000"]
    return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=180)


def dom(browser: str, page: Path, fragment: str = "") -> lxml.html.HtmlElement:
    """The page's DOM once loaded and its script has run (and what it decoded has been shown)."""
    done = _chromium(browser, "--dump-dom", page.as_uri() + fragment)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]
    root = lxml.html.fromstring(done.stdout)
    assert root.xpath("//body[@data-ready='true']"), "the script did not run to its end"
    return root


def rows(root: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return root.xpath("//tbody[@id='items']/tr[contains(concat(' ', @class, ' '), ' item ')]")


@pytest.fixture(scope="module")
def sample_review(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    migrate([SAMPLE], folder / "site", dry_run=True, review=folder / "review.html")
    assert not (folder / "site").exists()  # a dry run: the review is all it writes
    return folder / "review.html"


def test_every_item_is_listed_worst_first_with_its_outcome(chromium, sample_review):
    root = dom(chromium, sample_review)
    listed = rows(root)
    assert len(listed) == 13  # every item read, skipped ones too
    outcomes = [r.xpath("td")[3].text_content() for r in listed]
    assert sum(o.startswith("written") for o in outcomes) == 7 and sum(o.startswith("skipped") for o in outcomes) == 3
    flagged = [bool(r.xpath(".//span[contains(@class, 'flag')]")) for r in listed]
    assert flagged == sorted(flagged, reverse=True)  # the flagged ones first
    summary = root.xpath("//div[@id='summary']")[0].text_content()
    assert "items 13" in summary and "written 7" in summary
    first = next(r for r in listed if "First Light" in r.text_content())
    assert first.xpath(".//a[@class='new-url']/@href") == ["https://example.org/blog/2023/04/12/first-light/"]


def test_an_item_opens_into_both_renderings_and_its_markdown(chromium, sample_review):
    listed = rows(dom(chromium, sample_review))
    n = next(r.get("data-n") for r in listed if "First Light" in r.text_content())
    root = dom(chromium, sample_review, f"#item={n}")
    (detail,) = root.xpath("//div[@id='detail'][@data-rendered='true']")
    frames = detail.xpath(".//iframe")
    assert [f.get("title") for f in frames] == ["WordPress showed", "Zola will show"]
    assert all(f.get("sandbox") == "" for f in frames)  # no script runs in either pane
    wordpress, zola = (f.get("srcdoc") for f in frames)
    assert "mirror" in wordpress.lower() and "mirror" in zola.lower()
    assert "<p>" in zola and "Content-Security-Policy" in zola and "default-src 'none'" in wordpress
    markdown = detail.xpath(".//pre[@class='markdown']")[0].text_content()
    assert "mirror" in markdown.lower() and "<p>" not in markdown
    assert "words_kept" in detail.xpath(".//dl[@class='measures']")[0].text_content()


def test_a_flag_filter_shows_only_its_items(chromium, sample_review):
    root = dom(chromium, sample_review)
    buttons = {b.get("data-flag"): b.text_content() for b in root.xpath("//button[@data-flag]")}
    assert buttons, "the sample has flagged items"
    flag, label = next(iter(buttons.items()))
    expected = int(label.rsplit("(", 1)[1].rstrip(")"))
    filtered = dom(chromium, sample_review, f"#flag={flag}")
    shown = rows(filtered)
    assert len(shown) == expected and 0 < expected < 13
    assert all(r.xpath(f".//span[contains(concat(' ', @class, ' '), ' {flag} ')]") for r in shown)
    assert filtered.xpath(f"//button[@data-flag='{flag}']/@aria-pressed") == ["true"]


def test_a_screenshot_of_an_opened_item(chromium, sample_review, tmp_path):
    listed = rows(dom(chromium, sample_review))
    n = next(r.get("data-n") for r in listed if "First Light" in r.text_content())
    shot = tmp_path / "review.png"
    done = _chromium(chromium, f"--screenshot={shot}", "--window-size=1280,1500", sample_review.as_uri() + f"#item={n}")
    assert done.returncode == 0, done.stderr[-1500:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    if os.environ.get("UPDATE_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "review.png")


def test_nothing_of_the_content_runs_in_the_report(chromium, tmp_path):
    evil = "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','title')\">"
    escaped = evil.replace("<", "&lt;").replace(">", "&gt;")  # a title that reads as this text, tags and all
    export = tmp_path / "evil.xml"
    export.write_text(
        wxr(
            wxr_item(
                1,
                escaped,
                slug="evil",
                content="<p>Hi</p><script>parent.document.body.setAttribute('data-pwned','content')</script>"
                "<img src=x onerror=\"parent.document.body.setAttribute('data-pwned','img')\">",
            ),
            wxr_item(2, "Using &lt;!-- comments --&gt; in HTML", slug="comments-in-html"),  # once left a blank page
        ),
        "utf-8",
    )
    page = tmp_path / "review.html"
    migrate([export], tmp_path / "site", dry_run=True, review=page)
    root = dom(chromium, page, "#item=0")
    assert root.xpath("//body/@data-pwned") == []
    assert root.xpath("//div[@id='detail'][@data-rendered='true']")
    titles = " ".join(r.text_content() for r in rows(root))
    assert evil in titles and "Using <!-- comments --> in HTML" in titles  # shown as text


def test_ten_thousand_items_load_one_page_at_a_time(chromium, tmp_path):
    body = "<p>" + "Words of a long post. " * 150 + "</p>"
    items = [
        Reviewed(
            n,
            f"Post {n}",
            "post",
            "written",
            "",
            f"https://example.com/{n}/",
            f"/{n}/",
            f"content/{n}.md",
            flags=["structure"] if n % 7 == 0 else [],
            measures={"stored_words": 450, "stored_kept": 450, "stored_ratio": 1.0},
            wordpress_html=body,
            markdown=body[3:-4],
            zola_html=body,
            badness=0.01 if n % 7 == 0 else 0.0,
        )
        for n in range(10_000)
    ]
    page = tmp_path / "big.html"
    page.write_text(review_html("Big", "https://example.com", items), "utf-8")
    root = dom(chromium, page)
    assert len(rows(root)) == PAGE_SIZE
    assert root.xpath("//span[@id='count']")[0].text_content() == "10000 of 10000 items"
    last = dom(chromium, page, "#item=9999")  # on the last page: the address need not say which
    assert [r.get("data-n") for r in rows(last)][-1] == "9999"
    assert last.xpath("//div[@id='detail'][@data-rendered='true']")
    assert page.stat().st_size < 40_000_000  # each item's panes compressed: about 1 KB each here


def test_the_flags_say_what_to_look_at(tmp_path):
    """Without a browser: the items' flags and measures, as the report shows them."""
    export = tmp_path / "flags.xml"
    export.write_text(
        wxr(
            wxr_item(1, "Clean", content="<p>Plain words.</p>"),
            wxr_item(2, "Raw", content="<p>H<sub>2</sub>O is water.</p>"),
            wxr_item(3, "Shortcode", content="<p>Before [unknown_thing a=1] after.</p>"),
            wxr_item(4, "Moved", link="https://example.com/?p=4"),
            wxr_item(5, "Trash", status="trash"),
        ),
        "utf-8",
    )
    from migrate.mappings import Mappings
    from migrate.review.items import review_items

    result = migrate([export], tmp_path / "site", dry_run=True)
    reviewed = {r.title: r for r in review_items([export], Mappings.load(), result.plan, result.changes)}
    assert reviewed["Clean"].flags == [] and reviewed["Clean"].measures["stored_ratio"] == 1.0
    assert reviewed["Raw"].flags == ["raw-html"] and reviewed["Raw"].measures["raw_html"] == ["sub"]
    assert "shortcodes" in reviewed["Shortcode"].flags
    assert reviewed["Moved"].flags == ["url"]
    assert not reviewed["Trash"].converted and reviewed["Trash"].outcome == "skipped"
    assert reviewed["Clean"].zola_html == "<p>Plain words.</p>\n" and reviewed["Clean"].markdown == "Plain words.\n"
