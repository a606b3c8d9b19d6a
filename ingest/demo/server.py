"""Serve a demo :class:`~ingest.demo.corpus.Corpus` over HTTP on 127.0.0.1, in a daemon thread.

The corpus names its host as ``corpus.origin``; every body is served with that origin replaced by the
server's own base URL, so feed links, canonical links and related-story links all lead back here.
The query string is ignored when looking a page up (feeds carry ``utm_`` links); unknown paths get 404.
"""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from ingest.demo.corpus import Corpus

_NOT_FOUND = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n"


class DemoServer:
    """A context manager: ``with DemoServer(build_corpus()) as server: ... server.base_url ...``.

    The port is bound in ``__init__`` (``port=0`` picks a free one), so ``base_url`` is known at once;
    the serving thread starts on ``start()`` / ``__enter__`` and stops on ``stop()`` / ``__exit__``.
    Article ids in the store come from URLs, which include the port: pass a fixed ``port`` if two demo
    runs must produce the same ids.
    """

    def __init__(self, corpus: Corpus, host: str = "127.0.0.1", port: int = 0) -> None:
        self.corpus = corpus
        self.hits: Counter[str] = Counter()  # path -> requests served (any status)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        bound_host, bound_port = self._httpd.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        self.base_url = f"http://{self.host}:{self.port}"
        self._origin = corpus.origin.encode("ascii")
        self._base = self.base_url.encode("ascii")
        self._thread: threading.Thread | None = None

    def feed_urls(self) -> list[tuple[str, str]]:
        """(outlet name, absolute feed URL) for every outlet, in the corpus's order."""
        return [(o.name, self.base_url + o.feed_path) for o in self.corpus.outlets]

    def url(self, path: str) -> str:
        return self.base_url + path

    def lookup(self, path: str) -> tuple[int, str, bytes]:
        """What the server answers for a request target: (status, content type, body)."""
        found = self.corpus.files.get(urlsplit(path).path or "/")
        if found is None:
            return 404, "text/html; charset=utf-8", _NOT_FOUND
        ctype, body = found
        return 200, ctype, body.replace(self._origin, self._base)

    def start(self) -> DemoServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, name="newsmon-demo-server",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a client can reuse its connection
            server_version = "newsmon-demo/1"
            # Headers and body go out in two writes; with Nagle's algorithm on, the body then waits for the
            # client's delayed ACK (~40 ms a page on Linux), which capped the demo at ~180 pages/s on 8 threads.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._answer(head=False)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(head=True)

            def _answer(self, head: bool) -> None:
                status, ctype, body = server.lookup(self.path)
                with server._lock:
                    server.hits[urlsplit(self.path).path] += 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: the ingest's own progress bar is the log

        return Handler
