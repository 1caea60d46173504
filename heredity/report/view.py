"""``heredity view``: the store's reports over HTTP, on loopback unless told otherwise.

``/`` lists every report artifact, newest first (name, kind, date, id); ``/report/<id>`` is that
report's self-contained page with its lineage. Reports are read-only views of the store: the
server never writes. Binding an address other than loopback exposes every report (and the
prompts and answers in it) to the network, so it is refused unless ``allow_remote`` is given.
"""

from __future__ import annotations

import html
import ipaddress
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from heredity.errors import ConfigError, HeredityError
from heredity.report.stored import html_for_artifact, report_entries
from heredity.report.style import STYLESHEET
from heredity.store import Store


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


def make_server(store: Store, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False) -> ThreadingHTTPServer:
    """A bound, not yet serving, server (``port=0``: any free port; see ``server.server_address``)."""
    check_host(host, allow_remote)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = unquote(self.path.split("?", 1)[0])
            try:
                if path == "/":
                    self._send(HTTPStatus.OK, listing(store))
                elif path.startswith("/report/") and path.count("/") == 2:
                    aid = path.removeprefix("/report/")
                    if aid not in {e.id for e in report_entries(store)}:
                        self._send(HTTPStatus.NOT_FOUND, f"no report {html.escape(aid)} in this store")
                    else:
                        self._send(HTTPStatus.OK, html_for_artifact(store, aid))
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

    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    try:
        server = Server((host, port), Handler)
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    return server
