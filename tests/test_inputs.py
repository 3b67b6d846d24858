"""Exports as users have them: gzipped, or a WordPress.com .zip of parts, read directly; a damaged
archive or an export given twice is one ExportError that names it, before anything is written."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site
from migrate.wxr.index import build_context
from migrate.wxr.inputs import Export, check_distinct
from migrate.wxr.model import Item
from migrate.wxr.reader import ExportError, read_export

from .conftest import OFFLINE, SAMPLES, WXR_HEAD, migrate, wxr, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"


def split_sample(folder: Path, names: tuple[str, str] = ("part-1.xml", "part-2.xml")) -> list[Path]:
    """The sample as WordPress.com splits a site: each part the whole header, and some of the items.
    A raw `&` in an item of the second part makes a warning with that part's line number."""
    text = SAMPLE.read_text("utf-8")
    starts = [m.start() for m in re.finditer(r"[ \t]*<item>", text)]
    end = text.rindex("</item>") + len("</item>\n")
    head, items, tail = text[: starts[0]], [text[a:b] for a, b in zip(starts, [*starts[1:], end])], text[end:]
    half = len(items) // 2
    second = items[half:]
    second[-1] = second[-1].replace("<title>", "<title>Tom & Jerry ", 1)
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for name, chunk in zip(names, (items[:half], second)):
        parts.append(folder / name)
        parts[-1].write_text(head + "".join(chunk) + tail, "utf-8")
    return parts


def tree(site: Path) -> dict[str, bytes]:
    """Every file of a site by path; the manifest without the times it records (a file written later
    is written later), and not the record of the run that made it."""
    out = {}
    for path in sorted(site.rglob("*")):
        if (
            path.is_file() and path.name != "last-run.json"
        ):  # the run's record: its inputs' digest, this folder's inodes
            data = path.read_bytes()
            if path.name == "manifest.json":
                manifest = json.loads(data)
                manifest["stats"] = {k: v[0] for k, v in manifest["stats"].items()}
                data = json.dumps(manifest, sort_keys=True).encode()
            out[path.relative_to(site).as_posix()] = data
    return out


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def raises(paths: list[Path]) -> str:
    with pytest.raises(ExportError) as exc:
        migrate(paths, paths[0].parent / "site")
    assert not (paths[0].parent / "site").exists()  # nothing written, not even the folder
    message = str(exc.value)
    assert "\n" not in message
    return message


# -- read directly ---------------------------------------------------------------------------------


def test_a_gzipped_export_makes_the_site_of_the_plain_one(tmp_path):
    plain = tmp_path / "plain" / SAMPLE.name
    plain.parent.mkdir()
    plain.write_bytes(SAMPLE.read_bytes())
    packed = tmp_path / "gz" / (SAMPLE.name + ".gz")
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    migrate([plain], tmp_path / "a")
    migrate([packed], tmp_path / "b")
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


def test_gzip_is_told_by_its_bytes_not_its_name(tmp_path):
    disguised = tmp_path / "export.xml"
    disguised.write_bytes(gzip.compress(SAMPLE.read_bytes()))
    items = [r for r in read_export(disguised, lambda n: None) if isinstance(r, Item)]
    assert len(items) == len([r for r in read_export(SAMPLE, lambda n: None) if isinstance(r, Item)]) > 0
    assert Export(disguised).documents[0].path == str(disguised)


def test_a_wordpress_com_zip_of_parts_makes_the_site_of_the_parts(tmp_path):
    parts = split_sample(tmp_path / "plain")
    archive = make_zip(
        tmp_path / "site.zip",
        {
            "export/part-2.xml": parts[1].read_bytes(),  # stored out of order: read in name order
            "__MACOSX/export/._part-1.xml": b"\x00\x05\x16\x07 AppleDouble",
            "export/README.txt": b"Your WordPress.com export",
            "export/part-1.xml": parts[0].read_bytes(),
        },
    )
    plain = migrate(parts, tmp_path / "a").plan
    zipped = migrate([archive], tmp_path / "b").plan
    assert tree(tmp_path / "b") == tree(tmp_path / "a")
    migrate([archive], tmp_path / "c", jobs=2)  # items parsed and converted by a pool's workers
    assert tree(tmp_path / "c") == tree(tmp_path / "a")
    assert [(o.id, o.outcome) for o in zipped.outcomes] == [(o.id, o.outcome) for o in plain.outcomes]

    said = [str(n) for n in zipped.notices]
    assert (
        f"{archive}: ignored 2 member(s) that are not XML exports: __MACOSX/export/._part-1.xml, export/README.txt"
        in said
    )
    # a line number names the member it is in
    repaired = [s for s in (str(n) for n in plain.notices) if "repaired" in s]
    assert repaired and all(s.startswith(f"{parts[1]}:") for s in repaired)
    assert [s.replace(str(parts[1]), f"{archive}:export/part-2.xml") for s in repaired] == [
        s for s in said if "repaired" in s
    ]


def test_every_pass_gives_an_item_of_a_zip_the_same_source(tmp_path):
    """The index pass and the convert pass both read the archive: an item is one item."""
    parts = split_sample(tmp_path / "plain")
    archive = make_zip(
        tmp_path / "site.zip", {"b/part-1.xml": parts[0].read_bytes(), "part-2.xml": parts[1].read_bytes()}
    )
    ctx = build_context([archive], lambda n: None)
    again = [r.source for r in read_export(archive, lambda n: None, str(archive)) if isinstance(r, Item)]
    assert [i.source for i in ctx.items] == again
    assert {s.file for s in again} == {f"{archive}:b/part-1.xml", f"{archive}:part-2.xml"}
    plan = plan_site([archive], Mappings.load(), media=OFFLINE)
    assert not [o for o in plan.outcomes if o.reason == "not indexed"]


def test_zip_members_are_read_in_name_order_numbers_by_value(tmp_path):
    one = wxr(wxr_item(1, "One")).encode()
    archive = make_zip(tmp_path / "s.zip", {f"s.{n}.xml": one.replace(b"One", f"N{n}".encode()) for n in (10, 2, 1)})
    assert [d.label for d in Export(archive).documents] == [f"{archive}:s.{n}.xml" for n in (1, 2, 10)]
    titles = [r.title for r in read_export(archive, lambda n: None) if isinstance(r, Item)]
    assert titles == ["N1", "N2", "N10"]


def _peak(path: Path) -> int:
    tracemalloc.start()
    try:
        count = sum(1 for r in read_export(path, lambda n: None) if isinstance(r, Item))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 30
    return peak


def test_members_are_streamed_never_whole_in_memory(tmp_path):
    """An archive takes the memory of its plain export (a block and an item), not of its member."""
    body = "<p>" + "word " * 200_000 + "</p>"  # 1 MB an item, 30 MB in all
    data = wxr(*(wxr_item(n, f"Post {n}", content=body) for n in range(1, 31))).encode()
    plain = tmp_path / "big.xml"
    plain.write_bytes(data)
    packed = tmp_path / "big.xml.gz"
    packed.write_bytes(gzip.compress(data, 1))
    zipped = make_zip(tmp_path / "big.zip", {"big.xml": data})
    base = _peak(plain)
    assert base < len(data) / 3
    for path in (packed, zipped):
        assert _peak(path) < base + (1 << 20), path.name


# -- damaged archives: one line naming the archive and the member ---------------------------------


def test_a_truncated_gzip(tmp_path):
    packed = gzip.compress(SAMPLE.read_bytes())
    path = tmp_path / "site.xml.gz"
    path.write_bytes(packed[: len(packed) // 2])
    assert raises([path]) == f"{path}: damaged gzip data: truncated (the file ends before its data does)"


def test_a_gzip_whose_crc_is_wrong(tmp_path):
    packed = bytearray(gzip.compress(SAMPLE.read_bytes()))
    packed[-8] ^= 0xFF  # the trailer's CRC-32
    path = tmp_path / "site.xml.gz"
    path.write_bytes(bytes(packed))
    message = raises([path])
    assert message.startswith(f"{path}: damaged gzip data: ") and "CRC" in message


def test_a_zip_member_with_a_bad_crc(tmp_path):
    data = SAMPLE.read_bytes()
    path = make_zip(tmp_path / "site.zip", {"a/part-1.xml": data}, zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    at = raw.index(data[:200])
    raw[at + len(data) // 2] ^= 0x01  # a byte of the stored member
    path.write_bytes(bytes(raw))
    message = raises([path])
    assert message.startswith(f"{path}:a/part-1.xml: damaged zip member: ") and "CRC" in message


def _declare_size(raw: bytearray, size: int) -> None:
    """Make every header of a one-member zip declare `size` uncompressed bytes."""
    local = raw.index(b"PK\x03\x04")
    struct.pack_into("<I", raw, local + 22, size)
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, size)


def test_a_zip_member_far_over_its_declared_size(tmp_path):
    """A bomb's trick: the headers promise little, the data inflates to much more. Reading stops at
    the promised size, and the CRC of what was read says it is not the member."""
    path = make_zip(tmp_path / "site.zip", {"part-1.xml": SAMPLE.read_bytes() * 20})
    raw = bytearray(path.read_bytes())
    _declare_size(raw, 4096)
    path.write_bytes(bytes(raw))
    message = raises([path])
    assert message.startswith(f"{path}:part-1.xml: damaged zip member: ") and "CRC" in message


def test_a_truncated_zip(tmp_path):
    path = make_zip(tmp_path / "site.zip", {"part-1.xml": SAMPLE.read_bytes()})
    path.write_bytes(path.read_bytes()[:-100])  # the central directory is at the end
    assert raises([path]).startswith(f"{path}: damaged zip archive: ")


def test_a_zip_without_an_xml_member(tmp_path):
    path = make_zip(tmp_path / "site.zip", {"README.txt": b"hello", "media/a.jpg": b"\xff\xd8"})
    assert raises([path]) == f"{path}: no XML file in the zip archive (it holds only README.txt, media/a.jpg)"
    empty = make_zip(tmp_path / "empty.zip", {})
    assert raises([empty]) == f"{empty}: no XML file in the zip archive (it is empty)"


def test_an_encrypted_zip_member(tmp_path):
    path = make_zip(tmp_path / "site.zip", {"part-1.xml": SAMPLE.read_bytes()})
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 8] |= 0x01  # the flag that says a password is needed
    path.write_bytes(bytes(raw))
    assert raises([path]) == f"{path}:part-1.xml: encrypted (a password is needed): unzip it first"


def test_a_damaged_archive_in_the_second_part_writes_nothing(tmp_path):
    parts = split_sample(tmp_path)
    packed = gzip.compress(parts[1].read_bytes())
    broken = tmp_path / "part-2.xml.gz"
    broken.write_bytes(packed[:-20])
    assert raises([parts[0], broken]).startswith(f"{broken}: damaged gzip data: ")


# -- one export, given twice -----------------------------------------------------------------------


def test_the_same_path_twice(tmp_path):
    parts = split_sample(tmp_path)
    assert raises([parts[0], parts[1], parts[0]]) == f"{parts[0]}: given twice: give each export once"


def test_one_file_under_two_names(tmp_path):
    parts = split_sample(tmp_path)
    link = tmp_path / "link.xml"
    link.symlink_to(parts[0])
    assert raises([parts[0], link]) == f"{parts[0]} and {link} are the same file: give each export once"
    hard = tmp_path / "hard.xml"
    os.link(parts[1], hard)
    assert raises([parts[1], hard]) == f"{parts[1]} and {hard} are the same file: give each export once"


def test_a_copy_under_another_name(tmp_path):
    parts = split_sample(tmp_path)
    copy = tmp_path / "copy.xml"
    copy.write_bytes(parts[1].read_bytes())
    assert raises([parts[0], parts[1], copy]) == (
        f"{parts[1]} and {copy} are the same export (the same bytes): give each export once"
    )


@pytest.mark.parametrize("packing", ["gzip", "zip"])
def test_an_export_and_its_archive(tmp_path, packing):
    parts = split_sample(tmp_path)
    if packing == "gzip":
        packed = tmp_path / "part-1.xml.gz"
        packed.write_bytes(gzip.compress(parts[0].read_bytes()))
        label = str(packed)
    else:
        packed = make_zip(tmp_path / "site.zip", {"x/part-1.xml": parts[0].read_bytes()})
        label = f"{packed}:x/part-1.xml"
    assert raises([parts[0], packed]) == (
        f"{parts[0]} and {label} are the same export (the same bytes once decompressed): give each export once"
    )


def _distinct(monkeypatch, *paths: Path) -> list[tuple[str, int | None]]:
    """check_distinct on `paths`, and the digests it took: (export, byte limit)."""
    taken: list[tuple[str, int | None]] = []
    real = Export.digest

    def digest(self, index, limit=None):
        taken.append((self.label, limit))
        return real(self, index, limit)

    monkeypatch.setattr(Export, "digest", digest)
    exports = [Export(p) for p in paths]
    try:
        check_distinct(exports)
    finally:
        for export in exports:
            export.close()
    return taken


def test_exports_of_one_size_are_told_apart_by_their_first_bytes(tmp_path, monkeypatch):
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_text(wxr(wxr_item(1, "Aaa")), "utf-8")
    b.write_text(wxr(wxr_item(1, "Bbb")), "utf-8")
    assert a.stat().st_size == b.stat().st_size
    assert _distinct(monkeypatch, a, b) == [(str(a), 1 << 16), (str(b), 1 << 16)]


def test_exports_of_different_sizes_are_not_read_to_be_told_apart(tmp_path, monkeypatch):
    parts = split_sample(tmp_path)
    packed = tmp_path / "part-2.xml.gz"
    packed.write_bytes(gzip.compress(parts[1].read_bytes()))
    zipped = make_zip(tmp_path / "more.zip", {"part-3.xml": wxr(wxr_item(1, "Three")).encode()})
    assert _distinct(monkeypatch, parts[0], packed, zipped) == []


# -- not an export file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.mkdir(), "not an export file: a folder"),
        (lambda p: os.mkfifo(p), "not an export file: a pipe (an export is read twice: give a file)"),
        (lambda p: p.symlink_to(p.parent / "gone.xml"), "cannot open: a symbolic link to nothing"),
        (lambda p: p.write_bytes(b""), "an empty file, not a WordPress export"),
        (lambda p: p.write_bytes(os.urandom(4000)), "not a WordPress export"),
    ],
    ids=["folder", "fifo", "broken-link", "empty", "garbage"],
)
def test_what_is_not_an_export_file(tmp_path, make, said):
    path = tmp_path / "export.xml"
    make(path)
    assert raises([path]).startswith(f"{path}: {said}")


def test_a_device_is_not_an_export(tmp_path):
    with pytest.raises(ExportError) as exc:
        list(read_export("/dev/null", lambda n: None))
    assert str(exc.value) == "/dev/null: not an export file: a device"


def test_a_zip_holding_an_xml_file_that_is_no_export(tmp_path):
    parts = split_sample(tmp_path)
    archive = make_zip(tmp_path / "site.zip", {"part-1.xml": parts[0].read_bytes(), "sitemap.xml": b"<urlset/>"})
    assert raises([archive]) == (
        f"{archive}:sitemap.xml: not a WordPress export (no <channel> or <item> element found)"
    )


def test_a_zip_of_parts_at_its_top_level_lists_the_parts_as_the_exports(tmp_path):
    """What WordPress.com sends: a zip of XML files at its top level, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("blog.wordpress.2024-05-01.000.xml", wxr(wxr_item(1, "One")))
        zf.writestr("blog.wordpress.2024-05-01.001.xml", wxr(wxr_item(2, "Two"), head=WXR_HEAD))
    path = tmp_path / "blog.wordpress.2024-05-01.zip"
    path.write_bytes(buf.getvalue())
    ctx = build_context([path], lambda n: None)
    assert [i.id for i in ctx.items] == [1, 2]
    assert [Path(f).name for f in ctx.files] == [
        "blog.wordpress.2024-05-01.000.xml",
        "blog.wordpress.2024-05-01.001.xml",
    ]
