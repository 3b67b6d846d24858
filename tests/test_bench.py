"""bench/run.py's generator stays usable: a generated export migrates with every item accounted for.

The benchmark itself (npm, minutes of runs) is not part of the suite; this only keeps its generator
from rotting as the reader and the report change."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
WP = "{http://wordpress.org/export/1.2/}"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _migrate(export: Path, site: Path) -> dict:
    report = site.with_suffix(".json")
    cmd = [sys.executable, "-m", "migrate", "migrate", str(export), "--out", str(site), "--no-download", "-q"]
    proc = subprocess.run([*cmd, "--report", str(report)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return json.loads(report.read_text())


def test_generated_export_migrates_with_every_item_accounted_for(tmp_path):
    bench = _bench()
    export = bench.generate(bench.SAMPLE, tmp_path / "export.xml", items=200)
    assert export.items >= 200 and export.items % export.copies == 0

    root = etree.parse(str(export.path)).getroot()
    items = root.findall("channel/item")
    assert len(items) == export.items
    ids = Counter(it.findtext(f"{WP}post_id") for it in items)
    assert max(ids.values()) == 1, "post ids are unique"
    links = Counter(it.findtext("link") for it in items)
    assert max(links.values()) == 1, "links are unique"
    slugs = Counter(it.findtext(f"{WP}post_name") for it in items if it.findtext(f"{WP}post_name"))
    assert max(slugs.values()) == 1, "slugs are unique"
    # a copy's parents point into the same copy, at items that exist
    stride = bench.Replicator(bench.SAMPLE).stride
    for it in items:
        parent = it.findtext(f"{WP}post_parent")
        if parent != "0":
            assert parent in ids
            assert int(parent) // stride == int(it.findtext(f"{WP}post_id")) // stride

    data = _migrate(export.path, tmp_path / "site")
    counts = data["summary"]["items"]
    assert counts["read"] == export.items
    assert counts["written"] + counts["draft"] + counts["skipped"] == export.items
    assert counts["written"] + counts["draft"] == export.expected_ours
    assert not [r for r in data["summary"]["skipped_by_reason"] if r["reason"].startswith("damaged")]
    assert len({o["output"] for o in data["items"] if o["output"]}) == export.expected_ours
    # copies add no warning of their own (no two items wanting one URL, no broken link): only the sample's
    once = _migrate(bench.SAMPLE, tmp_path / "one")["summary"]["items"]["warnings"]
    assert counts["warnings"] == once * export.copies, data["warnings"][:5]
    written = [p for p in (tmp_path / "site" / "content").rglob("*.md") if p.name != "_index.md"]
    assert len(written) == export.expected_ours
    # and the copies' featured image is its own copy's attachment, renamed with it
    assert (tmp_path / "site" / "static").exists()
    assert "moon-r3" in export.path.read_text(encoding="utf-8")
