# pwserver.py - a loopback stand-in for patchwork's REST API (v1.3), in
# the real API's formats: series and their mboxes, series-completed
# events for `kflake poll` and `kflake ci`, and patch checks (POST with
# "Authorization: Token ...", 201 with the check; GET lists them).
#
#   python3 pwserver.py [options] MBOX PORTFILE
#     MBOX                  series 1 (patches 11, 12, ...)
#     --series ID=MBOX      another series (patches ID*10+1, ...); repeatable
#     --project NAME        the project events belong to (netdevbpf)
#     --token TOKEN         the token checks need (default: none accepted)
#     --checks FILE         append every created check here, one JSON a line
#     --hooks FILE          accept POST /hook (a webhook) and append each body
#
# Listens on a free loopback port and writes the port to PORTFILE.
import datetime
import http.server
import json
import os
import re
import sys
import threading

args = sys.argv[1:]
SERIES = {}
PROJECT = "netdevbpf"
TOKEN = None
CHECKS_LOG = None
HOOKS_LOG = None
while args and args[0].startswith("--"):
    opt, val = args[0], args[1]
    args = args[2:]
    if opt == "--series":
        sid, path = val.split("=", 1)
        SERIES[int(sid)] = path
    elif opt == "--project":
        PROJECT = val
    elif opt == "--token":
        TOKEN = val
    elif opt == "--checks":
        CHECKS_LOG = val
    elif opt == "--hooks":
        HOOKS_LOG = val
    else:
        sys.exit("pwserver.py: unknown option " + opt)
MBOX, PORTFILE = args
SERIES[1] = MBOX
CHECKS = {}
LOCK = threading.Lock()
# Events happened a few minutes ago: a first poll reads the last day.
START = datetime.datetime.utcnow().replace(microsecond=0)
CONTEXT_RE = re.compile(r"^[-a-zA-Z0-9_]+$")


def subjects(path):
    """(name, patch subjects) as patchwork names them, from the mbox."""
    out = []
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"Subject: "):
                out.append(line[9:].decode("utf-8", "replace").strip())
    name = re.sub(r"^\[PATCH[^]]*\]\s*", "", out[0]) if out else "series"
    return name, out


def series_json(base, sid):
    name, subs = subjects(SERIES[sid])
    return {
        "id": sid, "url": "%s/api/1.3/series/%d/" % (base, sid),
        "web_url": "%s/project/%s/list/?series=%d" % (base, PROJECT, sid),
        "project": {"id": 1, "name": "Netdev + BPF", "link_name": PROJECT,
                    "list_id": "netdev.vger.kernel.org"},
        "name": name,
        "date": (START - datetime.timedelta(minutes=10, seconds=-sid)).isoformat(),
        "submitter": {"id": 7, "url": base + "/api/1.3/people/7/",
                      "name": "Kflake Tester",
                      "email": "tester@example.org"},
        "version": 1, "total": len(subs), "received_total": len(subs),
        "received_all": True,
        "mbox": "%s/series/%d/mbox/" % (base, sid),
        "cover_letter": None,
        "patches": [
            {"id": sid * 10 + i + 1,
             "url": "%s/api/1.3/patches/%d/" % (base, sid * 10 + i + 1),
             "msgid": "<p%d.%d@example.org>" % (sid, i + 1), "name": s,
             "date": "2024-01-02T03:04:05",
             "mbox": "%s/patch/%d/mbox/" % (base, sid * 10 + i + 1)}
            for i, s in enumerate(subs)],
    }


def patch_ids():
    ids = set()
    for sid in SERIES:
        ids.update(sid * 10 + i + 1 for i in range(len(subjects(SERIES[sid])[1])))
    return ids


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def base(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def reply(self, code, body, ctype="application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        base = self.base()
        path, _, query = self.path.partition("?")
        m = re.match(r"^/api/1\.3/series/(\d+)/$", path)
        if m and int(m.group(1)) in SERIES:
            return self.reply(200, series_json(base, int(m.group(1))))
        m = re.match(r"^/series/(\d+)/mbox/$", path)
        if m and int(m.group(1)) in SERIES:
            with open(SERIES[int(m.group(1))], "rb") as f:
                return self.reply(200, f.read(), "text/plain")
        if path == "/api/1.3/events/":
            q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            since = q.get("since", "").replace("%3A", ":")
            ev = []
            for sid in sorted(SERIES):
                s = series_json(base, sid)
                if q.get("project") != PROJECT or s["date"] <= since:
                    continue
                ev.append({"id": 100 + sid, "category": "series-completed",
                           "project": s["project"], "date": s["date"],
                           "actor": None, "payload": {"series": {
                               k: s[k] for k in ("id", "url", "web_url",
                                                 "name", "date", "version",
                                                 "mbox")}}})
            return self.reply(200, ev)
        m = re.match(r"^/api/1\.3/patches/(\d+)/checks/$", path)
        if m and int(m.group(1)) in patch_ids():
            with LOCK:
                return self.reply(200, CHECKS.get(int(m.group(1)), []))
        self.reply(404, {"detail": "Not found."})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.path == "/hook" and HOOKS_LOG:
            with LOCK, open(HOOKS_LOG, "ab") as f:
                f.write(raw.replace(b"\n", b" ") + b"\n")
            return self.reply(204, b"")
        m = re.match(r"^/api/1\.3/patches/(\d+)/checks/$", self.path)
        if not m or int(m.group(1)) not in patch_ids():
            return self.reply(404, {"detail": "Not found."})
        if TOKEN is None or self.headers.get("Authorization") != "Token " + TOKEN:
            return self.reply(403, {"detail": "Authentication credentials "
                                    "were not provided."})
        try:
            body = json.loads(raw)
        except ValueError:
            return self.reply(400, {"detail": "JSON parse error"})
        errors = {}
        if body.get("state") not in ("pending", "success", "warning", "fail"):
            errors["state"] = ["\"%s\" is not a valid choice." % body.get("state")]
        if not CONTEXT_RE.match(str(body.get("context", ""))):
            errors["context"] = ["Enter a valid \"slug\"."]
        if errors:
            return self.reply(400, errors)
        pid = int(m.group(1))
        with LOCK:
            check = {"id": sum(len(v) for v in CHECKS.values()) + 1,
                     "url": "%s/api/1.3/patches/%d/checks/x/" % (self.base(), pid),
                     "user": {"id": 1, "username": "kflake"},
                     "date": "2024-01-02T03:04:05",
                     "state": body["state"],
                     "target_url": body.get("target_url"),
                     "context": body["context"],
                     "description": body.get("description")}
            CHECKS.setdefault(pid, []).append(check)
            if CHECKS_LOG:
                with open(CHECKS_LOG, "a") as f:
                    f.write(json.dumps(dict(check, patch=pid)) + "\n")
        self.reply(201, check)

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
