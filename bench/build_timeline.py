#!/usr/bin/env python3
"""bench/build_timeline.py: where a build's time goes, second by second.

Starts the daemon on a make-corpus folder with a fresh index and, every second until `idle`,
prints the phase `status` reports, the documents indexed and the CPU each of the daemon's
busiest threads used in that second (1.00 = one core: the writer and the indexing workers).
Then a summary: start to idle, the end of the indexing phase, MB/s, peak RSS, CPU seconds per
thread, and the daemon's own timings of what follows bulk work (the segment merge, the warming
of the frequent terms' searches). docs/performance.md quotes it; quicker than bench/run.

Usage: python3 bench/build_timeline.py SIZE [--bin .build/release/jiansuod] [--config 'key: value']
                                       [--every N] [--work /tmp/jiansuo-bench]
  (the corpus WORK/SIZE must exist: bench/recall.py or bench/run make it)
"""
import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JIANSUO_BENCH_LOG_LEVEL", "info")  # the merge and warming timings
import recall  # noqa: E402


def thread_cpu(pid, tick):
    """CPU seconds (user + system) of each thread of `pid`, by thread id."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[tid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
    return 0.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(recall.REPO, ".build", "release", "jiansuod"))
    parser.add_argument("--config", action="append", default=[], help="an extra line of the daemon's YAML configuration")
    parser.add_argument("--every", type=int, default=1, help="print every Nth second (the summary counts all)")
    args = parser.parse_args()
    root = os.path.join(args.work, args.size)
    documents = sum(1 for _ in open(root + ".manifest.tsv")) - 1
    corpus_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    tick = os.sysconf("SC_CLK_TCK")
    extra = "".join(line + "\n" for line in args.config)
    d = recall.Daemon(args.bin, root, args.work, "hybrid", name=f"timeline-{args.size}", extra_config=extra)
    pid = d.process.pid
    previous, peak, indexing_end, second = thread_cpu(pid, tick), 0.0, None, 0
    print("   s  phase       documents  busiest threads (cores)")
    while True:
        time.sleep(1)
        second += 1
        try:
            st = d.call("status")
        except Exception:
            d.conn = None
            st = {"state": "?", "documents": 0}
        now = thread_cpu(pid, tick)
        peak = max(peak, peak_rss_mb(pid))
        busiest = sorted((now[t] - previous.get(t, 0) for t in now), reverse=True)[:4]
        previous = now
        elapsed = time.time() - d.started
        if st["state"] in ("scanning", "indexing"):
            indexing_end = elapsed
        if second % args.every == 0 or st["state"] == "idle":
            print(f"{elapsed:6.1f}  {st['state']:10s} {st.get('documents', 0):9d}  " + " ".join(f"{x:4.2f}" for x in busiest), flush=True)
        if st["state"] == "idle" and st["documents"] >= documents:
            break
    wall = time.time() - d.started
    cpu = sorted(previous.values(), reverse=True)
    d.stop()
    log = open(os.path.join(d.dir, "daemon.log"), errors="replace").read()

    def last_ms(message):
        found = re.findall(re.escape(message) + r".*?ms=(\d+)", log)
        return f"{int(found[-1]) / 1000:.1f} s" if found else "-"
    print(f"\n{args.size}: {documents} documents, {corpus_bytes / 1e6:.1f} MB; start to idle {wall:.1f} s "
          f"({corpus_bytes / 1e6 / wall:.2f} MB/s); indexing phase ended at {indexing_end or 0:.1f} s; "
          f"peak RSS {peak:.0f} MB")
    print(f"after the bulk work: segment merge {last_ms('index segments merged')}, "
          f"warming {last_ms('searches of the most frequent terms cached')}")
    print(f"CPU: {sum(cpu):.1f} s in all; busiest threads " + ", ".join(f"{c:.1f}" for c in cpu[:4]) + " s")


if __name__ == "__main__":
    main()
