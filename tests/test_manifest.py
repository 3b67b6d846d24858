"""The manifest keeps its records in a run store: read a line at a time, written in pieces, and the
same records whether the file is laid out as wp2zola writes it or otherwise (edited by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from migrate.site.manifest import MANIFEST, VERSION, Entry, Manifest

# any path, and the lone surrogates that os gives a name that is not UTF-8 (surrogateescape)
paths = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12) | st.text(
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF) | st.sampled_from('a/é\n"\\ \u2028'), max_size=6
)
records = st.dictionaries(
    paths,
    st.tuples(
        st.text(max_size=4),  # sha
        st.sampled_from(["site example.com", "export 0123", "a.xml b.xml"]),
        st.none() | st.tuples(st.integers(0, 2**40), st.integers(-(2**62), 2**62)),
        st.sampled_from(["", "https://example.com/a.jpg", "https://example.com/b.jpg"]),
    ),
    max_size=20,
)


def _recorded(manifest: Manifest) -> dict:
    return {p: manifest.entry(p) for p in manifest.paths()}


def _as_dicts(data: dict) -> dict:
    """What the records are as the four tables of the file."""
    return {
        "version": VERSION,
        "files": {p: r[0] for p, r in data.items()},
        "origins": {p: r[1] for p, r in data.items()},
        "stats": {p: list(r[2]) for p, r in data.items() if r[2] is not None},
        "sources": {p: r[3] for p, r in data.items() if r[3]},
    }


def _filled(tmp: Path, data: dict) -> Manifest:
    manifest = Manifest()
    for path, (sha, origin, stat, source) in data.items():
        manifest.record(path, "", "")  # recorded twice: the last is kept
        manifest._set(path, Entry(sha, origin, stat, source))  # a medium's stat without a file to stat
    return manifest


@settings(max_examples=60, deadline=None)
@given(records)
def test_written_and_read_back_the_records_are_the_same(tmp_path_factory, data):
    site = tmp_path_factory.mktemp("site")
    (site / ".wp2zola").mkdir()
    manifest = _filled(site, data)
    assert len(manifest) == len(data)
    assert list(manifest.paths()) == sorted(data)  # sorted as Python sorts, surrogates too
    text = manifest.to_bytes()
    (site / MANIFEST).write_bytes(text)
    read = Manifest.read(site)
    assert not read.problem and read.version == VERSION and len(read) == len(data)
    assert _recorded(read) == _recorded(manifest)
    assert read.to_bytes() == text  # a re-run writes the same bytes
    assert json.loads(text) == _as_dicts(data)  # what any JSON reader makes of it: UTF-8, the four tables


@settings(max_examples=40, deadline=None)
@given(records, st.sampled_from([None, 0, 2]))
def test_a_manifest_laid_out_otherwise_is_read_whole_to_the_same_records(tmp_path_factory, data, indent):
    site = tmp_path_factory.mktemp("site")
    (site / ".wp2zola").mkdir()
    (site / MANIFEST).write_text(json.dumps(_as_dicts(data), indent=indent), encoding="utf-8")
    read = Manifest.read(site)
    assert not read.problem and len(read) == len(data)
    assert _recorded(read) == _recorded(_filled(site, data))


def test_records_of_no_file_and_values_of_the_wrong_kind_are_not_records(tmp_path):
    (tmp_path / ".wp2zola").mkdir()
    (tmp_path / MANIFEST).write_text(
        json.dumps(
            {
                "version": 3,
                "files": {"a.md": "1", "b.jpg": "2"},
                "origins": {"a.md": "site x", "gone.md": "site x"},
                "stats": {"b.jpg": [1, "2"], "gone.md": [1, 2]},
                "sources": {"gone.md": "https://x/"},
                "extra": {"kept": "out"},
            },
            indent=1,
        )
    )
    read = Manifest.read(tmp_path)
    assert list(read.paths()) == ["a.md", "b.jpg"]
    assert read.origin("a.md", "?") == "site x" and read.origin("b.jpg", "?") == "?"
    assert read.stat("b.jpg") is None and not read.wrote("gone.md") and read.file_from("https://x/") == ""


def test_a_cut_manifest_is_corrupt(tmp_path):
    manifest = _filled(tmp_path, {"a.md": ("1", "site x", None, "")})
    (tmp_path / ".wp2zola").mkdir()
    (tmp_path / MANIFEST).write_bytes(manifest.to_bytes()[:-4])
    assert "corrupt" in Manifest.read(tmp_path).problem


def test_forgotten_and_recorded_again_across_batches(tmp_path):
    manifest = Manifest()
    for n in range(5000):  # more than a batch: some in the store, some waiting
        manifest.record(f"f{n:05}.md", str(n), "site x")
    for n in range(0, 5000, 2):
        manifest.forget(f"f{n:05}.md")
    manifest.record("f00000.md", "again", "site y", source="https://x/a.jpg")
    assert len(manifest) == 2501
    assert manifest.sha("f00000.md") == "again" and manifest.sha("f00002.md") is None
    assert manifest.file_from("https://x/a.jpg") == "f00000.md"
    assert manifest.adopt("site z") == 0  # only origins that name export files are adopted
    walked = [f"f{n:05}.md" for n in range(1, 5000, 2)]
    assert list(manifest.unseen(lambda seen: [seen(p) for p in walked[1:]])) == ["f00000.md", "f00001.md"]


def test_a_stats_check_names_the_first_file_unlike_its_record():
    """Files told in walk order: one recorded with the same size and time passes; one recorded with
    another time, one recorded without a size, and one not recorded do not, and the first of them is named."""
    manifest = Manifest()
    manifest.record("a.md", "0" * 64, "site x", known=(3, 100))
    manifest.record("b.md", "0" * 64, "site x", known=(3, 100))
    manifest.record("c.md", "0" * 64, "site x")
    check = manifest.stats_check()
    check.add("a.md", 3, 100)
    assert check.first_unlike() == ""
    for path, size, mtime in (("a.md", 3, 100), ("c.md", 1, 1), ("b.md", 3, 101), ("new.md", 1, 1)):
        check.add(path, size, mtime)
    assert check.first_unlike() == "c.md"
    again = manifest.stats_check()  # a new check forgets what the last was told
    again.add("b.md", 3, 101)
    assert again.first_unlike() == "b.md"
    assert Manifest().stats_check().first_unlike() == ""
    empty = Manifest().stats_check()
    empty.add("x.md", 1, 1)
    assert empty.first_unlike() == "x.md"
