#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drive a headless Chromium through the DevTools protocol (stdlib only).

    cdp.py PORT URL TIMEOUT_S DOM_OUT PNG_OUT WAIT_JS [CMD WAIT_JS2]

Chromium must already run with --remote-debugging-port=PORT. Opens URL in
the first page target, evaluates WAIT_JS every 200 ms until it returns a
truthy value (at most TIMEOUT_S seconds in all). With CMD: then sets
window.__xt_mark to the page's count of events received
(body[data-events]), runs CMD (sh -c, in this process's namespace) and
waits for WAIT_JS2 the same way: what the page does while it is open.
Then writes the page's outerHTML to DOM_OUT and a full-page screenshot to
PNG_OUT. Exit 0 when every wait came true, 1 on a timeout (DOM and
screenshot still written, to see why), 2 on a protocol or connection
error, 3 when CMD failed.

Why not --dump-dom: the page keeps an EventSource open, and headless
Chromium's --dump-dom fires at the load event (before the page's first
fetch renders) while --virtual-time-budget never advances with a request
pending; only a real wait on the live DOM shows what a person would see.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import time
import urllib.request


class WebSocket:
    """The client half of RFC 6455, text frames only: enough for CDP."""

    def __init__(self, url):
        assert url.startswith("ws://"), url
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.sock.recv(1)
            if not c:
                raise ConnectionError("DevTools closed during the handshake")
            head += c
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError("DevTools refused the websocket: %r" % head[:200])

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            c = self.sock.recv(n - len(buf))
            if not c:
                raise ConnectionError("DevTools closed the websocket")
            buf += c
        return buf

    def send(self, text):
        data = text.encode()
        n = len(data)
        hdr = bytearray([0x81])
        if n < 126:
            hdr.append(0x80 | n)
        elif n < 65536:
            hdr.append(0x80 | 126)
            hdr += struct.pack(">H", n)
        else:
            hdr.append(0x80 | 127)
            hdr += struct.pack(">Q", n)
        mask = os.urandom(4)
        hdr += mask
        self.sock.sendall(bytes(hdr) + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            op = b0 & 0x0F
            if op == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if op in (0x9, 0xA):        # ping/pong: not used by Chromium here
                continue
            msg += payload
            if b0 & 0x80:
                return msg.decode()


class Cdp:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})


def main():
    port, url, timeout_s, dom_out, png_out, wait_js = sys.argv[1:7]
    cmd, wait_js2 = (sys.argv[7], sys.argv[8]) if len(sys.argv) > 8 else (None, None)
    deadline = time.monotonic() + float(timeout_s)
    targets = []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%s/json/list" % port, timeout=5) as r:
                targets = [t for t in json.load(r) if t.get("type") == "page"]
            if targets:
                break
        except OSError:
            pass
        time.sleep(0.2)
    if not targets:
        print("cdp: no page target on DevTools port %s" % port, file=sys.stderr)
        return 2
    cdp = Cdp(WebSocket(targets[0]["webSocketDebuggerUrl"]))
    cdp.call("Page.enable")
    cdp.call("Emulation.setDeviceMetricsOverride", width=1500, height=900, deviceScaleFactor=1, mobile=False)
    cdp.call("Page.navigate", url=url)

    def wait(js):
        last = None
        while time.monotonic() < deadline:
            r = cdp.call("Runtime.evaluate", expression=js, returnByValue=True)
            last = r.get("result", {}).get("value")
            if last:
                return True
            time.sleep(0.2)
        print("cdp: %s still false after %s s (last value %r)" % (js, timeout_s, last),
              file=sys.stderr)
        return False

    rc = 0 if wait(wait_js) else 1
    if rc == 0 and cmd:
        cdp.call("Runtime.evaluate", expression="window.__xt_mark = Number(document.body.dataset.events || 0)")
        if subprocess.run(cmd, shell=True).returncode != 0:
            print("cdp: %s failed" % cmd, file=sys.stderr)
            rc = 3
        elif not wait(wait_js2):
            rc = 1
    html = cdp.call("Runtime.evaluate", expression="document.documentElement.outerHTML",
                    returnByValue=True)["result"]["value"]
    with open(dom_out, "w") as f:
        f.write(html)
    shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(png_out, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    try:
        cdp.call("Browser.close")
    except (ConnectionError, RuntimeError, OSError):
        pass                            # closing: the socket may go first
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ConnectionError, RuntimeError, OSError, ValueError, KeyError) as e:
        print("cdp: %s" % e, file=sys.stderr)
        sys.exit(2)
