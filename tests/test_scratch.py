"""A run killed before its end (SIGKILL, a power cut) cannot remove its scratch (run store, spool)
from the system's temporary folder; a later run removes it, and never a scratch whose run still lives
(issue 9: the test suite's crash tests left thousands of files in /tmp)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from migrate.store import RunStore, scratch

pytestmark = pytest.mark.skipif(scratch.fcntl is None, reason="no flock here: nothing is swept")

# a run that makes its scratch as a migration does (a plan: spool and store), then is killed, or waits
RUN = """
import os, signal, sys
from migrate.site.plan import Plan
plan = Plan(new_site=True)
from migrate.site.plan import Spool
plan.spool = Spool(plan)
plan.spool.put(b"bytes of a planned file")
from migrate.store import RunStore
store = RunStore(plan)
table = store.table()
table["k"] = "v"
table.flush()
print("ready", flush=True)
if sys.argv[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def _run(tmp_path: Path, how: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, how], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    return proc


def _age(folder: Path, seconds: float) -> None:
    then = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (then, then), follow_symlinks=False)


def _scratch(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("wp2zola-"))


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(scratch, "_swept", set())
    return tmp_path


def test_the_scratch_of_a_killed_run_goes_with_the_next_run(temp):
    killed = _run(temp, "kill")
    assert killed.wait() == -signal.SIGKILL
    left = _scratch(temp)
    assert any(n.endswith(".sqlite") for n in left) and any("spool" in n for n in left), left
    assert all(f"-{killed.pid}-" in n for n in left)  # named after its maker
    _age(temp, 120)

    class Owner:
        pass

    owner = Owner()
    store = RunStore(owner)
    table = store.table()
    table["x"] = 1
    table.flush()  # its file is made: the folder is swept first
    assert _scratch(temp) == [Path(store.path).name, Path(store.path).name + "-shm", Path(store.path).name + "-wal"]
    store.close()
    assert _scratch(temp) == []


def test_a_living_run_keeps_its_scratch_however_old(temp):
    living = _run(temp, "wait")
    try:
        _age(temp, 10 * 86400)
        before = _scratch(temp)
        assert scratch.sweep(str(temp)) == []
        assert _scratch(temp) == before
    finally:
        living.communicate("")
    assert living.returncode == 0
    assert _scratch(temp) == []  # a run that ends removes its own


def test_a_new_scratch_is_left_alone_and_so_is_a_locked_one(temp):
    killed = _run(temp, "kill")
    killed.wait()
    assert scratch.sweep(str(temp)) == []  # just made: it may not hold its lock yet
    left = _scratch(temp)
    _age(temp, 120)
    spool = next(temp / n for n in left if "spool" in n)
    # the same name held by another living process (a run on another machine sharing the folder)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()", str(spool)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        scratch._swept.clear()
        removed = scratch.sweep(str(temp))
        assert spool.name not in removed and spool.exists()
        assert sorted(removed) == sorted(n for n in left if "spool" not in n)
    finally:
        holder.communicate("")
    scratch._swept.clear()
    assert scratch.sweep(str(temp)) == [spool.name]


def test_scratch_named_before_the_pid_goes_only_when_a_day_old(temp):
    for name in ("wp2zola-run-ab12cd_e.sqlite", "wp2zola-run-ab12cd_e.sqlite-wal", "wp2zola-spool-zz99yy_x"):
        path = temp / name
        path.mkdir() if "spool" in name else path.write_bytes(b"")
    (temp / "wp2zola-spool-zz99yy_x" / "spool-1").write_bytes(b"x")
    (temp / "wp2zola-runner.txt").write_bytes(b"")  # not a scratch of ours
    (temp / "other-run-ab12cd_e.sqlite").write_bytes(b"")
    _age(temp, 3600)
    assert scratch.sweep(str(temp)) == []
    _age(temp, 2 * 86400)
    scratch._swept.clear()
    assert sorted(scratch.sweep(str(temp))) == [
        "wp2zola-run-ab12cd_e.sqlite",
        "wp2zola-run-ab12cd_e.sqlite-wal",
        "wp2zola-spool-zz99yy_x",
    ]
    assert _scratch(temp) == ["wp2zola-runner.txt"]


def test_a_folder_is_swept_once_a_process(temp):
    (temp / "wp2zola-run-ab12cd_e.sqlite").write_bytes(b"")
    assert scratch.sweep(str(temp)) == []
    _age(temp, 2 * 86400)
    assert scratch.sweep(str(temp)) == []  # the second time: not looked at


def test_what_is_not_a_scratch_under_its_name_stops_no_run(temp):
    # a pipe put there under a scratch's name (opening it would wait for a writer), and a pid no
    # process can have: the sweep passes them by, and the run goes on
    pipe = temp / "wp2zola-run-4000000-abcdefgh.sqlite"
    os.mkfifo(pipe)
    (temp / "wp2zola-spool-99999999999999999999-abcdefgh").mkdir()
    (temp / "wp2zola-run-ab12cd_e.sqlite-shm").symlink_to("/etc/passwd")
    _age(temp, 3 * 86400)
    removed = scratch.sweep(str(temp))
    assert pipe.name not in removed and pipe.exists()
    assert "wp2zola-spool-99999999999999999999-abcdefgh" not in removed
    assert "wp2zola-run-ab12cd_e.sqlite-shm" not in removed  # a link is not opened, nor followed
