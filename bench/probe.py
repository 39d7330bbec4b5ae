#!/usr/bin/env python3
"""bench/probe.py: where a search's time goes on one corpus, class by class.

Starts the daemon on a make-corpus folder (a fresh index, or the one left by an earlier run),
reports start to idle and the index size, then runs 200 queries of the medium query set
(sampled with seed 1; the classes of make-queries) and the 20 very frequent words of
bench/run, 10 hits with snippets, one client, and prints p50 / p99 in ms of the client's wall
time and of the daemon's `timings` (wait, plan, match, page, total) per class. Quicker than
bench/run (no peers) and usable at any size; docs/performance.md quotes it.

Usage: python3 bench/probe.py SIZE [--bin .build/release/jiansuod] [--reuse]
  (the corpus /tmp/jiansuo-bench/SIZE and the medium queries must exist: bench/recall.py
  or bench/run make them)
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recall  # noqa: E402
from run import FREQUENT, pct  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(recall.REPO, ".build", "release", "jiansuod"))
    parser.add_argument("--reuse", action="store_true", help="keep the index of an earlier run")
    args = parser.parse_args()
    root = os.path.join(args.work, args.size)
    d = recall.Daemon(args.bin, root, args.work, "hybrid", name=f"probe-{args.size}", fresh=not args.reuse)
    n = sum(1 for _ in open(root + ".manifest.tsv")) - 1
    secs, st = d.wait_indexed(n)
    print(f"{args.size}: {st['documents']} documents, start to idle {secs:.1f} s, index {d.size_bytes() / 1e6:.1f} MB", flush=True)
    queries = recall.read_queries(os.path.join(args.work, "medium.queries.tsv"))
    random.seed(1)
    classes = {}
    for q, kind, _ in random.sample(queries, 200):
        classes.setdefault(kind, []).append(q)
    classes["frequent"] = FREQUENT
    print("| class | queries | client | wait | plan | match | page | daemon | median total |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind, qs in classes.items():
        rows = []
        for q in qs:
            t = time.perf_counter()
            r = d.call("search", {"query": q, "limit": 10, "timings": True})
            rows.append(((time.perf_counter() - t) * 1000, r["timings"], r["total"]))

        def p(f):
            xs = [f(r) for r in rows]
            return f"{pct(xs, 0.5):.1f} / {pct(xs, 0.99):.1f}"
        cells = [p(lambda r: r[0])] + [p(lambda r, k=k: r[1][k]) for k in ("wait", "plan", "match", "page", "total")]
        print(f"| {kind} | {len(rows)} | " + " | ".join(cells) + f" | {statistics.median(r[2] for r in rows):.0f} |", flush=True)
    d.stop()


if __name__ == "__main__":
    main()
