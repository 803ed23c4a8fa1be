"""The outbound channels of reminders against real local receivers: aiosmtpd and an HTTP server. No mocks."""

from __future__ import annotations

import socket
import time

import pytest

from server.reminders.channels import (
    DeliveryError,
    Email,
    Mailer,
    Webhook,
    parse_smtp_url,
    parse_webhooks,
    send_sms,
    send_webhook,
)
from tests.receivers import SmtpServer, free_port

SENDER = "园区安监办 <safety@park.example>"
SUBJECT = "【逾期督办】苏州恒瑞精密机械有限公司：隐患已逾期 3 天"
BODY = (
    "隐患：配电箱前堆放纸箱等可燃物，占用检修通道\n位置：二号车间东侧配电间\n"
    "整改期限：2025年3月31日\n请立即整改并上传整改照片。"
)


def email(n: int = 1, to: str = "safety@hengrui.example") -> Email:
    return Email(to=to, subject=f"{SUBJECT}（{n}）", body=BODY, message_id=f"<reminder-{n}@park-safety>")


# -- email -----------------------------------------------------------------------------------------


def test_an_email_arrives_with_chinese_subject_and_body_intact(smtp_server):
    with Mailer(smtp_server.url, SENDER) as mailer:
        mailer.send(email(1))
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == f"{SUBJECT}（1）"
    assert message["From"].addresses[0].display_name == "园区安监办"
    assert message["From"].addresses[0].addr_spec == "safety@park.example"
    assert message["To"] == "safety@hengrui.example"
    assert message["Message-ID"] == "<reminder-1@park-safety>"
    assert message["Date"].datetime is not None
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().rstrip("\n") == BODY
    assert smtp_server.envelopes == [{"mail_from": "safety@park.example", "rcpt_tos": ["safety@hengrui.example"]}]


def test_several_emails_through_one_mailer(smtp_server):
    with Mailer(smtp_server.url, SENDER) as mailer:
        for n in range(1, 4):
            mailer.send(email(n, to=f"user{n}@park.example"))
    received = smtp_server.wait_for(3)
    assert [m["Message-ID"] for m in received] == [f"<reminder-{n}@park-safety>" for n in range(1, 4)]
    assert [m["To"] for m in received] == ["user1@park.example", "user2@park.example", "user3@park.example"]


def test_a_refused_recipient_fails_and_the_next_message_still_goes_through(smtp_server):
    smtp_server.refuse_rcpt("nobody@hengrui.example")
    with Mailer(smtp_server.url, SENDER) as mailer:
        with pytest.raises(DeliveryError) as failed:
            mailer.send(email(1, to="nobody@hengrui.example"))
        mailer.send(email(2))
    assert "nobody@hengrui.example" in str(failed.value) and "550" in str(failed.value)
    [message] = smtp_server.wait_for(1)
    assert message["Message-ID"] == "<reminder-2@park-safety>"


def test_smtp_server_down_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="拒绝连接"):
        with Mailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2):
            pass
    # without `with`, the lazy connect of send() fails the same way
    with pytest.raises(DeliveryError, match="拒绝连接"):
        Mailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=2).send(email())


def test_a_silent_smtp_server_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never says a word
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="超时"):
            with Mailer(f"smtp://127.0.0.1:{silent.getsockname()[1]}", SENDER, timeout=0.3):
                pass
    assert time.monotonic() - started < 2


def test_the_mailer_reconnects_after_the_connection_dropped(smtp_server):
    with Mailer(smtp_server.url, SENDER) as mailer:
        mailer.send(email(1))
        smtp_server.stop()  # drops the open connection
        with pytest.raises(DeliveryError):
            mailer.send(email(2))  # nobody listens
        again = SmtpServer().start(port=smtp_server.port)
        try:
            mailer.send(email(3))
            [message] = again.wait_for(1)
        finally:
            again.stop()
    assert message["Message-ID"] == "<reminder-3@park-safety>"
    assert [m["Message-ID"] for m in smtp_server.messages] == ["<reminder-1@park-safety>"]


def test_login_with_the_credentials_of_the_url(smtp_server):
    smtp_server.require_login("notice", "s3cret!")
    with Mailer(f"smtp://notice:s3cret%21@127.0.0.1:{smtp_server.port}", SENDER) as mailer:
        mailer.send(email())
    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.logins == ["notice"]
    with pytest.raises(DeliveryError, match="登录失败") as failed:
        with Mailer(f"smtp://notice:wrong@127.0.0.1:{smtp_server.port}", SENDER):
            pass
    assert "wrong" not in str(failed.value) and "535" in str(failed.value)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://127.0.0.1:2525", ("smtp", "127.0.0.1", 2525, None, None)),
        ("smtp://mail.park.example", ("smtp", "mail.park.example", 25, None, None)),
        ("smtps://smtp.exmail.qq.com", ("smtps", "smtp.exmail.qq.com", 465, None, None)),
        ("SMTPS://notice%40park.example:p%40ss%3Aw0rd@smtp.exmail.qq.com:994/", ("smtps", "smtp.exmail.qq.com", 994, "notice@park.example", "p@ss:w0rd")),  # noqa: E501
        ("smtp://user:@[::1]:25", ("smtp", "::1", 25, "user", "")),
    ],
)  # fmt: skip
def test_parse_smtp_url(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["", "mail.park.example:25", "http://mail.park.example", "smtp://", "smtp://:25", "smtp://host:port",
     "smtp://host:99999", "smtp://host:0", "smtp://host:25/path", "smtp://host:25?starttls=1"],
)  # fmt: skip
def test_parse_smtp_url_rejects_bad_urls(url):
    with pytest.raises(ValueError, match="SMTP_URL"):
        parse_smtp_url(url)
    with pytest.raises(DeliveryError, match="SMTP_URL"):  # the mailer turns it into a recorded reason
        Mailer(url, SENDER)


# -- webhooks and SMS ------------------------------------------------------------------------------

TITLE = "【升级督办】滨江华兴化工有限公司"
TEXT = "隐患“储罐区防火堤破损”已逾期 5 天，请安监办督促整改。"


def test_wecom_markdown_body(http_receiver):
    send_webhook("wecom", http_receiver.url("/wecom?key=abc-123"), TITLE, TEXT)
    [request] = http_receiver.wait_for(1)
    assert request["path"] == "/wecom" and request["query"] == {"key": ["abc-123"]}
    assert request["json"] == {"msgtype": "markdown", "markdown": {"content": f"**{TITLE}**\n{TEXT}"}}
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert TITLE.encode("utf-8") in request["body"] and b"\\u" not in request["body"]  # UTF-8 as is, not escaped
    assert request["status"] == 200


def test_dingtalk_markdown_body(http_receiver):
    send_webhook("dingtalk", http_receiver.url("/robot/send?access_token=t0k"), TITLE, TEXT)
    [request] = http_receiver.wait_for(1)
    assert request["json"] == {"msgtype": "markdown", "markdown": {"title": TITLE, "text": f"#### {TITLE}\n{TEXT}"}}
    assert TEXT.encode("utf-8") in request["body"] and b"\\u" not in request["body"]


def test_a_receiver_that_fails_twice_then_accepts(http_receiver):
    http_receiver.fail("/flaky", times=2, status=503)
    url = http_receiver.url("/flaky")
    for _ in range(2):
        with pytest.raises(DeliveryError, match="503"):
            send_webhook("wecom", url, TITLE, TEXT)
    send_webhook("wecom", url, TITLE, TEXT)
    assert [r["status"] for r in http_receiver.requests] == [503, 503, 200]
    assert all(r["json"]["msgtype"] == "markdown" for r in http_receiver.requests)


@pytest.mark.parametrize("status", [500, 404, 302])
def test_a_receiver_that_always_fails_names_the_status_but_not_the_key(http_receiver, status):
    http_receiver.always_fail("/dead", status=status, body="Internal trouble")
    for _ in range(2):
        with pytest.raises(DeliveryError) as failed:
            send_webhook("dingtalk", http_receiver.url("/dead?access_token=secret-token"), TITLE, TEXT)
        reason = str(failed.value)
        assert f"HTTP {status}" in reason and "127.0.0.1" in reason
        assert "secret-token" not in reason and "/dead" not in reason
    assert [r["status"] for r in http_receiver.requests] == [status, status]


def test_errcode_with_http_200_is_a_failure(http_receiver):
    http_receiver.reply("/wecom", {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(DeliveryError) as failed:
        send_webhook("wecom", http_receiver.url("/wecom"), TITLE, TEXT)
    assert "invalid webhook url" in str(failed.value) and "93000" in str(failed.value)
    http_receiver.reply("/dingtalk", {"errcode": 310000, "errmsg": "keywords not in content"})
    with pytest.raises(DeliveryError, match="keywords not in content"):
        send_webhook("dingtalk", http_receiver.url("/dingtalk"), TITLE, TEXT)


def test_replies_that_are_accepted_or_not(http_receiver):
    http_receiver.reply("/bad-json", "{not json", content_type="application/json")
    with pytest.raises(DeliveryError, match="JSON"):
        send_webhook("wecom", http_receiver.url("/bad-json"), TITLE, TEXT)
    http_receiver.reply("/text", "OK")
    send_webhook("wecom", http_receiver.url("/text"), TITLE, TEXT)
    http_receiver.reply("/empty", b"", status=204)
    send_webhook("wecom", http_receiver.url("/empty"), TITLE, TEXT)
    http_receiver.reply("/zero", {"errcode": "0", "errmsg": "ok"})
    send_webhook("dingtalk", http_receiver.url("/zero"), TITLE, TEXT)


def test_a_slow_receiver_times_out(http_receiver):
    http_receiver.delay("/slow", 3)
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="超时"):
        send_webhook("wecom", http_receiver.url("/slow"), TITLE, TEXT, timeout=0.3)
    assert time.monotonic() - started < 2
    assert len(http_receiver.wait_for(1)) == 1  # it did arrive; the reply was too late


def test_nobody_listening_or_a_bad_url_is_a_delivery_error():
    with pytest.raises(DeliveryError, match="拒绝连接"):
        send_webhook("wecom", f"http://127.0.0.1:{free_port()}/hook?key=k", TITLE, TEXT, timeout=2)
    with pytest.raises(DeliveryError, match="拒绝连接"):
        send_sms(f"http://127.0.0.1:{free_port()}/sms", "13800138000", TEXT, timeout=2)
    with pytest.raises(DeliveryError):
        send_webhook("wecom", "http://", TITLE, TEXT)
    with pytest.raises(ValueError, match="wecom"):
        send_webhook("slack", "http://127.0.0.1/hook", TITLE, TEXT)


def test_sms_body_and_gateway_codes(http_receiver):
    message = f"{TITLE} {TEXT}"
    send_sms(http_receiver.url("/sms"), "13800138000", message)
    [request] = http_receiver.wait_for(1)
    assert request["json"] == {"phone": "13800138000", "message": message}
    assert message.encode("utf-8") in request["body"]
    http_receiver.reply("/sms", {"code": 1001, "message": "余额不足"})
    with pytest.raises(DeliveryError, match="余额不足"):
        send_sms(http_receiver.url("/sms"), "13800138000", message)
    http_receiver.reply("/sms", {"code": 0, "message": "已受理"})
    send_sms(http_receiver.url("/sms"), "13800138000", message)
    http_receiver.fail("/sms", times=1, status=502)
    with pytest.raises(DeliveryError, match="502"):
        send_sms(http_receiver.url("/sms"), "13800138000", message)


# -- WEBHOOK_URLS ----------------------------------------------------------------------------------


def test_parse_webhooks():
    value = """
        安监办群=wecom:office:http://127.0.0.1:9000/hook?key=a;
        领导群 = dingtalk : leader : https://oapi.dingtalk.com/robot/send?access_token=x=y ;
    """
    assert parse_webhooks(value) == [
        Webhook(name="安监办群", kind="wecom", audience="office", url="http://127.0.0.1:9000/hook?key=a"),
        Webhook(
            name="领导群",
            kind="dingtalk",
            audience="leader",
            url="https://oapi.dingtalk.com/robot/send?access_token=x=y",
        ),
    ]
    assert parse_webhooks(None) == parse_webhooks("") == parse_webhooks(" ;\n") == []


@pytest.mark.parametrize(
    "value, message",
    [
        ("安监办群", "格式"),
        ("安监办群=wecom:office", "格式"),
        ("=wecom:office:http://x/hook", "格式"),
        ("a=slack:office:http://x/hook", "类型"),
        ("a=wecom:boss:http://x/hook", "对象"),
        ("a=wecom:office:ftp://x/hook", "URL"),
        ("a=wecom:office:", "URL"),
        ("a=wecom:office:http://x/1;b=dingtalk:leader:http://x/2;a=dingtalk:office:http://x/3", "重复"),
    ],
)
def test_parse_webhooks_rejects_bad_entries(value, message):
    with pytest.raises(ValueError, match=message):
        parse_webhooks(value)
