"""Conversion in a pool of processes (`--jobs N`) gives the very output of one process: every file's
bytes, every item's outcome and every warning, in the same order — on the sample and on the corpus."""

from __future__ import annotations

import sys

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site

from .conftest import OFFLINE, SAMPLES, corpus_files

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the pool forks (Linux)")


def _signature(plan) -> tuple:
    files = {path: (f.data, f.ref) for path, f in plan.files.items()}
    return files, [(o.source, o.outcome, o.reason, o.file) for o in plan.outcomes], [str(n) for n in plan.notices]


def test_the_sample_converts_alike_with_any_number_of_jobs():
    mappings = Mappings.load()
    export = SAMPLES / "example-blog.wordpress.xml"
    one = _signature(plan_site([export], mappings, media=OFFLINE, jobs=1))
    assert one == _signature(plan_site([export], mappings, media=OFFLINE, jobs=3))


@pytest.mark.skipif(not corpus_files(), reason="no ../shared/corpus/wxr")
def test_the_corpus_converts_alike_with_any_number_of_jobs():
    mappings = Mappings.load()
    compared = 0
    for export in corpus_files():
        try:
            one = _signature(plan_site([export], mappings, media=OFFLINE, jobs=1))
        except Exception as err:  # an export that is no export fails alike either way
            with pytest.raises(type(err)):
                plan_site([export], mappings, media=OFFLINE, jobs=2)
            continue
        assert one == _signature(plan_site([export], mappings, media=OFFLINE, jobs=2)), export.name
        compared += 1
    assert compared > 50


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_plan_reads_each_export_once(monkeypatch, tmp_path, jobs):
    """The index pass scans each export; the convert pass (and the bundles' scan of what pages
    mention) read back the items it set aside, so a plan scans no export twice."""
    import dataclasses

    from migrate.wxr import xmlstream

    scans: list[str] = []
    real = xmlstream.Scanner.fragments

    def fragments(self):
        scans.append("scan")
        return real(self)

    monkeypatch.setattr(xmlstream.Scanner, "fragments", fragments)
    export = SAMPLES / "example-blog.wordpress.xml"
    plain = plan_site([export], Mappings.load(), media=OFFLINE, jobs=jobs)
    assert scans == ["scan"]
    bundled = plan_site([export], Mappings.load(), media=dataclasses.replace(OFFLINE, bundles=True), jobs=jobs)
    assert scans == ["scan", "scan"] and any(p.endswith("/index.md") for p in bundled.files)
    assert len(plain.outcomes) == len(bundled.outcomes) == 13
