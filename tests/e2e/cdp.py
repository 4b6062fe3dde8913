#!/usr/bin/env python3
"""cdp.py - headless Chromium driven over the DevTools protocol, with the
Python standard library only (no npm, no downloaded browser): open pages,
keep a PNG screenshot of each, and check expressions about their DOM and
layout, which the pages' own CSP could never run.

    cdp.py SPEC.json OUTDIR

SPEC is a list of pages: {"name", "url", "width", "height", "checks":
[[description, javascript expression], ...]}. Each page is loaded in a
fresh tab of one browser, shot to OUTDIR/NAME.png, and every check is
evaluated there: it must be true. Every page must also load without a
JavaScript exception and without an error on its console (a script or
image the CSP refused, a resource that did not load): escaping that let
a stranger's markup through shows up there too. Only the page's own
status (an error page is a 404) is not counted. Exit 0 when all hold;
else 1 with one line per failed check (page, description, what the
expression gave)."""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-port=0"]


class Socket:
    """A WebSocket client, just enough for DevTools (RFC 6455)."""

    def __init__(self, port, path, deadline):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.deadline = deadline
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n" % (path, port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("DevTools closed the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError("DevTools refused the WebSocket: %r" % head[:80])
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def _read(self, n):
        while len(self.buf) < n:
            if time.monotonic() > self.deadline:
                raise TimeoutError("DevTools did not answer in time")
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise OSError("DevTools closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + body)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise OSError("DevTools closed the WebSocket")
            if opcode in (0x9, 0xA):
                continue
            message += payload
            if b0 & 0x80:
                return json.loads(message.decode())


class Browser:
    def __init__(self, deadline):
        self.dir = tempfile.mkdtemp(prefix="kflake-cdp-")
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            raise OSError("chromium is not installed")
        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + self.dir, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.dir, "DevToolsActivePort")
        while not os.path.exists(port_file) or \
                len(open(port_file).read().split("\n")) < 2:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise OSError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port, path = open(port_file).read().split("\n")[:2]
        self.ws = Socket(int(port), path, deadline)
        self.next_id = 0
        self.events = []

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = self.ws.recv()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise OSError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, session):
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    del self.events[i]
                    return e
            self.events.append(self.ws.recv())

    def close(self):
        try:
            self.call("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_page(b, page, outdir):
    target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = b.call("Target.attachToTarget",
                     {"targetId": target, "flatten": True})["sessionId"]
    b.call("Page.enable", session=session)
    b.call("Runtime.enable", session=session)
    b.call("Log.enable", session=session)
    b.call("Emulation.setDeviceMetricsOverride", {
        "width": page.get("width", 1280), "height": page.get("height", 900),
        "deviceScaleFactor": 1, "mobile": False}, session=session)
    b.call("Page.navigate", {"url": page["url"]}, session=session)
    b.wait_event("Page.loadEventFired", session)
    shot = b.call("Page.captureScreenshot", {"format": "png"},
                  session=session)
    with open(os.path.join(outdir, page["name"] + ".png"), "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    failed = []
    for desc, expr in page.get("checks", []):
        res = b.call("Runtime.evaluate", {"expression": expr,
                                          "returnByValue": True},
                     session=session)
        value = res.get("result", {}).get("value")
        if "exceptionDetails" in res or value is not True:
            got = res.get("exceptionDetails", {}).get("text") or repr(value)
            failed.append("%s: %s: got %s" % (page["name"], desc, got))
    failed += page_errors(b, page, session)
    b.call("Target.closeTarget", {"targetId": target})
    return failed


def page_errors(b, page, session):
    """Exceptions and console errors the page raised while loading."""
    errors = []
    for e in [e for e in b.events if e.get("sessionId") == session]:
        b.events.remove(e)
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            errors.append("exception: " + d.get("text", "?") + " " +
                          str(d.get("exception", {}).get("description", "")))
        elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
            errors.append("console.error: " + " ".join(
                str(a.get("value", a.get("description", "")))
                for a in p.get("args", [])))
        elif m == "Log.entryAdded":
            entry = p.get("entry", {})
            if entry.get("level") != "error":
                continue
            # The page's own status (an error page is a 404) is checked
            # by the page's checks, not counted as a broken resource.
            if entry.get("source") == "network" and \
                    entry.get("url") == page["url"]:
                continue
            errors.append("%s: %s (%s)" % (entry.get("source"),
                                           entry.get("text"),
                                           entry.get("url", "")))
    return ["%s: loads without errors: got %s" % (page["name"], err[:300])
            for err in errors]


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    pages = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    b = Browser(time.monotonic() + 300)
    failed = []
    try:
        for page in pages:
            failed += run_page(b, page, outdir)
    finally:
        b.close()
    for line in failed:
        print("cdp: FAIL " + line)
    checks = sum(len(p.get("checks", [])) for p in pages)
    print("cdp: %d page(s) shot, %d of %d check(s) hold" %
          (len(pages), checks - len(failed), checks))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
