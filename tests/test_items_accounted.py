"""No item may vanish: damage outside item content (an unclosed `<?`, `<!--`, `<![CDATA[`, a DOCTYPE,
a stray `<`, a literal `]]>`, a cut end tag, in header fields, titles or between items) costs at most
the fragment it is in, and every `<item>` of the file is still read.

Seeded mutations of the sample export and, when `../shared/corpus/wxr/` exists, of the real exports
there (read in place, never copied). The expected count comes from the ORIGINAL file and not from our
scanner: a strict lxml parse, or, for the originals that are not well-formed, a few lines of regex.
"""

from __future__ import annotations

import bisect
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from migrate.mappings import Mappings
from migrate.pipeline import plan_site
from migrate.wxr.model import Item, Notice
from migrate.wxr.reader import ExportError, read_export
from tests.conftest import OFFLINE, SAMPLES, WXR_HEAD, corpus_files, migrate, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.S)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)
_ITEM_START = re.compile(rb"<(?:[\w.-]+:)?item[\s/>]")
_ITEM_TAG = re.compile(rb"<(?:[\w.-]+:)?item(?:\s[^>]*)?>")
_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?item\s*>")
_END_TAG = re.compile(rb"</[\w.:-]+>")
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)

INSERTS = [b"<?php ", b"<?", b"<!-- ", b"<![CDATA[", b"<!DOCTYPE html ", b"<!DOCTYPE x [ ", b"<", b"]]>"]
INSERTS += [b'<a title="', b"Tips &amp; tricks <?php", b"<![CDATA[bob"]


def independent_count(data: bytes) -> int:
    """`<item>` elements of an original export: lxml when it is well-formed; otherwise item start
    tags outside CDATA sections and comments."""
    try:
        return sum(1 for _ in etree.fromstring(data, _STRICT).iter("{*}item"))
    except etree.XMLSyntaxError:
        return len(_ITEM_START.findall(_COMMENT.sub(b"", _CDATA.sub(b"", data))))


@dataclass
class Mutant:
    name: str
    data: bytes


class Mutator:
    """Seeded mutations of one export, none of them inside a CDATA section or an `<item>` start tag."""

    def __init__(self, data: bytes, seed: str):
        self.data = data
        self.rng = random.Random(seed)
        cdata = [(m.start() + 1, m.end()) for m in _CDATA.finditer(data)]
        items = [(m.start() + 1, m.end()) for m in _ITEM_TAG.finditer(data)]
        self.forbidden = sorted(cdata + items)
        self.starts = [a for a, _ in self.forbidden]
        starts = [m.start() for m in _ITEM_TAG.finditer(data)]
        ends = [m.end() for m in _ITEM_END.finditer(data)]
        first = starts[0] if starts else len(data)
        self.regions = {
            "header": [(0, first)],
            "between": [(e, s) for e, s in zip(ends, starts[1:], strict=False) if s > e] or [(0, len(data))],
            "title": [(m.start(1), m.end(1)) for m in _TITLE.finditer(data, first)] or [(0, len(data))],
            "anywhere": [(0, len(data))],
        }
        self.end_tags = [m for m in _END_TAG.finditer(data) if self.allowed(m.start())]
        self.item_ends = [m for m in self.end_tags if _ITEM_END.fullmatch(m.group(0))]
        # CDATA sections that are not post bodies: a header field, a title, a meta value
        self.closers = [
            m.end() - 3
            for m in _CDATA.finditer(data)
            if not data[max(0, m.start() - 30) : m.start()].endswith(b":encoded>")
        ]

    def allowed(self, pos: int) -> bool:
        k = bisect.bisect_right(self.starts, pos) - 1
        return k < 0 or not (self.forbidden[k][0] <= pos < self.forbidden[k][1])

    def position(self, region: str) -> int | None:
        for _ in range(50):
            a, b = self.rng.choice(self.regions[region])
            pos = self.rng.randint(a, b)
            if self.allowed(pos):
                return pos
        return None

    def mutants(self, n: int) -> list[Mutant]:
        out: list[Mutant] = []
        kinds = ["insert"] * 8 + ["cut end tag", "unclose cdata"]
        regions = list(self.regions)
        want = len(_ITEM_START.findall(self.data))
        for k in range(n * 3):
            if len(out) == n:
                break
            kind = kinds[k % len(kinds)]
            if kind == "insert":
                region = regions[(k // len(kinds) + k) % len(regions)]
                text = INSERTS[(k * 7 + len(out)) % len(INSERTS)]
                pos = self.position(region)
                if pos is None:
                    continue
                mutant = Mutant(f"{text.decode()!r} at {pos} ({region})", self.data[:pos] + text + self.data[pos:])
            elif kind == "cut end tag":
                if not self.end_tags:
                    continue
                half = self.item_ends and self.rng.random() < 0.5  # </item> half the time
                tag = self.rng.choice(self.item_ends if half else self.end_tags)
                cut = self.rng.randint(1, min(3, len(tag.group(0)) - 3))
                name = f"{tag.group(0).decode()} cut to {tag.group(0)[:-cut].decode()} at {tag.start()}"
                mutant = Mutant(name, self.data[: tag.end() - cut] + self.data[tag.end() :])
            else:
                if not self.closers:
                    continue
                pos = self.rng.choice(self.closers)
                mutant = Mutant(f"']]>' removed at {pos}", self.data[:pos] + self.data[pos + 3 :])
            if len(_ITEM_START.findall(mutant.data)) == want:  # a "<" before "item" text makes an item
                out.append(mutant)
        return out


def _read_items(path: Path, notices: list[Notice]) -> list[Item]:
    return [r for r in read_export(path, notices.append, "mutant.xml") if isinstance(r, Item)]


def _check(path: Path, mutant: Mutant, expected: int, source: str) -> int:
    path.write_bytes(mutant.data)
    notices: list[Notice] = []
    try:
        items = _read_items(path, notices)
    except ExportError:  # a file without items whose <rss> or <channel> was broken: said so, cleanly
        assert expected == 0, mutant.name
        return 0
    assert len(items) == expected, f"{source}, {mutant.name}: {len(items)} items read, {expected} in the file"
    for notice in notices:  # every notice names the file and a line, in one line
        assert notice.source is not None and notice.source.file == "mutant.xml" and notice.source.line >= 1
        assert "\n" not in str(notice), str(notice)
    return len(items)


TOTALS = {"mutants": 0, "items": 0}


def test_sample_mutants_account_for_every_item(tmp_path):
    data = SAMPLE.read_bytes()
    expected = independent_count(data)
    assert expected == 13
    mutants = Mutator(data, "sample").mutants(180)
    assert len(mutants) == 180
    path = tmp_path / "mutant.xml"
    mappings = Mappings.load()
    for k, mutant in enumerate(mutants):
        TOTALS["items"] += _check(path, mutant, expected, "sample")
        TOTALS["mutants"] += 1
        if k % 6 == 0:  # the whole pipeline too: an outcome for every item, no "two planned files"
            plan = plan_site([path], mappings, media=OFFLINE)
            assert len(plan.outcomes) == expected, mutant.name
    print(f"\n{len(mutants)} mutated copies of the sample, every item accounted for")


@pytest.mark.skipif(not corpus_files(), reason="no ../shared/corpus/wxr")
def test_corpus_mutants_account_for_every_item(tmp_path):
    path = tmp_path / "mutant.xml"
    tried = 0
    for export in corpus_files():
        data = export.read_bytes()
        expected = independent_count(data)
        assert _check(path, Mutant("unmutated", data), expected, export.name) == expected
        per_file = 7 if len(data) < 300_000 else 3  # the largest few cost the most time
        for mutant in Mutator(data, export.name).mutants(per_file):
            TOTALS["items"] += _check(path, mutant, expected, export.name)
            TOTALS["mutants"] += 1
            tried += 1
    assert tried > 300
    print(
        f"\n{tried} mutated corpus exports; {TOTALS['mutants']} in all, every item accounted for ({TOTALS['items']} items)"
    )


def test_the_command_on_mutants_never_traces_back_and_reports_every_item(tmp_path):
    """The whole command, as a user runs it, on mutated exports (the sample's, and the corpus's when it is
    there): exit 0 (or 1 with one line when a file without items is no export any more), never a
    traceback, and the JSON report lists every item of the file."""
    import json

    from typer.testing import CliRunner

    from migrate.cli import app

    runner = CliRunner()
    sources = [SAMPLE, *corpus_files()[:: max(1, len(corpus_files()) // 12)]]
    tracebacks = runs = 0
    for source in sources:
        data = source.read_bytes()
        expected = independent_count(data)
        for mutant in Mutator(data, "cli " + source.name).mutants(12 if source == SAMPLE else 3):
            path = tmp_path / "mutant.xml"
            path.write_bytes(mutant.data)
            site, report = tmp_path / f"site-{runs}", tmp_path / f"report-{runs}.json"
            result = runner.invoke(
                app, ["migrate", str(path), "--out", str(site), "--no-download", "-q", "--report", str(report)]
            )
            runs += 1
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                tracebacks += 1
                continue
            if result.exit_code == 1:
                assert expected == 0 and len(result.output.strip().splitlines()) == 1, mutant.name
                continue
            assert result.exit_code == 0, f"{source.name} {mutant.name}: {result.output}"
            items = json.loads(report.read_text("utf-8"))["items"]
            assert len(items) == expected, f"{source.name} {mutant.name}"
    print(f"\n{runs} runs of the command on mutated exports, {tracebacks} tracebacks")
    assert runs >= 12 and tracebacks == 0


# -- hand-made cases -------------------------------------------------------------------------------


def _export(body: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>T</title>\n'
        f"{body}\n</channel>\n</rss>\n"
    )


def _item(n: int, title: str = "") -> str:
    return (
        f"<item><title>{title or f'Post {n}'}</title><content:encoded><![CDATA[Body {n}]]></content:encoded>"
        f"<wp:post_id>{n}</wp:post_id><wp:post_type>post</wp:post_type><wp:status>publish</wp:status></item>"
    )


def _read(tmp_path: Path, text: str) -> tuple[list[Item], list[Notice]]:
    path = tmp_path / "case.xml"
    path.write_text(text, encoding="utf-8")
    notices: list[Notice] = []
    return _read_items(path, notices), notices


@pytest.mark.parametrize(
    ("opener", "said"), [("<?php", "<?"), ("<!--", "<!--"), ("<![CDATA[", "<![CDATA["), ("<!DOCTYPE x [", "<!")]
)
def test_unclosed_opener_in_a_raw_title_is_read_as_text(tmp_path, opener, said):
    items, notices = _read(
        tmp_path, _export(_item(1, f"Tips &amp; tricks {opener}") + "\n" + _item(2) + "\n" + _item(3))
    )
    assert [i.id for i in items] == [1, 2, 3]
    assert items[0].damage == [] and items[0].title == f"Tips & tricks {opener}"
    assert [i.title for i in items[1:]] == ["Post 2", "Post 3"]
    (repaired,) = [n for n in notices if n.item_id == 1]
    assert f"unclosed '{said}' read as text (line 5)" in repaired.message
    assert str(repaired).startswith("mutant.xml:5: item 1: repaired:")


@pytest.mark.parametrize(
    "header",
    [
        "<description>about <?php</description>",
        "<wp:author><wp:author_login><![CDATA[bob</wp:author_login></wp:author>",
        "<description><!-- open</description>",
    ],
)
def test_unclosed_opener_in_the_header_costs_the_header_field_only(tmp_path, header):
    items, notices = _read(tmp_path, _export(header + "\n" + _item(1) + "\n" + _item(2)))
    assert [(i.id, i.damage) for i in items] == [(1, []), (2, [])]
    assert any(n.source is not None and n.source.line == 5 for n in notices), [str(n) for n in notices]


def test_unclosed_opener_between_items_is_reported(tmp_path):
    items, notices = _read(tmp_path, _export(_item(1) + "\n<?php\n" + _item(2)))
    assert [i.id for i in items] == [1, 2]
    assert [str(n) for n in notices] == ["mutant.xml:6: unclosed '<?' read as text"]


def test_a_commented_out_item_stays_a_comment(tmp_path):
    items, _ = _read(tmp_path, _export(_item(1) + "\n<!-- " + _item(2) + " -->\n" + _item(3)))
    assert [i.id for i in items] == [1, 3]


def test_item_markup_inside_a_value_is_text(tmp_path):
    body = _item(1).replace("Body 1", "code: </item><item><title>x</title> and a split ]]]]><![CDATA[> <item>")
    items, _ = _read(tmp_path, _export(body + "\n" + _item(2)))
    assert [i.id for i in items] == [1, 2]
    assert items[0].content == "code: </item><item><title>x</title> and a split ]]> <item>"


def test_end_tag_of_an_item_without_its_gt(tmp_path):
    items, notices = _read(tmp_path, _export(_item(1)[:-1] + "\n" + _item(2)))
    assert [(i.id, i.damage) for i in items] == [(1, []), (2, [])]
    assert any("'>' added to an end tag </item> (line 5)" in n.message and n.item_id == 1 for n in notices)


def _many_unclosed(opener: str, n: int) -> str:
    header = "<description>" + opener * 3 + "</description>\n"
    return _export(header + _item(1, "x " + opener * n) + "\n" + _item(2) + "\n" + _item(3))


@pytest.mark.parametrize("opener", ["<!-- ", "<![CDATA[ ", "<?php "])
def test_unclosed_openers_take_linear_time(tmp_path, opener):
    """100,000 unclosed `<!--` (or others) in one title: every one is read as text, and four times as
    many take about four times as long (a search to the end of the file per opener would take 16 times)."""

    def timed(n: int) -> float:
        path = tmp_path / f"many-{n}.xml"
        path.write_text(_many_unclosed(opener, n), encoding="utf-8")
        start = time.perf_counter()
        items = _read_items(path, [])
        elapsed = time.perf_counter() - start
        assert [i.id for i in items] == [1, 2, 3]
        assert items[0].title.count(opener.strip()) == n
        return elapsed

    timed(1000)  # warm up
    small, large = timed(25_000), timed(100_000)
    print(f"\n{opener.strip()} × 25,000: {small:.3f}s, × 100,000: {large:.3f}s (ratio {large / small:.1f})")
    assert large / small < 10, f"{small:.3f}s for 25,000, {large:.3f}s for 100,000"


# -- item identity ---------------------------------------------------------------------------------


def test_two_items_on_one_line_are_two_items(tmp_path):
    one_line = (wxr_item(1, "First") + wxr_item(2, "Second")).replace("\n", "")
    path = tmp_path / "one-line.xml"
    path.write_text(WXR_HEAD + one_line + "</channel></rss>\n", encoding="utf-8")
    plan = plan_site([path], Mappings.load(), media=OFFLINE)
    assert [(o.id, o.outcome) for o in plan.outcomes] == [(1, "written"), (2, "written")]
    assert plan.outcomes[0].source.line == plan.outcomes[1].source.line
    assert (
        len([f for f in plan.files.values() if f.role == "content" and f.path.endswith(("first.md", "second.md"))]) == 2
    )


def test_a_second_export_of_the_same_items_reads_them_as_duplicates(tmp_path):
    """A later export that holds the same items (the very same file is refused: tests/test_inputs.py)."""
    later = tmp_path / "later.xml"
    later.write_bytes(SAMPLE.read_bytes() + b"<!-- exported again -->\n")
    once = migrate([SAMPLE], tmp_path / "once", dry_run=True).plan
    twice = migrate([SAMPLE, later], tmp_path / "twice", dry_run=True).plan
    first, second = twice.outcomes[:13], twice.outcomes[13:]
    assert [(o.id, o.outcome, o.reason) for o in first] == [(o.id, o.outcome, o.reason) for o in once.outcomes]
    assert len(second) == 13
    for copy, original in zip(second, first, strict=True):
        assert copy.id == original.id and copy.source.line == original.source.line
        assert copy.source.file == str(later)
        assert (copy.outcome, copy.reason) == (
            "skipped",
            f"duplicate: item {original.id} was read at {original.source}",
        )
    assert sorted(p for p, f in twice.files.items() if f.role == "content") == sorted(
        p for p, f in once.files.items() if f.role == "content"
    )
