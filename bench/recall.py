#!/usr/bin/env python3
"""Recall of Jiansuo against brute-force ground truth, with two baselines, in one run.

For each corpus size (make-corpus) and its query set (make-queries), this starts the real
jiansuod twice, once with `segmentation: hybrid` (the default: every Han character plus
colocated dictionary words) and once with `segmentation: words` (whole ICU words only: what a
plain ICU tokenizer does), runs every query through the socket, and compares the hits with the
expected documents. A third engine, SQLite FTS5's trigram tokenizer, indexes the same extracted
text (fetched from the daemon with `show`) through Python's sqlite3 module.

Besides make-queries' kinds, three kinds of queries for letters and digits inside longer runs
(alnum-part, digit-prefix, alnum-whole: see bench/alnum_truth.py) are generated here from the
extracted text of every document (fetched with `show` from the hybrid daemon before any query
runs), with ground truth by brute force over all of it.

Recall per query kind = expected documents found / expected documents. Also printed: the share
of queries with every expected document found, index build time and index size on disk.

Usage: bench/recall [--sizes small,medium] [--work DIR] [--bin DIR]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import alnum_truth

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared", "corpus")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def ensure_corpus(work, size):
    root = os.path.join(work, size)
    if not os.path.isdir(root) or not os.listdir(root):
        subprocess.run([sys.executable, os.path.join(SHARED, "make-corpus"), "--size", size, "--out", root, "--force"],
                       check=True, stdout=subprocess.DEVNULL)
    queries = root + ".queries.tsv"
    if not os.path.exists(queries):
        subprocess.run([sys.executable, os.path.join(SHARED, "make-queries"), "--corpus", root], check=True,
                       stdout=subprocess.DEVNULL)
    return root, root + ".manifest.tsv", queries


def read_queries(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("query\t") or not line.strip():
                continue
            query, kind, n, paths = line.rstrip("\n").split("\t")
            out.append((query, kind, [p for p in paths.split("|") if p]))
    return out


class Daemon:
    def __init__(self, binary, root, work, mode, fresh=True, name=None, extra_roots=(), extra_config=""):
        self.dir = os.path.join(work, "idx-" + (name or mode))
        if fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir, exist_ok=True)
        # The socket lives beside the index, not in it: the daemon keeps its index directory
        # 0700, and bench/run connects as another user too.
        run_dir = os.path.join(work, "run-" + (name or mode))
        os.makedirs(run_dir, mode=0o755, exist_ok=True)
        os.chmod(run_dir, 0o755)
        self.socket = os.path.join(run_dir, "s.sock")
        config = os.path.join(self.dir, "jiansuod.yaml")
        with open(config, "w") as f:
            roots = ", ".join(json.dumps(r) for r in [root, *extra_roots])
            f.write(f"roots: [{roots}]\nindex: {json.dumps(self.dir)}\nsocket: {json.dumps(self.socket)}\n"
                    f"log_level: {os.environ.get('JIANSUO_BENCH_LOG_LEVEL', 'warning')}\nsegmentation: {mode}\n{extra_config}")
        self.log = open(os.path.join(self.dir, "daemon.log"), "a")
        self.started = time.time()
        self.process = subprocess.Popen([binary, "--config", config], stdout=self.log, stderr=self.log)
        self.conn = None

    def call(self, method, params=None):
        request = {"v": 1, "method": method}
        if params is not None:
            request["params"] = params
        line = json.dumps(request, ensure_ascii=False).encode() + b"\n"
        for attempt in range(2):
            if self.conn is None:
                self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.conn.connect(self.socket)
                self.reader = self.conn.makefile("rb")
            try:
                self.conn.sendall(line)
                answer = self.reader.readline()
            except OSError:
                answer = b""
            if answer:
                break
            # The daemon closes a connection idle for idle_timeout_s (the latency phases can
            # outlast it): connect again once.
            self.conn.close()
            self.conn = None
        response = json.loads(answer)
        if not response.get("ok"):
            raise RuntimeError(f"{method}: {response.get('error')}")
        return response["result"]

    def wait_indexed(self, documents):
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("jiansuod exited; see " + self.log.name)
            try:
                status = self.call("status")
                if status["state"] == "idle" and status["documents"] >= documents:
                    return time.time() - self.started, status
            except (OSError, ValueError):
                self.conn = None
            time.sleep(0.1)

    def size_bytes(self):
        return sum(os.path.getsize(os.path.join(self.dir, f)) for f in os.listdir(self.dir) if f.startswith("jiansuo.sqlite"))

    def search_all(self, query):
        found, offset = set(), 0
        while True:
            result = self.call("search", {"query": query, "limit": 1000, "offset": offset, "snippets": False})
            found.update(hit["path"] for hit in result["hits"])
            offset += len(result["hits"])
            if not result["hits"] or offset >= result["total"]:
                return found

    def stop(self):
        if self.conn:
            self.conn.close()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def kill(self):
        if self.conn:
            self.conn.close()
            self.conn = None
        self.process.kill()
        self.process.wait()

    def wait_ping(self):
        while True:
            try:
                return self.call("ping")
            except (OSError, ValueError):
                self.conn = None
                if self.process.poll() is not None:
                    raise RuntimeError("jiansuod exited; see " + self.log.name)
                time.sleep(0.05)

    def indexed_paths(self):
        found, offset = set(), 0
        while True:
            result = self.call("search", {"query": "path:/", "limit": 1000, "offset": offset, "snippets": False})
            found.update(hit["path"] for hit in result["hits"])
            offset += len(result["hits"])
            if not result["hits"] or offset >= result["total"]:
                return found


def fetch_bodies(daemon, manifest, real_root):
    """(path, title, body) of every document in the manifest, as the daemon extracted them."""
    bodies = []
    with open(manifest, encoding="utf-8") as f:
        next(f)
        for line in f:
            path = os.path.join(real_root, line.split("\t")[0])
            doc = daemon.call("show", {"path": path})
            bodies.append((path, doc["title"], doc["body"]))
    return bodies


def alnum_queries(size, bodies):
    """The generated alnum-* queries with their ground truth, and a line saying how many there are."""
    start = time.time()
    corpus = alnum_truth.Corpus(bodies)
    queries, stats = alnum_truth.generate(corpus, alnum_truth.COUNTS.get(size, 100))
    seconds = time.time() - start
    counts = ", ".join(f"{kind} {taken} of {candidates} candidates ({skipped} too frequent)"
                       for kind, (taken, candidates, skipped) in stats.items())
    return queries, f"Generated from the extracted text (bench/alnum_truth.py, {seconds:.1f} s with ground truth): {counts}."


def trigram_index(db_path, bodies):
    """A new SQLite FTS5 trigram index of (path, title, body) rows at db_path: (connection, seconds)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    db = sqlite3.connect(db_path)
    start = time.time()
    db.execute("CREATE VIRTUAL TABLE t USING fts5(path UNINDEXED, title, body, tokenize='trigram')")
    db.executemany("INSERT INTO t VALUES (?, ?, ?)", bodies)
    db.commit()
    return db, time.time() - start


def fts5_string(text):
    return '"' + text.replace('"', '""') + '"'


def score(queries, search):
    """Recall per kind: {kind: [queries, queries fully found, expected, found]}."""
    table = {}
    for query, kind, expected in queries:
        hits = search(query, kind)
        got = sum(1 for p in expected if p in hits)
        row = table.setdefault(kind, [0, 0, 0, 0])
        row[0] += 1
        row[1] += got == len(expected)
        row[2] += len(expected)
        row[3] += got
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="small,medium")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    args = parser.parse_args()
    binary = os.path.join(args.bin, "jiansuod")
    os.makedirs(args.work, exist_ok=True)

    print(f"# Recall against make-queries ground truth ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, {binary})\n")
    for size in args.sizes.split(","):
        root, manifest, queries_path = ensure_corpus(args.work, size)
        real_root = os.path.realpath(root)
        queries = [(q, k, [os.path.join(real_root, p) for p in e]) for q, k, e in read_queries(queries_path)]
        with open(manifest, encoding="utf-8") as f:
            documents = sum(1 for _ in f) - 1
        corpus_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
        results, builds = {}, {}
        for mode in ("hybrid", "words"):
            log(f"[{size}] indexing with segmentation: {mode}")
            daemon = Daemon(binary, root, args.work, mode)
            seconds, status = daemon.wait_indexed(documents)
            builds[mode] = (seconds, daemon.size_bytes(), status["documents"])
            if mode == "hybrid":
                # The extracted text first: the alnum-* queries and their ground truth come from it.
                bodies = fetch_bodies(daemon, manifest, real_root)
                log(f"[{size}] generating alnum queries from {len(bodies)} documents' text")
                generated, generated_line = alnum_queries(size, bodies)
                log(f"[{size}] {generated_line}")
                queries = queries + generated
            log(f"[{size}] {mode}: {status['documents']} documents in {seconds:.1f} s; running {len(queries)} queries")
            results[mode] = score(queries, lambda q, kind: daemon.search_all(q))
            daemon.stop()

        log(f"[{size}] indexing the same text with FTS5 trigram")
        db_path = os.path.join(args.work, f"trigram-{size}.sqlite")
        db, seconds = trigram_index(db_path, bodies)
        builds["trigram"] = (seconds, os.path.getsize(db_path), len(bodies))

        def trigram(query, kind):
            parts = query.split(" ") if kind == "mixed" else [query]
            expression = " AND ".join(fts5_string(p) for p in parts)
            try:
                return {row[0] for row in db.execute("SELECT path FROM t WHERE t MATCH ?", (expression,))}
            except sqlite3.OperationalError:
                return set()
        results["trigram"] = score(queries, trigram)
        db.close()

        engines = ["hybrid", "words", "trigram"]
        print(f"## {size}: {documents} documents, {corpus_bytes / 1e6:.1f} MB, {len(queries)} queries\n")
        print(generated_line + "\n")
        print("| query kind | queries | expected docs | " + " | ".join(f"recall {e}" for e in engines) + " |")
        print("|---|---:|---:|" + "---:|" * len(engines))
        order = ["substring", "word", "title", "mixed", *alnum_truth.KINDS]
        kinds = sorted(results["hybrid"], key=lambda k: order.index(k) if k in order else len(order))
        for kind in kinds + ["all"]:
            def cell(engine):
                rows = results[engine].values() if kind == "all" else [results[engine][kind]]
                n, full, expected, found = (sum(r[i] for r in rows) for i in range(4))
                return f"{100 * found / max(expected, 1):.2f}% ({full}/{n} queries complete)"
            rows = results["hybrid"].values() if kind == "all" else [results["hybrid"][kind]]
            print(f"| {kind} | {sum(r[0] for r in rows)} | {sum(r[2] for r in rows)} | " + " | ".join(cell(e) for e in engines) + " |")
        print()
        print("| engine | build wall time | index on disk | index / corpus |")
        print("|---|---:|---:|---:|")
        for engine in engines:
            seconds, size_bytes, docs = builds[engine]
            what = "daemon start to idle" if engine != "trigram" else "inserts only"
            print(f"| {engine} | {seconds:.1f} s ({what}) | {size_bytes / 1e6:.1f} MB | {size_bytes / corpus_bytes:.2f}× |")
        print()


if __name__ == "__main__":
    main()
