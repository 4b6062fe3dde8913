#!/usr/bin/env python3
"""stress-table.py DB [MODE...] - the calibration table of
bench/stress-calibrate.sh, from its database (read-only).

For every mode (none = plain) and both kernels (fixed: the series' base
commit; reverted: the series' result), per udpgro test: counted
iterations (pass, fail, stall, crash; error and skip count for nothing,
as everywhere in kflake), stalls and failures (fail + stall + crash) with
95% Wilson intervals, Fisher's two-sided p between the kernels, the
median wall time of an iteration (the mode's cost), and the stall
snapshots' classes; the TCP subcases' sender throughput per kernel
with a Mann-Whitney p; last, every mode pooled per kernel and test (the
upper bound the whole grid sets when no mode found anything). A
Markdown table, so docs/STRESS.md can keep it.
"""
import math
import sqlite3
import sys

TESTS = ("udpgro_frglist.sh", "udpgro_bench.sh")


def wilson(k, n, z=1.959964):
    if n == 0:
        return 0.0, 1.0
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, c - h), min(1.0, c + h)


def fisher_two_sided(k1, n1, k2, n2):
    """As stats_fisher_two_sided: tables no likelier than the observed."""
    K, N = k1 + k2, n1 + n2
    if N == 0:
        return 1.0
    lo, hi = max(0, K - n2), min(K, n1)

    def prob(x):
        return math.comb(n1, x) * math.comb(n2, K - x) / math.comb(N, K)
    p0 = prob(k1)
    return min(1.0, sum(prob(x) for x in range(lo, hi + 1)
                        if prob(x) <= p0 * (1 + 1e-7)))


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else 0.0


def mann_whitney(a, b):
    """Two-sided p of the Mann-Whitney U test, normal approximation with
    the tie correction (the MB/s figures are whole numbers: many ties)."""
    n1, n2 = len(a), len(b)
    if not n1 or not n2:
        return 1.0
    allv = sorted(a + b)
    ranks = {}
    i = 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j] == allv[i]:
            j += 1
        ranks[allv[i]] = (i + j + 1) / 2.0
        i = j
    u = sum(ranks[x] for x in a) - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    ties = sum(c ** 3 - c for c in
               (allv.count(v) for v in set(allv)))
    var = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2.0) - 0.5) / math.sqrt(var)
    return min(1.0, math.erfc(max(z, 0) / math.sqrt(2)))


def tcp_rates(con, commit, stress, test):
    """Per counted iteration, the mean of its TCP subcases' sender MB/s."""
    q = ("SELECT i.id, avg(m.value) FROM metrics m JOIN iterations i ON "
         "i.id = m.iteration_id JOIN runs r ON r.id = i.run_id WHERE "
         "r.commit_id = ? AND r.stress = ? AND i.test = ? AND "
         "m.name = 'tcp tx MB/s' AND r.state IN ('done', 'interrupted') "
         "GROUP BY i.id")
    return [v for _, v in con.execute(q, (commit, stress, test))]


def pct(k, n):
    lo, hi = wilson(k, n)
    return "%d/%d (%.0f%%, %.0f-%.0f%%)" % (k, n, 100 * k / n if n else 0,
                                           100 * lo, 100 * hi)


def side(con, commit, stress, test):
    """Outcome counts, median duration, stall classes of one kernel."""
    q = ("FROM iterations i JOIN runs r ON r.id = i.run_id "
         "WHERE r.commit_id = ? AND r.stress = ? AND i.test = ? AND "
         "r.state IN ('done', 'interrupted')")
    args = (commit, stress, test)
    c = dict(con.execute("SELECT i.outcome, count(*) " + q +
                         " GROUP BY i.outcome", args).fetchall())
    d = sorted(x for (x,) in con.execute("SELECT i.duration " + q +
                                         " AND i.outcome = 'pass'", args))
    labels = con.execute("SELECT coalesce(s.label, '?'), count(*) " +
                         q.replace("FROM iterations i",
                                   "FROM snapshots s JOIN iterations i "
                                   "ON i.id = s.iteration_id") +
                         " AND i.outcome = 'stall' GROUP BY s.label",
                         args).fetchall()
    n = sum(c.get(o, 0) for o in ("pass", "fail", "stall", "crash"))
    fails = sum(c.get(o, 0) for o in ("fail", "stall", "crash"))
    return {"n": n, "stall": c.get("stall", 0), "fail": fails,
            "errors": c.get("error", 0),
            "median": median(d),
            "labels": ", ".join("%s x%d" % l for l in labels) or "-"}


def main():
    con = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
    modes = sys.argv[2:] or ["none", "throttle", "vcpus", "cpu", "jitter",
                             "net", "mem"]
    row = con.execute("SELECT base_commit, result_commit FROM series "
                      "WHERE result_commit IS NOT NULL ORDER BY id DESC "
                      "LIMIT 1").fetchone()
    if not row:
        print("no series in %s yet" % sys.argv[1])
        return
    base, rev = row
    print("fixed = %.12s (linux-source-6.1), reverted = %.12s (full revert,"
          " bench/udpgro-revert.mbox)\n" % (base, rev))
    print("| mode | test | kernel | stalls | failures | Fisher p | "
          "median s | stall classes |")
    print("|---|---|---|---|---|---|---|---|")
    plain = {}
    total = {}
    for m in modes:
        stress = "" if m == "none" else m
        for t in TESTS:
            f = side(con, base, stress, t)
            r = side(con, rev, stress, t)
            if m == "none":
                plain[t] = f["median"]
            p = fisher_two_sided(f["fail"], f["n"], r["fail"], r["n"])
            for name, x in (("fixed", f), ("reverted", r)):
                a = total.setdefault((t, name), {"n": 0, "stall": 0,
                                                 "fail": 0})
                for key in a:
                    a[key] += x[key]
            for name, s, pv in (("fixed", f, ""), ("reverted", r,
                                                   "%.3g" % p)):
                if not f["n"]:
                    pv = "(fixed not run)"
                if not s["n"] and not s["errors"]:
                    continue
                cost = s["median"]
                if plain.get(t) and m != "none" and cost:
                    cost_s = "%.0f (x%.1f)" % (cost, cost / plain[t])
                else:
                    cost_s = "%.0f" % cost
                err = " (+%d error)" % s["errors"] if s["errors"] else ""
                print("| %s | %s | %s | %s | %s%s | %s | %s | %s |" % (
                    m, t.replace(".sh", ""), name, pct(s["stall"], s["n"]),
                    pct(s["fail"], s["n"]), err, pv or " ", cost_s,
                    s["labels"]))
    # Every mode together: what the whole grid bounds, when no single
    # mode found anything (a pool of conditions, not one rate).
    for t in TESTS:
        f, r = total.get((t, "fixed")), total.get((t, "reverted"))
        if not f or not r:
            continue
        p = fisher_two_sided(f["fail"], f["n"], r["fail"], r["n"])
        for name, s, pv in (("fixed", f, " "), ("reverted", r, "%.3g" % p)):
            print("| all above | %s | %s | %s | %s | %s | | |" % (
                t.replace(".sh", ""), name, pct(s["stall"], s["n"]),
                pct(s["fail"], s["n"]), pv))

    # TCP throughput: the revert changes what a dropped GSO segment
    # returns to TCP, so a kernel may differ in throughput before it
    # ever stalls.
    print("\nTCP sender throughput (the mean of an iteration's TCP subcases,"
          " MB/s):\n")
    print("| mode | test | fixed: n, median [min-max] | reverted: n, median"
          " [min-max] | Mann-Whitney p |")
    print("|---|---|---|---|---|")
    for m in modes:
        stress = "" if m == "none" else m
        for t in TESTS:
            f = tcp_rates(con, base, stress, t)
            r = tcp_rates(con, rev, stress, t)
            if not f and not r:
                continue
            fmt = lambda v: ("%d, %.1f [%.0f-%.0f]" % (len(v), median(v),
                                                      min(v), max(v))
                             if v else "-")
            pv = "%.2g" % mann_whitney(f, r) if f and r else " "
            print("| %s | %s | %s | %s | %s |" % (
                m, t.replace(".sh", ""), fmt(f), fmt(r), pv))
    print()

if __name__ == "__main__":
    main()
