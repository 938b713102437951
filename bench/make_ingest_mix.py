#!/usr/bin/python3
"""Writes the realistic inbound mix for bench/ingest.sh into DIR: a plain message, an HTML
alternative with a quoted reply, a message with a 60 KB PDF and an inline image, and a reply
in a thread. Each contains MSGID and SENDER placeholders that the benchmark makes unique."""
import base64
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(7)
pdf = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(60000))).decode().replace("\n", "\r\n")
png = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(8000))).decode().replace("\n", "\r\n")
head = ("From: Customer <SENDER@customer.test>\r\nTo: support@support.test\r\nSubject: {subject}\r\n"
        "Message-ID: <MSGID@customer.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n")
msgs = {
    "plain.eml": head.format(subject="Cannot log in") + "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    + "Hello,\r\n\r\nI cannot log in since yesterday. The page says my password is wrong.\r\n" * 3,
    "alternative.eml": head.format(subject="Re: Invoice 2026-118") + "In-Reply-To: <old@support.test>\r\n"
    + 'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n'
    + "Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, paid now.\r\n\r\nOn Sun, Support wrote:\r\n> Your invoice is due.\r\n"
    + "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Thanks, <b>paid</b> now.</p>"
    + '<blockquote type="cite">Your invoice is due.<img src="https://tracker.example/p.gif"></blockquote>\r\n--alt--\r\n',
    "attachments.eml": head.format(subject="Screenshot and report") + 'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    + '--mix\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
    + '<p>See the error: <img src="cid:shot@x"></p>\r\n--rel\r\nContent-Type: image/png\r\nContent-ID: <shot@x>\r\n'
    + "Content-Transfer-Encoding: base64\r\n\r\n" + png + "--rel--\r\n"
    + '--mix\r\nContent-Type: application/pdf; name="report.pdf"\r\nContent-Disposition: attachment; filename="report.pdf"\r\n'
    + "Content-Transfer-Encoding: base64\r\n\r\n" + pdf + "--mix--\r\n",
    "reply.eml": head.format(subject="Re: Cannot log in [#1]") + "Content-Type: text/plain; charset=iso-8859-1\r\n"
    + "Content-Transfer-Encoding: quoted-printable\r\n\r\nIt works again, merci beaucoup! =E7a marche.\r\n",
}
for name, text in msgs.items():
    with open(os.path.join(out, name), "w", newline="") as f:
        f.write(text)
print(" ".join(sorted(msgs)))
