"""The plan sets every file's bytes aside in a spool outside the site as they are made (issue 9:
memory that does not grow with the site): the bytes read back are the ones made, the spool goes
with its plan, and a forked process never removes its parent's."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

from migrate.mappings import Mappings
from migrate.pipeline import plan_site
from migrate.site.plan import Plan, PlannedFile, Spool, Stored

from .conftest import OFFLINE, SAMPLES

SAMPLE = SAMPLES / "example-blog.wordpress.xml"


def test_every_planned_file_is_kept_aside_and_reads_back():
    plan = plan_site([SAMPLE], Mappings.load(), media=OFFLINE)
    assert plan.spool is not None
    files = [f for f in plan.files.values() if f.ref is None]
    assert files and all(isinstance(f.body, Stored) for f in files)
    spooled = sum(f.body.size for f in files if isinstance(f.body, Stored))
    on_disk = sum(p.stat().st_size for p in Path(plan.spool.folder).glob("spool-*"))
    assert spooled == on_disk  # each file once, nothing else (beside it: the run's store)
    page = plan.files["config.toml"].data
    assert page is not None and page.startswith(b"#")


def test_bytes_added_read_back_as_they_were():
    plan = Plan()
    plan.spool = Spool(plan)
    blobs = [b"", b"x", "é\n".encode() * 1000, bytes(range(256))]
    for n, blob in enumerate(blobs):
        plan.add(PlannedFile(f"content/{n}.md", "content", blob))
    assert [plan.files[f"content/{n}.md"].data for n in range(len(blobs))] == blobs
    assert plan.files["content/1.md"].sha == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"


def _open_files() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def test_the_spool_goes_with_its_plan():
    """Its folder and its open file: a library that plans many sites in one process keeps neither."""
    gc.collect()  # what earlier tests left, closed now
    before = _open_files()
    plan = plan_site([SAMPLE], Mappings.load(), media=OFFLINE)
    assert plan.spool is not None
    folder = Path(plan.spool.folder)
    assert folder.is_dir()
    del plan
    gc.collect()
    assert not folder.exists()
    assert _open_files() == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork")
def test_a_forked_process_leaves_its_parents_spool_alone():
    plan = plan_site([SAMPLE], Mappings.load(), media=OFFLINE)
    assert plan.spool is not None
    folder = Path(plan.spool.folder)
    pid = os.fork()
    if pid == 0:  # the child drops its copy of the plan, as a pool worker may
        del plan
        gc.collect()
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    assert folder.is_dir()
    assert plan.files["config.toml"].data


def test_two_files_of_one_spool_read_piece_by_piece_in_turn_keep_their_bytes():
    owner = Plan(new_site=True)
    spool = Spool(owner)
    data = {"a": b"a" * 10 + b"A" * 10, "b": b"b" * 7 + b"B" * 7}
    readers = {k: spool.put(v).pieces(5) for k, v in data.items()}  # the spool's one reader, shared
    got = {k: b"" for k in data}
    while readers:
        for k in list(readers):
            piece = next(readers[k], None)
            if piece is None:
                del readers[k]
            else:
                got[k] += piece
    assert got == data
    spool.close()
