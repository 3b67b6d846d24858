"""The converter meets the fidelity bars over every real-* and ttd-* export of the corpus.

Bars (issue 3): ≥ 99.5% of the visible words WordPress showed are kept; ≥ 98% of posts have
identical structure; no raw HTML of the listed kinds and no shortcode or block comment that
WordPress would have rendered is left in any body.

Bars (issue 8), per site: ≥ 99.5% of the visible words of the stored content (read independently of
our renderer, `migrate/fidelity/stored.py`) are shown by Zola; no item renders to nothing.
"""

from __future__ import annotations

import pytest

from migrate.fidelity.compare import format_errors, format_table, summarize
from migrate.fidelity.measure import measure_export
from migrate.mappings import Mappings

from .conftest import CORPUS

FILES = sorted(CORPUS.glob("real-*.xml")) + sorted(CORPUS.glob("ttd-*.xml")) if CORPUS.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason="../shared/corpus/wxr is not here")

# Sites below the per-site bar because of a converter loss the measure found, with the cause; each
# must come off this list when its loss is fixed (a site listed here that meets the bar passes).
KNOWN_LOSSES: dict[str, str] = {}  # site → the converter loss that keeps it under the bar, while one does


@pytest.fixture(scope="module")
def measured():
    mappings = Mappings.load()
    return {path.name: list(measure_export(path, mappings)) for path in FILES}


@pytest.fixture(scope="module")
def sites(measured):
    return {site: summarize((m.name, m.result) for m in items) for site, items in measured.items()}


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


def test_no_item_renders_to_nothing(sites):
    assert not format_errors(sites), format_errors(sites)


def test_each_site_shows_its_stored_words(sites, capsys):
    with capsys.disabled():
        print("\n" + format_table(sites))  # the numbers the README and the issue quote
    assert all(s.stored_words > 0 for name, s in sites.items() if name != "real-iputcircle-ja.xml")
    below = {name: s.stored_ratio for name, s in sites.items() if s.stored_ratio < 0.995}
    unexplained = {name: f"{ratio:.2%}" for name, ratio in below.items() if name not in KNOWN_LOSSES}
    assert not unexplained, f"sites below 99.5% of their stored words: {unexplained}"
    if below:
        pytest.xfail(
            "converter losses, listed in KNOWN_LOSSES: "
            + "; ".join(f"{name} {ratio:.2%}: {KNOWN_LOSSES[name]}" for name, ratio in below.items())
        )
