#!/usr/bin/python3
"""kcidb-check.py SCHEMA FILE: validate a KCIDB export with python3-jsonschema.

Exit 0 when FILE validates against SCHEMA. Then, unless --no-negative,
check that the schema rejects what KCIDB rejects: the export with each
required field removed (from the version and the first checkout, build
and test), and with a bad id, origin, path, status, version or an
over-long log_excerpt. Prints one line per case; exit 1 on any surprise.
"""
import copy
import json
import sys

import jsonschema


def errors(validator, doc):
    return list(validator.iter_errors(doc))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    negative = "--no-negative" not in sys.argv
    with open(args[0]) as f:
        schema = json.load(f)
    with open(args[1]) as f:
        doc = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    errs = errors(validator, doc)
    if errs:
        for e in errs[:5]:
            print("FAIL: %s: %s at %s" % (args[1], e.message,
                                          "/".join(map(str, e.absolute_path))))
        return 1
    print("ok: %s validates (%d checkouts, %d builds, %d tests)" % (
        args[1], len(doc.get("checkouts", [])), len(doc.get("builds", [])),
        len(doc.get("tests", []))))
    if not negative:
        return 0

    cases = []
    for field in ("major", "minor"):
        cases.append(("version without %s" % field, ("version",), field, None))
    cases.append(("no version", (), "version", None))
    required = {"checkouts": ("id", "origin"),
                "builds": ("id", "checkout_id", "origin"),
                "tests": ("id", "build_id", "origin")}
    for kind, fields in required.items():
        if not doc.get(kind):
            print("FAIL: %s has no %s to test with" % (args[1], kind))
            return 1
        for field in fields:
            cases.append(("%s[0] without %s" % (kind, field), (kind, 0), field, None))
    bad_values = [
        (("tests", 0), "id", "kflake-no-colon", "test id without origin"),
        (("tests", 0), "id", ":1", "test id with an empty origin"),
        (("builds", 0), "checkout_id", "KFlake:x", "checkout_id with capitals"),
        (("checkouts", 0), "origin", "kflake!", "origin with punctuation"),
        (("tests", 0), "origin", "", "empty origin"),
        (("tests", 0), "path", "net/udpgro_bench.sh", "path with a slash"),
        (("tests", 0), "path", "net..udpgro", "path with an empty level"),
        (("tests", 0), "path", ".net", "path starting with a dot"),
        (("tests", 0), "status", "STALL", "status not in the enum"),
        (("tests", 0), "log_excerpt", "x" * 16385, "log_excerpt of 16385 characters"),
        (("tests", 0), "misc", None, "a null property"),
        (("tests", 0), "flaky", True, "an unknown property"),
        (("version",), "major", 4, "major version 4"),
        (("version",), "minor", 4, "minor version 4"),
    ]
    failed = 0
    for name, where, field, value in cases + [
            (b[3], b[0], b[1], ("set", b[2])) for b in bad_values]:
        mutated = copy.deepcopy(doc)
        obj = mutated
        for key in where:
            obj = obj[key]
        if value is None:
            obj.pop(field, None)
        else:
            obj[field] = value[1]
        if errors(validator, mutated):
            print("ok: rejected: %s" % name)
        else:
            print("FAIL: accepted: %s" % name)
            failed = 1
    return failed


if __name__ == "__main__":
    sys.exit(main())
