"""migrate.media.fetch against a real local HTTP server: retries, limits, checks, atomic writes, interruption."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal

import pytest
import requests

from migrate.media.fetch import DEFAULT_USER_AGENT, Fetcher, FetchRequest, FetchResult

from .httpserver import Response, TestServer

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
IMAGE = {"Content-Type": "image/jpeg"}
MB = 1024 * 1024


@dataclass
class Env:
    """A server, a site folder and a recording sleep, with shortcuts to fetch from one into the other."""

    server: TestServer
    site: Path
    waits: list[float] = field(default_factory=list)

    @property
    def tmp_dir(self) -> Path:
        return self.site / ".wp2zola" / "tmp"

    def dest(self, path: str) -> Path:
        return self.site / "static" / path.lstrip("/")

    def request(self, path: str, host: str = "127.0.0.1") -> FetchRequest:
        return FetchRequest(self.server.url(path, host), self.dest(path.partition("?")[0]))

    def fetcher(self, **options: Any) -> Fetcher:
        options.setdefault("allowed_hosts", {"127.0.0.1"})
        options.setdefault("tmp_dir", self.tmp_dir)
        options.setdefault("sleep", self.waits.append)
        return Fetcher(**options)

    def fetch(self, *requests: FetchRequest | str, **options: Any) -> list[FetchResult]:
        todo = [r if isinstance(r, FetchRequest) else self.request(r) for r in requests]
        with self.fetcher(**options) as fetcher:
            return fetcher.fetch_all(todo)

    def one(self, path: str, *responses: Response, **options: Any) -> FetchResult:
        """Serve `responses` in turn at `path`, fetch it once."""
        if responses:
            self.server.route(path, list(responses))
        [result] = self.fetch(path, **options)
        return result

    def leftovers(self) -> list[Path]:
        return sorted(self.tmp_dir.iterdir()) if self.tmp_dir.exists() else []


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # requests honours proxy variables; a proxy would turn 127.0.0.1 into somewhere else.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


@pytest.fixture
def env(server: TestServer, tmp_path: Path) -> Env:
    return Env(server, tmp_path / "site")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A plain download.


def test_downloads_a_file_atomically_into_place(env: Env) -> None:
    env.server.route("/wp-content/uploads/2020/01/cat.jpg", Response(200, IMAGE, JPEG))
    seen: list[int] = []
    with env.fetcher() as fetcher:
        [result] = fetcher.fetch_all([env.request("/wp-content/uploads/2020/01/cat.jpg")], on_bytes=seen.append)
    dest = env.dest("/wp-content/uploads/2020/01/cat.jpg")
    assert result.ok, result.error
    assert (result.size, result.sha256, result.status, result.attempts, result.error) == (
        len(JPEG),
        hashlib.sha256(JPEG).hexdigest(),
        200,
        1,
        "",
    )
    assert dest.read_bytes() == JPEG
    assert dest.stat().st_mode & 0o777 == 0o666 & ~umask()  # not mkstemp's 0600
    assert sum(seen) == len(JPEG)
    assert env.tmp_dir.is_dir() and env.leftovers() == []


def test_user_agent_is_sent(env: Env) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG))
    assert env.one("/a.jpg").ok
    assert env.one("/a.jpg", user_agent="custom/1.0").ok
    agents = [r.headers.get("User-Agent") for r in env.server.requests_for("/a.jpg")]
    assert agents == [DEFAULT_USER_AGENT, "custom/1.0"]
    assert DEFAULT_USER_AGENT.startswith("wp2zola/") and "+https://" in DEFAULT_USER_AGENT


def test_results_in_request_order_and_on_result_in_the_calling_thread(env: Env) -> None:
    delays = {"/slow.jpg": 0.3, "/medium.jpg": 0.15, "/fast.jpg": 0.0}
    for path, delay in delays.items():
        env.server.route(path, Response(200, IMAGE, path.encode() + JPEG, delay=delay))
    todo = [env.request(path) for path in delays]
    delivered: list[tuple[str, int]] = []
    with env.fetcher(per_host=3) as fetcher:
        results = fetcher.fetch_all(todo, on_result=lambda r: delivered.append((r.request.url, threading.get_ident())))
    assert [r.request for r in results] == todo
    assert all(r.ok for r in results)
    assert [url for url, _ in delivered] == [r.url for r in reversed(todo)]  # as each finished
    assert {ident for _, ident in delivered} == {threading.get_ident()}


# 1. Parallel workers under a per-host limit.


def test_workers_run_in_parallel(env: Env) -> None:
    for i in range(4):
        env.server.route(f"/{i}.jpg", Response(200, IMAGE, JPEG, delay=0.3))
    start = time.monotonic()
    results = env.fetch(*[f"/{i}.jpg" for i in range(4)], workers=4, per_host=4)
    assert all(r.ok for r in results)
    assert env.server.max_concurrent == 4
    assert time.monotonic() - start < 1.0


def test_per_host_limit(env: Env) -> None:
    for i in range(6):
        env.server.route(f"/{i}.jpg", Response(200, IMAGE, JPEG, delay=0.15))
    results = env.fetch(*[f"/{i}.jpg" for i in range(6)], workers=4)  # per_host defaults to 2
    assert all(r.ok for r in results)
    assert env.server.max_concurrent == 2


def test_per_host_limit_counts_each_host_separately(env: Env) -> None:
    for i in range(6):
        env.server.route(f"/{i}.jpg", Response(200, IMAGE, JPEG, delay=0.15))
    todo = [env.request(f"/{i}.jpg", "127.0.0.1" if i % 2 else "localhost") for i in range(6)]
    results = env.fetch(*todo, allowed_hosts={"127.0.0.1", "localhost"}, workers=4, per_host=1)
    assert all(r.ok for r in results)
    assert env.server.max_concurrent == 2  # one for each host name, though both are the same server


# 2. Timeouts.


def test_every_request_has_both_timeouts(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    timeouts: list[object] = []
    original = requests.Session.request

    def spy(self: requests.Session, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeouts.append(kwargs.get("timeout"))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    env.server.route("/a.jpg", Response(302, {"Location": "/b.jpg"}))
    env.server.route("/b.jpg", [Response(503), Response(200, IMAGE, JPEG)])
    assert env.one("/a.jpg", connect_timeout=1.5, read_timeout=2.5).ok
    assert timeouts == [(1.5, 2.5)] * 4  # a.jpg, b.jpg (503), a.jpg, b.jpg


def test_slow_response_times_out_then_succeeds(env: Env) -> None:
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG, delay=1.0), Response(200, IMAGE, JPEG), read_timeout=0.3)
    assert result.ok and result.attempts == 2
    assert env.waits == [0.5]


def test_slow_response_fails_after_the_last_attempt(env: Env) -> None:
    start = time.monotonic()
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG, delay=1.0), read_timeout=0.2, retries=2)
    assert not result.ok and result.attempts == 2
    assert result.error == f"no response from 127.0.0.1:{env.server.port} within 0.2 s (gave up after 2 attempts)"
    assert time.monotonic() - start < 1.0
    assert not env.dest("/a.jpg").exists() and env.leftovers() == []


def test_stalled_body_times_out(env: Env) -> None:
    stalling = Response(200, IMAGE, JPEG, chunk_size=100, chunk_delay=1.0)
    result = env.one("/a.jpg", stalling, read_timeout=0.2, retries=2)
    assert not result.ok and result.attempts == 2
    assert result.error.startswith("the download stalled after ")
    assert "no data for 0.2 s" in result.error
    assert not env.dest("/a.jpg").exists() and env.leftovers() == []


def test_connection_refused_is_retried(env: Env) -> None:
    url = f"http://127.0.0.1:{free_port()}/a.jpg"
    [result] = env.fetch(FetchRequest(url, env.dest("/a.jpg")), retries=3)
    assert not result.ok and result.attempts == 3 and result.status is None
    assert "connection refused" in result.error and "gave up after 3 attempts" in result.error
    assert env.waits == [0.5, 1.0]


# 3. Retries with backoff, Retry-After, no retry on 4xx.


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
def test_client_errors_fail_at_once(env: Env, status: int) -> None:
    result = env.one("/a.jpg", Response(status, {"Content-Type": "text/html"}, b"<html>no</html>"))
    assert not result.ok and result.attempts == 1 and result.status == status
    assert result.error.startswith(f"HTTP {status} ")
    assert env.waits == [] and len(env.server.requests) == 1


def test_404(env: Env) -> None:
    result = env.one("/missing.jpg")  # unrouted
    assert (result.ok, result.status, result.attempts, result.error) == (False, 404, 1, "HTTP 404 Not Found")
    assert not env.dest("/missing.jpg").exists() and env.leftovers() == []


def test_500_then_200(env: Env) -> None:
    result = env.one("/a.jpg", Response(500), Response(200, IMAGE, JPEG))
    assert result.ok and result.attempts == 2 and result.status == 200
    assert env.dest("/a.jpg").read_bytes() == JPEG
    assert env.waits == [0.5]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_server_errors_are_retried_with_exponential_backoff(env: Env, status: int) -> None:
    result = env.one("/a.jpg", Response(status))
    assert not result.ok and result.attempts == 4 and result.status == status
    assert result.error.startswith(f"HTTP {status} ") and result.error.endswith("(gave up after 4 attempts)")
    assert env.waits == [0.5, 1.0, 2.0]
    assert len(env.server.requests) == 4


def test_backoff_and_retries_are_configurable(env: Env) -> None:
    result = env.one("/a.jpg", Response(502), retries=3, backoff=0.1)
    assert result.attempts == 3 and env.waits == pytest.approx([0.1, 0.2])


@pytest.mark.parametrize(
    "status,retry_after,expected",
    [
        (429, "7", 7.0),
        (503, "0", 0.0),
        (503, "3600", 60.0),  # capped at max_retry_after
        (429, "soon", 0.5),  # unreadable: the backoff
        (500, "7", 0.5),  # only 429 and 503 carry a meaningful Retry-After
    ],
)
def test_retry_after_seconds(env: Env, status: int, retry_after: str, expected: float) -> None:
    result = env.one("/a.jpg", Response(status, {"Retry-After": retry_after}), Response(200, IMAGE, JPEG))
    assert result.ok and result.attempts == 2
    assert env.waits == [expected]


def test_retry_after_http_date(env: Env) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    responses = [Response(503, {"Retry-After": soon}), Response(429, {"Retry-After": past})]
    result = env.one("/a.jpg", *responses, Response(429, {"Retry-After": later}), Response(200, IMAGE, JPEG))
    assert result.ok and result.attempts == 4
    assert 28 <= env.waits[0] <= 30 and env.waits[1:] == [0.0, 60.0]


# 4. Atomic writes.


def test_dest_appears_only_when_complete(env: Env) -> None:
    body = JPEG * 100  # several chunks
    env.server.route("/a.jpg", Response(200, IMAGE, body, chunk_size=64 * 1024, chunk_delay=0.01))
    dest = env.dest("/a.jpg")
    during: list[tuple[bool, int]] = []
    with env.fetcher() as fetcher:
        fetcher.fetch_all(
            [env.request("/a.jpg")], on_bytes=lambda n: during.append((dest.exists(), len(env.leftovers())))
        )
    assert len(during) > 1 and set(during) == {(False, 1)}  # streaming into one temporary file, dest untouched
    assert dest.read_bytes() == body and env.leftovers() == []


def test_a_failed_download_keeps_the_existing_file(env: Env) -> None:
    dest = env.dest("/a.jpg")
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"the old file")
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG, truncate=True), retries=2)
    assert not result.ok
    assert dest.read_bytes() == b"the old file" and env.leftovers() == []


def test_a_successful_download_replaces_the_existing_file(env: Env) -> None:
    dest = env.dest("/a.jpg")
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"the old file")
    assert env.one("/a.jpg", Response(200, IMAGE, JPEG)).ok
    assert dest.read_bytes() == JPEG


FAILURES = {
    "404": [Response(404)],
    "503": [Response(503)],
    "truncated": [Response(200, IMAGE, JPEG * 50, truncate=True)],
    "html": [Response(200, {"Content-Type": "image/jpeg"}, b"<!DOCTYPE html>" + b" " * 5000)],
    "too big": [Response(200, IMAGE, JPEG * 100, framing="chunked")],
    "slow": [Response(200, IMAGE, JPEG, delay=0.5)],
    "stalled": [Response(200, IMAGE, JPEG * 4, chunk_size=3000, chunk_delay=0.5)],
}


@pytest.mark.parametrize("name", FAILURES)
def test_no_temp_file_is_left_after_a_failure(env: Env, name: str) -> None:
    result = env.one("/a.jpg", *FAILURES[name], retries=2, read_timeout=0.2, max_bytes=len(JPEG) * 10)
    assert not result.ok, name
    assert "\n" not in result.error and result.error
    assert not env.dest("/a.jpg").exists() and env.leftovers() == []


# 5. Size cap.


def test_content_length_over_the_limit_fails_before_reading(env: Env) -> None:
    seen: list[int] = []
    env.server.route("/big.jpg", Response(200, IMAGE, b"x" * 5000))
    with env.fetcher(max_bytes=1000) as fetcher:
        [result] = fetcher.fetch_all([env.request("/big.jpg")], on_bytes=seen.append)
    assert result.error == "the file is 4.9 KB, larger than the 1000 bytes limit" and result.attempts == 1
    assert seen == [] and env.leftovers() == []


def test_default_limit_is_200_mb(env: Env) -> None:
    huge = Response(200, {"Content-Type": "video/mp4", "Content-Length": str(300 * MB)})  # and no body at all
    result = env.one("/big.mp4", huge)
    assert result.error == "the file is 300 MB, larger than the 200 MB limit"


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_body_growing_over_the_limit_is_aborted(env: Env, framing: Literal["chunked", "close"]) -> None:
    result = env.one("/big.jpg", Response(200, IMAGE, b"x" * 5000, framing=framing, chunk_size=500), max_bytes=1000)
    assert result.error == "the file is larger than the 1000 bytes limit" and result.attempts == 1
    assert not env.dest("/big.jpg").exists() and env.leftovers() == []


@pytest.mark.parametrize("framing", ["length", "chunked", "close"])
def test_a_file_of_exactly_the_limit_is_fine(env: Env, framing: Literal["length", "chunked", "close"]) -> None:
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG, framing=framing), max_bytes=len(JPEG))
    assert result.ok and env.dest("/a.jpg").read_bytes() == JPEG


# 6. Content type.


@pytest.mark.parametrize(
    "path,content_type,body,error",
    [
        ("/a.jpg", "text/html; charset=UTF-8", b"<!DOCTYPE html><p>Not found</p>", "an HTML page"),
        ("/a.jpg", "image/jpeg", b"<!doctype html>" + b"x" * 5000, "an HTML page"),
        ("/a.jpg", None, b"\xef\xbb\xbf \r\n\t<HTML lang=en>", "an HTML page"),
        ("/a.png", "image/png", b"\n\n<head><title>", "an HTML page"),
        ("/a.gif", "image/gif", b"<body>", "an HTML page"),
        ("/doc.pdf", None, b"<html>", "an HTML page"),
        ("/doc.pdf", "application/xhtml+xml", b"%PDF-1.4", "an HTML page"),
        ("/a.png", "text/plain", b"\x89PNG", "the server sent text/plain, not an image"),
        ("/a.svg", "text/plain", b"<svg/>", "the server sent text/plain, not an image"),
        ("/a.JPEG", "application/json", b"{}", "the server sent application/json, not an image"),
        ("/a.jpg", "image/jpeg", JPEG, None),
        ("/a.jpg", "application/octet-stream", JPEG, None),
        ("/a.tiff", "binary/octet-stream", JPEG, None),
        ("/a.jpg", None, JPEG, None),
        ("/a.svg", "image/svg+xml", b"<svg/>", None),
        ("/a.svg", "text/xml", b"<?xml version='1.0'?><svg/>", None),
        ("/a.svg", "application/xml; charset=utf-8", b"<svg/>", None),
        ("/doc.pdf", "application/pdf", b"%PDF-1.4", None),
        ("/notes.txt", "text/plain", b"see <html> for details", None),
        ("/page.html", "text/html", b"<!DOCTYPE html><p>hi</p>", None),
        ("/page.htm", None, b"<html>", None),
    ],
)
def test_content_type_check(env: Env, path: str, content_type: str | None, body: bytes, error: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    result = env.one(path, Response(200, headers, body))
    if error is None:
        assert result.ok, result.error
        assert env.dest(path).read_bytes() == body
    else:
        assert not result.ok and error in result.error and result.attempts == 1
        assert not env.dest(path).exists() and env.leftovers() == []


def test_html_error_page_for_an_image(env: Env) -> None:
    result = env.one("/a.jpg", Response(200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><h1>Oops</h1>"))
    assert result.error == "the server sent an HTML page, not the file"


# 7. Truncated bodies.


def test_truncated_body_is_retried_then_fails(env: Env) -> None:
    result = env.one("/a.jpg", Response(200, IMAGE, b"x" * 100, truncate=True))
    assert result.error == "truncated: got 50 of 100 bytes (gave up after 4 attempts)"
    assert result.attempts == 4 and env.waits == [0.5, 1.0, 2.0]
    assert not env.dest("/a.jpg").exists() and env.leftovers() == []


def test_truncated_large_body_counts_the_bytes_received(env: Env) -> None:
    result = env.one("/a.jpg", Response(200, IMAGE, b"x" * 200_000, truncate=True), retries=1)
    assert result.error == "truncated: got 100000 of 200000 bytes"  # a single attempt: no "gave up after"


def test_truncated_then_complete(env: Env) -> None:
    body = JPEG * 100
    result = env.one("/a.jpg", Response(200, IMAGE, body, truncate=True), Response(200, IMAGE, body))
    assert result.ok and result.attempts == 2 and result.size == len(body)
    assert env.dest("/a.jpg").read_bytes() == body  # the first, partial attempt left nothing behind


def test_truncated_chunked_body_is_retried(env: Env) -> None:
    body = JPEG * 100
    cut = Response(200, IMAGE, body, framing="chunked", truncate=True)
    result = env.one("/a.jpg", cut, cut, Response(200, IMAGE, body))
    assert result.ok and result.attempts == 3 and env.dest("/a.jpg").read_bytes() == body
    result = env.one("/b.jpg", cut, retries=2)
    assert re.fullmatch(r"truncated: the connection closed after \d+ bytes \(gave up after 2 attempts\)", result.error)


# 8. Only allowed hosts; redirects.


def test_a_host_not_allowed_is_never_contacted(env: Env) -> None:
    [result] = env.fetch(env.request("/a.jpg", "localhost"))
    assert result.error == "host localhost is not one of the site's hosts (allow it with --allow-host)"
    assert result.attempts == 0 and env.server.requests == []


def test_allowed_hosts_ignore_case_and_port(env: Env) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG))
    [result] = env.fetch(env.request("/a.jpg", "LocalHost"), allowed_hosts={"LOCALHOST:8080"})
    assert result.ok, result.error


def test_redirect_to_another_host_is_refused(env: Env) -> None:
    env.server.route("/a.jpg", Response(302, {"Location": env.server.url("/b.jpg", "localhost")}))
    env.server.route("/b.jpg", Response(200, IMAGE, JPEG))
    result = env.one("/a.jpg")
    assert result.error == "redirected to localhost, which is not an allowed host"
    assert result.status == 302 and result.attempts == 1
    assert env.server.paths() == ["/a.jpg"]


def test_redirect_to_another_allowed_host_is_followed(env: Env) -> None:
    env.server.route("/a.jpg", Response(301, {"Location": env.server.url("/b.jpg", "localhost")}))
    env.server.route("/b.jpg", Response(200, IMAGE, JPEG))
    result = env.one("/a.jpg", allowed_hosts={"127.0.0.1", "localhost"})
    assert result.ok and env.server.requests[-1].host == f"localhost:{env.server.port}"


def test_redirects_within_the_host_are_followed(env: Env) -> None:
    env.server.route("/a.jpg", Response(301, {"Location": "/b.jpg"}))
    env.server.route("/b.jpg", Response(302, {"Location": env.server.url("/c/d.jpg")}))
    env.server.route("/c/d.jpg", Response(307, {"Location": "e.jpg?v=2#top"}))
    env.server.route("/c/e.jpg?v=2", Response(200, IMAGE, JPEG))
    result = env.one("/a.jpg")
    assert result.ok and result.status == 200 and result.attempts == 1
    assert env.dest("/a.jpg").read_bytes() == JPEG
    assert env.server.paths() == ["/a.jpg", "/b.jpg", "/c/d.jpg", "/c/e.jpg?v=2"]


def test_redirect_to_https_on_an_allowed_host_is_followed(env: Env) -> None:
    # The test server speaks no TLS, so the https hop fails — but it was attempted, not refused.
    env.server.route("/a.jpg", Response(301, {"Location": env.server.url("/a.jpg").replace("http:", "https:")}))
    result = env.one("/a.jpg")
    assert result.error.startswith(f"TLS error with 127.0.0.1:{env.server.port}: ") and result.attempts == 1


def test_too_many_redirects(env: Env) -> None:
    result = env.one("/loop.jpg", Response(302, {"Location": "/loop.jpg"}))
    assert result.error == "more than 5 redirects" and len(env.server.requests) == 6


@pytest.mark.parametrize(
    "response,error",
    [
        (Response(302), "HTTP 302 Found without a Location header"),
        (Response(302, {"Location": "ftp://127.0.0.1/a.jpg"}), "redirected to ftp://127.0.0.1/a.jpg, which is not"),
        (Response(304), "HTTP 304 Not Modified"),
    ],
)
def test_odd_redirects(env: Env, response: Response, error: str) -> None:
    result = env.one("/a.jpg", response)
    assert result.error.startswith(error) and result.attempts == 1


# 9. Only http(s).


@pytest.mark.parametrize(
    "url,error",
    [
        ("ftp://127.0.0.1/a.jpg", "not an http(s) URL: ftp://127.0.0.1/a.jpg"),
        ("file:///etc/passwd", "not an http(s) URL: file:///etc/passwd"),
        ("/wp-content/uploads/a.jpg", "not an http(s) URL: /wp-content/uploads/a.jpg"),
        ("javascript:alert(1)", "not an http(s) URL: javascript:alert(1)"),
        ("http:///a.jpg", "no host in URL: http:///a.jpg"),
        ("http://127.0.0.1:99999/a.jpg", "not a valid URL: http://127.0.0.1:99999/a.jpg"),
    ],
)
def test_only_http_urls(env: Env, url: str, error: str) -> None:
    [result] = env.fetch(FetchRequest(url, env.dest("/a.jpg")))
    assert (result.ok, result.error, result.attempts) == (False, error, 0)


# 10. One-line errors; unexpected exceptions; interruption.


def test_unexpected_errors_become_failed_results(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG))
    env.server.route("/b.jpg", Response(200, IMAGE, JPEG))

    def boom(n: int) -> None:
        raise ValueError("boom\n  on two lines")

    with env.fetcher() as fetcher:
        [result] = fetcher.fetch_all([env.request("/a.jpg")], on_bytes=boom)
        assert result.error == "ValueError: boom on two lines" and result.attempts == 1
        assert env.leftovers() == [] and not env.dest("/a.jpg").exists()
        monkeypatch.setattr(Fetcher, "_save", lambda *args: 1 / 0)
        [result] = fetcher.fetch_all([env.request("/b.jpg")])
        assert result.error == "ZeroDivisionError: division by zero"


def test_a_file_that_cannot_be_saved(env: Env) -> None:
    env.dest("/a.jpg").mkdir(parents=True)
    (env.dest("/a.jpg") / "inside").write_text("x")
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG))
    assert result.error.startswith(f"could not save {env.dest('/a.jpg')}: ") and env.leftovers() == []


def test_an_unusable_tmp_dir(env: Env) -> None:
    env.site.mkdir()
    (env.site / ".wp2zola").write_text("not a folder")
    result = env.one("/a.jpg", Response(200, IMAGE, JPEG))
    assert result.error.startswith(f"could not create a temporary file in {env.tmp_dir}: ")
    assert not env.dest("/a.jpg").exists()


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_interrupt_in_a_worker_propagates(env: Env, exception: type[BaseException]) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG * 100, chunk_size=1024, chunk_delay=0.001))

    def interrupt(n: int) -> None:
        raise exception

    with env.fetcher() as fetcher, pytest.raises(exception):
        fetcher.fetch_all([env.request("/a.jpg")], on_bytes=interrupt)
    assert env.leftovers() == [] and not env.dest("/a.jpg").exists()


def test_ctrl_c_stops_downloads_in_flight(env: Env) -> None:
    # Two long downloads; a real SIGINT reaches the main thread while it waits for them.
    for name in ("a", "b"):
        env.server.route(f"/{name}.jpg", Response(200, IMAGE, JPEG * 40, chunk_size=1024, chunk_delay=0.1))
    env.server.route("/c.jpg", Response(200, IMAGE, JPEG))
    main = threading.main_thread().ident
    assert main is not None and threading.get_ident() == main
    sent: list[float] = []

    def ctrl_c() -> None:  # once both downloads are under way (a fixed delay lost the race on a busy machine)
        deadline = time.monotonic() + 10
        while len(env.server.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        sent.append(time.monotonic())
        signal.pthread_kill(main, signal.SIGINT)

    # a suite started in the background by a shell (`pytest &`) inherits SIGINT ignored, and Python then
    # keeps it so: Ctrl-C is Python's own here, as it is on a terminal
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with env.fetcher(read_timeout=30) as fetcher:
            timer = threading.Thread(target=ctrl_c, daemon=True)
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                fetcher.fetch_all([env.request("/a.jpg"), env.request("/b.jpg")])
            assert time.monotonic() - sent[0] < 0.5  # in-flight reads were cut short, not waited out
            assert len(env.server.requests) == 2  # both had started
            assert env.leftovers() == [] and not env.dest("/a.jpg").exists() and not env.dest("/b.jpg").exists()
            [result] = fetcher.fetch_all([env.request("/c.jpg")])  # the fetcher is still usable
            assert result.ok
    finally:
        signal.signal(signal.SIGINT, previous)


# 11. Duplicates.


def test_duplicate_requests_are_fetched_once(env: Env) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG))
    first, second = env.request("/a.jpg"), env.request("/a.jpg")
    delivered: list[FetchResult] = []
    with env.fetcher() as fetcher:
        results = fetcher.fetch_all([first, second], on_result=delivered.append)
    assert len(env.server.requests) == 1
    assert results[0].request is first and results[1].request is second
    assert all(r.ok and r.sha256 == hashlib.sha256(JPEG).hexdigest() for r in results)
    assert len(delivered) == 2


def test_two_urls_for_one_dest_is_a_conflict(env: Env) -> None:
    env.server.route("/a.jpg", Response(200, IMAGE, JPEG))
    first = env.request("/a.jpg")
    other = FetchRequest(env.server.url("/elsewhere/a.jpg"), first.dest)
    results = env.fetch(first, other)
    assert results[0].ok and not results[1].ok
    assert results[1].error == f"{first.dest} is also the destination of {first.url}"
    assert env.server.paths() == ["/a.jpg"]


# 12. An interrupted run, resumed.


def test_interrupted_run_resumes_to_the_same_files(server: TestServer, tmp_path: Path) -> None:
    files = {f"/wp-content/uploads/2021/{i:02}/img{i}.jpg": bytes([i]) * (20_000 + 7919 * i) for i in range(10)}
    for path, body in files.items():
        server.route(path, Response(200, IMAGE, body, chunk_size=8192, chunk_delay=0.01))

    reference = Env(server, tmp_path / "reference")
    assert all(r.ok for r in reference.fetch(*files))

    env = Env(server, tmp_path / "site")
    todo = [env.request(path) for path in files]
    delivered: list[FetchResult] = []

    def stop_after_three(result: FetchResult) -> None:
        delivered.append(result)
        if len(delivered) == 3:
            raise KeyboardInterrupt

    with env.fetcher() as fetcher, pytest.raises(KeyboardInterrupt):
        fetcher.fetch_all(todo, on_result=stop_after_three)
    assert len(delivered) == 3 and all(r.ok for r in delivered)
    assert env.leftovers() == []
    partial = tree(env.site / "static")
    assert {f"static/{p}" for p in partial} >= {r.request.dest.relative_to(env.site).as_posix() for r in delivered}
    assert all(body == files["/" + path] for path, body in partial.items())  # whatever is there is complete
    assert len(partial) < len(files)

    # The caller skips what exists; a new run fetches only the rest.
    server.reset()
    remaining = [r for r in todo if not r.dest.exists()]
    assert all(r.ok for r in env.fetch(*remaining))
    assert sorted(server.paths()) == sorted(r.url.removeprefix(server.url("")) for r in remaining)
    assert tree(env.site / "static") == tree(reference.site / "static")
    assert env.leftovers() == []


# The test server's folder serving, which other tests rely on.


def test_serve_dir(env: Env, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "2020" / "01").mkdir(parents=True)
    (uploads / "2020" / "01" / "a b.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "secret.txt").write_text("no")
    env.server.serve_dir("/wp-content/uploads/", uploads)
    response = requests.get(env.server.url("/wp-content/uploads/2020/01/a%20b.png"), timeout=5)
    assert (response.status_code, response.headers["Content-Type"], response.content) == (
        200,
        "image/png",
        b"\x89PNG\r\n",
    )
    assert requests.get(env.server.url("/wp-content/uploads/2020/01/missing.png"), timeout=5).status_code == 404
    assert requests.get(env.server.url("/wp-content/uploads/../secret.txt"), timeout=5).status_code == 404
    assert requests.get(env.server.url("/wp-content/uploads/%2e%2e/secret.txt"), timeout=5).status_code == 404
    [result] = env.fetch("/wp-content/uploads/2020/01/a%20b.png")
    assert result.ok and env.dest("/wp-content/uploads/2020/01/a%20b.png").read_bytes() == b"\x89PNG\r\n"


def test_fetcher_rejects_impossible_settings(tmp_path: Path) -> None:
    for option in ("workers", "per_host", "retries"):
        settings: dict[str, Any] = {option: 0}
        with pytest.raises(ValueError):
            Fetcher({"example.com"}, tmp_dir=tmp_path, **settings)
