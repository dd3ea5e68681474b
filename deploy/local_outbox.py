"""Where the demo's e-mails and SMS go on one machine: an SMTP server (aiosmtpd) and an HTTP stand-in for a
brand-name SMS gateway, both on loopback, writing what they receive under var/outbox/ (mail/*.eml, sms/*.json) so
a person can read what the notifications service sent. Never used in production: SMTP_HOST and SMS_GATEWAY_URL
point at the province's providers there."""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

OUTBOX = Path(os.environ.get("VAR_DIR", "var")) / "outbox"


class MailToFiles:
    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (OUTBOX / "mail" / name).write_bytes(envelope.original_content or envelope.content)
        return "250 OK queued as " + name


class SmsToFiles(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        message_id = uuid.uuid4().hex[:12]
        (OUTBOX / "sms" / f"{time.strftime('%Y%m%dT%H%M%S')}-{message_id}.json").write_bytes(body)
        answer = json.dumps({"status": "accepted", "message_id": message_id}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def main() -> None:
    for box in ("mail", "sms"):
        (OUTBOX / box).mkdir(parents=True, exist_ok=True)
    smtp = Controller(MailToFiles(), hostname="127.0.0.1", port=int(os.environ.get("SMTP_PORT", "8025")))
    smtp.start()
    sms = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("SMS_PORT", "8125"))), SmsToFiles)
    threading.Thread(target=sms.serve_forever, daemon=True).start()
    print(f"local outbox: SMTP on 127.0.0.1:{smtp.port}, SMS gateway on 127.0.0.1:{sms.server_port}, "
          f"writing to {OUTBOX}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
