#!/usr/bin/env python3
"""bench/compare: two builds of jiansuod, measured alternately in one run on one corpus.

Answers "did this change make search or freshness worse?" without the machine's drift
between two separate bench/run invocations: for each round, each build in turn indexes the
same make-corpus folder from scratch, answers every make-queries query plus the very frequent
words from one client (10 hits with snippets, as bench/run), and finds 50 freshly written
files. Prints, per build, the median over rounds of each figure, and the ratio B / A.

Usage: bench/compare --a DIR --b DIR [--size medium] [--rounds 2] [--out FILE]
  DIR holds release binaries jiansuod and jiansuo (for example .build/release of a
  `git worktree` at the older commit).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, read_queries, log  # noqa: E402
from run import FREQUENT, RARE_MAX, load_test, measure_freshness, pct  # noqa: E402


def measure(binary, root, work, documents, queries, writes, tag):
    """One build, one round: (build seconds, {kind: [seconds]}, [freshness seconds])."""
    fresh_root = os.path.join(work, "fresh-" + tag)
    os.makedirs(fresh_root, exist_ok=True)
    for name in os.listdir(fresh_root):
        os.unlink(os.path.join(fresh_root, name))
    daemon = Daemon(os.path.join(binary, "jiansuod"), root, work, "hybrid", name="compare-" + tag, extra_roots=[fresh_root])
    try:
        build_seconds, _ = daemon.wait_indexed(documents)
        time.sleep(3)
        kinded = [(q, "rare" if len(e) <= RARE_MAX else "common") for q, _, e in queries] + [(w, "frequent") for w in FREQUENT]
        latencies, _ = load_test(daemon.socket, kinded, 1)
        return build_seconds, latencies, measure_freshness(daemon, fresh_root, writes, marker="比对")
    finally:
        daemon.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="folder of the baseline binaries")
    parser.add_argument("--b", required=True, help="folder of the binaries under test")
    parser.add_argument("--size", default="medium")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    corpus, manifest, queries_path = ensure_corpus(args.work, args.size)
    root = os.path.realpath(corpus)
    queries = [(q, k, e) for q, k, e in read_queries(queries_path)]
    with open(manifest, encoding="utf-8") as f:
        documents = sum(1 for _ in f) - 1
    figures = {"a": [], "b": []}  # per round: dict of figure -> seconds
    for r in range(args.rounds):
        for tag in ("a", "b") if r % 2 == 0 else ("b", "a"):
            log(f"[compare] round {r + 1}/{args.rounds}, build {tag.upper()}")
            build, latencies, fresh = measure(getattr(args, tag), root, args.work, documents, queries, args.writes, tag)
            every = [s for xs in latencies.values() for s in xs]
            row = {"build": build, "search p50": pct(every, 0.5), "search p99": pct(every, 0.99),
                   "freshness p50": pct(fresh, 0.5), "freshness p99": pct(fresh, 0.99)}
            for kind in ("rare", "common", "frequent"):
                row[f"{kind} p50"] = pct(latencies[kind], 0.5)
                row[f"{kind} p99"] = pct(latencies[kind], 0.99)
            figures[tag].append(row)
            log("  " + ", ".join(f"{k} {v * 1000:.1f} ms" if k != "build" else f"build {v:.1f} s" for k, v in row.items()))
    lines = [f"# bench/compare: {args.size} corpus, {args.rounds} rounds ({time.strftime('%Y-%m-%d %H:%M %Z')})", "",
             f"- A: `{os.path.abspath(args.a)}`", f"- B: `{os.path.abspath(args.b)}`",
             f"- {documents} documents; {len(queries)} make-queries queries + {len(FREQUENT)} very frequent words, "
             f"1 client, 10 hits with snippets; {args.writes} freshness writes. Median over rounds; builds alternate.", "",
             "| figure | A | B | B / A |", "|---|---:|---:|---:|"]
    for key in figures["a"][0]:
        a = statistics.median(r[key] for r in figures["a"])
        b = statistics.median(r[key] for r in figures["b"])
        unit = (lambda v: f"{v:.1f} s") if key == "build" else (lambda v: f"{v * 1000:.1f} ms")
        lines.append(f"| {key} | {unit(a)} | {unit(b)} | {b / a:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
