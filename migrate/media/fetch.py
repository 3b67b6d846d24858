"""Download a site's media files: the only code in wp2zola that touches the network.

Every download is streamed to a temporary file in `tmp_dir` (the site's private `.wp2zola/` folder, on the same file
system as the destinations) and moved into place with os.replace, so a destination is either absent or complete —
an interrupted run can be resumed by fetching only the files that are still missing.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, BinaryIO, Self
from urllib.parse import unquote, urljoin, urlsplit

from migrate.wxr.model import ascii_int

if TYPE_CHECKING:  # imported where a fetch needs it: a run that fetches nothing does without its 17 MB
    import requests

__all__ = ["DEFAULT_USER_AGENT", "FetchRequest", "FetchResult", "Fetcher"]

DEFAULT_USER_AGENT = "wp2zola/0.1 (migrating a WordPress site to Zola; +https://pypi.org/project/wp2zola/)"

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp", ".tif", ".tiff", ".ico", ".heic", ".svg"}
)
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})
SVG_TYPES = frozenset({"text/xml", "application/xml"})
CHUNK_SIZE = 64 * 1024
SNIFF_SIZE = 1024  # enough to see past a BOM and some blank lines to the first tag


@dataclass(frozen=True)
class FetchRequest:
    url: str  # absolute http(s) URL
    dest: Path  # final absolute path of the file


@dataclass
class FetchResult:
    request: FetchRequest
    ok: bool
    size: int = 0  # bytes written (ok)
    sha256: str = ""  # hex digest of the bytes written (ok)
    status: int | None = None  # last HTTP status seen, if any
    error: str = ""  # one line, for the user, when not ok
    attempts: int = 0
    local_errno: int | None = None  # the failure was our own disk's (ENOSPC, EROFS…), not the server's


class _Failure(Exception):
    """A failed attempt, with its message for the user and whether another attempt may help."""

    def __init__(self, message: str, *, retry: bool = False, wait: float | None = None, local: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry = retry
        self.wait = wait  # the server's Retry-After, instead of our backoff
        self.local = local  # errno of a failure to write here: no retry helps, the run must stop


class _Cancelled(BaseException):
    """The run is stopping (Ctrl-C, or an error in the caller's callback); a BaseException so nothing swallows it."""


class _Run:
    """State shared by the workers of one fetch_all call."""

    def __init__(self, on_bytes: Callable[[int], None] | None):
        self.on_bytes = on_bytes
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._responses: set[requests.Response] = set()

    def check(self) -> None:
        if self.stopped.is_set():
            raise _Cancelled

    def stop(self) -> None:
        self.stopped.set()
        with self._lock:
            responses = list(self._responses)
        for response in responses:
            # A worker blocked in a read would otherwise sit there until read_timeout; shutting the socket down
            # (urllib3 >= 2.3) wakes it at once. Closing it from this thread would not.
            shutdown = getattr(response.raw, "shutdown", None)
            if shutdown is not None:
                with suppress(OSError, RuntimeError, ValueError):  # the body may have ended in the meantime
                    shutdown()

    @contextmanager
    def streaming(self, response: requests.Response) -> Iterator[None]:
        with self._lock:
            self._responses.add(response)
        try:
            yield
        finally:
            with self._lock:
                self._responses.discard(response)


class Fetcher:
    """Fetch files in parallel, politely: a few workers, at most `per_host` requests at a time to any one host.

    One fetch_all call at a time per Fetcher.
    """

    def __init__(
        self,
        allowed_hosts: Iterable[str],
        *,
        tmp_dir: Path,
        workers: int = 4,
        per_host: int = 2,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        max_bytes: int = 200 * 1024 * 1024,
        user_agent: str = DEFAULT_USER_AGENT,
        sleep: Callable[[float], None] = time.sleep,
        place: Callable[[FetchRequest, Path, str], None] | None = None,
    ):
        if workers < 1 or per_host < 1 or retries < 1:
            raise ValueError("workers, per_host and retries must be at least 1")
        self.allowed_hosts = frozenset(_normal_host(h) for h in allowed_hosts)
        self.tmp_dir = Path(tmp_dir)
        self.workers = workers
        self.per_host = per_host
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self._sleep = sleep
        # Puts a complete temporary file (path, sha256) at its destination; the caller's own when it journals
        # what it places, or handles another file system.
        self._place = place or _rename_into_place
        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._executor: ThreadPoolExecutor | None = None
        self._run: _Run | None = None

    # Public API.

    def fetch_all(
        self,
        requests: Iterable[FetchRequest],
        on_result: Callable[[FetchResult], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[FetchResult]:
        """Results in the order of the requests. on_result is called (from the calling thread, not a worker) as each
        file finishes; on_bytes(n) as bytes arrive (for a progress bar; may be called from workers)."""
        todo = list(requests)
        results: list[FetchResult | None] = [None] * len(todo)
        run = self._run = _Run(on_bytes)
        executor = self._get_executor()
        futures: dict[Future[FetchResult], list[int]] = {}
        first_for_dest: dict[str, tuple[int, Future[FetchResult]]] = {}
        conflicts: list[int] = []
        for index, request in enumerate(todo):
            key = os.path.abspath(request.dest)
            if key not in first_for_dest:
                future = executor.submit(self._fetch_one, request, run)
                futures[future] = [index]
                first_for_dest[key] = (index, future)
                continue
            first, future = first_for_dest[key]
            if todo[first].url == request.url:
                futures[future].append(index)  # the same file asked for twice: fetch it once
            else:
                conflicts.append(index)
                error = f"{request.dest} is also the destination of {todo[first].url}"
                results[index] = FetchResult(request, ok=False, error=error)
        try:
            for index in conflicts:
                self._deliver(results[index], on_result)
            for future in as_completed(futures):
                result = future.result()
                for index in futures[future]:
                    mine = result if todo[index] is result.request else replace(result, request=todo[index])
                    results[index] = mine
                    self._deliver(mine, on_result)
        except BaseException:
            # Ctrl-C, or the caller's on_result raised: stop the workers and let them remove their temporary files
            # before the exception goes on. Files already in place are complete and stay.
            run.stop()
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        finally:
            self._run = None
        return [r for r in results if r is not None]

    def close(self) -> None:
        if self._run is not None:
            self._run.stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @staticmethod
    def _deliver(result: FetchResult | None, on_result: Callable[[FetchResult], None] | None) -> None:
        if result is not None and on_result is not None:
            on_result(result)

    # One file, in a worker thread.

    def _fetch_one(self, request: FetchRequest, run: _Run) -> FetchResult:
        result = FetchResult(request, ok=False)
        try:
            self._check_url(request.url, redirected=False)
            for attempt in range(1, self.retries + 1):
                run.check()
                result.attempts = attempt
                try:
                    result.size, result.sha256 = self._attempt(request, result, run)
                    result.ok = True
                    return result
                except _Failure as failure:
                    if not failure.retry:
                        result.error = failure.message
                        result.local_errno = failure.local
                        return result
                    if attempt == self.retries:
                        tries = f" (gave up after {attempt} attempts)" if attempt > 1 else ""
                        result.error = failure.message + tries
                        return result
                    self._wait(self.backoff * 2 ** (attempt - 1) if failure.wait is None else failure.wait, run)
        except _Failure as failure:
            result.error = failure.message
        except Exception as err:  # a bug or an odd environment: one file fails, the run goes on
            result.error = f"{type(err).__name__}: {err}"
            result.local_errno = err.errno if isinstance(err, OSError) else None
        result.error = " ".join(result.error.split()) or "failed"
        return result

    def _attempt(self, request: FetchRequest, result: FetchResult, run: _Run) -> tuple[int, str]:
        """One try: follow redirects, check the response, save the body. Returns (size, sha256)."""
        import requests

        url = request.url
        session = self._session()
        for _hop in range(MAX_REDIRECTS + 1):
            with self._host_slot(url):
                try:
                    response = session.get(url, stream=True, allow_redirects=False, timeout=self.timeout)
                except requests.RequestException as err:
                    raise _request_failure(err, url, self.timeout) from None
                with response, run.streaming(response):
                    result.status = response.status_code
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        target = session.get_redirect_target(response) or ""
                        url = urljoin(url, target).partition("#")[0]
                        self._check_url(url, redirected=True)
                        continue
                    self._check_status(response)
                    return self._save(request, response, run)
        raise _Failure(f"more than {MAX_REDIRECTS} redirects")

    def _check_url(self, url: str, *, redirected: bool) -> None:
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises ValueError on a bad port
        except ValueError:
            raise _Failure(f"not a valid URL: {url}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise _Failure(
                f"redirected to {url}, which is not an http(s) URL" if redirected else f"not an http(s) URL: {url}"
            )
        host = _normal_host(parts.hostname or "")
        if not host:
            raise _Failure(f"no host in URL: {url}")
        if host not in self.allowed_hosts:
            if redirected:
                raise _Failure(f"redirected to {host}, which is not an allowed host")
            raise _Failure(f"host {host} is not one of the site's hosts (allow it with --allow-host)")

    def _check_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status in (200, 203):
            return
        reason = f"HTTP {status} {response.reason or ''}".strip()
        if status in REDIRECT_STATUSES:
            raise _Failure(f"{reason} without a Location header")
        wait = None
        if status in RETRY_AFTER_STATUSES:
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                wait = min(wait, self.max_retry_after)
        raise _Failure(reason, retry=status in RETRY_STATUSES, wait=wait)

    def _save(self, request: FetchRequest, response: requests.Response, run: _Run) -> tuple[int, str]:
        path = unquote(urlsplit(request.url).path).lower()
        extension = os.path.splitext(path)[1]
        expect_html = extension in (".htm", ".html")
        media_type = response.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        if media_type in HTML_TYPES and not expect_html:
            raise _Failure("the server sent an HTML page, not the file")
        if extension in IMAGE_EXTENSIONS and media_type and not _is_image_type(media_type, extension):
            raise _Failure(f"the server sent {media_type}, not an image")

        length = _content_length(response)
        if length is not None and length > self.max_bytes:
            raise _Failure(f"the file is {_size(length)}, larger than the {_size(self.max_bytes)} limit")
        # Only an unencoded body's size can be checked against Content-Length (we ask for identity, but a server
        # may compress anyway, and iter_content decodes).
        exact_length = length if response.headers.get("Content-Encoding", "identity").lower() == "identity" else None

        tmp, out = self._new_temp()
        saved = False
        try:
            size, digest = self._stream(response, out, exact_length, expect_html, run)
            if exact_length is not None and size < exact_length:
                # urllib3 1.x ends a short body quietly; 2.x raises, which _stream turns into this same failure.
                raise _Failure(f"truncated: got {size} of {exact_length} bytes", retry=True)
            run.check()  # stop() may have ended a close-delimited body early, making it look complete
            try:
                request.dest.parent.mkdir(parents=True, exist_ok=True)
                self._place(request, tmp, digest)
            except OSError as err:
                raise _Failure(f"could not save {request.dest}: {err.strerror or err}", local=err.errno) from None
            saved = True
            return size, digest
        finally:
            if not saved:
                tmp.unlink(missing_ok=True)

    def _stream(
        self, response: requests.Response, out: BinaryIO, length: int | None, expect_html: bool, run: _Run
    ) -> tuple[int, str]:
        import requests

        size = 0
        digest = hashlib.sha256()
        head: bytes | None = None if expect_html else b""
        with out:
            try:
                for chunk in response.iter_content(CHUNK_SIZE):
                    run.check()
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _Failure(f"the file is larger than the {_size(self.max_bytes)} limit")
                    if head is not None:
                        head += chunk
                        if len(head) >= SNIFF_SIZE:
                            _check_not_html(head)
                            head = None
                    digest.update(chunk)
                    try:
                        out.write(chunk)
                    except OSError as err:
                        raise _Failure(
                            f"could not write to {self.tmp_dir}: {err.strerror or err}", local=err.errno
                        ) from None
                    if run.on_bytes is not None:
                        run.on_bytes(len(chunk))
            except requests.RequestException as err:
                run.check()  # an error caused by stop()'s shutdown is not a failure of this file
                received = max(size, _wire_bytes(response)) if length is not None else size
                raise _body_failure(err, received, length, self.timeout[1]) from None
            out.flush()
            os.fsync(out.fileno())  # on disk before the rename: a power cut leaves the old file or the whole new one
        if head is not None:
            _check_not_html(head)
        return size, digest.hexdigest()

    # Plumbing.

    def _get_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="wp2zola-fetch")
        return self._executor

    def _session(self) -> requests.Session:
        import requests

        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = self.user_agent
            session.headers["Accept"] = "*/*"
            # Media files are compressed already; identity keeps Content-Length equal to the file's size, which the
            # size cap and the truncation check rely on.
            session.headers["Accept-Encoding"] = "identity"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        key = f"{(parts.hostname or '').lower()}:{port}"
        with self._lock:
            slot = self._host_slots.setdefault(key, threading.BoundedSemaphore(self.per_host))
        with slot:
            yield

    def _new_temp(self) -> tuple[Path, BinaryIO]:
        # Made by hand rather than with mkstemp, whose 0600 would stay on the final file: 0o666 lets umask decide.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            while True:
                tmp = self.tmp_dir / f"{secrets.token_hex(8)}.part"
                try:
                    fd = os.open(tmp, flags, 0o666)
                except FileExistsError:
                    continue
                return tmp, os.fdopen(fd, "wb")
        except OSError as err:
            raise _Failure(
                f"could not create a temporary file in {self.tmp_dir}: {err.strerror or err}", local=err.errno
            ) from None

    def _wait(self, seconds: float, run: _Run) -> None:
        if self._sleep is time.sleep:
            run.stopped.wait(seconds)  # the real clock: let a stopping run cut the wait short
        else:
            self._sleep(seconds)
        run.check()


def _rename_into_place(request: FetchRequest, tmp: Path, sha256: str) -> None:
    os.replace(tmp, request.dest)


def _normal_host(host: str) -> str:
    """Lowercased host name without port or trailing dot, in its ASCII (punycode) form; accepts "host:port" too."""
    host = host.strip()
    if "://" in host:
        host = urlsplit(host).hostname or ""
    elif host.startswith("["):
        host = urlsplit("//" + host).hostname or ""
    elif host.count(":") == 1:  # host:port; more colons would be a bare IPv6 address
        host = host.partition(":")[0]
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_image_type(media_type: str, extension: str) -> bool:
    return (
        media_type.startswith("image/")
        or media_type in GENERIC_TYPES
        or (extension == ".svg" and media_type in SVG_TYPES)
    )


def _check_not_html(head: bytes) -> None:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith(HTML_STARTS):
        raise _Failure("the server sent an HTML page, not the file")


def _wire_bytes(response: requests.Response) -> int:
    # urllib3 reads whole chunks: bytes of a chunk cut short never reach iter_content, but raw.tell() counts them.
    # (Not for chunked bodies, where tell() counts some bytes twice.)
    tell = getattr(response.raw, "tell", None)
    try:
        return int(tell()) if tell is not None else 0
    except (TypeError, ValueError, OSError):
        return 0


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length", "").strip()
    return ascii_int(value)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def _request_failure(err: requests.RequestException, url: str, timeout: tuple[float, float]) -> _Failure:
    """A failure for an error raised before any response arrived."""
    import requests

    parts = urlsplit(url)
    where = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)  # no user:password@
    if isinstance(err, requests.ConnectTimeout):
        return _Failure(f"could not connect to {where} within {timeout[0]:g} s", retry=True)
    if isinstance(err, requests.ReadTimeout):
        return _Failure(f"no response from {where} within {timeout[1]:g} s", retry=True)
    if isinstance(err, requests.exceptions.SSLError):
        return _Failure(f"TLS error with {where}: {_reason(err)}")  # a bad certificate stays bad
    if isinstance(err, requests.ConnectionError):
        return _Failure(f"could not connect to {where}: {_reason(err)}", retry=True)
    return _Failure(f"{type(err).__name__}: {_reason(err)}")


def _body_failure(err: requests.RequestException, size: int, length: int | None, read_timeout: float) -> _Failure:
    """A failure for an error raised while the body was arriving."""
    import requests

    if _timed_out(err):
        return _Failure(f"the download stalled after {size} bytes (no data for {read_timeout:g} s)", retry=True)
    if length is not None and size < length:
        # urllib3 2.x reports a short body as ProtocolError(IncompleteRead), which requests calls ChunkedEncodingError
        # even when the body was not chunked.
        return _Failure(f"truncated: got {size} of {length} bytes", retry=True)
    if isinstance(err, requests.exceptions.ChunkedEncodingError):
        # urllib3's own words here are about chunk framing ("invalid literal for int() with base 16"), not for users.
        return _Failure(f"truncated: the connection closed after {size} bytes", retry=True)
    if isinstance(err, requests.ConnectionError):
        return _Failure(f"the connection broke after {size} bytes: {_reason(err)}", retry=True)
    return _Failure(f"{type(err).__name__}: {_reason(err)}")


def _causes(err: BaseException) -> Iterator[BaseException]:
    """err and what it wraps: requests and urllib3 nest their exceptions in args, .reason and __cause__."""
    seen: set[int] = set()
    todo = [err]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        todo.extend(nested + [e for e in (current.__cause__, current.__context__) if e is not None])


def _timed_out(err: BaseException) -> bool:
    # A read timeout in the middle of a body reaches us as requests.ConnectionError wrapping urllib3's
    # ReadTimeoutError, not as requests.ReadTimeout.
    return any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in _causes(err))


_NOISE = re.compile(r"^(?:\w+ConnectionPool\(host='[^']*', port=\d+\)|<[^>]*>): ")


def _reason(err: BaseException) -> str:
    """The most specific readable reason in a nest of requests/urllib3 exceptions."""
    import requests

    causes = list(_causes(err))
    for cause in causes:
        if isinstance(cause, OSError) and not isinstance(cause, requests.RequestException) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
    text = str(causes[-1]) or str(err) or type(err).__name__
    text = _NOISE.sub("", text.strip())
    return text.splitlines()[0][:200] if text else type(err).__name__
