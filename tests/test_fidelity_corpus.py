"""The converter meets the fidelity bars over every real-* and ttd-* export of the corpus.

Bars (issue 3): ≥ 99.5% of the visible words WordPress showed are kept; ≥ 98% of posts have
identical structure; no raw HTML of the listed kinds and no shortcode or block comment that
WordPress would have rendered is left in any body.
"""

from __future__ import annotations

import pytest

from migrate.fidelity.compare import summarize
from migrate.fidelity.measure import measure_export
from migrate.mappings import Mappings

from .conftest import CORPUS

FILES = sorted(CORPUS.glob("real-*.xml")) + sorted(CORPUS.glob("ttd-*.xml")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpus/wxr is not here")


@pytest.fixture(scope="module")
def measured():
    mappings = Mappings.load()
    return {path.name: list(measure_export(path, mappings)) for path in FILES}


def test_corpus_meets_the_fidelity_bars(measured):
    everything = summarize((f"{site}: {m.name}", m.result) for site, items in measured.items() for m in items)
    assert everything.items > 1000
    assert everything.words_ratio >= 0.995, everything.words_ratio
    assert everything.structure_ratio >= 0.98, everything.structure_ratio
    assert everything.raw_html_items == 0
    assert everything.leftover_items == 0


def test_theme_unit_test_data_meets_the_bars(measured):
    ttd = summarize(
        (f"{site}: {m.name}", m.result) for site, items in measured.items() if site.startswith("ttd-") for m in items
    )
    assert ttd.items > 100
    assert ttd.words_ratio >= 0.995 and ttd.structure_ratio >= 0.98
    assert ttd.raw_html_items == 0 and ttd.leftover_items == 0
