"""``heredity view``: the store's reports over HTTP, on loopback unless told otherwise.

``/`` lists every report artifact, newest first (name, kind, date, id); ``/report/<id>`` is that
report's self-contained page with its lineage. Reports are read-only views of the store: the
server never writes. Binding an address other than loopback exposes every report (and the
prompts and answers in it) to the network, so it is refused unless ``allow_remote`` is given.

Like the CLI, a page is served only after the report, every ancestor and the digest chain between
them pass their check (``require_closure``); a failure is a 500 naming what failed. On loopback
the ``Host`` header must name a loopback address (a page on another site cannot reach the server
through a rebound DNS name). Requests are answered by a fixed pool of ``WORKERS`` threads with at
most ``QUEUE`` waiting; past that the server answers 503 at once, so a burst of requests cannot
grow threads or memory without bound. Pages are rendered one at a time (matplotlib is not thread
safe) and kept, keyed by the digests they were checked against.
"""

from __future__ import annotations

import html
import ipaddress
import socket
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import cast
from urllib.parse import unquote

from heredity.errors import ConfigError, HeredityError
from heredity.report.stored import html_for_artifact, report_entries
from heredity.report.style import STYLESHEET
from heredity.store import Store

WORKERS = 4  # threads answering requests
QUEUE = 32  # accepted connections waiting for a worker; beyond this, 503
SOCKET_TIMEOUT_S = 30  # a client that sends nothing is dropped, not waited on forever
CACHE_PAGES = 32


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> None:
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(f"refusing to serve reports on {host}: only loopback (127.0.0.1, ::1, localhost) unless "
                          "--allow-remote is given (anyone who can reach it reads every report)")


def listing(store: Store) -> str:
    rows = "".join(
        f'<tr><td><a href="/report/{html.escape(e.id)}">{html.escape(e.name)}</a></td><td>{html.escape(e.kind)}</td>'
        f"<td>{html.escape(e.started)}</td><td><code>{html.escape(e.id)}</code></td></tr>"
        for e in report_entries(store))
    body = (f"<table><thead><tr><th>run</th><th>kind</th><th>date</th><th>artifact</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows else "<p>No reports in this store yet: <code>heredity run FILE</code> makes one.</p>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>heredity reports</title><style>{STYLESHEET}</style>'
            f'</head><body><header><div class="run">heredity reports</div><div class="meta">store {html.escape(str(store.root))}'
            f"</div></header><main>{body}</main></body></html>\n")


class Pages:
    """Checked report pages: every request checks the report's closure, rendering happens once per
    set of digests (one render at a time) and the last ``CACHE_PAGES`` pages are kept."""

    def __init__(self, store: Store):
        self.store = store
        self._pages: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()
        self._render = threading.Lock()

    def page(self, aid: str) -> str:
        from heredity.store import lineage
        from heredity.store.integrity import require_closure

        shown = list(lineage.graph(self.store, aid, "up")["nodes"])
        checked = require_closure(self.store, shown, f"show report {aid}")  # like the CLI: ancestors and chain
        key = (aid, tuple(sorted((c.id, c.digest) for c in checked)))
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        with self._render:
            text = html_for_artifact(self.store, aid)
        with self._lock:
            self._pages[key] = text
            while len(self._pages) > CACHE_PAGES:
                self._pages.popitem(last=False)
        return text


def allowed_hosts(host: str, port: int) -> set[str]:
    """Host header values a loopback server answers (with and without the port)."""
    names = {"localhost", "127.0.0.1", "[::1]", f"[{host}]" if ":" in host else host}
    return names | {f"{name}:{port}" for name in names}


class BoundedServer(HTTPServer):
    """An HTTP server whose requests are answered by a fixed pool of threads, with a bounded wait."""

    daemon_threads = True

    def __init__(self, address, handler, *, workers: int = WORKERS, queue: int = QUEUE):
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="heredity-view")
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        if not self._slots.acquire(blocking=False):
            try:
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        self._pool.submit(self._work, request, client_address)

    def _work(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_server(store: Store, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False,
                workers: int = WORKERS, queue: int = QUEUE) -> BoundedServer:
    """A bound, not yet serving, server (``port=0``: any free port; see ``server.server_address``)."""
    check_host(host, allow_remote)
    pages = Pages(store)

    class Handler(BaseHTTPRequestHandler):
        timeout = SOCKET_TIMEOUT_S

        def do_GET(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            try:
                port = cast(tuple[str, int], self.server.server_address)[1]  # an AF_INET(6) server's (host, port)
                if not allow_remote and (self.headers.get("Host") or "").lower() not in allowed_hosts(host, port):
                    self._send(HTTPStatus.MISDIRECTED_REQUEST, "this server answers only requests for a loopback host name")
                elif path == "/":
                    self._send(HTTPStatus.OK, listing(store))
                elif path.startswith("/report/") and path.count("/") == 2:
                    aid = path.removeprefix("/report/")
                    if aid not in {e.id for e in report_entries(store)}:
                        self._send(HTTPStatus.NOT_FOUND, f"no report {html.escape(aid)} in this store")
                    else:
                        self._send(HTTPStatus.OK, pages.page(aid))
                else:
                    self._send(HTTPStatus.NOT_FOUND, "not found: / lists the reports, /report/&lt;id&gt; shows one")
            except HeredityError as exc:  # a tampered or broken artifact: say so on the page
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, html.escape(str(exc)))

        def _send(self, status: HTTPStatus, page: str) -> None:
            data = page.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args) -> None:  # quiet: the CLI prints the address once
            pass

    class Server(BoundedServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    try:
        server = Server((host, port), Handler, workers=workers, queue=queue)
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    return server
