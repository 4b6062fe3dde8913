#!/usr/bin/python3
"""junit-check.py XSD FILE: validate a JUnit export with xmllint --schema.

Exit 0 when FILE validates. Then, unless --no-negative, check that each
required attribute is required: a copy of FILE without it (on the first
element that has it) must fail validation, as must a flakyFailure
without its stackTrace and a malformed time. FILE must hold every kind
of element these cases need (error, failure, flakyFailure, skipped).
Prints one line per case; exit 1 on any surprise.
"""
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

REQUIRED = [
    ("testsuite", ("name", "tests", "errors", "skipped", "failures")),
    ("testcase", ("name", "time")),
    ("property", ("name", "value")),
    ("failure", ("type",)),
    ("error", ("type",)),
    ("flakyFailure", ("type",)),
]


def valid(xsd, path):
    r = subprocess.run(["xmllint", "--noout", "--schema", xsd, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return r.returncode == 0, r.stderr.decode("utf-8", "replace")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    xsd, path = args
    ok, err = valid(xsd, path)
    if not ok:
        print("FAIL: %s does not validate:\n%s" % (path, err[:2000]))
        return 1
    tree = ET.parse(path)
    root = tree.getroot()
    print("ok: %s validates (%d testcases)" % (path, len(root.findall("testcase"))))
    if "--no-negative" in sys.argv:
        return 0
    tmp = tempfile.mkdtemp(prefix="kflake-junit-")
    failed = 0

    def case(name, mutate):
        nonlocal failed
        t = ET.parse(path)
        if not mutate(t.getroot()):
            print("FAIL: %s: the export has no element for this case" % name)
            failed = 1
            return
        out = os.path.join(tmp, "case.xml")
        t.write(out, encoding="UTF-8", xml_declaration=True)
        if valid(xsd, out)[0]:
            print("FAIL: accepted: %s" % name)
            failed = 1
        else:
            print("ok: rejected: %s" % name)

    def first(r, tag):
        return r if r.tag == tag else r.find(".//" + tag)

    for tag, attrs in REQUIRED:
        for attr in attrs:
            def drop(r, tag=tag, attr=attr):
                e = first(r, tag)
                if e is None or attr not in e.attrib:
                    return False
                del e.attrib[attr]
                return True
            case("<%s> without %s" % (tag, attr), drop)

    def no_trace(r):
        e = first(r, "flakyFailure")
        if e is None or e.find("stackTrace") is None:
            return False
        e.remove(e.find("stackTrace"))
        return True
    case("<flakyFailure> without <stackTrace>", no_trace)

    def bad_time(r):
        e = first(r, "testcase")
        if e is None:
            return False
        e.set("time", "1.2345s")
        return True
    case("<testcase> with time 1.2345s", bad_time)

    def two_errors(r):
        e = first(r, "error")
        if e is None:
            return False
        for tc in r.iter("testcase"):
            if e in list(tc):
                tc.append(ET.fromstring('<error type="x"/>'))
                return True
        return False
    case("<testcase> with two <error>", two_errors)

    def unknown(r):
        r.append(ET.fromstring("<testcases/>"))
        return True
    case("an unknown element", unknown)
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))
    os.rmdir(tmp)
    return failed


if __name__ == "__main__":
    sys.exit(main())
