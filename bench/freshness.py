#!/usr/bin/env python3
"""Freshness: time from a file write to the file being searchable, through the real daemon.

Starts jiansuod on a copy of the small corpus (so the index is not empty), then 50 times:
writes a new file holding a unique word, and polls `search` over the socket every 2 ms until it
is found. Also saves one existing file 50 times (an edit) the same way. Prints p50, p99 and max.

Usage: bench/freshness [--writes 50] [--work DIR] [--bin DIR]
"""
import argparse
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, REPO  # noqa: E402

DIGITS = "零一二三四五六七八九"


def word(n):
    return "鲜度" + "".join(DIGITS[int(c)] for c in f"{n:04d}") + "标记"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    args = parser.parse_args()
    corpus, _, _ = ensure_corpus(args.work, "small")
    root = os.path.join(args.work, "fresh")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(os.path.realpath(corpus), root)
    daemon = Daemon(os.path.join(args.bin, "jiansuod"), root, args.work, "hybrid", name="fresh")
    files = sum(len(fs) for _, _, fs in os.walk(root))
    daemon.wait_indexed(files)

    def measure(path, n):
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"鲜度测试\n\n这是第{n}次写入，唯一的词是{word(n)}。\n")
        start = time.monotonic()
        while not daemon.call("search", {"query": word(n), "limit": 1, "snippets": False})["hits"]:
            time.sleep(0.002)
        return time.monotonic() - start

    created = [measure(os.path.join(root, f"新文件{n}.txt"), n) for n in range(args.writes)]
    time.sleep(1)
    edited = []
    for n in range(args.writes, 2 * args.writes):
        edited.append(measure(os.path.join(root, "反复编辑.txt"), n))
        time.sleep(0.6)  # saves further apart than the re-index interval (500 ms)
    daemon.stop()

    def row(name, xs):
        xs = sorted(xs)
        q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
        return f"| {name} | {len(xs)} | {q(0.5):.0f} ms | {q(0.99):.0f} ms | {xs[-1] * 1000:.0f} ms |"

    print(f"# Freshness ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {args.bin}/jiansuod, debounce 50 ms)\n")
    print("| write | count | p50 | p99 | max |")
    print("|---|---:|---:|---:|---:|")
    print(row("new file", created))
    print(row("edit of one file", edited))


if __name__ == "__main__":
    main()
