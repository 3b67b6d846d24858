"""Nothing lost, whatever happens to a run: killed at any moment, stopped by a signal, out of disk space,
or racing another run. After each, the next run ends with the site an uninterrupted run makes, byte
for byte, with no stray file.

The kills are real (`os._exit` in a forked child, as kill -9 leaves a process: no `finally`, no
flush); they land before and after every rename and removal the run makes, so every state the disk
can be in between two of them is tried.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.pipeline import migrate
from migrate.site.journal import JOURNAL
from migrate.site.lastrun import STATE
from migrate.site.lock import LOCK, TMP_DIR, SiteLock
from migrate.site.manifest import MANIFEST

from .conftest import OFFLINE, ROOT, SAMPLES, refuse_renames, tmpfs

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
UPLOADS = SAMPLES / "uploads"
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills are made with fork")
runner = CliRunner()
KILLS: dict[str, list[int]] = {}  # scenario → [kills tried, kills survived]; printed at the end


def snapshot(site: Path) -> dict[str, object]:
    """Every file of the site with its bytes; the manifest by what it records (its media times differ
    from run to run by nature), the record of the last run by the inputs it names."""
    out: dict[str, object] = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site).as_posix()
        if path.is_dir():
            out[rel + "/"] = "folder"  # an empty folder left behind is a stray too
            continue
        if rel == MANIFEST:
            data = json.loads(path.read_text("utf-8"))
            out[rel] = {k: data[k] for k in ("version", "files", "origins", "sources")}
        elif rel == STATE:  # a complete run's record (its key depends on the options, its state on inodes)
            data = json.loads(path.read_text("utf-8"))
            out[rel] = {"missing": data["missing"]}
        else:
            out[rel] = path.read_bytes()
    return out


def updated_export(tmp_path: Path) -> Path:
    """The sample a month later: a post retitled, one gone, one new."""
    text = SAMPLE.read_text("utf-8")
    items = text.split("<item>")
    assert len(items) > 4
    gone = next(i for i, part in enumerate(items) if "<wp:post_type><![CDATA[post]]>" in part and i > 1)
    del items[gone]
    text = "<item>".join(items)
    text = text.replace("</channel>", NEW_ITEM + "</channel>", 1)
    first_title = text.index("<title>", text.index("<item>"))
    text = text[:first_title] + "<title>Retitled: " + text[first_title + len("<title>") :]
    path = tmp_path / "updated.xml"
    path.write_text(text, "utf-8")
    return path


NEW_ITEM = """<item>
<title>Written later</title>
<link>https://example.com/2023/05/written-later/</link>
<dc:creator><![CDATA[admin]]></dc:creator>
<content:encoded><![CDATA[<p>A post of May.</p>]]></content:encoded>
<wp:post_id>9001</wp:post_id>
<wp:post_date><![CDATA[2023-05-02 10:00:00]]></wp:post_date>
<wp:post_date_gmt><![CDATA[2023-05-02 10:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[written-later]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
</item>
"""


class _Kill:
    """Counts the run's renames and removals in the site; exits the process (no cleanup at all) at event
    `at`. Event 2n is just before the n-th operation, 2n+1 just after it. Those outside the site (its
    scratch files in the system's temporary folder, swept by a later run) are not counted: the points
    named below stay where they are when the planning's own housekeeping changes."""

    def __init__(self, at: int | None, site: Path):
        self.at, self.events, self.site = at, 0, os.path.abspath(site) + os.sep
        self.replace, self.unlink, self.rmdir = os.replace, os.unlink, os.rmdir

    def _tick(self) -> None:
        if self.events == self.at:
            os._exit(137)
        self.events += 1

    def wrap(self, real):
        def op(*args, **kwargs):
            if not os.path.abspath(os.fspath(args[0])).startswith(self.site) or "dir_fd" in kwargs:
                return real(*args, **kwargs)
            self._tick()
            result = real(*args, **kwargs)
            self._tick()
            return result

        return op

    def install(self) -> None:
        os.replace = self.wrap(self.replace)
        os.unlink = self.wrap(self.unlink)
        os.rmdir = self.wrap(self.rmdir)


def run_in_child(export: Path, site: Path, kill_at: int | None, media=OFFLINE) -> tuple[int, int]:
    """Run a migration in a forked child that dies at event `kill_at`; (exit status, events seen)."""
    counter = Path(str(site) + ".events")
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            kill = _Kill(kill_at, site)
            kill.install()
            migrate([export], site, media=media)
            counter.write_text(str(kill.events))
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    events = int(counter.read_text()) if counter.exists() else -1
    counter.unlink(missing_ok=True)
    return os.waitstatus_to_exitcode(status), events


def copy_tree(src: Path, dst: Path) -> None:
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


@pytest.mark.parametrize("scenario", ["first run", "update"])
def test_a_run_killed_at_any_point_is_finished_by_the_next(tmp_path, scenario):
    export = SAMPLE if scenario == "first run" else updated_export(tmp_path)
    base = tmp_path / "base"
    if scenario == "update":
        migrate([SAMPLE], base, media=OFFLINE)
    else:
        base.mkdir()
    reference = tmp_path / "reference"
    copy_tree(base, reference)
    status, events = run_in_child(export, reference, None)
    assert status == 0 and events > 20
    expected = snapshot(reference)
    assert not any(k.startswith((TMP_DIR, JOURNAL)) for k in expected)

    survived = 0
    points = list(range(events))
    for n, at in enumerate(points):
        site = tmp_path / f"killed-{n}"
        copy_tree(base, site)
        status, _ = run_in_child(export, site, at)
        assert status == 137, f"event {at}: the run was not killed"
        result = migrate([export], site, media=OFFLINE)  # the next run, uninterrupted
        assert result.changes.by_action("conflict") == [], f"killed at event {at}"
        assert snapshot(site) == expected, f"killed at event {at}: the next run did not finish the site"
        survived += 1
    KILLS[scenario] = [len(points), survived]
    assert survived == len(points)


def test_a_second_run_refuses_while_one_is_writing(tmp_path):
    site = tmp_path / "site"
    with SiteLock(site):
        result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "another wp2zola run is writing this site" in lines[0], result.output
    assert not (site / "content").exists()
    ok = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS), "-q"])
    assert ok.exit_code == 0, ok.output


def _run_cli(site: Path, *extra: str, export: Path = SAMPLE) -> subprocess.Popen:
    code = "from migrate.cli import main; main()"
    argv = [sys.executable, "-c", code, "migrate", str(export), "--out", str(site), "--uploads-dir", str(UPLOADS)]
    return subprocess.Popen([*argv, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lock(site: Path, proc: subprocess.Popen) -> float | None:
    """Until the run holds the site's lock (its signal handlers are in place by then); when it did."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if (site / LOCK).exists():
            return time.monotonic()
        time.sleep(0.002)
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_file_in_hand_and_says_so(tmp_path, sig):
    """Real signals at seeded random moments of a real process: it stops with one line (or finishes
    first), and the next run completes the site exactly."""
    reference = tmp_path / "reference"
    started = time.monotonic()
    done = _run_cli(reference, "-q")
    begun = _wait_for_lock(reference, done)
    assert done.wait(120) == 0, done.stderr.read() if done.stderr else ""
    length = time.monotonic() - (begun or started)  # from taking the lock to the end of the process
    expected = snapshot(reference)
    rng = random.Random(7 + int(sig))
    interrupted = 0
    for n in range(8):
        site = tmp_path / f"site-{n}"
        proc = _run_cli(site, "-q")
        _wait_for_lock(site, proc)
        time.sleep(rng.uniform(0.0, length))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        code = proc.returncode
        if code == -sig:  # the signal came as the process was exiting, after the site was done
            assert snapshot(site) == expected
            continue
        assert code in (0, 130 if sig == signal.SIGINT else 143), err
        if code:
            interrupted += 1
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("wp2zola: interrupted by"), err
        again = _run_cli(site, "-q")
        assert again.wait(120) == 0
        assert snapshot(site) == expected
    KILLS[signal.Signals(sig).name] = [8, interrupted]
    assert interrupted >= 1  # the moments cover the run, so some signal must land inside it


@pytest.mark.parametrize("after", [0, 1, 5, 17])
def test_a_full_disk_gives_one_line_and_the_next_run_completes(tmp_path, monkeypatch, after):
    reference = tmp_path / "reference"
    migrate([SAMPLE], reference, media=OFFLINE)
    site = tmp_path / "site"
    refuse_renames(monkeypatch, errno.ENOSPC, lambda src, dst, n: n > after)  # the disk is full from then on
    result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS)])
    monkeypatch.undo()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no space left on the device" in lines[0] and "run the same command again" in lines[0]
    assert not list(site.rglob("*.wp2zola-tmp"))
    ok = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS), "-q"])
    assert ok.exit_code == 0, ok.output
    assert snapshot(site) == snapshot(reference)


def test_a_real_full_disk(tmp_path):
    """A tmpfs of 64 KB (where this machine lets us mount one): the same, without any injection."""
    with tmpfs(tmp_path / "small", "size=64k") as mount:
        site = mount / "site"
        result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS)])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "no space left" in lines[0], result.output
        moved = tmp_path / "moved"  # space found: the site is moved to a bigger disk and finished there
        copy_tree(site, moved)
        ok = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(moved), "--uploads-dir", str(UPLOADS), "-q"])
        assert ok.exit_code == 0, ok.output
        reference = tmp_path / "reference"
        migrate([SAMPLE], reference, media=OFFLINE)
        assert snapshot(moved) == snapshot(reference)


def test_temporary_files_of_older_versions_are_removed(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    manifest = json.loads((site / MANIFEST).read_text())
    manifest["version"] = 2
    (site / MANIFEST).write_text(json.dumps(manifest))
    stray = [site / "content" / ".draft.md.x1y2.wp2zola-tmp", site / "static" / ".a.jpg.zz.wp2zola-tmp"]
    for path in stray:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a private draft's body")
    result = migrate([SAMPLE], site, media=OFFLINE)
    assert not any(p.exists() for p in stray)
    assert any("temporary file(s) left by an interrupted earlier run" in n.message for n in result.plan.notices)


def test_no_temporary_file_is_ever_beside_the_site_files(tmp_path, monkeypatch):
    """Where Zola publishes (content/, static/), no temporary file appears, even for a moment."""
    seen: list[str] = []
    real = os.replace

    def replace(src, dst):
        seen.append(str(src))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    assert seen and all(Path(s).parent == site / TMP_DIR for s in seen), seen[:3]
    assert (site / LOCK).exists() and not (site / JOURNAL).exists() and not (site / TMP_DIR).exists()


def test_a_killed_fetching_run_is_finished_by_the_next(tmp_path):
    """The same sweep over a run that fetches its media from a server (one worker, so the kill points are
    the same each time), updating a site whose media moved."""
    import shutil

    from migrate.media.options import MediaOptions

    from .httpserver import TestServer
    from .test_media import JPEG, export

    uploads = tmp_path / "uploads"
    shutil.copytree(UPLOADS, uploads)
    (uploads / "2023/04/crater.jpg").write_bytes(JPEG)
    (uploads / "2023/04/crater2.jpg").write_bytes(JPEG + b"2")
    (uploads / "2023/04/guide.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    one = MediaOptions(workers=1)
    with TestServer() as server:
        server.serve_dir("/blog/wp-content/uploads/", uploads)
        first = export(tmp_path, server.url("/blog").rstrip("/"))
        second = tmp_path / "v2.xml"
        second.write_text(first.read_text().replace("crater.jpg", "crater2.jpg").replace("Second", "Second v2"))
        base = tmp_path / "base"
        migrate([first], base, media=one)
        reference = tmp_path / "reference"
        copy_tree(base, reference)
        status, events = run_in_child(second, reference, None, one)
        assert status == 0 and events > 10
        expected = snapshot(reference)
        for at in range(events):
            site = tmp_path / f"killed-{at}"
            copy_tree(base, site)
            assert run_in_child(second, site, at, one)[0] == 137
            result = migrate([second], site, media=one)
            assert result.changes.by_action("conflict") == [], f"killed at event {at}"
            assert snapshot(site) == expected, f"killed at event {at}"
    KILLS["update, fetching"] = [events, events]


def _no_room_for(name: str, monkeypatch) -> None:
    """A disk with room for every file but the one named (the manifest, say)."""
    refuse_renames(monkeypatch, errno.ENOSPC, lambda src, dst, n: dst.endswith(name))


def test_no_room_for_the_manifest_is_an_error_and_the_journal_stays(tmp_path, monkeypatch):
    site = tmp_path / "site"
    _no_room_for("manifest.json", monkeypatch)
    result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--uploads-dir", str(UPLOADS)])
    monkeypatch.undo()
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and MANIFEST in lines[0] and "no space left" in lines[0], result.output
    assert (site / JOURNAL).exists() and not (site / MANIFEST).exists()
    again = migrate([SAMPLE], site, media=OFFLINE)
    assert again.changes.by_action("conflict") == [] and not (site / JOURNAL).exists()
    reference = tmp_path / "reference"
    migrate([SAMPLE], reference, media=OFFLINE)
    assert snapshot(site) == snapshot(reference)


def test_a_recovery_that_cannot_be_recorded_keeps_the_dead_runs_journal(tmp_path, monkeypatch):
    """Killed, then a run whose manifest does not fit on the disk: that run fails (it does not exit 0 and
    drop the dead run's journal), and once there is room every file is still known as wp2zola's."""
    export = updated_export(tmp_path)
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    assert run_in_child(export, site, 12)[0] == 137
    _no_room_for("manifest.json", monkeypatch)
    with pytest.raises(Exception, match="no space left"):
        migrate([export], site, media=OFFLINE)
    monkeypatch.undo()
    assert migrate([export], site, media=OFFLINE).changes.by_action("conflict") == []
    back = migrate([SAMPLE], site, media=OFFLINE)  # and any later export finds no file taken for the user's
    assert back.changes.by_action("conflict") == []


def test_a_users_file_at_a_media_path_after_a_kill_stays_theirs(tmp_path):
    """A run killed before its media were placed; the user then puts a file of their own at one of those
    paths: it is kept as theirs, and no later run removes it."""
    import dataclasses

    medium = "static/blog/wp-content/uploads/2023/04/moon-1024x683.jpg"
    site = tmp_path / "site"
    assert run_in_child(SAMPLE, site, 1)[0] == 137  # just after the journal is in place
    (site / medium).parent.mkdir(parents=True, exist_ok=True)
    (site / medium).write_bytes(b"my own retouched moon")
    result = migrate([SAMPLE], site, media=OFFLINE)
    assert [c.action for c in result.changes.changes if c.path == medium] == ["kept"]
    migrate([SAMPLE], site, media=dataclasses.replace(OFFLINE, originals=True))  # the resized copy is unused now
    assert (site / medium).read_bytes() == b"my own retouched moon"


def test_a_dry_run_while_a_run_writes_refuses(tmp_path):
    site = tmp_path / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    with SiteLock(site):
        result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--dry-run"])
    assert result.exit_code == 1 and "another wp2zola run is writing this site" in result.output


def test_a_dry_run_after_a_kill_says_what_a_run_would_record(tmp_path):
    site = tmp_path / "site"
    assert run_in_child(SAMPLE, site, 9)[0] == 137
    before = snapshot(site)
    result = runner.invoke(
        app, ["migrate", str(SAMPLE), "--out", str(site), "--dry-run", "--uploads-dir", str(UPLOADS)]
    )
    assert result.exit_code == 0, result.output
    assert "would be recorded, and the run finishes the site" in result.output
    assert snapshot(site) == before  # a dry run writes nothing, not even the recovery


def test_a_signal_once_the_site_is_written_is_ignored():
    from migrate.cli import _Signals
    from migrate.site.apply import Stop

    stop = Stop(finished=True)
    signals = _Signals(stop)
    try:
        signals.handler(signal.SIGTERM, None)  # neither raises nor asks the run to stop
        assert stop.requested == ""
        stop.finished = False
        with pytest.raises(BaseException, match="SIGTERM"):
            signals.handler(signal.SIGTERM, None)  # while planning: the run ends at once
    finally:
        signals.restore()


def test_kills_summary(capsys):
    """Run last in this file: the numbers for the closing note."""
    with capsys.disabled():
        for scenario, (tried, survived) in KILLS.items():
            what = "stopped by the signal, then finished by the next run" if scenario.startswith("SIG") else "survived"
            print(f"\nkills ({scenario}): {survived} {what} of {tried} tried")


def test_a_file_a_power_cut_left_empty_is_written_again(tmp_path):
    """Files are renamed into place unsynced and made durable by one sync before the manifest: a power
    cut in between can leave a renamed file empty. The journal names it, so the next run writes it
    again instead of taking it for an edit of the user's; a file with real bytes stays the user's."""
    site = tmp_path / "site"
    assert run_in_child(SAMPLE, site, 40)[0] == 137
    pages = sorted(p for p in (site / "content").rglob("*.md") if p.name != "_index.md")
    assert len(pages) >= 2
    pages[0].write_bytes(b"")  # what the power cut left
    pages[1].write_text('+++\ntitle = "mine"\n+++\nMy own words.\n')  # the user's, saved after the crash
    result = migrate([SAMPLE], site, media=OFFLINE)
    rel = {str(p.relative_to(site)) for p in pages[:2]}
    actions = {c.path: c.action for c in result.changes.changes if c.path in rel}
    assert actions[str(pages[0].relative_to(site))] == "change" and pages[0].read_bytes()
    assert actions[str(pages[1].relative_to(site))] == "conflict"
    assert pages[1].read_text().endswith("My own words.\n")


def test_a_signal_while_worker_processes_plan_ends_the_run_cleanly(tmp_path):
    """With --jobs 2, planning runs in worker processes: a signal then only asks the run to stop, and
    it stops at its next item (raised inside the pool's own locks, it could leave the pool unable to
    end). Seeded moments over a longer export: one line each time, nothing written, no hang."""
    from .test_bench import _bench

    bench = _bench()
    export = bench.generate(bench.SAMPLE, tmp_path / "export.xml", items=1500).path
    rng = random.Random(11)
    stopped = 0
    for n in range(4):
        site = tmp_path / f"site-{n}"
        sig = signal.SIGTERM if n % 2 else signal.SIGINT
        proc = _run_cli(site, "-q", "--jobs", "2", export=export)
        _wait_for_lock(site, proc)
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)  # a hang fails here
        if proc.returncode == 0:
            continue  # finished first
        stopped += 1
        assert proc.returncode == (130 if sig == signal.SIGINT else 143), err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("wp2zola: interrupted by"), err
    assert stopped >= 2


def test_a_forked_worker_that_inherited_the_handlers_still_dies_by_the_signal():
    """A pool worker is forked with the run's handlers and sets its own a moment later: a SIGTERM in
    that moment (the pool ending it) must end it, or the pool would wait for it forever."""
    from migrate.cli import _Signals
    from migrate.site.apply import Stop

    stop = Stop(deferred=True)  # planning with workers: in the run itself, a signal only asks to stop
    signals = _Signals(stop)
    try:
        pid = os.fork()
        if pid == 0:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            os._exit(0)  # not reached when the signal ends the child
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == -signal.SIGTERM
        assert stop.requested == ""
    finally:
        signals.restore()
