#!/usr/bin/env python3
"""bench/run: Jiansuo's speed and size against its peers, measured in one run on one corpus.

Measures, on a make-corpus folder (default medium) and its make-queries query set:
  - the ceiling: ICU word segmentation alone on the extracted text (jiansuo-bench ceiling),
    on 1 thread and on every core;
  - Jiansuo's initial index build (daemon start to idle): wall time, documents/s, MB/s of
    extracted text, peak RSS; index size on disk after a clean shutdown / corpus size;
  - search latency through the socket (10 hits with snippets), 1 client and N clients, for
    rare queries (at most 20 expected documents), common ones (more) and very frequent words;
    throughput; the whole `jiansuo search` process; recall against the ground truth;
  - where a search's time goes (1 client, `timings: true`): waiting in a lane, planning,
    matching and ranking, the page (rows, highlights, snippets), and the socket and JSON;
  - freshness: time from writing a new file to finding it, over 50 writes;
  - idle RSS after indexing;
  - peers on the same corpus and queries: ripgrep (`rg -l -F`, no index), SQLite FTS5 with the
    trigram tokenizer (Python sqlite3, over Jiansuo's extracted text), Recoll (recollindex,
    recollq), GNOME Tracker (tracker-miner-fs-3 under dbus-run-session, private XDG dirs),
    Tantivy (PyPI's tantivy, in-process, over Jiansuo's extracted text in Jiansuo's
    per-character tokens: bench/tantivy_peer.py; installed with pip when missing).
Prints markdown and writes it to bench/RESULTS.md (--out).

With --sizes small,medium,large every size is measured in turn and RESULTS.md begins with a growth
table: each figure at every size side by side, and its growth from the first size to the last.

Usage: bench/run [--sizes medium | --size medium] [--clients 8] [--peer-queries 250]
                 [--peers rg,trigram,recoll,tracker,tantivy]
"""
import argparse
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, read_queries, REPO, log, fts5_string, trigram_index  # noqa: E402
import tantivy_peer  # noqa: E402

# Words found in most Chinese documents: the worst case for a per-character index.
FREQUENT = ["的", "中国", "发展", "问题", "我们", "可以", "使用", "工作", "经济", "社会",
            "文件", "时间", "已经", "一个", "没有", "进行", "重要", "世界", "国家", "人民"]
RARE_MAX = 20


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def ms(x):
    if x != x:
        return "n/a"
    return f"{x * 1000:.2f} ms" if x < 0.001 else f"{x * 1000:.1f} ms"


def ratio(r):
    """A ratio for the tables: whole above 10, 2 decimals above 0.1, 2 significant digits below."""
    return f"{r:.0f}×" if r >= 10 else f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def proc_status(pid, key):
    """VmRSS / VmHWM of a process in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs
               if not os.path.islink(os.path.join(d, f)))


def machine():
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1024 / 1024
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "not installed"


def timed_run(cmd, **kw):
    """Runs cmd; returns (wall seconds, max RSS MB of the process tree's largest child, result)."""
    start = time.time()
    p = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.time() - start, usage.ru_maxrss / 1024, p


# ---------------------------------------------------------------- search clients

# The user a filtered client runs as (nobody/nogroup): the daemon then checks each hit against
# what that user may read (the corpus is world-readable, so every hit is checked and kept).
READER_ID = 65534


def client_run(args):
    """One client: its own connection, the queries in order from `start`; (kind, seconds, the
    daemon's timings or None) each. With a fourth argument true, the client first becomes
    READER_ID (needs root); with a fifth, it asks the daemon for its timings."""
    sock_path, queries, start = args[:3]
    with_timings = len(args) > 4 and args[4]
    if len(args) > 3 and args[3]:
        os.setgroups([READER_ID])
        os.setgid(READER_ID)
        os.setuid(READER_ID)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(sock_path)
    reader = conn.makefile("rb")
    out = []
    n = len(queries)
    for i in range(n):
        q, kind = queries[(start + i) % n]
        params = {"query": q, "limit": 10}
        if with_timings:
            params["timings"] = True
        line = json.dumps({"v": 1, "method": "search", "params": params}, ensure_ascii=False).encode() + b"\n"
        t = time.perf_counter()
        conn.sendall(line)
        response = json.loads(reader.readline())
        seconds = time.perf_counter() - t
        if not response.get("ok"):
            raise RuntimeError(f"search {q!r}: {response.get('error')}")
        out.append((kind, seconds, response["result"].get("timings") if with_timings else None))
    conn.close()
    return out


def load_test(sock_path, queries, clients, as_reader=False, timings=None):
    """Every client runs every query (from a different start). Returns latencies by kind, wall.
    `as_reader`: the clients run as READER_ID, so that results are filtered by permissions.
    `timings`: a dict that gets, by kind, (client seconds, the daemon's timings in ms) of each
    search, whose requests then ask for `timings: true`."""
    start = time.time()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        results = pool.map(client_run, [(sock_path, queries, k * len(queries) // clients, as_reader, timings is not None)
                                        for k in range(clients)])
    wall = time.time() - start
    by_kind = {}
    for result in results:
        for kind, seconds, parts in result:
            by_kind.setdefault(kind, []).append(seconds)
            if timings is not None:
                timings.setdefault(kind, []).append((seconds, parts))
    return by_kind, wall


TIMING_PARTS = ("wait", "plan", "match", "page", "total")


def timings_supported(daemon):
    """Whether the daemon answers `timings: true` (older ones reject the key as invalid_params)."""
    try:
        return "timings" in daemon.call("search", {"query": FREQUENT[0], "limit": 1, "snippets": False, "timings": True})
    except RuntimeError:
        return False


def time_split(samples):
    """{part: [seconds]} from [(client seconds, timings in ms)], with "socket and JSON" = client
    seconds − the daemon's total, and "client" = the client's wall time."""
    split = {part: [t[part] / 1000 for _, t in samples] for part in TIMING_PARTS}
    split["socket and JSON"] = [seconds - t["total"] / 1000 for seconds, t in samples]
    split["client"] = [seconds for seconds, _ in samples]
    return split


def ms2(x):
    return f"{x * 1000:.2f}" if x == x else "n/a"


def measure_freshness(daemon, folder, writes, marker="鲜度"):
    """Writes `writes` new files into watched `folder`, one at a time, each with a unique token
    (`marker` + the number in Han digits); returns the seconds from each write until a search
    finds it."""
    fresh = []
    for n in range(writes):
        token = marker + "".join("零一二三四五六七八九"[int(c)] for c in f"{n:04d}") + "标记"
        with open(os.path.join(folder, f"新文件{n}.txt"), "w", encoding="utf-8") as f:
            f.write(f"{marker}测试\n\n第{n}次写入：{token}。\n")
        t = time.perf_counter()
        while not daemon.call("search", {"query": token, "limit": 1, "snippets": False})["hits"]:
            time.sleep(0.002)
        fresh.append(time.perf_counter() - t)
    return fresh


# ---------------------------------------------------------------- peers

def rg_search(root, query, kind):
    terms = query.split(" ") if kind == "mixed" else [query]
    found = None
    for term in terms:
        out = subprocess.run(["rg", "-l", "-F", "--no-messages", "-e", term, root], capture_output=True)
        paths = {p for p in out.stdout.decode("utf-8", "surrogateescape").split("\n") if p}
        found = paths if found is None else found & paths
    return found or set()


def recoll_search(conf, query, kind):
    out = subprocess.run(["recollq", "-c", conf, "-b", "-n", "0-100000", query], capture_output=True)
    found = set()
    for line in out.stdout.decode("utf-8", "surrogateescape").split("\n"):
        if line.startswith("file://"):
            found.add(line[len("file://"):])
    return found


def tracker_setup(work, root):
    """Indexes a copy of `root` with tracker-miner-fs-3 under a private D-Bus session bus and
    private XDG dirs (Tracker leaves folders under /tmp alone, so the copy is under /var/tmp).

    Returns (search function, cleanup, seconds to index, peak RSS MB, index bytes); raises
    RuntimeError with the reason when Tracker cannot be run."""
    home = os.path.join(work, "tracker-home")
    copy = os.path.join("/var/tmp", "jiansuo-bench-tracker", os.path.basename(root))
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy)
    for sub in ("cache", "config", "data", "run"):
        os.makedirs(os.path.join(home, sub))
    os.chmod(os.path.join(home, "run"), 0o700)
    env = dict(os.environ, HOME=home, XDG_CACHE_HOME=os.path.join(home, "cache"), XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=os.path.join(home, "run"), GSETTINGS_BACKEND="keyfile")
    bus = subprocess.Popen(["dbus-daemon", "--session", "--print-address=1", "--nofork"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, env=env, text=True)
    address = bus.stdout.readline().strip()
    if not address:
        raise RuntimeError("dbus-daemon did not start")
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    schema = "org.freedesktop.Tracker3.Miner.Files"
    for key, value in [("index-recursive-directories", f"['{copy}']"), ("index-single-directories", "@as []"),
                       ("initial-sleep", "0"), ("index-removable-devices", "false"), ("index-optical-discs", "false")]:
        subprocess.run(["gsettings", "set", schema, key, value], env=env, check=True, capture_output=True)
    start = time.time()
    miner = subprocess.Popen(["/usr/libexec/tracker-miner-fs-3"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def cleanup():
        subprocess.run(["pkill", "-f", "tracker-extract-3"], capture_output=True)
        miner.terminate()
        bus.terminate()
        shutil.rmtree(copy, ignore_errors=True)
    peak = 0.0
    done = None
    last_count, last_change = -1, time.time()
    while time.time() < start + 3600:
        time.sleep(1)
        if miner.poll() is not None:
            cleanup()
            raise RuntimeError(f"tracker-miner-fs-3 exited with {miner.returncode}")
        pids = [miner.pid] + [int(p) for p in subprocess.run(["pgrep", "-f", "tracker-extract-3"], capture_output=True, text=True).stdout.split()]
        for pid in pids:
            try:
                peak = max(peak, proc_status(pid, "VmHWM"))
            except OSError:
                pass
        # Done when the miner is idle and the number of files whose text tracker-extract-3 has
        # stored has not grown for 15 s (the miner reports "idle" between its own crawl and
        # the extractor's work).
        status = subprocess.run(["tracker3", "status"], env=env, capture_output=True, text=True).stdout
        answer = subprocess.run(["tracker3", "sparql", "--dbus-service", "org.freedesktop.Tracker3.Miner.Files", "-q",
                                 "SELECT (COUNT(?f) AS ?c) WHERE { ?f nie:plainTextContent ?t }"],
                                env=env, capture_output=True, text=True).stdout
        numbers = re.findall(r"\d+", answer)
        extracted = int(numbers[-1]) if numbers else 0
        if extracted != last_count:
            last_count, last_change = extracted, time.time()
        if "indexing complete" in status and extracted > 0 and time.time() - last_change >= 15:
            done = last_change
            break
    if done is None:
        cleanup()
        raise RuntimeError("Tracker did not finish indexing within an hour")
    size = dir_bytes(os.path.join(home, "cache"))

    def search(query, kind):
        from urllib.parse import unquote
        terms = query.split(" ") if kind == "mixed" else [query]
        result = subprocess.run(["tracker3", "search", "--disable-color", "--limit=100000"] + terms, env=env, capture_output=True)
        found = set()
        for line in result.stdout.decode("utf-8", "surrogateescape").split("\n"):
            line = line.strip()
            if line.startswith("file://"):
                path = unquote(line[len("file://"):])
                found.add(root + path[len(copy):] if path.startswith(copy) else path)
        return found
    return search, cleanup, done - start, peak, size


def score(queries, search):
    """Recall over queries [(query, kind, expected)] and latency of each search call."""
    expected = found = 0
    times = []
    for query, kind, paths in queries:
        t = time.perf_counter()
        hits = search(query, kind)
        times.append(time.perf_counter() - t)
        expected += len(paths)
        found += sum(1 for p in paths if p in hits)
    return found / max(expected, 1), times


# ---------------------------------------------------------------- main

def measure(args, corpus_size):
    """Measures one corpus size; returns its report's lines, its summary table's rows (measure,
    Jiansuo, target, peers) and the figures the growth table compares across sizes."""
    peers = [p for p in args.peers.split(",") if p]
    os.makedirs(args.work, exist_ok=True)
    corpus, manifest, queries_path = ensure_corpus(args.work, corpus_size)
    root = os.path.realpath(corpus)
    queries = [(q, k, [os.path.join(root, p) for p in e]) for q, k, e in read_queries(queries_path)]
    with open(manifest, encoding="utf-8") as f:
        documents = sum(1 for _ in f) - 1
    corpus_bytes = dir_bytes(root)
    step = max(1, len(queries) // args.peer_queries)
    sample = queries[::step][:args.peer_queries]
    lines = []

    def out(text=""):
        print(text, flush=True)
        lines.append(text)

    bench = os.path.join(args.bin, "jiansuo-bench")
    daemon_bin = os.path.join(args.bin, "jiansuod")
    cli = args.cli or os.path.join(args.bin, "jiansuo")

    # 1. Ceiling.
    log("[ceiling] extraction, ICU segmentation alone, Jiansuo's analysis")
    ceiling = json.loads(subprocess.run([bench, "ceiling", root], capture_output=True, text=True, check=True).stdout)
    text_mb = ceiling["text_bytes"] / 1e6

    # 2. Jiansuo: build.
    log("[jiansuo] building the index")
    fresh_root = os.path.join(args.work, "fresh-writes")
    shutil.rmtree(fresh_root, ignore_errors=True)
    os.makedirs(fresh_root)
    daemon = Daemon(daemon_bin, root, args.work, "hybrid", name="run", extra_roots=[fresh_root])
    build_seconds, status = daemon.wait_indexed(documents)
    peak_rss = proc_status(daemon.process.pid, "VmHWM")
    time.sleep(5)
    idle_rss_after_build = proc_status(daemon.process.pid, "VmRSS")
    daemon.stop()
    index_bytes = daemon.size_bytes()
    # The socket's group lets the filtered client (READER_ID) connect; root's searches are not filtered.
    can_filter = os.getuid() == 0
    daemon = Daemon(daemon_bin, root, args.work, "hybrid", fresh=False, name="run", extra_roots=[fresh_root],
                    extra_config=f"socket_group: {READER_ID}\n" if can_filter else "")
    daemon.wait_indexed(documents)
    time.sleep(3)
    idle_rss_restarted = proc_status(daemon.process.pid, "VmRSS")

    # 3. Jiansuo: search.
    log("[jiansuo] search latency, 1 client")
    kinded = [(q, "rare" if len(e) <= RARE_MAX else "common") for q, _, e in queries] + [(w, "frequent") for w in FREQUENT]
    with_timings = timings_supported(daemon)
    if not with_timings:
        log("[jiansuo] this daemon does not answer `timings: true`: no time split")
    one_timings = {} if with_timings else None
    one, one_wall = load_test(daemon.socket, kinded, 1, timings=one_timings)
    filtered = None
    if can_filter:
        log("[jiansuo] search latency, 1 client as another user (results filtered by read permission)")
        filtered, _ = load_test(daemon.socket, kinded, 1, as_reader=True)
    log(f"[jiansuo] search latency, {args.clients} clients")
    many, many_wall = load_test(daemon.socket, kinded, args.clients)
    log("[jiansuo] recall")
    jiansuo_recall, _ = score(sample, lambda q, k: daemon.search_all(q))
    full_recall, _ = score(queries, lambda q, k: daemon.search_all(q))
    # The peers' sample, by class (Tantivy's per-class figures are set against these).
    sample_timings = {} if with_timings else None
    sample_one, _ = load_test(daemon.socket, [(q, "rare" if len(e) <= RARE_MAX else "common") for q, _, e in sample], 1,
                              timings=sample_timings)
    sample_one["all"] = [x for kind in ("rare", "common") for x in sample_one.get(kind, [])]
    log("[jiansuo] whole-process CLI")
    cli_times = []
    for q, _, _ in queries[:args.cli_queries]:
        t = time.perf_counter()
        subprocess.run([cli, "--socket", daemon.socket, "search", "--limit", "10", q], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cli_times.append(time.perf_counter() - t)
    log("[jiansuo] freshness")
    fresh = measure_freshness(daemon, fresh_root, args.writes)
    bodies = []
    if "trigram" in peers or "tantivy" in peers:
        log("[jiansuo] extracted text for the trigram and Tantivy peers")
        for _, path in sorted((p, p) for p in daemon.indexed_paths() if p.startswith(root + "/")):
            doc = daemon.call("show", {"path": path})
            bodies.append((path, doc["title"], doc["body"]))
    daemon.stop()

    # 4. Peers.
    peer_rows = []  # (engine, build s, peak RSS MB, index bytes, recall, p50, p99, note)
    if "rg" in peers and shutil.which("rg"):
        log("[rg] searching")
        recall, times = score(sample, lambda q, k: rg_search(root, q, k))
        peer_rows.append(("ripgrep " + version(["rg", "--version"]).split()[1], None, None, None, recall, times, "no index; `rg -l -F` per term, whole process"))
    if "trigram" in peers:
        log("[trigram] building and searching")
        db_path = os.path.join(args.work, "trigram.sqlite")
        db, trigram_build = trigram_index(db_path, bodies)
        trigram_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        def trigram(query, kind):
            parts = query.split(" ") if kind == "mixed" else [query]
            expression = " AND ".join(fts5_string(p) for p in parts)
            try:
                # What a search page costs: 10 best by bm25 with snippets, plus every match for recall.
                db.execute("SELECT path, snippet(t, 2, '[', ']', '…', 20) FROM t WHERE t MATCH ? ORDER BY rank LIMIT 10", (expression,)).fetchall()
                return {row[0] for row in db.execute("SELECT path FROM t WHERE t MATCH ?", (expression,))}
            except sqlite3.OperationalError:
                return set()
        recall, times = score(sample, trigram)
        db.close()
        peer_rows.append((f"SQLite {sqlite3.sqlite_version} FTS5 trigram", trigram_build, trigram_rss, os.path.getsize(db_path), recall, times,
                          "in-process (Python sqlite3): inserts of Jiansuo's extracted text only; top 10 with snippets + all matches"))
    if "recoll" in peers and shutil.which("recollindex"):
        log("[recoll] indexing and searching")
        conf = os.path.join(args.work, "recoll-conf")
        shutil.rmtree(conf, ignore_errors=True)
        os.makedirs(conf)
        with open(os.path.join(conf, "recoll.conf"), "w") as f:
            f.write(f"topdirs = {root}\nloglevel = 1\n")
        seconds, rss, _ = timed_run(["recollindex", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        size = dir_bytes(os.path.join(conf, "xapiandb"))
        recall, times = score(sample, lambda q, k: recoll_search(conf, q, k))
        peer_rows.append((version(["recollq", "-c", conf, "-v"]).replace("Recoll ", "Recoll ") or "Recoll", seconds, rss, size, recall, times,
                          "recollindex; `recollq -b` per query, whole process"))
    if "tracker" in peers and shutil.which("tracker3"):
        log("[tracker] indexing and searching (headless)")
        try:
            search, cleanup, seconds, rss, size = tracker_setup(args.work, root)
            try:
                recall, times = score(sample, search)
                peer_rows.append(("GNOME Tracker " + version(["tracker3", "--version"]).split()[-1], seconds, rss, size, recall, times,
                                  "tracker-miner-fs-3 + tracker-extract-3 (peak RSS: the larger); `tracker3 search` per query, whole process"))
            finally:
                cleanup()
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            peer_rows.append(("GNOME Tracker 3", None, None, None, None, [], f"not measured: {error}"))
    tantivy = None  # the worker's report
    if "tantivy" in peers:
        log("[tantivy] building and searching (in-process, no snippets)")
        try:
            tantivy = tantivy_peer.run(args.work, bodies, [(q, k, "rare" if len(e) <= RARE_MAX else "common", e) for q, k, e in sample]
                                       + [(w, "frequent", "frequent", None) for w in FREQUENT], log=log)
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            peer_rows.append(("Tantivy", None, None, None, None, [], f"not measured: {error}"))
        if tantivy:
            checked = [r for r in tantivy["queries"] if r["expected"] is not None]
            peer_rows.append((f"Tantivy {tantivy['version']} (in-process, no snippets)", tantivy["build_s"], tantivy["peak_rss_mb"],
                              tantivy["index_bytes"], sum(r["found"] for r in checked) / max(sum(r["expected"] for r in checked), 1),
                              [r["seconds"] for r in checked],
                              f"in-process, no snippets (Python bindings): Jiansuo's extracted text in Jiansuo's per-character tokens, "
                              f"{tantivy['threads']} writer threads (build: indexing only; peak RSS: the Python worker's, holding all the text); "
                              "top 10 paths + exact count per query"))

    # 5. Report.
    out(f"# Jiansuo benchmark: {corpus_size} corpus ({time.strftime('%Y-%m-%d %H:%M %Z')})")
    out()
    out(f"- Machine: {machine()}; {version(['swift', '--version'])}; SQLite {sqlite3.sqlite_version}; ICU {ceiling.get('icu_version', '72')}.")
    out(f"- Corpus: `make-corpus --size {corpus_size}`: {documents} files, {corpus_bytes / 1e6:.1f} MB on disk, "
        f"{text_mb:.1f} MB of extracted text; `make-queries`: {len(queries)} queries "
        f"({sum(1 for _, _, e in queries if len(e) <= RARE_MAX)} rare: at most {RARE_MAX} expected documents; the rest common) "
        f"plus {len(FREQUENT)} very frequent words ({', '.join(FREQUENT[:5])} …).")
    built = "release build" if os.path.realpath(args.bin) == os.path.realpath(os.path.join(REPO, ".build", "release")) else f"binaries from {args.bin}"
    out(f"- Command: `bench/run --sizes {args.sizes}` ({built}; work folder {args.work}).")
    out()
    out("## Indexing")
    out()
    ceiling_n = ceiling["icu_mb_s_n"]
    build_mb_s = text_mb / build_seconds
    out("| measure | value |")
    out("|---|---:|")
    out(f"| extraction alone, 1 thread (jiansuo-bench) | {ceiling['extract_mb_s_1']:.1f} MB/s of files |")
    out(f"| ICU word segmentation alone, 1 thread | {ceiling['icu_mb_s_1']:.1f} MB/s |")
    out(f"| ICU word segmentation alone, {ceiling['threads']} threads (the ceiling) | {ceiling_n:.1f} MB/s |")
    out(f"| Jiansuo's analysis alone (normalize, segment, tokens), 1 / {ceiling['threads']} threads | {ceiling['analysis_mb_s_1']:.1f} / {ceiling['analysis_mb_s_n']:.1f} MB/s |")
    out(f"| initial build, daemon start to idle | {build_seconds:.1f} s |")
    out(f"| build speed | {build_mb_s:.1f} MB/s of extracted text = {100 * build_mb_s / ceiling_n:.0f}% of the ceiling; {documents / build_seconds:.0f} documents/s |")
    out(f"| daemon peak RSS during the build | {peak_rss:.0f} MB |")
    out(f"| index on disk after shutdown | {index_bytes / 1e6:.1f} MB = {index_bytes / corpus_bytes:.2f}× the corpus |")
    out(f"| idle RSS after the build (same process, 5 s idle) | {idle_rss_after_build:.0f} MB |")
    out(f"| idle RSS after a restart on the built index | {idle_rss_restarted:.0f} MB |")
    out(f"| freshness: new file searchable, p50 / p99 / max of {len(fresh)} | {ms(pct(fresh, .5))} / {ms(pct(fresh, .99))} / {ms(max(fresh))} |")
    out()
    out("## Search (Jiansuo, through the Unix socket: 10 hits with snippets and highlights)")
    out()
    out("| clients | queries | count | p50 | p99 | max | throughput |")
    out("|---:|---|---:|---:|---:|---:|---:|")
    for clients, data, wall in ((1, one, one_wall), (args.clients, many, many_wall)):
        total = sum(len(v) for v in data.values())
        for kind in ("rare", "common", "frequent"):
            xs = data.get(kind, [])
            out(f"| {clients} | {kind} | {len(xs)} | {ms(pct(xs, .5))} | {ms(pct(xs, .99))} | {ms(max(xs))} | |")
        everything = [x for v in data.values() for x in v]
        out(f"| {clients} | all | {total} | {ms(pct(everything, .5))} | {ms(pct(everything, .99))} | {ms(max(everything))} | {total / wall:.0f} queries/s |")
    out(f"| 1 | whole `jiansuo search --limit 10` process | {len(cli_times)} | {ms(pct(cli_times, .5))} | {ms(pct(cli_times, .99))} | {ms(max(cli_times))} | |")
    out()
    out("### Where a search's time goes (1 client)")
    out()
    if one_timings:
        out("The 1-client searches above, each asking for `timings: true`: the daemon's own account of its time "
            "(wait: queued in a lane; plan: parse, compile, cost estimate; match: FTS5 matching, ranking every match, top k; "
            "page: the 10 hits' rows, highlights and snippets; total: arrival to result built), "
            "and the rest of the client's wall time, the socket and JSON (client − total). "
            "Each cell is p50 / p99 in milliseconds, taken part by part (the p50s do not add up to the total's).")
        out()
        columns = TIMING_PARTS + ("socket and JSON", "client")
        out("| queries | count | " + " | ".join(columns) + " |")
        out("|---|---:|" + "---:|" * len(columns))
        for kind in ("rare", "common", "frequent", "all"):
            samples = [x for v in one_timings.values() for x in v] if kind == "all" else one_timings.get(kind, [])
            if not samples:
                continue
            split = time_split(samples)
            out(f"| {kind} | {len(samples)} | " + " | ".join(f"{ms2(pct(split[c], .5))} / {ms2(pct(split[c], .99))}" for c in columns) + " |")
    else:
        out("Not measured: this daemon does not answer `timings: true` in search params.")
    out()
    if filtered:
        out("### The cost of permission filtering")
        out()
        out(f"The same queries from one client running as uid {READER_ID} (not root, not the daemon's user): "
            "each match's file and directories are checked against what that user may read (all of them here).")
        out()
        out("| queries | unfiltered p50 | filtered p50 | ratio | unfiltered p99 | filtered p99 | ratio |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        for kind in ("rare", "common", "frequent", "all"):
            a = [x for v in one.values() for x in v] if kind == "all" else one.get(kind, [])
            b = [x for v in filtered.values() for x in v] if kind == "all" else filtered.get(kind, [])
            out(f"| {kind} | {ms(pct(a, .5))} | {ms(pct(b, .5))} | {pct(b, .5) / pct(a, .5):.2f}× | "
                f"{ms(pct(a, .99))} | {ms(pct(b, .99))} | {pct(b, .99) / pct(a, .99):.2f}× |")
        out()
    out(f"Recall against the make-queries ground truth: {100 * full_recall:.2f}% over all {len(queries)} queries.")
    out()
    which = "all of the query set" if step == 1 else f"every {step}th of the query set"
    out(f"## Peers (same corpus, same {len(sample)} queries: {which})")
    out()
    jiansuo_p50 = pct(sample_one["all"], .5)
    out("| engine | build | peak RSS | index / corpus | recall | p50 | p99 | p50 / Jiansuo's p50 | how |")
    out("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    out(f"| **Jiansuo** (socket) | {build_seconds:.1f} s | {peak_rss:.0f} MB | {index_bytes / corpus_bytes:.2f}× | {100 * jiansuo_recall:.2f}% | "
        f"{ms(jiansuo_p50)} | {ms(pct(sample_one['all'], .99))} | | daemon; 10 hits with snippets per query |")
    for name, build, rss, size, recall, times, how in peer_rows:
        cells = [f"{build:.1f} s" if build is not None else "–", f"{rss:.0f} MB" if rss is not None else "–",
                 f"{size / corpus_bytes:.2f}×" if size is not None else "–", f"{100 * recall:.2f}%" if recall is not None else "–",
                 ms(pct(times, .5)) if times else "–", ms(pct(times, .99)) if times else "–",
                 ratio(pct(times, .5) / jiansuo_p50) if times else "–"]
        out(f"| {name} | " + " | ".join(cells) + f" | {how} |")
    out()
    out(f"Whole-process comparison: `jiansuo search --limit 10` p50 {ms(pct(cli_times, .5))} (first {len(cli_times)} queries, "
        "process start to exit) against the peers' whole-process p50 above.")
    if tantivy:
        checked = [r for r in tantivy["queries"] if r["expected"] is not None]
        t_mb_s = tantivy["text_bytes"] / 1e6 / tantivy["build_s"]
        out()
        out(f"### Tantivy {tantivy['version']} (in-process, no snippets) against Jiansuo, by query class")
        out()
        out(f"Tantivy indexes the text Jiansuo extracted ({tantivy['documents']} documents, {tantivy['text_bytes'] / 1e6:.1f} MB of "
            f"title and body, {tantivy['tokens'] / 1e6:.2f} M tokens) in Jiansuo's per-character tokens (NFKC and case folding; "
            "each Han character a token, each run of letters or of digits a token; no dictionary words, subwords or "
            "traditional-to-simplified folding), tokenized in Python beforehand and indexed with the `whitespace` tokenizer. "
            f"Build: {tantivy['build_s']:.2f} s with {tantivy['threads']} writer threads "
            f"({tantivy['commit_s']:.2f} s to the commit, then waiting for merges; {tantivy['segments']} segments) = "
            f"{t_mb_s:.1f} MB/s of extracted text against Jiansuo's {build_mb_s:.1f} MB/s "
            f"(Jiansuo: start to idle, extraction and ICU analysis included; Tantivy: indexing only, the Python tokenization "
            f"took another {tantivy['tokenize_s']:.2f} s). Index on disk {tantivy['index_bytes'] / 1e6:.1f} MB = "
            f"{tantivy['index_bytes'] / corpus_bytes:.2f}× the corpus (Jiansuo {index_bytes / corpus_bytes:.2f}×). "
            f"Peak RSS {tantivy['peak_rss_mb']:.0f} MB is the worker process's, holding all the tokenized text "
            f"({tantivy['rss_before_mb']:.0f} MB before the build). A query is the phrase of its tokens in title or body (the AND "
            "of each space-separated term's), timed in the process as the top 10 by BM25 with their paths and the exact count "
            "(`searcher.search(query, 10, count=True)`), after an untimed pass that fetched every match for recall. "
            "Jiansuo's figures are through the socket, 10 hits with snippets and highlights (1 client, the same queries)"
            + ("; the daemon's own total and its match part (FTS5 matching, ranking every match, top 10) are from `timings`."
               if with_timings else "; this daemon gives no `timings`, so its total and match part are not measured."))
        out()
        jt = {kind: time_split(v) for kind, v in (sample_timings or {}).items()}
        if one_timings and "frequent" in one_timings:
            jt["frequent"] = time_split(one_timings["frequent"])
        out("| queries | count | Jiansuo socket p50 / p99 | Jiansuo daemon total p50 / p99 | Jiansuo match p50 / p99 | "
            "Tantivy in-process, no snippets p50 / p99 | Tantivy p50 / Jiansuo socket p50 |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        for cls in ("rare", "common", "frequent", "all"):
            tv = [r["seconds"] for r in tantivy["queries"] if cls == "all" and r["class"] != "frequent" or r["class"] == cls]
            if cls == "frequent":
                js = one.get("frequent", [])
            else:
                js = sample_one.get(cls, [])
            if cls == "all":
                split = time_split([x for k in ("rare", "common") for x in (sample_timings or {}).get(k, [])]) if sample_timings else None
            else:
                split = jt.get(cls)
            cell = lambda xs: f"{ms(pct(xs, .5))} / {ms(pct(xs, .99))}" if xs else "–"
            label = f"{cls} (the sample's rare and common)" if cls == "all" else cls
            out(f"| {label} | {len(tv)} | {cell(js)} | {cell(split['total']) if split else '–'} | {cell(split['match']) if split else '–'} | "
                f"{cell(tv)} | {ratio(pct(tv, .5) / pct(js, .5))} |" if tv and js else f"| {label} | {len(tv)} | – | – | – | {cell(tv)} | – |")
        out()
        by_kind = {}
        for r in checked:
            row = by_kind.setdefault(r["kind"], [0, 0, 0, 0])
            row[0] += 1
            row[1] += r["found"] == r["expected"]
            row[2] += r["expected"]
            row[3] += r["found"]
        out("Tantivy's recall against the make-queries ground truth, by kind: " + "; ".join(
            f"{kind} {100 * found / max(expected, 1):.2f}% ({full}/{n} queries complete)"
            for kind, (n, full, expected, found) in sorted(by_kind.items())) + ".")
        low = [kind for kind, (n, full, expected, found) in by_kind.items() if kind in ("substring", "word") and found < 0.99 * expected]
        if low:
            missed = [r["query"] for r in checked if r["kind"] in low and r["found"] < r["expected"]]
            out(f"Below 99% on {', '.join(low)}: missed documents for {', '.join(missed[:10])}"
                f"{' …' if len(missed) > 10 else ''}.")
    # Summary against the targets of issue 7, for RESULTS.md and the README.
    by_name = {row[0].split()[0]: row for row in peer_rows}
    def peer(name, what):
        row = by_name.get(name)
        if row is None or (what != "p50" and row[{"build": 1, "rss": 2, "size": 3}[what]] is None):
            return None
        if what == "build":
            return f"{row[1]:.1f} s"
        if what == "rss":
            return f"{row[2]:.0f} MB"
        if what == "size":
            return f"{row[3] / corpus_bytes:.2f}×"
        return ms(pct(row[5], .5)) if row[5] else None
    def peers_of(what, names=("Recoll", "GNOME", "SQLite", "ripgrep")):
        labels = {"Recoll": "Recoll", "GNOME": "Tracker", "SQLite": "trigram", "ripgrep": "rg", "Tantivy": "Tantivy (in-process)"}
        return ", ".join(f"{labels[n]} {v}" for n in names if (v := peer(n, what)))
    everything_one = [x for v in one.values() for x in v]
    summary = [
        f"| measure ({corpus_size} corpus, {os.cpu_count()} cores) | Jiansuo | target | peers, same run |",
        "|---|---:|---|---|",
        f"| initial build, start to idle | {build_seconds:.1f} s: {build_mb_s:.1f} MB/s, {100 * build_mb_s / ceiling_n:.0f}% of the ICU ceiling ({ceiling_n:.1f} MB/s) | ≥ 8 MB/s | {peers_of('build', ('Recoll', 'GNOME', 'SQLite', 'Tantivy'))} |",
        f"| peak RSS while building | {peak_rss:.0f} MB | ≤ 300 MB | {peers_of('rss', ('Recoll', 'GNOME'))} |",
        f"| index on disk / corpus | {index_bytes / corpus_bytes:.2f}× | ≤ 2.0× | {peers_of('size', ('Recoll', 'GNOME', 'SQLite', 'Tantivy'))} |",
        f"| search p50 / p99, 1 client, {len(everything_one)} queries | {ms(pct(everything_one, .5))} / {ms(pct(everything_one, .99))} | ≤ 5 ms / ≤ 30 ms | |",
        f"| … rare / common / very frequent words, p50 | {ms(pct(one['rare'], .5))} / {ms(pct(one['common'], .5))} / {ms(pct(one['frequent'], .5))} | | |",
        f"| … rare / common / very frequent words, p99 | {ms(pct(one['rare'], .99))} / {ms(pct(one['common'], .99))} / {ms(pct(one['frequent'], .99))} | | |",
        f"| throughput, 1 → {args.clients} clients | {sum(len(v) for v in one.values()) / one_wall:.0f} → {sum(len(v) for v in many.values()) / many_wall:.0f} queries/s | scales with cores | |",
        f"| whole `jiansuo search --limit 10` process, p50 | {ms(pct(cli_times, .5))} | ≤ Recoll's (`recollq`) | whole processes: {peers_of('p50', ('ripgrep', 'Recoll', 'GNOME'))} |",
        (f"| p50 against ripgrep (`rg -l -F`, whole process) | {pct(by_name['ripgrep'][5], .5) / jiansuo_p50:.0f}× faster through the socket, "
         f"{pct(by_name['ripgrep'][5], .5) / pct(cli_times, .5):.0f}× as a whole `jiansuo` process |") if 'ripgrep' in by_name else "| p50 against ripgrep | not measured |",
        f"| recall (make-queries ground truth) | {100 * full_recall:.2f}% | | " + ", ".join(
            f"{n} {100 * by_name[k][4]:.1f}%" for k, n in (("ripgrep", "rg"), ("SQLite", "trigram"), ("Recoll", "Recoll"), ("GNOME", "Tracker"), ("Tantivy", "Tantivy"))
            if k in by_name and by_name[k][4] is not None) + " |",
        f"| freshness p50 / p99 | {ms(pct(fresh, .5))} / {ms(pct(fresh, .99))} | p99 ≤ 200 ms | |",
        (f"| search p50 / p99 filtered by read permission (another user) | {ms(pct([x for v in filtered.values() for x in v], .5))} / "
         f"{ms(pct([x for v in filtered.values() for x in v], .99))} | | |") if filtered else "| search filtered by read permission | not measured (needs root) | | |",
        f"| idle RSS after the build / after a restart | {idle_rss_after_build:.0f} MB / {idle_rss_restarted:.0f} MB | ≤ 80 MB | |",
    ]
    if 'ripgrep' in by_name:
        summary[10] += " ≥ 20× | |"
    lines[5:5] = ["", "## Summary", ""] + summary
    figures = {
        "documents": documents, "corpus_mb": corpus_bytes / 1e6, "text_mb": text_mb,
        "build_s": build_seconds, "build_mb_s": build_mb_s, "peak_rss_mb": peak_rss, "index_ratio": index_bytes / corpus_bytes,
        "p50": pct(everything_one, .5), "p99": pct(everything_one, .99),
        **{f"{kind}_p50": pct(one.get(kind, []), .5) for kind in ("rare", "common", "frequent")},
        **{f"{kind}_p99": pct(one.get(kind, []), .99) for kind in ("rare", "common", "frequent")},
        "cli_p50": pct(cli_times, .5), "recall": full_recall, "fresh_p99": pct(fresh, .99), "idle_rss_mb": idle_rss_after_build,
        "peers": {name.split()[0]: {"build_s": build, "p50": pct(times, .5) if times else None} for name, build, _, _, _, times, _ in peer_rows},
    }
    if tantivy:
        figures["peers"]["Tantivy"]["frequent_p50"] = pct([r["seconds"] for r in tantivy["queries"] if r["class"] == "frequent"], .5)
    if one_timings:
        split = time_split([x for v in one_timings.values() for x in v])
        figures["split_p50"] = {part: pct(split[part], .5) for part in split}
    with open(os.path.join(args.work, f"bench-figures-{corpus_size}.json"), "w") as f:
        json.dump({"lines": lines, "summary": summary, "figures": figures}, f, ensure_ascii=False, indent=1)
    return lines, summary, figures


GROWTH_ROWS = [  # (label, figure, format)
    ("documents", "documents", "{:,.0f}"),
    ("corpus, MB on disk", "corpus_mb", "{:.0f}"),
    ("initial build, start to idle", "build_s", "{:.1f} s"),
    ("build speed, MB/s of extracted text", "build_mb_s", "{:.2f}"),
    ("peak RSS while building", "peak_rss_mb", "{:.0f} MB"),
    ("index on disk / corpus", "index_ratio", "{:.2f}×"),
    ("search p50, 1 client, all queries", "p50", "ms"),
    ("search p99, 1 client, all queries", "p99", "ms"),
    ("rare queries, p50", "rare_p50", "ms"),
    ("common queries, p50", "common_p50", "ms"),
    ("very frequent words, p50", "frequent_p50", "ms"),
    ("very frequent words, p99", "frequent_p99", "ms"),
    ("whole `jiansuo search` process, p50", "cli_p50", "ms"),
    ("recall", "recall", "{:.2%}"),
    ("freshness p99", "fresh_p99", "ms"),
]


def growth_table(sizes, figures):
    """Each figure at every size side by side, the peers' too, and how each grows from the
    first size to the last against the corpus."""
    first, last = figures[sizes[0]], figures[sizes[-1]]
    scale = last["documents"] / first["documents"]
    rows = [f"| measure | " + " | ".join(sizes) + f" | {sizes[-1]} / {sizes[0]} (corpus {scale:.0f}×) |",
            "|---|" + "---:|" * (len(sizes) + 1)]

    def cell(value, form):
        if value is None or value != value:
            return "–"
        return ms(value) if form == "ms" else form.format(value)

    def line(label, values, form):
        if all(v is None for v in values):
            return
        grow = values[-1] / values[0] if values[0] and values[-1] and values[0] == values[0] and values[-1] == values[-1] else None
        rows.append(f"| {label} | " + " | ".join(cell(v, form) for v in values) + f" | {f'{grow:.1f}×' if grow else '–'} |")

    for label, key, form in GROWTH_ROWS:
        line(label, [figures[s].get(key) for s in sizes], form)
    for part in ("wait", "plan", "match", "page", "socket and JSON"):
        if all("split_p50" in figures[s] and part in figures[s]["split_p50"] for s in sizes):
            line(f"… time split p50: {part}", [figures[s]["split_p50"][part] for s in sizes], "ms")
    peers = sorted({name for s in sizes for name in figures[s]["peers"]})
    for name in peers:
        line(f"{name}: build", [figures[s]["peers"].get(name, {}).get("build_s") for s in sizes], "{:.1f} s")
        line(f"{name}: search p50", [figures[s]["peers"].get(name, {}).get("p50") for s in sizes], "ms")
        if name == "Tantivy":
            line("Tantivy: very frequent words p50", [figures[s]["peers"].get(name, {}).get("frequent_p50") for s in sizes], "ms")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", help="one corpus size (the same as --sizes SIZE)")
    parser.add_argument("--sizes", default="medium", help="corpus sizes, comma-separated, measured one after the other")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--peer-queries", type=int, default=250, help="queries (evenly sampled) run on every engine")
    parser.add_argument("--cli-queries", type=int, default=200)
    static_cli = os.path.join(REPO, ".build", "static", "release", "jiansuo")
    parser.add_argument("--cli", default=static_cli if os.path.exists(static_cli) else None,
                        help="the jiansuo measured as whole processes (default: the one `make` builds, linked statically)")
    parser.add_argument("--writes", type=int, default=50)
    parser.add_argument("--peers", default="rg,trigram,recoll,tracker,tantivy")
    parser.add_argument("--reuse", default="", help="sizes whose figures are read from WORK/bench-figures-SIZE.json "
                        "(written by an earlier run) instead of measured")
    parser.add_argument("--out", default=os.path.join(REPO, "bench", "RESULTS.md"))
    parser.add_argument("--readme", default=os.path.join(REPO, "README.md"),
                        help="README whose table between the bench/run markers is replaced ('' to leave it)")
    args = parser.parse_args()
    if args.size:
        args.sizes = args.size
    sizes = [s for s in args.sizes.split(",") if s]
    os.makedirs(args.work, exist_ok=True)
    reports, summaries, figures = {}, {}, {}
    reuse = {s for s in args.reuse.split(",") if s}
    for size in sizes:
        if size in reuse:
            with open(os.path.join(args.work, f"bench-figures-{size}.json")) as f:
                saved = json.load(f)
            reports[size], summaries[size], figures[size] = saved["lines"], saved["summary"], saved["figures"]
        else:
            reports[size], summaries[size], figures[size] = measure(args, size)
    lines = []
    if len(sizes) > 1:
        lines += [f"# Jiansuo benchmark: {', '.join(sizes)} ({time.strftime('%Y-%m-%d %H:%M %Z')})", "",
                  f"`bench/run --sizes {args.sizes}`: every size measured in one run, one after the other, with the peers "
                  "({}). Each size's full report follows the growth table.".format(args.peers), "",
                  "## Growth", ""] + growth_table(sizes, figures) + [""]
        for size in sizes:
            lines += ["#" + line if line.startswith("#") else line for line in reports[size]] + [""]
    else:
        lines = reports[sizes[0]]
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.work, "bench-figures.json"), "w") as f:
        json.dump(figures, f, indent=1)
    if args.readme and os.path.exists(args.readme):
        with open(args.readme, encoding="utf-8") as f:
            readme = f.read()
        start, end = "<!-- bench/run table: start -->", "<!-- bench/run table: end -->"
        if start in readme and end in readme:
            head, rest = readme.split(start, 1)
            _, tail = rest.split(end, 1)
            shown = sizes[-2:]  # the README shows the two largest sizes measured
            table = readme_table(shown, summaries) if len(shown) == 1 else figures_table(shown, figures)
            if len(sizes) > 1:
                table += ["", f"How each figure grows from {sizes[0]} to {sizes[-1]}:", ""] + growth_table(sizes, figures)
            stamp = f"Measured {time.strftime('%Y-%m-%d')} with `bench/run --sizes {args.sizes}`; full output in bench/RESULTS.md."
            with open(args.readme, "w", encoding="utf-8") as f:
                f.write(head + start + "\n" + "\n".join(table) + "\n\n" + stamp + "\n" + end + tail)
    log(f"written to {args.out}")


def figures_table(sizes, figures):
    """The README's table for several sizes: Jiansuo's figures per size, the targets of issue 14,
    and the peers of the last size, from the figures alone."""
    last = figures[sizes[-1]]
    peers = last["peers"]

    def of(name, key, form):
        value = peers.get(name, {}).get(key)
        return None if value is None else form(value)

    def join(*pairs):
        return ", ".join(f"{label} {v}" for label, v in pairs if v is not None)
    rows = [f"| measure ({os.cpu_count()} cores) | " + " | ".join(f"Jiansuo, {s} ({figures[s]['documents']:,} files)" for s in sizes)
            + f" | target | peers, same run, {sizes[-1]} |", "|---|" + "---:|" * len(sizes) + "---|---|"]

    def row(label, cell, target, peer=""):
        rows.append(f"| {label} | " + " | ".join(cell(figures[s]) for s in sizes) + f" | {target} | {peer} |")
    row("initial build, start to idle", lambda f: f"{f['build_s']:.1f} s ({f['build_mb_s']:.1f} MB/s)", "≥ 8 MB/s",
        join(("trigram", of("SQLite", "build_s", lambda v: f"{v:.0f} s")), ("Recoll", of("Recoll", "build_s", lambda v: f"{v:.0f} s")),
             ("Tantivy (indexing only)", of("Tantivy", "build_s", lambda v: f"{v:.1f} s"))))
    row("peak RSS while building", lambda f: f"{f['peak_rss_mb']:.0f} MB", "≤ 300 MB")
    row("index on disk / corpus", lambda f: f"{f['index_ratio']:.2f}×", "≤ 2.0×")
    row("search p50 / p99, 1 client, through the socket", lambda f: f"{ms(f['p50'])} / {ms(f['p99'])}", "≤ 5 ms / ≤ 30 ms",
        join(("trigram", of("SQLite", "p50", ms)), ("Tantivy in-process, no snippets", of("Tantivy", "p50", ms))))
    row("… rare / common / very frequent words, p50", lambda f: f"{ms(f['rare_p50'])} / {ms(f['common_p50'])} / {ms(f['frequent_p50'])}", "")
    row("… very frequent words, p99", lambda f: ms(f["frequent_p99"]), "≤ 30 ms",
        join(("Tantivy p50", of("Tantivy", "frequent_p50", ms))))
    row("whole `jiansuo search --limit 10` process, p50", lambda f: ms(f["cli_p50"]), "≤ `recollq`",
        join(("recollq", of("Recoll", "p50", ms)), ("rg", of("ripgrep", "p50", ms))))
    row("recall (make-queries ground truth)", lambda f: f"{100 * f['recall']:.2f}%", "100%")
    row("freshness p99", lambda f: ms(f["fresh_p99"]), "≤ 200 ms")
    if all("split_p50" in figures[s] for s in sizes):
        row("time split p50: wait / plan / match / page / socket and JSON",
            lambda f: " / ".join(ms(f["split_p50"][p]) for p in ("wait", "plan", "match", "page", "socket and JSON")), "")
    return rows


def readme_table(sizes, summaries):
    """The summary tables of `sizes` in one: a Jiansuo column per size, the peers of the last."""
    if len(sizes) == 1:
        return summaries[sizes[0]]
    split = {size: [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in summaries[size]] for size in sizes}
    last = split[sizes[-1]]
    rows = ["| measure (" + f"{os.cpu_count()} cores) | " + " | ".join(f"Jiansuo, {size}" for size in sizes) +
            f" | target | peers, same run, {sizes[-1]} |", "|---|" + "---:|" * len(sizes) + "---|---|"]
    for k, cells in enumerate(last):
        if k < 2:
            continue
        values = [split[size][k][1] if k < len(split[size]) and len(split[size][k]) > 1 else "–" for size in sizes]
        rows.append(f"| {cells[0]} | " + " | ".join(values) + f" | {cells[2] if len(cells) > 2 else ''} | "
                    f"{cells[3] if len(cells) > 3 else ''} |")
    return rows


if __name__ == "__main__":
    main()
