"""web.serve: the shared listening socket sets TCP_NODELAY, and `kb serve --workers 2` serves the app from two workers."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from kb.settings import Settings
from web.serve import bind

ROOT = Path(__file__).resolve().parents[2]


def test_bound_socket_and_accepted_connections_have_nodelay() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        client = socket.create_connection(sock.getsockname()[:2])
        conn, _addr = sock.accept()
        try:
            # Linux copies TCP_NODELAY from the listening socket to every accepted connection.
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            conn.close()
            client.close()
    finally:
        sock.close()


def _children(pid: int) -> list[int]:
    """Worker processes of the supervisor (multiprocessing's resource tracker excluded)."""
    out = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"resource_tracker" not in cmdline:
            out.append(int(child))
    return out


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/static/kb.css")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_two_workers(built_index: Settings, port: int, verbosity: str) -> subprocess.Popen[bytes]:
    """`kb <verbosity> serve --workers 2` on ``port``, once it answers."""
    env = dict(os.environ, KB_SOURCES=str(built_index.sources), KB_ALLOWED_HOSTS="127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.cli", "--data-dir", str(built_index.data_dir), verbosity, "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("kb serve did not start: " + proc.communicate()[1].decode())
        time.sleep(0.2)
    return proc


def test_two_workers_serve_the_published_index(built_index: Settings) -> None:
    port = _free_port()
    proc = _serve_two_workers(built_index, port, "-v")
    stderr = ""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/search?q=v%C3%A5ld")
        response = conn.getresponse()
        assert response.status == 200
        assert b'"total"' in response.read()
        assert response.getheader("server") is None
        conn.close()
        # the server layer answers an over-long URL with a 414 problem, not a reset
        long = requests.get(f"http://127.0.0.1:{port}/sok?q=" + "a" * 300_000, timeout=30)
        assert long.status_code == 414 and long.headers["content-type"] == "application/problem+json"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # unencoded "å": uvicorn warns
            raw.sendall(b"GET /sok?q=\xc3\xa5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            raw.recv(1024)
        # A worker killed outright is replaced, and the port keeps answering throughout.
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not (workers[0] not in _children(proc.pid) and len(_children(proc.pid)) >= 2 and _answers(port)):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            stderr = proc.communicate(timeout=20)[1].decode()
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    # The spawned workers log as the supervisor was told to (-v: INFO, the CLI's format): each opened the index.
    # Before, a spawned worker started without handlers and -v lost everything it logged.
    opened = re.findall(r"^\d{4}-\d\d-\d\dT\S+ INFO index\.generation: opened index gen-", stderr, re.MULTILINE)
    assert len(opened) >= 2, stderr
    # uvicorn's own warnings too: timestamped like every kb log line (before: "WARNING:  Invalid HTTP request received.")
    assert re.search(r"^\d{4}-\d\d-\d\dT\S+ WARNING uvicorn\.error: Invalid HTTP request received\.$", stderr, re.MULTILINE), stderr


def _exit_at_once(host: str, port: int) -> None:
    """A worker that dies at start-up (as one whose app cannot be built would)."""
    os._exit(3)


def test_supervisor_gives_up_on_workers_that_keep_dying_and_says_so() -> None:
    from web.serve import _supervise

    # True: it gave up (serve() turns this into an error exit) instead of restarting dying workers forever
    assert _supervise("127.0.0.1", _free_port(), 2, target=_exit_at_once) is True


def test_quiet_serve_prints_no_warnings_from_its_workers(built_index: Settings) -> None:
    """`kb -q serve`: only errors, uvicorn's included (before, uvicorn's own handler printed its warnings under -q)."""
    port = _free_port()
    proc = _serve_two_workers(built_index, port, "-q")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:  # unencoded "å": a uvicorn warning
            raw.sendall(b"GET /sok?q=\xc3\xa5 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert raw.recv(1024).startswith(b"HTTP/1.1 400")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out == b"" and err == b"", err.decode()
