"""Errors that never trace back: each input the command line cannot use (an export, --out, --config,
--uploads-dir, --report) is one line on stderr naming the path and the reason, exit status 1 (2 for
usage errors), and the site folder as it was: not created, or byte for byte the same."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from migrate.cli import app
from migrate.site.manifest import MANIFEST

from .conftest import OFFLINE, ROOT, SAMPLES, migrate

SAMPLE = SAMPLES / "example-blog.wordpress.xml"
UPLOADS = SAMPLES / "uploads"


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def run_in_process(argv: list[str]) -> Ran:
    result = CliRunner().invoke(app, argv)
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_apart(argv: list[str], wrap: list[str] | None = None, timeout: float = 60) -> Ran:
    """`python -m migrate` in a process group of its own, ended (workers too) if it outlives
    `timeout`: a run that would wait forever (on a pipe) fails the test instead of hanging it."""
    proc = subprocess.Popen(
        [*(wrap or []), sys.executable, "-m", "migrate", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"still running after {timeout} s: {argv}")
    return Ran(proc.returncode, out, err)


def snapshot(site: Path) -> object:
    """What is at `site`, without reading anything that is not a regular file (a pipe would block)."""
    if not os.path.lexists(site):
        return None
    st = os.lstat(site)
    if stat.S_ISLNK(st.st_mode):
        return ("link", os.readlink(site))
    if stat.S_ISREG(st.st_mode):
        return ("file", site.read_bytes())
    if not stat.S_ISDIR(st.st_mode):
        return ("special", stat.S_IFMT(st.st_mode))
    return {entry.name: snapshot(Path(entry.path)) for entry in os.scandir(site)}


@pytest.fixture(scope="module")
def made_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("made") / "site"
    migrate([SAMPLE], site, media=OFFLINE)
    return site


_UNSHARE: bool | None = None


def read_only_wrap(folder: Path) -> list[str]:
    """A command prefix that runs the command with `folder` read-only: a bind mount in a mount
    namespace of its own (`unshare -rm`, no root needed where user namespaces are allowed). A
    folder without write permission is no test as root; a read-only mount is, for root or not."""
    global _UNSHARE
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    wrap = ["unshare", "-rm", "sh", "-c", script, str(folder)]
    if _UNSHARE is None:
        probe = folder / ".probe"
        _UNSHARE = (
            shutil.which("unshare") is not None
            and subprocess.run([*wrap, "touch", str(probe)], capture_output=True).returncode == 1
            and not probe.exists()
        )
    if not _UNSHARE:
        pytest.skip("no user namespace for a read-only mount here")
    return wrap


# -- the cases: each makes what it needs in tmp_path, and says the argv, the path the line must name,
# and the site folder that must be left as it was


@dataclass
class Case:
    make: Callable[[Path, Path], tuple[list[str], str, Path]]  # (tmp_path, made site) → argv, named, site
    apart: bool = False  # in a process of its own, with a timeout: what could hang
    read_only: str = ""  # run with this folder (relative to tmp_path) read-only


def fresh(tmp: Path, *extra: str, export: Path = SAMPLE, out: Path | None = None) -> list[str]:
    out = out if out is not None else tmp / "site"
    return ["migrate", str(export), "--out", str(out), "--uploads-dir", str(UPLOADS), "-j", "1", *extra]


def copy_of(made: Path, tmp: Path) -> Path:
    site = tmp / "site"
    shutil.copytree(made, site, symlinks=True)
    return site


def _file(tmp: Path, name: str, data: bytes = b"not a folder") -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _fifo(tmp: Path, name: str) -> Path:
    path = tmp / name
    os.mkfifo(path)
    return path


def _loop(tmp: Path, name: str) -> Path:
    (tmp / f"{name}-2").symlink_to(tmp / name)
    (tmp / name).symlink_to(tmp / f"{name}-2")
    return tmp / name


def _copy(tmp: Path, name: str, source: Path = SAMPLE) -> Path:
    return _file(tmp, name, source.read_bytes())


def _gz(tmp: Path, name: str, cut: int = 0) -> Path:
    data = gzip.compress(SAMPLE.read_bytes())
    return _file(tmp, name, data[: len(data) - cut])


def _zip(tmp: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def _export_case(make_export: Callable[[Path], Path], on_made: bool = False, apart: bool = False) -> Case:
    def make(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
        export = make_export(tmp)
        site = copy_of(made, tmp) if on_made else tmp / "site"
        return fresh(tmp, export=export, out=site), str(export), site

    return Case(make, apart)


def _out_case(make_out: Callable[[Path, Path], Path], apart: bool = False) -> Case:
    def make(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
        out = make_out(tmp, made)
        return fresh(tmp, out=out), str(out), out

    return Case(make, apart)


def _option_case(
    option: str, make_value: Callable[[Path], Path], on_made: bool = False, apart: bool = False, read_only: str = ""
) -> Case:
    def make(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
        value = make_value(tmp)
        site = copy_of(made, tmp) if on_made else tmp / "site"
        argv = fresh(tmp, out=site)
        if option == "--uploads-dir":
            argv = argv[: argv.index("--uploads-dir")] + argv[argv.index("--uploads-dir") + 2 :]
        return [*argv, option, str(value)], str(value), site

    return Case(make, apart, read_only)


def _manifest_fifo(tmp: Path, made: Path) -> Path:
    site = copy_of(made, tmp)
    (site / MANIFEST).unlink()
    os.mkfifo(site / MANIFEST)
    return site


def _private_is_a_file(tmp: Path, made: Path) -> Path:
    site = tmp / "site"
    site.mkdir()
    (site / ".wp2zola").write_text("mine")
    return site


CHANGED = b"<title><![CDATA[Changed since]]></title>"


def _changed_export(tmp: Path) -> Path:
    """The sample with its first item retitled: a re-run has a file to write."""
    data = SAMPLE.read_bytes()
    at = data.index(b"<title><![CDATA[", data.index(b"<item>"))
    end = data.index(b"</title>", at) + len(b"</title>")
    return _file(tmp, "changed.xml", data[:at] + CHANGED + data[end:])


def _read_only_site(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
    site = copy_of(made, tmp)
    return fresh(tmp, export=_changed_export(tmp), out=site), str(site), site


def _twice(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
    argv = fresh(tmp)
    return argv[:2] + [str(SAMPLE)] + argv[2:], str(SAMPLE), tmp / "site"


def _two_names(second: Callable[[Path], Path], jobs: str = "1") -> Callable[[Path, Path], tuple[list[str], str, Path]]:
    def make(tmp: Path, made: Path) -> tuple[list[str], str, Path]:
        other = second(tmp)
        argv = fresh(tmp)
        argv = argv[:2] + [str(other)] + argv[2:]
        argv[argv.index("-j") + 1] = jobs
        return argv, str(other), tmp / "site"

    return make


CASES = {
    # --out
    "out-is-a-file": _out_case(lambda tmp, made: _file(tmp, "site")),
    "out-below-a-file": _out_case(lambda tmp, made: _file(tmp, "afile") / "site"),
    "out-name-too-long": _out_case(lambda tmp, made: tmp / ("x" * 300)),
    "out-symlink-loop": _out_case(lambda tmp, made: _loop(tmp, "site")),
    "out-dangling-symlink": _out_case(lambda tmp, made: _symlink(tmp / "site", tmp / "gone")),
    "out-private-folder-is-a-file": _out_case(_private_is_a_file),
    "out-manifest-is-a-pipe": _out_case(_manifest_fifo, apart=True),
    "out-read-only": Case(_read_only_site, apart=True, read_only="site"),
    # --config
    "config-folder": _option_case("--config", lambda tmp: _dir(tmp / "conf")),
    "config-missing": _option_case("--config", lambda tmp: tmp / "missing.toml", on_made=True),
    "config-not-utf8": _option_case("--config", lambda tmp: _file(tmp, "m.toml", b"\xff\xfe[taxonomies]\n")),
    "config-not-toml": _option_case("--config", lambda tmp: _file(tmp, "m.toml", b"[taxonomies\n"), on_made=True),
    "config-pipe": _option_case("--config", lambda tmp: _fifo(tmp, "m.toml"), apart=True),
    # --uploads-dir
    "uploads-missing": _option_case("--uploads-dir", lambda tmp: tmp / "backup"),
    "uploads-a-file": _option_case("--uploads-dir", lambda tmp: _file(tmp, "backup")),
    # --report
    "report-onto-a-folder": _option_case("--report", lambda tmp: _dir(tmp / "report.json")),
    "report-below-a-file": _option_case("--report", lambda tmp: _file(tmp, "afile") / "report.json"),
    "report-name-too-long": _option_case("--report", lambda tmp: tmp / ("r" * 300 + ".json")),
    "report-read-only": _option_case(
        "--report", lambda tmp: _dir(tmp / "reports") / "report.json", apart=True, read_only="reports"
    ),
    "review-onto-a-folder": _option_case("--review", lambda tmp: _dir(tmp / "review.html")),
    "review-below-a-file": _option_case("--review", lambda tmp: _file(tmp, "afile") / "review.html"),
    # the export
    "export-folder": _export_case(lambda tmp: _dir(tmp / "export.xml")),
    "export-pipe": _export_case(lambda tmp: _fifo(tmp, "export.xml"), apart=True),
    "export-broken-symlink": _export_case(lambda tmp: _symlink(tmp / "export.xml", tmp / "gone.xml")),
    "export-symlink-loop": _export_case(lambda tmp: _loop(tmp, "export.xml")),
    "export-dev-null": _export_case(lambda tmp: Path(os.devnull)),
    "export-empty": _export_case(lambda tmp: _file(tmp, "export.xml", b""), on_made=True),
    "export-garbage": _export_case(lambda tmp: _file(tmp, "export.xml", os.urandom(5000))),
    "export-missing": _export_case(lambda tmp: tmp / "export.xml", on_made=True),
    "export-below-a-file": _export_case(lambda tmp: _file(tmp, "afile") / "export.xml"),
    "export-truncated-gzip": _export_case(lambda tmp: _gz(tmp, "export.xml.gz", cut=200), on_made=True),
    "export-zip-without-xml": _export_case(lambda tmp: _zip(tmp, "site.zip", {"README.txt": b"hi"})),
    # one export twice
    "export-given-twice": Case(_twice),
    "export-copy-under-another-name": Case(_two_names(lambda tmp: _copy(tmp, "copy.xml"))),
    "export-and-its-gzip": Case(_two_names(lambda tmp: _gz(tmp, "export.xml.gz"), jobs="2"), apart=True),
    "export-and-a-zip-holding-it": Case(_two_names(lambda tmp: _zip(tmp, "s.zip", {"a.xml": SAMPLE.read_bytes()}))),
}


def _dir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def _symlink(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


@pytest.mark.parametrize("name", list(CASES))
def test_one_line_exit_1_and_the_site_as_it_was(tmp_path, made_site, name):
    case = CASES[name]
    argv, named, site = case.make(tmp_path, made_site)
    before = snapshot(site)
    if case.read_only:
        ran = run_apart(argv, read_only_wrap(tmp_path / case.read_only))
    elif case.apart:
        ran = run_apart(argv, timeout=30)
    else:
        ran = run_in_process(argv)
    assert "Traceback" not in ran.stderr + ran.stdout
    assert ran.code == 1, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("wp2zola: error: ") and named in lines[0], lines[0]
    assert snapshot(site) == before


@pytest.mark.parametrize(
    "extra",
    [["--jobs", "0"], ["--markup", "rtf"], ["--downloads", "0"], ["--bogus"]],
    ids=lambda e: e[0].lstrip("-"),
)
def test_usage_errors_exit_2_without_a_traceback(tmp_path, extra):
    ran = run_in_process(fresh(tmp_path, *extra))
    assert ran.code == 2, ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout
    assert not (tmp_path / "site").exists()


def test_no_export_at_all_is_a_usage_error(tmp_path):
    ran = run_in_process(["migrate", "--out", str(tmp_path / "site")])
    assert ran.code == 2 and "Traceback" not in ran.stderr
    assert not (tmp_path / "site").exists()


def test_two_parts_of_one_site_still_work(tmp_path):
    """Exports that share items but not all their bytes are parts, not copies."""
    text = SAMPLE.read_text("utf-8")
    second = _file(tmp_path, "part-2.xml", text.replace("</channel>", "<!-- part 2 -->\n</channel>").encode())
    ran = run_in_process([*fresh(tmp_path)[:2], str(second), *fresh(tmp_path)[2:], "-q"])
    assert ran.code == 0, ran.stderr
    assert (tmp_path / "site" / "config.toml").is_file()


def test_a_pipe_in_place_of_a_page_is_a_conflict_not_a_hang(tmp_path, made_site):
    site = copy_of(made_site, tmp_path)
    page = next(p for p in sorted((site / "content").rglob("*.md")) if p.name != "_index.md")
    page.unlink()
    os.mkfifo(page)
    ran = run_apart(fresh(tmp_path, "-q", out=site), timeout=15)
    assert ran.code == 0, ran.stderr
    assert stat.S_ISFIFO(os.lstat(page).st_mode)


def test_a_file_in_place_of_the_private_temporary_folder_is_cleared(tmp_path, made_site):
    """`.wp2zola/tmp` is wp2zola's own: whatever is there instead of a folder goes (a link is
    unlinked, never followed), and the run completes."""
    site = copy_of(made_site, tmp_path)
    shutil.rmtree(site / ".wp2zola" / "tmp", ignore_errors=True)
    (site / ".wp2zola" / "tmp").write_text("in the way")
    ran = run_in_process(fresh(tmp_path, "--force", "-q", export=_changed_export(tmp_path), out=site))
    assert ran.code == 0, ran.stderr
    assert 'title = "Changed since"' in "".join(p.read_text() for p in (site / "content").rglob("*.md"))
