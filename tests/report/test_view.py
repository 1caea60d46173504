"""heredity view: a real server on an ephemeral loopback port; non-loopback refused unless asked."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from heredity.cli import main
from heredity.errors import ConfigError
from heredity.report.view import make_server


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_non_loopback_is_refused_in_one_line(tmp_path, capsys, host):
    assert main(["--store", str(tmp_path / "store"), "view", "--host", host]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"refusing to serve reports on {host}" in err and "--allow-remote" in err


def test_allow_remote_is_what_lets_a_non_loopback_address_bind(store):
    with pytest.raises(ConfigError):
        make_server(store, "0.0.0.0", 0)
    server = make_server(store, "0.0.0.0", 0, allow_remote=True)
    server.server_close()


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def test_serves_the_listing_newest_first_and_each_report(report_store):
    store, report_id, older_id = report_store
    server = make_server(store, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        status, page, _ = _get(base + "/")
        assert status == 200
        assert page.index(f"/report/{report_id}") < page.index(f"/report/{older_id}")  # newest first
        assert "owl-tiny" in page and "older-run" in page and "transmission" in page
        assert store.manifest(report_id).provenance.started in page
        status, page, headers = _get(f"{base}/report/{report_id}")
        assert status == 200 and "<title>owl-tiny</title>" in page and "data:image/png;base64," in page and "<svg" in page
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        model = store.ids("model")[0]
        assert _get(f"{base}/report/{model}")[0] == 404  # a model is not a report
        assert _get(f"{base}/report/..%2Fmanifest.json")[0] == 404
        assert _get(base + "/nothing")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
    assert not thread.is_alive()


class _Serving:
    """A real server on an ephemeral loopback port, serving in a thread for the with-block."""

    def __init__(self, store, **kwargs):
        self.server = make_server(store, "127.0.0.1", 0, **kwargs)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


def test_a_report_whose_ancestor_was_tampered_and_renamed_is_not_served(report_store):
    import json

    from heredity.store.hashing import hash_file

    store, report_id, _ = report_store
    base = next(aid for aid in store.ids("model"))
    folder = store.path(base)
    (folder / "w.txt").write_text("poisoned")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["w.txt"], manifest["name"] = hash_file(folder / "w.txt"), "clean-base"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with _Serving(store) as base_url:
        status, page, _ = _get(f"{base_url}/report/{report_id}")
    assert status == 500 and base in page and "changed since the artifact was built" in page and "clean-base" not in page


def test_a_request_for_another_host_name_is_refused(report_store):
    store, report_id, _ = report_store
    with _Serving(store) as base_url:
        request = urllib.request.Request(f"{base_url}/report/{report_id}", headers={"Host": "attacker.example:80"})
        try:
            urllib.request.urlopen(request, timeout=30)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 421
        assert _get(f"{base_url}/report/{report_id}")[0] == 200  # the loopback name it was reached by


def test_a_burst_of_report_requests_is_answered_by_a_bounded_pool(report_store):
    """Loopback only, 48 requests at once against 2 workers and 6 waiting: every one is answered
    (200, or 503 at once when the queue is full), and no more than 2 worker threads ever exist."""
    from concurrent.futures import ThreadPoolExecutor

    store, report_id, _ = report_store
    with _Serving(store, workers=2, queue=6) as base_url:
        with ThreadPoolExecutor(max_workers=48) as clients:
            statuses = list(clients.map(lambda _: _get(f"{base_url}/report/{report_id}")[0], range(48)))
        workers = [t for t in threading.enumerate() if t.name.startswith("heredity-view")]
        assert len(workers) <= 2
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 2
