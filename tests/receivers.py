"""Real local receivers for outbound channels: an SMTP server (aiosmtpd) and an HTTP server for webhooks and SMS.

Both listen on 127.0.0.1 on a free port, in threads of the pytest process, so code under test in this process
or in a subprocess (a Celery worker) reaches them through plain URLs. Use them from any test module:

    from tests.receivers import http_receiver, smtp_server  # noqa: F401

    def test_x(smtp_server, http_receiver):  # noqa: F811
        ...send to smtp_server.url / http_receiver.url("/wecom")...
        [message] = smtp_server.wait_for(1)
        [request] = http_receiver.wait_for(1)
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _wait(cond: threading.Condition, ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    with cond:
        while not ready():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            cond.wait(left)


# -- SMTP ------------------------------------------------------------------------------------------


class SmtpServer:
    """An aiosmtpd server that keeps every message it accepts.

    `messages` are parsed `EmailMessage`s (policy.default) and `envelopes` the matching
    {"mail_from", "rcpt_tos"}; both are snapshots (lists copied under the lock).
    `refuse_rcpt(address)` answers 550 to RCPT TO for that address. `rcpt_delay` (seconds) slows every
    RCPT down; `rcpt_started` counts RCPT commands received. `require_login(user, password)` makes
    AUTH (PLAIN/LOGIN, offered without TLS) accept only those credentials; `logins` lists who logged in.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._messages: list[EmailMessage] = []
        self._envelopes: list[dict[str, Any]] = []
        self._refused: set[str] = set()
        self._credentials: tuple[str, str] | None = None
        self._logins: list[str] = []
        self.rcpt_delay: float = 0.0
        self.rcpt_started = 0
        self.host = HOST
        self.port = 0
        self._controller: Controller | None = None

    # setup

    def start(self, port: int | None = None) -> SmtpServer:
        """Listen on `port` (default: a free one)."""
        for attempt in range(5):  # a free port may be taken between the probe and the bind
            self.port = port or free_port()
            controller = Controller(
                self,
                hostname=HOST,
                port=self.port,
                server_hostname="receiver.test",
                enable_SMTPUTF8=True,
                authenticator=self._authenticate,
                auth_require_tls=False,
            )
            try:
                controller.start()
            except Exception:
                if port or attempt == 4:
                    raise
                continue
            self._controller = controller
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    # what tests use

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self._cond:
            return list(self._messages)

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(e, rcpt_tos=list(e["rcpt_tos"])) for e in self._envelopes]

    @property
    def logins(self) -> list[str]:
        with self._cond:
            return list(self._logins)

    def wait_for(self, n: int, timeout: float = 10) -> list[EmailMessage]:
        """Block until at least n messages arrived; return all of them (AssertionError on timeout)."""
        _wait(self._cond, lambda: len(self._messages) >= n, timeout, f"{n} messages (got {len(self._messages)})")
        return self.messages

    def refuse_rcpt(self, address: str) -> None:
        with self._cond:
            self._refused.add(address.lower())

    def require_login(self, user: str, password: str) -> None:
        with self._cond:
            self._credentials = (user, password)

    def clear(self) -> None:
        with self._cond:
            self._messages.clear()
            self._envelopes.clear()

    # aiosmtpd handler hooks (run in the controller's event-loop thread)

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:  # noqa: N802
        with self._cond:
            self.rcpt_started += 1
            refused = address.lower() in self._refused
        if self.rcpt_delay:
            await asyncio.sleep(self.rcpt_delay)
        if refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._cond:
            self._messages.append(message)
            self._envelopes.append({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos)})
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", errors="replace")
        password = auth_data.password.decode("utf-8", errors="replace")
        with self._cond:
            ok = self._credentials is not None and (user, password) == self._credentials
            if ok:
                self._logins.append(user)
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1:<free port>; see SmtpServer."""
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


# -- HTTP ------------------------------------------------------------------------------------------


class HttpReceiver:
    """A threading HTTP server that records every POST and answers as programmed per path.

    Each entry of `requests` (a snapshot) is a dict: path (without query), query (dict of lists), headers
    (dict), body (bytes), json (parsed body or None), status (the status returned), at (time.monotonic()).
    Failed attempts are recorded too. By default a POST gets 200 with {"errcode": 0, "errmsg": "ok"}.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requests: list[dict[str, Any]] = []
        self._fail_left: dict[str, int] = {}
        self._fail_reply: dict[str, tuple[int, Any, str | None]] = {}
        self._always: dict[str, tuple[int, Any, str | None]] = {}
        self._reply: dict[str, tuple[int, Any, str | None]] = {}
        self._delay: dict[str, float] = {}
        self._closing = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="http-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes handlers sleeping in a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    # what tests use

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path if path.startswith('/') else '/' + path}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._cond:
            return [dict(r) for r in self._requests]

    def wait_for(self, n: int, timeout: float = 10, path: str | None = None) -> list[dict[str, Any]]:
        """Block until at least n requests (to `path`, if given) arrived; return them (AssertionError on timeout)."""

        def matching() -> list[dict[str, Any]]:
            return [r for r in self._requests if path is None or r["path"] == path]

        _wait(self._cond, lambda: len(matching()) >= n, timeout, f"{n} requests to {path or 'any path'}")
        return [r for r in self.requests if path is None or r["path"] == path]

    def fail(
        self, path: str, times: int = 2, status: int = 500, body: Any = None, content_type: str | None = None
    ) -> None:
        """Fail the next `times` requests to `path` with `status`, then accept again."""
        with self._cond:
            self._fail_left[path] = times
            self._fail_reply[path] = (status, body, content_type)

    def always_fail(self, path: str, status: int = 500, body: Any = None, content_type: str | None = None) -> None:
        """Fail every request to `path` with `status` (body: dict/list -> JSON, str/bytes -> as is)."""
        with self._cond:
            self._always[path] = (status, body, content_type)

    def reply(self, path: str, body: Any, status: int = 200, content_type: str | None = None) -> None:
        """Answer requests to `path` (those not failed on purpose) with this body, e.g. a robot's errcode."""
        with self._cond:
            self._reply[path] = (status, body, content_type)

    def delay(self, path: str, seconds: float) -> None:
        """Wait this long before answering requests to `path` (for client timeouts)."""
        with self._cond:
            self._delay[path] = seconds

    def reset(self) -> None:
        """Forget recorded requests and programmed behaviour."""
        with self._cond:
            for d in (self._requests, self._fail_left, self._fail_reply, self._always, self._reply, self._delay):
                d.clear()

    # the server side

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = parts.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        with self._cond:
            if path in self._always:
                status, reply, content_type = self._always[path]
            elif self._fail_left.get(path, 0) > 0:
                self._fail_left[path] -= 1
                status, reply, content_type = self._fail_reply[path]
            else:
                status, reply, content_type = self._reply.get(path, (200, {"errcode": 0, "errmsg": "ok"}, None))
            delay = self._delay.get(path, 0.0)
            self._requests.append(
                {
                    "path": path,
                    "query": parse_qs(parts.query),
                    "headers": dict(handler.headers.items()),
                    "body": body,
                    "json": parsed,
                    "status": status,
                    "at": time.monotonic(),
                }
            )
            self._cond.notify_all()
        if reply is None:
            reply = {"errcode": status, "errmsg": f"simulated HTTP {status}"} if status >= 300 else b""
        if isinstance(reply, dict | list):
            data, default_type = json.dumps(reply, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        else:
            data = reply.encode() if isinstance(reply, str) else bytes(reply)
            default_type = "text/plain; charset=utf-8"
        if delay and self._closing.wait(delay):
            return
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type or default_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


@pytest.fixture
def http_receiver():
    """A real HTTP server on 127.0.0.1:<free port> for webhooks and the SMS gateway; see HttpReceiver."""
    receiver = HttpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
