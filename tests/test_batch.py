"""`wp2zola batch`: jobs in parallel, failures kept to their job, skipping what did not change, shards,
the JSON report, the jobs file's one-line errors, and Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.batch.jobs import Job, in_shard, load_jobs, shard_of
from migrate.batch.run import STATUSES
from migrate.cli import app
from migrate.media.options import MediaOptions
from migrate.site.lastrun import STATE

from .conftest import ROOT, SAMPLES, migrate, wxr, wxr_item

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
runner = CliRunner()


def batch(*args: str):
    return runner.invoke(app, ["batch", *map(str, args)])


def write_jobs(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "jobs.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def three_jobs(tmp_path):
    """The sample blog (files from its uploads backup), a small site of our own beside the jobs file
    (a relative path), and a job whose export does not exist."""
    (tmp_path / "small.xml").write_text(wxr(wxr_item(1, "First"), wxr_item(2, "Second")), "utf-8")
    return write_jobs(
        tmp_path,
        f"""
[defaults]
no_download = true  # tests never reach the network

[jobs.blog]
exports = ["{SAMPLE}"]
out = "sites/blog"
uploads_dir = "{SAMPLES / "uploads"}"

[jobs.small]
exports = "small.xml"
out = "sites/small"

[jobs.broken]
exports = ["gone.xml"]
out = "sites/broken"
""",
    )


def statuses(report: Path) -> dict[str, str]:
    return {job["name"]: job["status"] for job in json.loads(report.read_text("utf-8"))["jobs"]}


def test_a_failing_job_does_not_stop_the_others(three_jobs, tmp_path):
    report = tmp_path / "out" / "batch.json"
    result = batch(three_jobs, "--jobs", 2, "--report", report)
    assert result.exit_code == 1, result.output
    assert statuses(report) == {"blog": "ok", "small": "ok", "broken": "failed"}
    assert (tmp_path / "sites/blog/content").is_dir() and (tmp_path / "sites/small/content").is_dir()
    assert not (tmp_path / "sites/broken").exists()
    # the blog's image came from the uploads folder; the small site's posts are there
    assert list((tmp_path / "sites/blog/static").rglob("moon.jpg"))
    assert len(list((tmp_path / "sites/small/content").rglob("*.md"))) >= 2
    failures = [line for line in result.stderr.splitlines() if "failed" in line]
    assert failures == [
        f"wp2zola: job 'broken' failed: {tmp_path / 'gone.xml'}: cannot open: No such file or directory"
    ]
    assert "Traceback" not in result.output
    assert "1 failed" in result.stdout


def test_all_ok_is_exit_0(tmp_path):
    jobs = write_jobs(tmp_path, f'[jobs.one]\nexports = ["{SAMPLE}"]\nout = "one"\nno_download = true\n')
    result = batch(jobs)
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout and (tmp_path / "one/config.toml").is_file()


def test_rerun_skips_unchanged_jobs_and_reruns_only_what_changed(three_jobs, tmp_path):
    report = tmp_path / "batch.json"
    assert batch(three_jobs, "--report", report).exit_code == 1
    again = batch(three_jobs, "--report", report)
    assert statuses(report) == {"blog": "skipped", "small": "skipped", "broken": "failed"}
    assert "skipped blog: unchanged since its last success" in again.stdout
    assert "skipped small: unchanged since its last success" in again.stdout

    # one export changes: only its job runs, and its new post is written
    (tmp_path / "small.xml").write_text(wxr(wxr_item(1, "First"), wxr_item(2, "Second"), wxr_item(3, "Third")), "utf-8")
    batch(three_jobs, "--report", report)
    assert statuses(report) == {"blog": "skipped", "small": "ok", "broken": "failed"}
    assert list((tmp_path / "sites/small/content").rglob("third.md"))

    # one job's options change: only that job runs
    three_jobs.write_text(three_jobs.read_text().replace('out = "sites/blog"', 'out = "sites/blog"\noriginals = true'))
    batch(three_jobs, "--report", report)
    assert statuses(report) == {"blog": "ok", "small": "skipped", "broken": "failed"}

    # the missing export appears: that job runs, the others stay skipped; and the batch is all ok
    (tmp_path / "gone.xml").write_text(wxr(wxr_item(7, "Found")), "utf-8")
    assert batch(three_jobs, "--report", report).exit_code == 0
    assert statuses(report) == {"blog": "skipped", "small": "skipped", "broken": "ok"}

    # a site written by another run since (its manifest changed) or deleted: its job runs again
    other = tmp_path / "other.xml"
    other.write_text(wxr(wxr_item(1, "First"), wxr_item(2, "Second"), wxr_item(3, "Third"), wxr_item(4, "Fourth")))
    migrate([other], tmp_path / "sites/small", media=MediaOptions(download=False))
    assert list((tmp_path / "sites/small/content").rglob("fourth.md"))
    shutil.rmtree(tmp_path / "sites/broken")
    batch(three_jobs, "--report", report)
    assert statuses(report) == {"blog": "skipped", "small": "ok", "broken": "ok"}
    assert not list((tmp_path / "sites/small/content").rglob("fourth.md"))  # the job's own site again

    # --rerun runs them all; an unchanged site is left byte for byte as it was
    result = batch(three_jobs, "--rerun", "--report", report)
    assert statuses(report) == {"blog": "ok", "small": "ok", "broken": "ok"}
    jobs = {j["name"]: j for j in json.loads(report.read_text())["jobs"]}
    assert jobs["blog"]["summary"]["files"]["create"] == jobs["blog"]["summary"]["files"]["change"] == 0
    assert result.exit_code == 0


def test_a_changed_config_file_reruns_its_job(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('[content]\nmarkup = "html"\n')
    jobs = write_jobs(
        tmp_path, f'[jobs.one]\nexports = ["{SAMPLE}"]\nout = "one"\nno_download = true\nconfig = "site.toml"\n'
    )
    report = tmp_path / "r.json"
    batch(jobs, "--report", report)
    batch(jobs, "--report", report)
    assert statuses(report) == {"one": "skipped"}
    config.write_text('[content]\nmarkup = "auto"\n')
    batch(jobs, "--report", report)
    assert statuses(report) == {"one": "ok"}
    state = json.loads((tmp_path / "one" / STATE).read_text())
    assert len(state["key"]) == 64 and state["missing"] == 2  # the sample links two files its uploads lack


def test_a_dry_run_job_is_never_skipped_and_writes_nothing(tmp_path):
    jobs = write_jobs(
        tmp_path, f'[jobs.one]\nexports = ["{SAMPLE}"]\nout = "one"\nno_download = true\ndry_run = true\n'
    )
    report = tmp_path / "r.json"
    for _ in range(2):
        assert batch(jobs, "--report", report).exit_code == 0
        assert statuses(report) == {"one": "ok"}
    assert not (tmp_path / "one").exists()


def test_strict_job_with_missing_files_fails(tmp_path):
    jobs = write_jobs(tmp_path, f'[jobs.one]\nexports = ["{SAMPLE}"]\nout = "one"\nno_download = true\nstrict = true\n')
    result = batch(jobs)
    assert result.exit_code == 1
    assert "wp2zola: job 'one' failed:" in result.stderr and "missing (strict)" in result.stderr


def names(n: int) -> list[str]:
    return [f"site-{i:03d}.example" for i in range(n)] + ["blog", "shop", "Ünïcode", "a b", ""]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_shards_partition_the_jobs(count):
    jobs = [Job(name, (Path("x.xml"),), Path(name or "empty")) for name in names(40)]
    shares = [in_shard(jobs, index, count) for index in range(1, count + 1)]
    taken = [job.name for share in shares for job in share]
    assert sorted(taken) == sorted(job.name for job in jobs)  # every job in exactly one shard
    if count > 1:
        assert all(shares), "45 jobs leave no shard of 5 empty"


def test_the_shard_of_a_job_is_the_same_in_every_process():
    # `hash()` is salted per process; the shard must not be, or two machines would disagree
    code = "from migrate.batch.jobs import shard_of; print([shard_of(n, 4) for n in ['blog', 'shop', 'x']])"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed}
        ).stdout
        for seed in ("1", "2")
    }
    assert outs == {f"{[shard_of(n, 4) for n in ['blog', 'shop', 'x']]}\n"}


def test_shards_over_the_command_line_run_each_job_once(three_jobs, tmp_path):
    ran: list[str] = []
    for index in (1, 2):
        report = tmp_path / f"shard-{index}.json"
        batch(three_jobs, "--shard", f"{index}/2", "--report", report)
        data = json.loads(report.read_text())
        assert data["shard"] == {"index": index, "count": 2}
        ran += [job["name"] for job in data["jobs"]]
    assert sorted(ran) == ["blog", "broken", "small"]


@pytest.mark.parametrize("shard", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(three_jobs, shard):
    result = batch(three_jobs, "--shard", shard)
    assert result.exit_code == 2 and "--shard" in result.output


def test_the_report_keys(three_jobs, tmp_path):
    report = tmp_path / "r.json"
    batch(three_jobs, "--report", report)
    data = json.loads(report.read_text())
    assert list(data) == ["schema_version", "tool_version", "jobs_file", "shard", "interrupted_by", "totals", "jobs"]
    assert data["schema_version"] == 2 and data["shard"] is None and data["interrupted_by"] is None
    assert data["totals"] == {"jobs": 3, "ok": 2, "skipped": 0, "failed": 1, "interrupted": 0}
    assert data["jobs_file"] == str(three_jobs)
    for job in data["jobs"]:
        assert list(job) == ["name", "status", "message", "out", "exports", "digest", "seconds", "summary"]
        assert job["status"] in STATUSES and isinstance(job["seconds"], float)
    blog, small, broken = data["jobs"]
    assert [j["name"] for j in data["jobs"]] == ["blog", "small", "broken"]  # the jobs file's order
    assert blog["summary"]["items"]["written"] == 7 and blog["summary"]["media"]["missing"] == 0
    assert len(blog["digest"]) == 64 and small["exports"] == [str(tmp_path / "small.xml")]
    assert broken["summary"] is None and broken["digest"] is None and "gone.xml" in broken["message"]


def test_list_says_what_would_run(three_jobs):
    batch(three_jobs)
    result = batch(three_jobs, "--list")
    assert result.exit_code == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 3}
    assert "skip" in rows["blog"] and "run" in rows["broken"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[jobs.a]\nexports = ['x.xml']\n", "job 'a' has no out"),
        ("[jobs.a]\nexports = ['x.xml']\nout = 's'\nno_downlod = true\n", "job 'a': unknown option 'no_downlod'"),
        ("[jobs.a]\nexports = ['x.xml']\nout = 's'\nforce = 'yes'\n", "job 'a': force must be true or false"),
        ("[jobs.a]\nexports = []\nout = 's'\n", "job 'a': exports names no file"),
        ("[jobs.a]\nexports = [1]\nout = 's'\n", "job 'a': exports must be a list of paths"),
        ("[jobs.a]\nexports = ['x.xml']\nout = 's'\nmarkup = 'rst'\n", "job 'a': markup must be one of"),
        ("[jobs.a]\nexports = ['x.xml']\nout = 's'\ndownloads = 0\n", "job 'a': downloads must be from 1 to 32"),
        ("[defaults]\nstrict = 1\n[jobs.a]\nexports = ['x.xml']\nout = 's'\n", "[defaults]: strict must be"),
        ("[jobs.a]\nexports = ['x.xml']\nout = 's'\n[jobs.b]\nexports = ['y.xml']\nout = 's/'\n", "jobs 'a' and 'b'"),
        ("[jobs]\n", "no job"),
        ("[job.a]\nexports = ['x.xml']\n", "unknown table 'job'"),
        ("[jobs.a]\nout = 's'\nexports = ['x.xml'\n", "not valid TOML"),
        ("[jobs]\na = 3\n", "job 'a' must be a table"),
    ],
)
def test_a_bad_jobs_file_is_one_line_naming_it_and_the_job(tmp_path, text, says):
    jobs = write_jobs(tmp_path, text)
    result = batch(jobs)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wp2zola: error: {jobs}: ") and says in lines[0], lines
    assert not (tmp_path / "s").exists()


def test_a_missing_jobs_file(tmp_path):
    result = batch(tmp_path / "nope.toml")
    assert (
        result.exit_code == 2
        and result.stderr.strip() == f"wp2zola: error: {tmp_path / 'nope.toml'}: no such jobs file"
    )


def test_paths_are_relative_to_the_jobs_file(tmp_path, monkeypatch):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "small.xml").write_text(wxr(wxr_item(1, "First")), "utf-8")
    jobs = write_jobs(tmp_path / "conf", '[jobs.a]\nexports = "small.xml"\nout = "../out/a"\nconfig = "c.toml"\n')
    (job,) = load_jobs(jobs)
    assert job.exports == (tmp_path / "conf" / "small.xml",) and job.out == tmp_path / "conf" / ".." / "out" / "a"
    assert job.config == tmp_path / "conf" / "c.toml" and job.options["allow_host"] == []


def test_help_has_an_example():
    result = batch("--help")
    assert result.exit_code == 0 and "Example: wp2zola batch" in result.output


def test_ctrl_c_stops_the_batch_with_one_line_and_the_same_command_finishes(tmp_path):
    body = (
        "<p>" + "Words of a long post, with <em>emphasis</em> and a list.</p><ul><li>one</li><li>two</li></ul><p>" * 30
    )
    (tmp_path / "big.xml").write_text(wxr(*(wxr_item(i, f"Post {i}", content=body + "</p>") for i in range(1, 401))))
    jobs = write_jobs(tmp_path, '[jobs.big]\nexports = ["big.xml"]\nout = "big"\nno_download = true\n')
    command = [sys.executable, "-m", "migrate", "batch", str(jobs), "--report", str(tmp_path / "r.json")]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "big/.wp2zola/lock").exists() and time.monotonic() < deadline:  # the job has begun
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert len(err.strip().splitlines()) == 1 and "interrupted by SIGINT" in err and "resumes" in err, err
    assert statuses(tmp_path / "r.json") == {"big": "interrupted"}
    assert not (tmp_path / "big" / STATE).exists()

    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert statuses(tmp_path / "r.json") == {"big": "ok"}
    # the resumed site is the one an uninterrupted run makes
    migrate([tmp_path / "big.xml"], tmp_path / "fresh", media=MediaOptions(download=False))

    def files(site: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(site)): p.read_bytes()
            for p in site.rglob("*")
            if p.is_file() and ".wp2zola" not in p.relative_to(site).parts
        }

    assert files(tmp_path / "big") == files(tmp_path / "fresh")
