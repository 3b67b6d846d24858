"""A small local HTTP server for tests: scripted responses per path, a served folder, and a record of every request.

    with TestServer() as server:
        server.route("/a.jpg", Response(200, {"Content-Type": "image/jpeg"}, b"..."))
        server.route("/b.jpg", [Response(503), Response(200, body=b"...")])   # served in turn, the last one repeats
        server.serve_dir("/wp-content/uploads/", folder)
        url = server.url("/a.jpg")                 # http://127.0.0.1:PORT/a.jpg
        other = server.url("/a.jpg", "localhost")  # the same server under another host name

It listens on 127.0.0.1 only, on an ephemeral port, and speaks HTTP/1.1 with keep-alive like a real web server.
"""

from __future__ import annotations

import mimetypes
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Literal, Self
from urllib.parse import unquote, urlsplit

__all__ = ["RecordedRequest", "Response", "TestServer"]


@dataclass
class Response:
    """One scripted response.

    framing: "length" sends a Content-Length (unless `headers` sets one itself, which is then sent as is — handy for
    lying about the size); "chunked" uses Transfer-Encoding: chunked; "close" sends neither and ends the body by closing
    the connection.
    truncate: declare the full body's length but send only its first half, then close the connection.
    delay: seconds to wait before sending anything (a slow server); chunk_delay: seconds between body chunks of
    chunk_size bytes (a slow or stalling transfer).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    truncate: bool = False
    framing: Literal["length", "chunked", "close"] = "length"
    chunk_size: int = 64 * 1024
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, query included
    headers: Message  # case-insensitive .get()
    host: str  # the Host header, e.g. "127.0.0.1:41234"


Handler = Response | Sequence[Response] | Callable[[RecordedRequest], Response]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-response (the point of the truncation and timeout tests) is no error."""


class _Route:
    def __init__(self, handler: Handler):
        self.handler = handler
        self.served = 0
        self.lock = threading.Lock()

    def next(self, request: RecordedRequest) -> Response:
        if isinstance(self.handler, Response):
            return self.handler
        if callable(self.handler):
            return self.handler(request)
        with self.lock:
            index = min(self.served, len(self.handler) - 1)
            self.served += 1
        return self.handler[index]


class TestServer:
    __test__ = False  # not a pytest test class, despite the name

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._dirs: list[tuple[str, Path]] = []
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.active = 0
        self.max_concurrent = 0
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True  # keep-alive connections a client never closes must not block shutdown
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        """Serve `path` (matched with its query string first, then without) from `handler`."""
        if not isinstance(handler, Response) and not callable(handler) and not handler:
            raise ValueError("a route needs at least one response")
        self._routes[path] = _Route(handler)

    def serve_dir(self, prefix: str, folder: Path) -> None:
        """Serve files of `folder` for unrouted paths under `prefix`; 404 for missing ones."""
        self._dirs.append((prefix if prefix.endswith("/") else prefix + "/", Path(folder).resolve()))

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path or r.path == path]

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def reset(self) -> None:
        """Forget recorded requests and the concurrency peak (routes stay)."""
        with self._lock:
            self.requests.clear()
            self.max_concurrent = self.active

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # Called from handler threads.

    def _begin(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)
            self.active += 1
            self.max_concurrent = max(self.max_concurrent, self.active)

    def _end(self) -> None:
        with self._lock:
            self.active -= 1

    def _respond(self, request: RecordedRequest) -> Response:
        route = self._routes.get(request.path) or self._routes.get(urlsplit(request.path).path)
        if route is not None:
            return route.next(request)
        path = unquote(urlsplit(request.path).path)
        for prefix, folder in self._dirs:
            if path.startswith(prefix):
                file = (folder / path[len(prefix) :]).resolve()
                if file.is_relative_to(folder) and file.is_file():
                    ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return Response(200, {"Content-Type": ctype}, file.read_bytes())
        return Response(404, {"Content-Type": "text/html; charset=utf-8"}, b"<!DOCTYPE html><title>Not Found</title>")


def _make_handler(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 10  # idle keep-alive connections end eventually

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            request = RecordedRequest(self.command, self.path, self.headers, self.headers.get("Host", ""))
            server._begin(request)
            try:
                self._send(server._respond(request), send_body)
            except OSError:  # the client gave up (a timeout test, an aborted download): nothing to tell it
                self.close_connection = True
            finally:
                server._end()

        def _send(self, response: Response, send_body: bool) -> None:
            if response.delay:
                time.sleep(response.delay)
            body = response.body
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            has_length = any(name.lower() == "content-length" for name in response.headers)
            if response.framing == "chunked":
                self.send_header("Transfer-Encoding", "chunked")
            elif response.framing == "close":
                self.send_header("Connection", "close")
                self.close_connection = True
            elif not has_length:
                self.send_header("Content-Length", str(len(body)))
            if response.truncate:
                body = body[: len(body) // 2]
                self.close_connection = True
            self.end_headers()
            if send_body:
                self._send_body(response, body)
            if self.close_connection:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)

        def _send_body(self, response: Response, body: bytes) -> None:
            size = max(1, response.chunk_size)
            for start in range(0, len(body), size):
                if start and response.chunk_delay:
                    time.sleep(response.chunk_delay)
                piece = body[start : start + size]
                if response.framing == "chunked":
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
                self.wfile.flush()
            if response.framing == "chunked" and not response.truncate:
                self.wfile.write(b"0\r\n\r\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    return _Handler
