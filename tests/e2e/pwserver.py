# pwserver.py - a loopback stand-in for patchwork's REST API (v1.3) for
# tests/e2e/80-series.sh: series 1 and its mbox, 404 for anything else.
#   python3 pwserver.py MBOX PORTFILE
# Listens on a free loopback port and writes the port to PORTFILE.
import http.server
import json
import os
import sys

MBOX, PORTFILE = sys.argv[1], sys.argv[2]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        base = "http://127.0.0.1:%d" % self.server.server_address[1]
        if self.path == "/api/1.3/series/1/":
            body = json.dumps({
                "id": 1, "url": base + "/api/1.3/series/1/",
                "web_url": base + "/project/netdevbpf/list/?series=1",
                "project": {"id": 1, "name": "Netdev + BPF",
                            "link_name": "netdevbpf",
                            "list_id": "netdev.vger.kernel.org"},
                "name": "net: two harmless comments",
                "date": "2024-01-02T03:04:05",
                "submitter": {"id": 7, "url": base + "/api/1.3/people/7/",
                              "name": "Kflake Tester",
                              "email": "tester@example.org"},
                "version": 1, "total": 2, "received_total": 2,
                "received_all": True,
                "mbox": base + "/series/1/mbox/",
                "cover_letter": None,
                "patches": [
                    {"id": 11, "url": base + "/api/1.3/patches/11/",
                     "msgid": "<p1@example.org>", "name": "[1/2] udp",
                     "date": "2024-01-02T03:04:05",
                     "mbox": base + "/patch/11/mbox/"},
                    {"id": 12, "url": base + "/api/1.3/patches/12/",
                     "msgid": "<p2@example.org>", "name": "[2/2] gro",
                     "date": "2024-01-02T03:04:05",
                     "mbox": base + "/patch/12/mbox/"},
                ],
            }).encode()
            ctype = "application/json"
        elif self.path == "/series/1/mbox/":
            with open(MBOX, "rb") as f:
                body = f.read()
            ctype = "text/plain"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
