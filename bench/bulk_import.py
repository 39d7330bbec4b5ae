#!/usr/bin/env python3
"""Bulk import into a watched folder, and SIGKILL during bulk imports.

1. Starts jiansuod on an empty folder, copies a whole make-corpus folder into it at once
   (`cp -r`), and measures the time until every file is indexed, while searching every 100 ms
   to check that searches keep answering (latency of those searches is printed).
2. Starts again on an empty folder and copies the corpus again while killing the daemon with
   SIGKILL at random moments and restarting it, `--kills` times; then waits until idle.
Both print files on disk, documents indexed and mismatches (paths on disk not indexed plus
paths indexed not on disk), which must be 0.

Usage: bench/bulk-import [--size medium] [--kills 20] [--work DIR] [--bin DIR]
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, REPO, log  # noqa: E402


def files_on_disk(root):
    return {os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs}


def report(title, disk, indexed, seconds):
    missing, extra = disk - indexed, indexed - disk
    print(f"| {title} | {len(disk)} | {len(indexed)} | {len(missing) + len(extra)} | {seconds:.1f} s |")
    for p in list(missing)[:3]:
        print(f"<!-- missing: {p} -->")
    for p in list(extra)[:3]:
        print(f"<!-- extra: {p} -->")
    return len(missing) + len(extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    args = parser.parse_args()
    corpus, _, _ = ensure_corpus(args.work, args.size)
    corpus = os.path.realpath(corpus)
    binary = os.path.join(args.bin, "jiansuod")
    root = os.path.realpath(os.path.join(args.work, "watched"))
    print(f"# Bulk import of the {args.size} corpus into a watched folder ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {binary})\n")
    print("| run | files on disk | documents indexed | mismatches | time to fully indexed |")
    print("|---|---:|---:|---:|---:|")

    # 1. One bulk copy while searching.
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    daemon = Daemon(binary, root, args.work, "hybrid", name="bulk")
    daemon.wait_ping()
    start = time.time()
    copy = subprocess.Popen(["cp", "-r", corpus, os.path.join(root, "import")])
    latencies = []
    disk_count = sum(1 for _ in files_on_disk(corpus))
    while True:
        t = time.time()
        daemon.search_all("知识产权")
        latencies.append(time.time() - t)
        status = daemon.call("status")
        if copy.poll() is not None and status["state"] == "idle" and status["documents"] >= disk_count:
            break
        time.sleep(0.1)
    seconds = time.time() - start
    failures = report("bulk copy (cp -r)", files_on_disk(root), daemon.indexed_paths(), seconds)
    daemon.stop()

    # 2. The same copy with SIGKILL/restart cycles during it.
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    daemon = Daemon(binary, root, args.work, "hybrid", name="kills")
    daemon.wait_ping()
    start = time.time()
    copy = subprocess.Popen(["cp", "-r", corpus, os.path.join(root, "import")])
    for k in range(args.kills):
        time.sleep(random.uniform(0.2, 2.0))
        daemon.kill()
        daemon = Daemon(binary, root, args.work, "hybrid", fresh=False, name="kills")
        daemon.wait_ping()
    copy.wait()
    seconds, _ = daemon.wait_indexed(disk_count)
    failures += report(f"copy with {args.kills} SIGKILL/restarts", files_on_disk(root), daemon.indexed_paths(), time.time() - start)
    daemon.stop()

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(f"\nSearches during the bulk copy (`知识产权`, every hit, no snippets): {len(latencies)} searches, "
          f"p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms; none failed.")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
