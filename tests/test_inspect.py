"""`wp2zola inspect`: its counts agree with counts made without our reader, its fates and URLs with what
a dry run of the migration does, and it reads each export once, faster than a dry run."""

from __future__ import annotations

import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

import migrate.wxr.inputs as inputs
from migrate.audit.survey import SCHEMA_VERSION, inspect_exports
from migrate.cli import app
from migrate.mappings import Mappings
from migrate.pipeline import migrate
from migrate.wxr.index import build_context
from migrate.zola.urls import link_path

from .conftest import SAMPLES, corpus_files, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
FILES = corpus_files()
runner = CliRunner()


def _audit(*paths: Path) -> dict:
    return inspect_exports(list(paths), Mappings.load())


def _lxml_counts(path: Path) -> dict | None:
    """Items by (type, status), terms declared by taxonomy, and attachment sizes, by a plain lxml parse;
    None when the export is not well-formed, or not in a namespace WordPress writes."""
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError:
        return None
    uri = root.nsmap.get("wp") or ""
    if not re.fullmatch(r"http://wordpress\.org/export/1\.[012]/", uri):
        return None
    wp = "{" + uri + "}"
    items = root.findall("./channel/item")
    types = Counter((i.findtext(f"{wp}post_type", "").strip(), i.findtext(f"{wp}status", "").strip()) for i in items)
    terms: set[tuple[str, str]] = set()  # a term declared twice is one
    for el in root.iterfind("./channel/*"):
        if el.tag == f"{wp}category":
            terms.add(("category", el.findtext(f"{wp}category_nicename", "").strip()))
        elif el.tag == f"{wp}tag":
            terms.add(("post_tag", el.findtext(f"{wp}tag_slug", "").strip()))
        elif el.tag == f"{wp}term":
            terms.add((el.findtext(f"{wp}term_taxonomy", "").strip(), el.findtext(f"{wp}term_slug", "").strip()))
    sizes = []
    for item in items:
        for meta in item.iterfind(f"{wp}postmeta"):
            if (meta.findtext(f"{wp}meta_key") or "").strip() == "_wp_attachment_metadata":
                size = _top_level_filesize((meta.findtext(f"{wp}meta_value") or "").strip())
                if size is not None:
                    sizes.append(size)
    return {"types": types, "terms": Counter(t for t, _ in terms), "sizes": sizes, "items": len(items)}


def _top_level_filesize(serialized: str) -> int | None:
    """`filesize` of the outer PHP array (each of its `sizes` has one too): a scan that skips strings by
    their byte length and tracks the nesting, not our phpserial."""
    data = serialized.encode("utf-8")
    depth, pos = 0, 0
    while pos < len(data):
        m = re.compile(rb's:(\d+):"').match(data, pos)
        if m:
            value = data[m.end() : m.end() + int(m.group(1))]
            pos = m.end() + int(m.group(1)) + 2  # the string, its closing quote and `;`
            if depth == 1 and value == b"filesize":
                size = re.compile(rb"i:(\d+);").match(data, pos)
                return int(size.group(1)) if size else None
            continue
        depth += {ord("{"): 1, ord("}"): -1}.get(data[pos], 0)
        pos += 1
    return None


def _check_against_lxml(path: Path, audit: dict) -> bool:
    """False when lxml cannot read the export (the damaged ones): nothing to compare with."""
    expected = _lxml_counts(path)
    if expected is None:
        return False
    items = audit["items"]
    assert items["read"] == expected["items"]
    mine = Counter({(t, s): n for t, by in items["by_type"].items() for s, n in by.items()})
    # a repeated item is read, and counted once; its copies are listed by type
    repeated = Counter(items["repeated_by_type"])
    assert sum(mine.values()) + sum(repeated.values()) == expected["items"]
    assert (
        Counter(t for (t, _), n in expected["types"].items() for _ in range(n))
        == Counter(t for (t, _), n in mine.items() for _ in range(n)) + repeated
    ), path.name
    if not repeated:
        assert mine == expected["types"], path.name
    declared = {t["taxonomy"]: t["declared"] for t in audit["taxonomies"] if t["declared"]}
    assert declared == dict(expected["terms"]), path.name
    if not repeated:
        assert audit["media"]["with_size"] == len(expected["sizes"])
        assert audit["media"]["total_bytes"] == sum(expected["sizes"])
    return True


def _dry_run(paths: list[Path], out: Path):
    return migrate(paths, out, dry_run=True).plan


def _check_against_dry_run(audit: dict, plan) -> None:
    counts = plan.counts()
    assert audit["items"]["outcomes"] == {k: counts[k] for k in ("written", "draft", "skipped")}
    assert audit["items"]["read"] == counts["read"]
    # the URLs that change are those a dry run gives published items other than their old permalink
    moved = {
        (o.id, o.path)
        for o in plan.outcomes
        if o.outcome == "written" and o.link.strip() and link_path(o.link) != o.path
    }
    assert {(c["id"], c["new"]) for c in audit["problems"]["url_changes"]} == moved
    # what the renderer leaves as text, and the plugin blocks it meets, as the items the migration converts
    assert {s["name"]: s["items"] for s in audit["shortcodes"] if s["treatment"] == "text"} == dict(
        plan.unknown_shortcodes
    )
    assert {b["name"]: b["items"] for b in audit["blocks"] if not b["name"].startswith("core/")} == dict(
        plan.plugin_blocks
    )
    # what a block or shortcode is, not what the render met (a gallery whose images are not in the export)
    dropped = {k for k in plan.dropped if re.fullmatch(r"block \S+|shortcode \[[^\]]+\]", k)}
    mine = {f"block {b['name']}" for b in audit["blocks"] if b["treatment"].get("dropped")}
    mine |= {f"shortcode [{s['name']}]" for s in audit["shortcodes"] if s["treatment"] == "dropped"}
    assert mine == dropped


def test_sample_agrees_with_lxml_and_a_dry_run(tmp_path):
    audit = _audit(SAMPLE)
    assert _check_against_lxml(SAMPLE, audit)
    _check_against_dry_run(audit, _dry_run([SAMPLE], tmp_path / "site"))
    assert audit["schema_version"] == SCHEMA_VERSION
    assert audit["items"]["outcomes"] == {"written": 7, "draft": 3, "skipped": 3}
    assert {a["login"]: a["items"] for a in audit["authors"]} == {"alice": 6, "bob": 4}
    tags = next(t for t in audit["taxonomies"] if t["taxonomy"] == "post_tag")
    assert (tags["zola"], tags["declared"], tags["used"]) == ("tag", 3, 3)
    assert audit["content"]["markup"] == "html"
    assert audit["hosts"]["home"] == "example.org"
    assert audit["media"] == {"attachments": 1, "with_size": 1, "total_bytes": 26639, "by_kind": {"image": 1}}
    fates = {(g["outcome"], g["reason"]): g["count"] for g in audit["problems"]["not_published"]}
    assert fates[("skipped", "status trash")] == 1 and fates[("draft", "status private")] == 1


BODY = (
    '[caption id="a" width="300"]<img src="https://example.com/wp-content/uploads/a.png"> A cat[/caption]\n'
    '[gallery ids="1,2"] [[gallery]] [archives]\n'
    '[button url="https://shop.example.net/buy"]Buy[/button] [button url="x"]Again[/button]\n'
    '[code lang="php"][notashortcode key="1"]x[/notashortcode][/code]\n'
    '<pre>[sample a="1"]y[/sample]</pre>\n'
    '<img src="//images.cdn.example/p.jpg"> https://www.youtube.com/watch?v=abc\n'
)
BLOCKS = (
    "<!-- wp:paragraph --><p>One</p><!-- /wp:paragraph -->"
    "<!-- wp:latest-posts /-->"
    '<!-- wp:acme/widget {"x":1} --><div>Widget</div><!-- /wp:acme/widget -->'
    '<!-- wp:block {"ref":99} /-->'
    '<!-- wp:block {"ref":40} /-->'
)


def test_shortcodes_blocks_hosts_and_problems(write_export, tmp_path):
    path = write_export(
        wxr_item(1, "Classic", content=BODY),
        wxr_item(2, "Blocks", content=BLOCKS),
        wxr_item(3, "Classic", slug="classic", date="2022-03-01 10:00:00", date_gmt="2022-03-01 09:00:00"),
        wxr_item(4, "Child", type="page", parent=77),
        wxr_item(5, "Old", link="https://example.com/old-page.html", type="page"),
        wxr_item(6, "Thing", type="acme_record", content="[button]x[/button]"),
        wxr_item(7, "Same", link="https://example.com/same/", type="page"),
        wxr_item(8, "Same too", slug="same-too", link="https://example.com/Same", type="page"),
        wxr_item(9, "Trashed", status="trash", content="[neverseen a=1][/neverseen]"),
        wxr_item(40, "Reusable", type="wp_block", content="<!-- wp:paragraph --><p>R</p><!-- /wp:paragraph -->"),
        # a raw & and a control character: repaired, with a notice naming the line
        wxr_item(10, "Fish & chips\x01"),
    )
    audit = _audit(path)
    _check_against_dry_run(audit, _dry_run([path], tmp_path / "site"))
    codes = {s["name"]: s for s in audit["shortcodes"]}
    assert codes["caption"]["treatment"] == "converted" and codes["caption"]["count"] == 1
    assert codes["gallery"]["count"] == 1  # [[gallery]] is an escape, shown as text, never run
    assert (codes["archives"]["treatment"], codes["archives"]["converted"]) == ("dropped", False)
    assert (codes["button"]["count"], codes["button"]["items"], codes["button"]["converted"]) == (3, 2, False)
    assert codes["code"]["treatment"] == "code"
    # brackets in code are the sample's; a skipped item's body is not what is migrated
    assert not {"notashortcode", "sample", "neverseen"} & set(codes)
    blocks = {b["name"]: b for b in audit["blocks"]}
    assert blocks["core/latest-posts"]["treatment"] == {"dropped": 1}
    assert blocks["acme/widget"]["treatment"] == {"inner_html": 1} and blocks["acme/widget"]["converted"]
    assert blocks["core/paragraph"]["treatment"] == {"converted": 1}
    hosts = {h["host"]: h for h in audit["hosts"]["referenced"]}
    assert hosts["example.com"]["site"] and not hosts["shop.example.net"]["site"]
    assert hosts["images.cdn.example"]["urls"] == 1 and hosts["www.youtube.com"]["items"] == 1
    problems = audit["problems"]
    assert problems["missing_reusable_blocks"] == [99]
    assert [(p["id"], p["parent"]) for p in problems["missing_parents"]] == [(4, 77)]
    assert problems["unknown_post_types"] == [{"type": "acme_record", "items": 1}]
    assert {(d["slug"], tuple(d["items"])) for d in problems["duplicate_slugs"]} == {("classic", (1, 3))}
    assert [d["items"] for d in problems["duplicate_urls"]] == [[7, 8]]
    changed = {c["id"]: c for c in problems["url_changes"]}
    assert (changed[5]["old"], changed[5]["new"], changed[5]["kept_by"]) == ("/old-page.html", "/old-page/", "alias")
    assert changed[8]["kept_by"] == "none"  # /Same is taken by item 7: the old URL shows another page
    assert any(n["item"] == 10 and n["line"] for n in problems["read"])
    assert any("taken by item 7" in n["message"] for n in problems["planning"])


def test_reads_each_export_once(monkeypatch, tmp_path):
    """Bytes read from each export: one pass (and the few bytes that tell a plain export from an archive)."""
    read: Counter[str] = Counter()
    real_open = inputs._open_file

    class Counting(io.BufferedReader):
        def read(self, size=-1, /):
            data = super().read(size)
            read[self.name] += len(data)
            return data

        def readinto(self, buffer, /):
            n = super().readinto(buffer)
            read[self.name] += n or 0
            return n

    def counting_open(path, label):
        real_open(path, label).close()  # its checks, then the same file through a counting reader
        return Counting(io.FileIO(str(path), "rb"))

    monkeypatch.setattr(inputs, "_open_file", counting_open)
    second = tmp_path / "second.xml"
    second.write_bytes(SAMPLE.read_bytes() + b"<!-- a later export of the same site -->\n")  # not the same bytes
    audit = _audit(SAMPLE, second)
    sizes = {str(p): p.stat().st_size for p in (SAMPLE, second)}
    assert set(read) == set(sizes)
    for name, n in read.items():
        assert sizes[name] <= n <= sizes[name] + 64, (name, n, sizes[name])  # once, the sniffed head aside
    assert audit["items"]["repeated"] == audit["items"]["unique"]  # the same site twice: every item once
    # the reader does read through that name: the same for the index pass alone
    read.clear()
    build_context([SAMPLE], lambda n: None)
    assert sizes[str(SAMPLE)] <= read[str(SAMPLE)] <= sizes[str(SAMPLE)] + 64


def test_cli_table_json_and_bad_input(tmp_path):
    result = runner.invoke(app, ["inspect", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "13 items read: 7 to publish, 3 drafts, 3 skipped" in result.output
    assert "Alice Martin (6)" in result.output and "items by type" in result.output
    assert re.search(r"status trash", result.output)

    result = runner.invoke(app, ["inspect", str(SAMPLE), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert list(data) == [
        "schema_version",
        "exports",
        "site",
        "items",
        "authors",
        "taxonomies",
        "content",
        "shortcodes",
        "blocks",
        "hosts",
        "media",
        "problems",
    ]
    assert data == json.loads(json.dumps(_audit(SAMPLE)))  # the library's audit, as it is

    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"\x00\x01 not an export at all")
    for bad in (junk, tmp_path / "absent.xml", tmp_path):
        result = runner.invoke(app, ["inspect", str(bad)])
        assert result.exit_code == 1, (bad, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("wp2zola: error: ") and str(bad) in lines[0], lines


@pytest.mark.skipif(not FILES, reason="../shared/corpus/wxr is not here")
def test_corpus_agrees_with_lxml_and_dry_runs(tmp_path):
    compared = 0
    for n, path in enumerate(FILES):
        audit = _audit(path)
        compared += _check_against_lxml(path, audit)
        _check_against_dry_run(audit, _dry_run([path], tmp_path / f"site{n}"))
    assert compared >= len(FILES) // 2  # most of the corpus is well-formed: the lxml count is no formality


def test_faster_than_a_dry_run(tmp_path):
    """Same process, interleaved, best of three: inspect against `migrate --dry-run` on the biggest export
    at hand. Measured about 0.3; the bound is generous, the claim is "at least as fast"."""
    path = max(FILES, key=lambda p: p.stat().st_size) if FILES else SAMPLE
    mappings = Mappings.load()
    inspect_times, dry_times = [], []
    for _ in range(3):
        start = time.perf_counter()
        inspect_exports([path], mappings)
        inspect_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        migrate([path], tmp_path / "site", dry_run=True)
        dry_times.append(time.perf_counter() - start)
    ratio = min(inspect_times) / min(dry_times)
    print(
        f"\nbenchmark {path.name}: inspect {min(inspect_times):.3f}s, dry run {min(dry_times):.3f}s, ratio {ratio:.2f}"
    )
    assert ratio < 1.0
