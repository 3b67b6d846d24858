"""What a user meets first: --version, -h, the help's labels, colour only where it belongs, what
--quiet still says, and a summary table that tells the numbers of the report."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app

from .conftest import ROOT, SAMPLES

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
OFFLINE = ["--uploads-dir", str(SAMPLES / "uploads"), "--no-download"]  # tests never reach the network
COMMANDS = [c.name or "" for c in app.registered_commands]
runner = CliRunner()


def test_version_is_the_package_version():
    result = subprocess.run([sys.executable, "-m", "migrate", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"wp2zola {metadata.version('wp2zola')}\n"


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_h_is_help_on_every_command(command):
    args = [command] if command else []
    long, short = runner.invoke(app, [*args, "--help"]), runner.invoke(app, [*args, "-h"])
    assert long.exit_code == short.exit_code == 0
    assert short.output == long.output and "Example: wp2zola" in short.output


@pytest.mark.parametrize("command", COMMANDS)
def test_help_labels_are_words_not_types(command):
    text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"}).output
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage
    for typer_label in ("<bool>", "<path>", "<list[", "<int", "<str>", "<text>"):
        assert typer_label not in text, (command, typer_label)


def test_help_reads_as_the_readme_writes_it():
    def usage(*args: str) -> str:
        text = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "120"}).output
        return next(line for line in text.splitlines() if "Usage:" in line).strip(" │")

    assert usage("migrate") == "Usage: wp2zola migrate [OPTIONS] EXPORT..."
    assert usage("fidelity") == "Usage: wp2zola fidelity [OPTIONS] EXPORT..."
    assert usage("inspect") == "Usage: wp2zola inspect [OPTIONS] EXPORT..."
    assert usage("batch") == "Usage: wp2zola batch [OPTIONS] JOBS.toml"
    text = runner.invoke(app, ["migrate", "--help"], env={"COLUMNS": "120"}).output
    assert re.search(r"--out +-o +SITE ", text) and re.search(r"--report +FILE\.json ", text)
    assert re.search(r"--dry-run +-n +Write nothing", text)  # a flag has no label
    missing = runner.invoke(app, ["migrate", "--out", "x"])
    assert missing.exit_code == 2 and "Missing argument 'EXPORT...'" in missing.output


# -- colour -------------------------------------------------------------------------------------------

# the progress bars are a live display: it hides the cursor and redraws its line, with or without colour
LIVE_DISPLAY = re.compile(rb"\x1b\[\?25[lh]|\x1b\[2K|\x1b\[1A")
STYLE = re.compile(rb"\x1b\[[0-9;]*m")


def on_terminals(args: list[str], tmp_path: Path, **env: str) -> tuple[bytes, bytes, int]:
    """Run `python -m migrate ARGS` with stdout and stderr on pseudo-terminals of their own."""
    import pty

    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    environ.update({"TERM": "xterm-256color", "COLUMNS": "120", **env})
    out_master, out_slave = pty.openpty()
    err_master, err_slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "migrate", *args],
        stdin=subprocess.DEVNULL,
        stdout=out_slave,
        stderr=err_slave,
        env=environ,
        cwd=tmp_path,
        start_new_session=True,  # its own process group, its workers too: ended together if it hangs
    )
    os.close(out_slave)
    os.close(err_slave)
    read: dict[int, list[bytes]] = {out_master: [], err_master: []}
    open_fds = set(read)
    deadline = time.monotonic() + 120
    while open_fds:  # read as it comes: a full terminal buffer would block the command
        ready, _, _ = select.select(list(open_fds), [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"{args}: not done after 120 s; its stderr ends {b''.join(read[err_master])[-300:]!r}")
        for fd in ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:  # EIO: the command closed its end
                data = b""
            if data:
                read[fd].append(data)
            else:
                open_fds.discard(fd)
                os.close(fd)
    return b"".join(read[out_master]), b"".join(read[err_master]), proc.wait(60)


RUNS = {
    "dry run": ["migrate", str(SAMPLE), "--out", "site", "--dry-run", *OFFLINE],
    "run": ["migrate", str(SAMPLE), "--out", "site", *OFFLINE],
    "fidelity": ["fidelity", str(SAMPLE), "--worst", "1"],
    "help": ["migrate", "--help"],
    "usage error": ["migrate", str(SAMPLE), "--bogus"],
    "error": ["migrate", "nope.xml", "--out", "site"],
    "inspect": ["inspect", str(SAMPLE)],
    "review": ["review", str(SAMPLE), "--out", "reviewed", "--html", "review.html"],
    "batch": ["batch", "jobs.toml", "--jobs", "1"],
}


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_no_colour_on_a_terminal_under_NO_COLOR(tmp_path):
    (tmp_path / "jobs.toml").write_text(
        f'[jobs.blog]\nexports = ["{SAMPLE}"]\nout = "batched"\nno_download = true\n', "utf-8"
    )
    for name, args in RUNS.items():
        out, err, code = on_terminals(args, tmp_path, NO_COLOR="1")
        assert code == {"usage error": 2, "error": 1}.get(name, 0), (name, out, err)
        assert out.strip() or err.strip(), name
        assert b"\x1b" not in out, (name, out[:2000])
        assert b"\x1b" not in LIVE_DISPLAY.sub(b"", err), (name, err[:2000])
    assert (tmp_path / "site" / "config.toml").is_file()  # the run did run, with its progress bars

    # the same terminals without NO_COLOR (or with it empty, which no-color.org counts as unset) get colour
    (tmp_path / "again").mkdir()
    out, err, code = on_terminals(RUNS["dry run"], tmp_path / "again", NO_COLOR="")
    assert code == 0 and b'\x1b[32m+title = "About"\x1b[0m' in out
    assert STYLE.search(on_terminals(RUNS["usage error"], tmp_path)[1])


def test_no_colour_when_not_a_terminal(tmp_path):
    for name in ("dry run", "usage error"):
        result = subprocess.run(
            [sys.executable, "-m", "migrate", *RUNS[name]],
            capture_output=True,
            cwd=tmp_path,
            env={**os.environ, "TERM": "xterm-256color", "NO_COLOR": ""},
        )
        assert result.stdout.strip() or result.stderr.strip(), name
        assert b"\x1b" not in result.stdout + result.stderr, name


# -- what --quiet says, and the summary against the report ------------------------------------------


def existing_site(tmp_path: Path) -> Path:
    """The user's own Zola site (a config without wp2zola's taxonomies, a home section of its own),
    migrated into once, with a page edited by hand since: the next run has a conflict, a kept file
    and config lines."""
    site = tmp_path / "mine"
    (site / "content").mkdir(parents=True)
    (site / "config.toml").write_text('base_url = "https://mine.example"\ntaxonomies = [{ name = "tags" }]\n')
    (site / "content/_index.md").write_text('+++\ntitle = "My home"\n+++\n')
    assert runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "-q", *OFFLINE]).exit_code == 0
    about = site / "content/blog/about.md"
    about.write_text(about.read_text("utf-8") + "\nMy own words.\n")
    return site


def test_quiet_says_only_what_needs_the_user(tmp_path):
    site = existing_site(tmp_path)
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "-q", "--report", str(report), *OFFLINE])
    assert result.exit_code == 0 and result.stdout == ""
    data = json.loads(report.read_text("utf-8"))
    assert data["warnings"]  # there was more to say; --quiet kept it for the report
    expected = [
        f"conflict: {f['path']}: {f['reason']} (kept; --force overwrites)"
        for f in data["files"]
        if f["action"] == "conflict"
    ]
    expected += [f"config: {line}" for line in data["config_required"]]
    assert len(expected) >= 2 and result.stderr.splitlines() == expected

    failed = runner.invoke(app, ["migrate", str(tmp_path / "nope.xml"), "--out", str(site), "-q"])
    assert failed.exit_code == 1 and len(failed.stderr.splitlines()) == 1 and "nope.xml" in failed.stderr


def table_cells(output: str) -> dict[str, int]:
    """The summary table's rows as {label: number}, both columns."""
    cells: dict[str, int] = {}
    for line in output.splitlines():
        if line.startswith("│"):
            row = [cell.strip() for cell in line.strip("│").split("│")]
            for label, number in (row[0:2], row[2:4]):
                if label:
                    cells[label] = int(number)
    return cells


def test_the_summary_table_tells_the_numbers_of_the_report(tmp_path):
    site = existing_site(tmp_path)
    report = tmp_path / "report.json"
    result = runner.invoke(app, ["migrate", str(SAMPLE), "--out", str(site), "--report", str(report), *OFFLINE])
    assert result.exit_code == 0, result.output
    summary = json.loads(report.read_text("utf-8"))["summary"]
    items, files = summary["items"], summary["files"]
    assert files["conflict"] >= 1 and files["kept"] >= 1  # both occur, so telling them apart matters
    assert table_cells(result.stdout) == {
        "read": items["read"],
        "published": items["written"],
        "drafts": items["draft"],
        "skipped": items["skipped"],
        "warnings": items["warnings"],
        "created": files["create"],
        "changed": files["change"],
        "unchanged": files["unchanged"],
        "removed": files["remove"],
        "conflicts": files["conflict"],
        "kept": files["kept"],
    }
    skipped = [line.split(None, 2)[1:] for line in result.stdout.splitlines() if line.startswith("  skipped ")]
    assert skipped == [[str(s["count"]), s["reason"]] for s in summary["skipped_by_reason"]]
    media = summary["media"]
    assert (
        f"  media: {media['files']} files ({media['used_by_pages']} used by pages); fetched {media['fetched']} (0 B), "
        f"copied {media['copied']}, {media['already_there']} already there, {media['missing']} missing"
    ) in result.stdout
    assert f"  redirects: {sum(summary['redirects'].values())} for" in result.stdout
