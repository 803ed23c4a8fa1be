"""Outbound channels of reminders: email over SMTP, group-robot webhooks (WeCom, DingTalk), an SMS gateway.

Each call either delivers one message or raises `DeliveryError` with a short reason in Chinese, which the
caller keeps as the delivery's `last_error` (shown to the office) and retries later with back-off. Reasons
never contain a webhook's or gateway's full URL (its query often holds the robot's key) nor an SMTP password.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import unquote, urlsplit

import requests

WEBHOOK_KINDS = ("wecom", "dingtalk")
WEBHOOK_AUDIENCES = ("office", "leader")
_SNIPPET = 200  # characters of a server's reply kept in a reason


class DeliveryError(Exception):
    """A delivery that did not go through; str(exc) is the reason kept as last_error."""


@dataclass(frozen=True)
class Email:
    """One plain-text message to one address."""

    to: str
    subject: str
    body: str  # plain text, Chinese; UTF-8
    message_id: str  # e.g. "<reminder-123@park-safety>"; used as the Message-ID header


# -- email -----------------------------------------------------------------------------------------


def parse_smtp_url(url: str) -> tuple[str, str, int, str | None, str | None]:
    """(scheme, host, port, user, password); raises ValueError on a bad URL. Default ports 25/465."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"SMTP_URL 无效（{exc}）：应为 smtp://[用户:密码@]主机:端口 或 smtps://…") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError("SMTP_URL 无效：协议应为 smtp:// 或 smtps://")
    if not parts.hostname:
        raise ValueError("SMTP_URL 无效：缺少主机名")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("SMTP_URL 无效：主机和端口之后不应再有路径或参数")
    if port == 0:
        raise ValueError("SMTP_URL 无效：端口不能为 0")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return scheme, parts.hostname, port or (465 if scheme == "smtps" else 25), user, password


class Mailer:
    """One SMTP connection reused for several messages (context manager).

    A bad `smtp_url` raises DeliveryError (so that a misconfiguration is recorded on the deliveries).
    """

    def __init__(self, smtp_url: str, mail_from: str, *, timeout: float = 10.0) -> None:
        try:
            self.scheme, self.host, self.port, self._user, self._password = parse_smtp_url(smtp_url)
        except ValueError as exc:
            raise DeliveryError(str(exc)) from None
        self.mail_from = mail_from
        self.timeout = timeout
        self._envelope_from = parseaddr(mail_from)[1] or mail_from
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        self._connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """QUIT and close the connection, ignoring errors."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, email: Email) -> None:
        """Send one message; a refused recipient or any SMTP/network failure raises DeliveryError."""
        message = self._message(email)
        to_addr = parseaddr(email.to)[1] or email.to
        reused = self._smtp is not None
        smtp = self._connect()
        try:
            try:
                smtp.sendmail(self._envelope_from, [to_addr], message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The idle connection was closed by the server: reconnect once and send.
                self._drop()
                smtp = self._connect()
                smtp.sendmail(self._envelope_from, [to_addr], message)
        except smtplib.SMTPRecipientsRefused as exc:  # smtplib has already sent RSET
            code, reply = next(iter(exc.recipients.values()), (None, b""))
            raise DeliveryError(f"SMTP 服务器拒收收件人 {to_addr}：{code} {_text(reply)}".rstrip()) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            self._reset_or_drop()
            raise DeliveryError(f"SMTP 服务器拒绝了邮件：{exc.smtp_code} {_text(exc.smtp_error)}".rstrip()) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise DeliveryError(self._describe(exc)) from None

    # internals

    def _message(self, email: Email) -> bytes:
        """The message as bytes: UTF-8 text in base64, the subject RFC 2047-encoded.

        Built with the compat32 MIMEText, about three times cheaper than EmailMessage's default policy."""
        for value in (email.to, email.subject, email.message_id):
            if "\n" in value or "\r" in value:
                raise DeliveryError("邮件无法生成：邮件头中不能有换行。")
        try:
            message = MIMEText(email.body, "plain", "utf-8")
            message["From"] = _header_address(self.mail_from)
            message["To"] = _header_address(email.to)
            message["Subject"] = Header(email.subject, "utf-8")
            message["Date"] = formatdate(localtime=True)
            message["Message-ID"] = email.message_id
            return message.as_bytes()
        except (ValueError, TypeError, UnicodeError) as exc:
            raise DeliveryError(f"邮件无法生成：{exc}") from None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        smtp: smtplib.SMTP | None = None
        try:  # smtplib closes the socket itself when the greeting fails
            if self.scheme == "smtps":
                context = ssl.create_default_context()
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo_or_helo_if_needed()
            if self._user:
                smtp.login(self._user, self._password or "")
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:  # smtplib logs in with ASCII only
            if smtp is not None:
                smtp.close()
            raise DeliveryError(self._describe(exc)) from None
        self._smtp = smtp
        return smtp

    def _reset_or_drop(self) -> None:
        """After a refused message: RSET, or forget the connection if that fails too."""
        if self._smtp is not None:
            try:
                self._smtp.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _describe(self, exc: BaseException) -> str:
        where = f"SMTP 服务器 {self.host}:{self.port}"
        if isinstance(exc, UnicodeError):
            return f"{where} 无法登录：用户名或密码含非 ASCII 字符"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"{where} 登录失败：{exc.smtp_code} {_text(exc.smtp_error)}".rstrip()
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return f"{where} 不支持所需的功能：{exc}"
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"{where} 拒绝：{exc.smtp_code} {_text(exc.smtp_error)}".rstrip()
        if isinstance(exc, smtplib.SMTPServerDisconnected):  # often raised from a timeout or a reset
            return f"{where} {_specific_reason(exc, self.timeout) or '断开了连接'}"
        if isinstance(exc, smtplib.SMTPException):
            return f"{where} 出错：{exc}"
        return f"{where} {_network_reason(exc, self.timeout)}"


# -- HTTP: robots and the SMS gateway ----------------------------------------------------------------


def send_webhook(kind: str, url: str, title: str, text: str, *, timeout: float = 10.0) -> None:
    """Post a markdown message to a WeCom or DingTalk group robot.

    kind "wecom": {"msgtype": "markdown", "markdown": {"content": f"**{title}**\\n{text}"}}
    kind "dingtalk": {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\\n{text}"}}
    Success = HTTP 2xx and, if the reply is JSON with "errcode", errcode == 0; otherwise DeliveryError.
    An unknown kind is a programming error: ValueError.
    """
    if kind == "wecom":
        payload = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    elif kind == "dingtalk":
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": f"#### {title}\n{text}"}}
    else:
        raise ValueError(f"未知的群机器人类型：{kind!r}（应为 wecom 或 dingtalk）")
    _post_json(url, payload, ("errcode",), timeout)


def send_sms(gateway_url: str, phone: str, text: str, *, timeout: float = 10.0) -> None:
    """POST {"phone": phone, "message": text} as JSON; success = HTTP 2xx (and "code"/"errcode" 0 if present)."""
    _post_json(gateway_url, {"phone": phone, "message": text}, ("code", "errcode"), timeout)


def _post_json(url: str, payload: dict, code_keys: tuple[str, ...], timeout: float) -> None:
    where = _host(url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8"}
    try:
        reply = requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
        raise DeliveryError(f"地址无效：{where}") from None
    except requests.exceptions.RequestException as exc:
        raise DeliveryError(f"{where} {_network_reason(exc, timeout)}") from None
    raw = reply.content.decode("utf-8", errors="replace").strip()
    if not 200 <= reply.status_code < 300:
        raise DeliveryError(f"{where} 返回 HTTP {reply.status_code}" + (f"：{_text(raw)}" if raw else ""))
    if not raw:
        return
    try:
        data = json.loads(raw)
    except ValueError:
        if "json" in reply.headers.get("Content-Type", "").lower():
            raise DeliveryError(f"{where} 的回复不是有效的 JSON：{_text(raw)}") from None
        return  # a plain-text "OK" is accepted
    if isinstance(data, dict):
        for key in code_keys:
            if key in data and data[key] not in (0, "0"):
                message = data.get("errmsg") or data.get("message") or data.get("msg") or ""
                raise DeliveryError(f"{where} 报错 {key}={data[key]}：{_text(str(message))}".rstrip("："))


def _host(url: str) -> str:
    """host[:port] of a URL, for reasons that must not reveal its path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        return f"{host}:{parts.port}" if parts.port else host or "（空地址）"
    except ValueError:
        return "（无效地址）"


def _network_reason(exc: BaseException, timeout: float) -> str:
    """A short Chinese reason for a network failure."""
    if reason := _specific_reason(exc, timeout):
        return reason
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "无法连接"
    return f"通信失败（{type(exc).__name__}）"


def _specific_reason(exc: BaseException, timeout: float) -> str | None:
    """Timeout, refused, unknown host, TLS or reset, if found along the exception's chain."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or item in seen:
            continue
        seen.append(item)
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__, *item.args])
    for item in seen:
        if isinstance(item, requests.exceptions.ConnectTimeout):
            return f"连接超时（{timeout:g} 秒）"
        if isinstance(item, requests.exceptions.ReadTimeout | TimeoutError):
            return f"超时（{timeout:g} 秒内无回复）"
        if isinstance(item, ConnectionRefusedError):
            return "拒绝连接（服务未启动或端口错误）"
        if isinstance(item, socket.gaierror):
            return "主机名无法解析"
        if isinstance(item, ssl.SSLError | requests.exceptions.SSLError):
            return "TLS 握手或证书校验失败"
        if isinstance(item, ConnectionResetError | BrokenPipeError):
            return "连接被对方重置"
    return None


def _text(value: bytes | str) -> str:
    """A server's reply, decoded, on one line, cut short."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    value = " ".join(value.split())
    return value if len(value) <= _SNIPPET else value[: _SNIPPET - 1] + "…"


# -- configuration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Webhook:
    """A group robot from WEBHOOK_URLS."""

    name: str  # e.g. "office-wecom"; used as the delivery's recipient
    kind: str  # "wecom" or "dingtalk"
    audience: str  # "office" or "leader": which reminder stages it receives is decided by the caller
    url: str


def parse_webhooks(value: str | None) -> list[Webhook]:
    """WEBHOOK_URLS: entries separated by ";", each `name=kind:audience:url`.

    Whitespace and newlines around entries and their parts are ignored; empty entries are skipped.
    Raises ValueError on a malformed entry, an unknown kind or audience, a non-http(s) URL or a duplicate name.
    """
    hooks: list[Webhook] = []
    for number, entry in enumerate((value or "").split(";"), start=1):
        entry = entry.strip()
        if not entry:
            continue
        shown = entry if len(entry) <= 60 else entry[:59] + "…"
        name, sep, rest = entry.partition("=")
        fields = rest.split(":", 2)
        if not sep or len(fields) != 3 or not name.strip():
            raise ValueError(f"WEBHOOK_URLS 第 {number} 项格式有误：{shown!r}，应为 名称=类型:对象:URL")
        name = name.strip()
        kind, audience, url = (f.strip() for f in fields)
        if kind not in WEBHOOK_KINDS:
            raise ValueError(f"WEBHOOK_URLS 第 {number} 项（{name}）类型 {kind!r} 未知，应为 wecom 或 dingtalk")
        if audience not in WEBHOOK_AUDIENCES:
            raise ValueError(f"WEBHOOK_URLS 第 {number} 项（{name}）对象 {audience!r} 未知，应为 office 或 leader")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"WEBHOOK_URLS 第 {number} 项（{name}）的 URL 无效：应以 http:// 或 https:// 开头")
        if any(h.name == name for h in hooks):
            raise ValueError(f"WEBHOOK_URLS 中名称 {name!r} 重复")
        hooks.append(Webhook(name=name, kind=kind, audience=audience, url=url))
    return hooks


def _header_address(value: str) -> str:
    """An address header with a non-ASCII display name encoded (RFC 2047)."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else (address or value)
