#!/usr/bin/env python3
"""bench/hostile: jiansuod against hostile files and hostile clients, in one run.

Builds, in a temporary folder (tempfile; removed at the end unless --keep):
  - normal/: a make-corpus folder (`small` or `medium`; a few hundred generated .txt files
    when ../shared/corpus/make-corpus is missing or fails);
  - hostile/: pathological files, each named for what it is, scaled by --size:
    deep nesting in every format (HTML <div>s, also as HTML saved as .txt; markdown `>` quotes,
    `- ` lists and indented lists; YAML front matter with nested flow sequences, flow mappings
    and block mappings), huge single lines (.html, .txt), repetition (`[x](`, `*`, backtick runs,
    `<a`, `&amp;`), a run of Han text with no punctuation just under max_file_size, millions of
    one-character lines, a huge front matter, binary data named .txt (random bytes, NULs),
    FIFOs named .txt/.md, symlink loops (file and directory), a file one byte over
    max_file_size, names with a newline, an ESC sequence, a tab, a CR and invalid UTF-8.
    Extras beyond the brief are marked "extra" (a YAML alias bomb, random bytes without NULs).
  - novels/: --novels N plain-text .txt "novels" (default 30 for medium, 2 for small) of 12–16 MB
    each, sizes spread evenly over that range (all under the daemon's 16 MiB max_file_size), made
    of the normal corpus's bodies (front matter, markup and title lines removed) concatenated,
    paragraphs separated by blank lines, the first line a title.
Then starts jiansuod (--bin DIR) with `--root normal --root hostile --root novels --index …
--socket …` and a config file that adds `follow_symlinks: true` (so that the loops are
exercised), and, while it builds its index, runs for --attack seconds:
  - one well-behaved client: a cheap search (a document title of the corpus, 10 hits with
    snippets) every 50 ms on its own connection, in its own process; p50 / p99 / max, failures;
    it goes on until the daemon is idle, then 3 s more as an idle baseline (reported, not checked);
  - extreme parameters: search limit / offset = 0, -1, 2**63-8, 1e300, 1.5, "x", null, …;
    huge id and v; deeply nested JSON; a 2 MiB line; invalid UTF-8. Every request must get one
    JSON response line, `"ok": false` unless the value is valid (offset 0, null = default);
  - slow readers: connections that send searches and never read the answers;
  - 64 connections that connect and never send (the daemon's client limit is 64; a newcomer
    evicts the connection idle the longest, so these are expected to be closed one by one);
  - expensive queries: 的 × 500, very frequent characters repeated, 300 and 199 OR terms,
    long phrases, deep pages; an answer, a `timeout` or `invalid_params` are all fine;
  - a fresh connection with a ping every second: each must be answered `ok` (not `busy`, not
    closed, within 5 s).
Then waits for `status` to say idle (--idle-timeout after the daemon started) and checks each
file with `show` over one connection. The indexing errors are listed with the `errors` method
(pages of 1,000); the bench only speaks the protocol and never opens the index database.

Checks: the daemon stayed up (same pid, never exited); extreme parameters all answered with
errors; expensive queries all answered; cheap searches p99 <= 100 ms, and none failed; fresh
connections during the attack answered at least 95% of the time; peak RSS (VmHWM, the whole
run: indexing, attack and the checks) <= 300 MB; idle within the timeout; every normal file
indexed; every novel indexed; every pathological file indexed or reported (FIFOs and symlink
loops must not be indexed; the oversized file must be reported). Prints a markdown report
(written to --out; for medium, default bench/HOSTILE.md) with the peak RSS and the time to idle
on top, and ends with "N passed, N failed"; exits 1 when a check fails. A crash is a failed
check: the report gives the signal, the requests sent just before it and, from the daemon's
log, the Swift runtime's crash banner with the crashed thread (else the log's last lines).

Usage: bench/hostile [--size small|medium] [--bin DIR] [--out FILE] [--keep] [--novels N]
                     [--attack SECONDS] [--idle-timeout SECONDS]
"""
import argparse
import collections
import html
import json
import multiprocessing
import os
import random
import re
import select
import shutil
import signal
import shlex
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAKE_CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus", "make-corpus")

MiB = 1 << 20
MAX_FILE_SIZE = 16 * MiB  # the daemon's default max_file_size
EXTENSIONS = ("txt", "md", "markdown", "html", "htm")

# Sizes of the pathological files (bytes, levels, lines) and of the run (seconds).
SIZES = {
    "small": dict(divs=50_000, quotes=25_000, lists=25_000, staircase=700, flow=25_000, alias_levels=6,
                  html_line=4 * MiB, txt_line=3 * MiB, repeat=256 * 1024, han_run=4 * MiB,
                  tiny_lines=300_000, front_matter=256 * 1024, binary=256 * 1024,
                  slow_readers=4, attack=20, idle_timeout=240, novels=2),
    "medium": dict(divs=200_000, quotes=100_000, lists=100_000, staircase=2_000, flow=100_000, alias_levels=7,
                   html_line=14 * MiB, txt_line=12 * MiB, repeat=1 * MiB, han_run=MAX_FILE_SIZE - 4096,
                   tiny_lines=2_000_000, front_matter=1 * MiB, binary=1 * MiB,
                   slow_readers=8, attack=60, idle_timeout=900, novels=30),
}
P99_TARGET_S = 0.100
RSS_TARGET_MB = 300
FRESH_TARGET = 0.95  # share of fresh connections during the attack that must be answered `ok`
IDLE_CONNECTIONS = 64
# The novels: 12–16 MB each (decimal), spread over the range; all under max_file_size (16 MiB).
NOVEL_MIN_BYTES = 12_000_000
NOVEL_MAX_BYTES = 16_000_000
NOVEL_PARAGRAPH_MAX = 60_000  # longer paragraphs are cut at a sentence end, so sizes stay in range
PROBE_INTERVAL_S = 0.050

# The last requests the hostile clients sent, to name what came just before a crash.
RECENT = collections.deque(maxlen=200)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def note(client, what):
    RECENT.append((time.time(), client, what))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")


def ms(x):
    return f"{x * 1000:.1f} ms" if x == x else "n/a"


def mb(n):
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB" if n >= 1e3 else f"{n} B"


def shown(name):
    """A file name for the report: control characters and invalid bytes escaped, `|` quoted."""
    text = name.decode("utf-8", "backslashreplace") if isinstance(name, bytes) else name
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text).replace("|", "\\|")


def protocol_path(path):
    """The protocol's string for path bytes: each byte of an invalid UTF-8 sequence becomes
    U+10FF00 + byte (docs/protocol.md, Paths). Python's surrogateescape splits invalid
    sequences the same way."""
    text = path.decode("utf-8", "surrogateescape")
    return "".join(chr(0x10FF00 + ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)


# ---------------------------------------------------------------- the socket

class Client:
    """One connection: a request line out, a response line in, with a timeout."""

    def __init__(self, path, timeout=10.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.reader = self.sock.makefile("rb")

    def send(self, line):
        self.sock.sendall(line + b"\n")

    def receive(self):
        """The next response as a dict; raises ConnectionError on EOF, ValueError on bad JSON."""
        line = self.reader.readline()
        if not line:
            raise ConnectionError("connection closed without a response")
        return json.loads(line)

    def request(self, method, params=None):
        request = {"v": 1, "method": method}
        if params is not None:
            request["params"] = params
        self.send(json.dumps(request, ensure_ascii=False).encode())
        return self.receive()

    def call(self, method, params=None):
        response = self.request(method, params)
        if not response.get("ok"):
            raise RuntimeError(f"{method}: {response.get('error')}")
        return response["result"]

    def peer_pid(self):
        pid, _, _ = struct.unpack("3i", self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
        return pid

    def close(self):
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


class Daemon:
    """jiansuod as a child process, with its peak RSS sampled from /proc and its exit recorded."""

    def __init__(self, binary, roots, work):
        self.dir = os.path.join(work, "index")
        self.socket = os.path.join(work, "s.sock")
        self.config = os.path.join(work, "jiansuod.yaml")
        with open(self.config, "w") as f:
            f.write("# bench/hostile: roots, index and socket are given as flags\n"
                    "log_level: info\nfollow_symlinks: true\n")
        self.log_path = os.path.join(work, "daemon.log")
        self.log = open(self.log_path, "ab")
        self.command = [binary, "--config", self.config, *[a for r in roots for a in ("--root", r)],
                        "--index", self.dir, "--socket", self.socket]
        self.started = time.time()
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        self.peak_rss_mb = 0.0
        self.rss = []  # (seconds after the start, VmRSS MB), sampled every 0.1 s
        self.exited_at = None
        self.stop_sampling = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _sample(self):
        while not self.stop_sampling.is_set():
            self.read_rss()
            if self.process.poll() is not None:
                self.exited_at = self.exited_at or time.time()
                return
            time.sleep(0.1)

    def read_rss(self):
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_mb = max(self.peak_rss_mb, int(line.split()[1]) / 1024)
                    elif line.startswith("VmRSS:"):
                        self.rss.append((time.time() - self.started, int(line.split()[1]) / 1024))
        except OSError:
            pass

    def alive(self):
        if self.process.poll() is not None:
            self.exited_at = self.exited_at or time.time()
            return False
        return True

    def how_it_ended(self):
        code = self.process.returncode
        if code is None:
            return "running"
        if code < 0:
            return f"killed by {signal.Signals(-code).name} (exit status {128 - code})"
        return f"exited with status {code}"

    def wait_ping(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline and self.alive():
            try:
                client = Client(self.socket, 5)
                try:
                    client.call("ping")
                    return True
                finally:
                    client.close()
            except (OSError, ValueError, RuntimeError):
                time.sleep(0.05)
        return False

    def log_excerpt(self):
        """The part of the log that explains a crash: the lines before the Swift runtime's
        "Program crashed" / "Fatal error" banner and the crashed thread's frames; else the tail."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            lines = [shown(line)[:300] for line in f.read()[-4 * MiB:].split(b"\n")]
        banner = next((i for i, line in enumerate(lines) if "Program crashed" in line or "Fatal error" in line), None)
        if banner is None:
            return [line for line in lines[-26:] if line]
        excerpt = [line for line in lines[max(0, banner - 8):banner + 1] if line]
        thread = next((i for i in range(banner, min(len(lines), banner + 400)) if lines[i].endswith("crashed:")), None)
        if thread is not None:
            frames = lines[thread + 1:thread + 40]
            end = next((i for i, line in enumerate(frames) if line.startswith("Thread ")), len(frames))
            excerpt += ["…", lines[thread]] + [line for line in frames[:end] if line]
        return excerpt

    def stop(self):
        """SIGTERM, then SIGKILL after 30 s; returns seconds to exit, or None when it was killed."""
        self.stop_sampling.set()
        if not self.alive():
            return 0.0
        self.read_rss()
        start = time.time()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
            return time.time() - start
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


# ---------------------------------------------------------------- the normal corpus

def normal_corpus(work, size):
    """(root, titles, how): a make-corpus folder, or a generated one when that is unavailable."""
    root = os.path.join(work, "normal")
    if os.path.exists(MAKE_CORPUS):
        try:
            subprocess.run([sys.executable, MAKE_CORPUS, "--size", size, "--out", root, "--force"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900)
            titles = []
            with open(root + ".manifest.tsv", encoding="utf-8") as f:
                next(f)
                for line in f:
                    titles.append(line.rstrip("\n").split("\t")[3])
            return root, titles, f"`make-corpus --size {size}`"
        except (OSError, subprocess.SubprocessError, IndexError, StopIteration) as error:
            detail = getattr(error, "stderr", b"") or b""
            log(f"make-corpus failed ({error}; {detail.decode(errors='replace')[-300:]}); generating a corpus instead")
            shutil.rmtree(root, ignore_errors=True)
    else:
        log(f"{MAKE_CORPUS} is missing; generating a corpus instead")
    return generated_corpus(root, 300 if size == "small" else 3000)


WORDS = ("知识产权 质押 融资 图书馆 北京市 清华大学 经济 发展 社会 文化 教育 科技 环境 保护 城市 农村 交通 医疗 "
         "历史 文学 音乐 电影 体育 比赛 旅游 天气 季节 春天 秋天 河流 山脉 森林 海洋 宇宙 星辰 计算机 软件 "
         "网络 数据 算法 搜索 索引 文档 笔记 日记 会议 报告 政策 法律 合同 市场 价格 企业 银行 工厂").split()


def generated_corpus(root, count):
    rnd = random.Random(1)
    titles = []
    for n in range(count):
        title = f"第{n}号{rnd.choice(WORDS)}{rnd.choice(WORDS)}记录"
        body = "。".join("".join(rnd.choice(WORDS) for _ in range(rnd.randint(4, 12))) for _ in range(rnd.randint(5, 60)))
        folder = os.path.join(root, f"组{n % 10}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{title}.txt"), "w", encoding="utf-8") as f:
            f.write(f"{title}\n\n{body}。\n")
        titles.append(title)
    return root, titles, f"{count} generated .txt files (make-corpus unavailable)"


def normal_files(root):
    """Every file of the normal corpus the daemon should index, as protocol paths."""
    out = []
    for d, dirs, files in os.walk(os.fsencode(root)):
        dirs[:] = [x for x in dirs if not x.startswith(b".")]
        for name in files:
            if not name.startswith(b".") and name.rsplit(b".", 1)[-1].decode(errors="replace").lower() in EXTENSIONS:
                out.append(protocol_path(os.path.join(d, name)))
    return sorted(out)


def han_pool(root, titles, limit_chars=1_500_000):
    """Han characters of the normal corpus (the raw material of the big files)."""
    han = re.compile(r"[\u4e00-\u9fff]+")
    parts, total = [], 0
    for d, _, files in os.walk(root):
        for name in sorted(files):
            try:
                with open(os.path.join(d, name), encoding="utf-8") as f:
                    found = "".join(han.findall(f.read()))
            except (OSError, UnicodeDecodeError):
                continue
            parts.append(found)
            total += len(found)
            if total >= limit_chars:
                return "".join(parts)
    pool = "".join(parts) or "".join(titles) or "".join(WORDS)
    return pool if len(pool) > 1000 else (pool + "".join(WORDS)) * 50


# ---------------------------------------------------------------- the novels

FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n.*?\n---[ \t]*\n", re.S)
DROPPED_ELEMENTS = re.compile(r"(?is)<(script|style|head|title|noscript)\b.*?</\1\s*>|<!--.*?-->")
BLOCK_TAG = re.compile(r"(?i)</?(?:p|div|h[1-6]|li|ul|ol|br|tr|td|th|table|section|article|blockquote|pre|dd|dt|dl)\b[^>]*>")
TAG = re.compile(r"<[^>]*>")
MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
LINE_MARKERS = re.compile(r"^[ \t]*(?:(?:#+|>+|[-*+]|\d+[.)])[ \t]+|>+)+", re.M)
URL = re.compile(r"https?://\S+")
HAN = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END = re.compile(r"(?<=[。！？])")


def decode_document(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def body_paragraphs(text, extension):
    """The paragraphs of one corpus document's body as plain text: front matter, the title
    line of a plain-text file, HTML and markdown markup, and URLs removed; paragraphs with
    little Han text (tables, code, box drawings) left out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    front = FRONT_MATTER.match(text)
    if front:
        text = text[front.end():]
    elif extension == "txt":
        text = text.split("\n", 1)[1] if "\n" in text else ""  # the title line
    text = DROPPED_ELEMENTS.sub(" ", text)
    text = BLOCK_TAG.sub("\n\n", text)
    text = html.unescape(TAG.sub("", text))
    text = MARKDOWN_LINK.sub(r"\1", text)
    text = URL.sub("", LINE_MARKERS.sub("", text)).replace("*", "").replace("`", "")
    out = []
    for block in re.split(r"\n[ \t\u3000]*\n", text):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        paragraph = "\n".join(lines)
        visible = sum(1 for c in paragraph if not c.isspace())
        han = len(HAN.findall(paragraph))
        if han >= 10 and han * 2 >= visible:
            while len(paragraph.encode()) > NOVEL_PARAGRAPH_MAX:
                cut = paragraph[:NOVEL_PARAGRAPH_MAX // 4]
                ends = [m.start() for m in SENTENCE_END.finditer(cut)]
                at = ends[-1] if ends and ends[-1] > 100 else len(cut)
                out.append(paragraph[:at])
                paragraph = paragraph[at:].lstrip()
            if paragraph:
                out.append(paragraph)
    return out


def corpus_paragraphs(root, limit_bytes=96 * MiB):
    """[(paragraph, its UTF-8 size)] of the normal corpus's bodies, in the corpus's order, up to
    limit_bytes (the novels cycle through them)."""
    out, total = [], 0
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            extension = name.rsplit(".", 1)[-1].lower()
            if name.startswith(".") or extension not in EXTENSIONS:
                continue
            try:
                with open(os.path.join(d, name), "rb") as f:
                    text = decode_document(f.read())
            except OSError:
                continue
            for paragraph in body_paragraphs(text or "", extension):
                size = len(paragraph.encode())
                out.append((paragraph, size))
                total += size + 2
            if total >= limit_bytes:
                return out
    return out


class Novel:
    def __init__(self, name, title, size, target):
        self.name, self.title, self.size, self.target = name, title, size, target
        self.outcome, self.detail = "?", ""


def write_novels(root, count, paragraphs, titles):
    """Writes count novels into root: the i-th starts at the i-th count-th of the paragraphs and
    cycles through them until its target size (spread from 12 to 16 MB) is reached."""
    os.makedirs(root, exist_ok=True)
    novels = []
    if count <= 0:
        return novels
    if not paragraphs:
        sys.exit("no paragraphs of Chinese text in the normal corpus to make novels of")
    low, high = NOVEL_MIN_BYTES + NOVEL_PARAGRAPH_MAX + 2, NOVEL_MAX_BYTES
    for i in range(count):
        target = (low + high) // 2 if count == 1 else low + (high - low) * i // (count - 1)
        title = f"长篇小说第{i + 1}部：{titles[i % len(titles)] if titles else '无题'}"
        parts = [title, "\n\n"]
        size = len(title.encode()) + 2
        j = len(paragraphs) * i // count
        while True:
            paragraph, n = paragraphs[j % len(paragraphs)]
            if size + n + 2 > target:
                break
            parts += [paragraph, "\n\n"]
            size += n + 2
            j += 1
        name = f"novel-{i + 1:02d}-{size / 1e6:.1f}MB.txt"
        data = "".join(parts).encode()
        assert len(data) == size and NOVEL_MIN_BYTES <= size <= NOVEL_MAX_BYTES < MAX_FILE_SIZE, (name, size)
        with open(os.path.join(root, name), "wb") as f:
            f.write(data)
        novels.append(Novel(name, title, size, target))
    return novels


# ---------------------------------------------------------------- the pathological files

class Entry:
    """One pathological file. expect: 'either' (indexed or reported), 'reported' (must be in
    the errors) or 'skipped' (not a regular file: must not be indexed)."""

    def __init__(self, name, what, expect="either", extra=False):
        self.name, self.what, self.expect, self.extra = name, what, expect, extra
        self.size = 0
        self.outcome = "?"
        self.detail = ""


def hostile_files(root, p, pool):
    """Writes the pathological files into root; returns their entries."""
    rnd = random.Random(2)
    entries = []
    broot = os.fsencode(root)

    def text(nbytes, punctuation=True):
        """About nbytes of UTF-8 Han text on one line, from random slices of the pool."""
        out, n = [], 0
        while n < nbytes:
            start = rnd.randrange(len(pool) - 200)
            piece = pool[start:start + rnd.randint(8, 200)]
            if punctuation:
                piece += rnd.choice("，。；：、！？") + rnd.choice(("", "", " Swift 6.3 ", " 2024 年 ", " ICU "))
            out.append(piece)
            n += len(piece.encode())
        return "".join(out)

    def add(name, what, data, expect="either", extra=False):
        entry = Entry(os.fsencode(name) if isinstance(name, str) else name, what, expect, extra)
        with open(os.path.join(broot, entry.name), "wb") as f:
            for chunk in (data if isinstance(data, list) else [data]):
                f.write(chunk.encode() if isinstance(chunk, str) else chunk)
        entry.size = os.path.getsize(os.path.join(broot, entry.name))
        entries.append(entry)

    def special(name, what, make, extra=False):
        entry = Entry(os.fsencode(name), what, "skipped", extra)
        make(os.path.join(broot, entry.name))
        entries.append(entry)

    n = p["divs"]
    page = f"<!DOCTYPE html><html><head><title>嵌套{n}层的div</title></head><body>" + "<div>" * n + "<p>最深处的文字</p>" + "</div>" * n + "</body></html>\n"
    add(f"deep-nested-div-{n}.html", f"{n} nested <div>", page)
    add(f"deep-nested-div-{n}-html-saved-as.txt", f"{n} nested <div>, HTML in a .txt", page)
    add(f"deep-nested-div-{n}-unclosed.html", f"{n} <div> never closed",
        "<html><body>" + "<div>" * n + "没有闭合的div\n")
    n = p["quotes"]
    add(f"deep-nested-quote-{n}.md", f"{n} nested `>` quotes on one line", f"# 深层引用\n\n{'> ' * n}引用最深处\n")
    add(f"deep-nested-quote-{n}-no-space.md", f"{n} nested `>` without spaces, then lazy lines",
        [f"# 引用\n\n{'>' * n}第一行\n", "续行\n" * 1000])
    n = p["lists"]
    add(f"deep-nested-list-{n}-on-one-line.md", f"{n} nested `- ` list markers on one line", f"# 深层列表\n\n{'- ' * n}列表最深处\n")
    n = p["staircase"]
    add(f"deep-nested-list-indent-{n}-lines.md", f"a list indented one level deeper on each of {n} lines",
        ["# 缩进列表\n\n"] + [f"{'  ' * i}- 第{i}层\n" for i in range(n)])
    n = p["flow"]
    add(f"deep-frontmatter-flow-sequence-{n}.md", f"front matter tags: {n} nested flow sequences [[[…]]]",
        f"---\ntitle: 深层序列\ntags: {'[' * n}标签{']' * n}\n---\n正文：深层嵌套的流序列。\n")
    add(f"deep-frontmatter-flow-mapping-{n}.md", f"front matter: {n} nested flow mappings {{a: {{a: …}}}}",
        f"---\ntitle: 深层映射\ncategories: {'{a: ' * n}值{'}' * n}\n---\n正文：深层嵌套的流映射。\n")
    add(f"deep-frontmatter-flow-sequence-{n}-unclosed.md", f"front matter: {n} flow sequences never closed",
        f"---\ntitle: 未闭合\ntags: {'[' * n}\n---\n正文：未闭合的序列。\n")
    n = p["staircase"]
    add(f"deep-frontmatter-block-mapping-{n}.md", f"front matter: block mappings {n} levels deep (indentation)",
        ["---\ntitle: 深层块映射\nauthor:\n"] + [f"{'  ' * (i + 1)}k{i}:\n" for i in range(n)] + [f"{'  ' * (n + 1)}值\n---\n正文：深层块映射。\n"])
    levels = p["alias_levels"]
    bomb = ["---\ntitle: 别名炸弹\na0: &a0 [\"哈\",\"哈\",\"哈\",\"哈\",\"哈\",\"哈\",\"哈\",\"哈\",\"哈\"]\n"]
    bomb += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, levels)]
    bomb += [f"tags: *a{levels - 1}\n---\n正文：YAML 别名炸弹（billion laughs）。\n"]
    add(f"frontmatter-alias-bomb-9-to-the-{levels}.md", f"front matter: YAML aliases expanding to 9^{levels} = {9 ** levels:,} strings", bomb, extra=True)

    parts, total = ["<!DOCTYPE html><html><head><title>单行巨型网页</title></head><body>"], 0
    while total < p["html_line"]:
        parts.append(f"<p>{text(2000)}</p><div class=\"c\"><span>{text(300)}</span><a href=\"#\">链接</a></div>")
        total += len(parts[-1].encode())
    add(f"single-line-{p['html_line'] // MiB}MB.html", "HTML on one line", parts + ["</body></html>"])
    add(f"single-line-{p['txt_line'] // MiB}MB.txt", "text on one line (Han, punctuation, some Latin)", "单行巨型文本：" + text(p["txt_line"]))

    r = p["repeat"]
    add(f"repeat-link-open-{r // 1024}k.md", "`[x](` repeated", "[x](" * (r // 4))
    add(f"repeat-asterisks-{r // 1024}k.md", "one run of `*`", "*" * r)
    add(f"repeat-star-word-{r // 1024}k.md", "`*字` repeated (emphasis openers)", "*字" * (r // 4))
    add(f"repeat-backticks-{r // 1024}k.md", "one run of backticks", "`" * r)
    runs, total, k = [], 0, 1
    while total < r:
        runs.append("`" * k + "码")
        total += k + 3
        k += 1
    add(f"repeat-backtick-runs-growing-{r // 1024}k.md", "backtick runs of growing length (1, 2, 3 … ) between text", runs)
    add(f"repeat-a-open-{r // 1024}k.html", "`<a` repeated", "<html><body>" + "<a" * (r // 2))
    add(f"repeat-amp-entity-{r // 1024}k.html", "`&amp;` repeated", "<html><body><p>" + "&amp;" * (r // 5) + "</p></body></html>")

    han_run = text(p["han_run"], punctuation=False).encode()[:p["han_run"] // 3 * 3]
    add(f"han-run-no-punctuation-{len(han_run) / MiB:.1f}MB.txt", f"{len(han_run):,} bytes of Han text, no punctuation or newline", han_run)
    n = p["tiny_lines"]
    add(f"tiny-lines-{n}-one-char-each.txt", f"{n:,} lines of one character", "".join(pool[i % 500] + "\n" for i in range(n)))
    add(f"tiny-lines-{n}-one-char-each.md", f"{n:,} markdown lines of one character", "".join(pool[i % 500] + "\n" for i in range(n)))
    f_bytes = p["front_matter"]
    keys = [f"key{i:07d}: 值{i}\n" for i in range(f_bytes // 20)]
    add(f"frontmatter-{f_bytes // 1024}k-of-keys.md", f"{len(keys):,} front matter keys", ["---\ntitle: 巨大的front matter\n"] + keys + ["---\n正文：巨大的 front matter 之后。\n"])

    b = p["binary"]
    add(f"binary-random-bytes-{b // 1024}k.txt", "random bytes named .txt", random.Random(3).randbytes(b))
    add(f"binary-all-nul-{b // 1024}k.txt", "NUL bytes named .txt", b"\0" * b)
    add(f"binary-random-bytes-no-nul-{b // 1024}k.txt", "random bytes 1–255 named .txt (no NUL: goes to charset detection)",
        bytes(x or 1 for x in random.Random(4).randbytes(b)), extra=True)
    han = text(MAX_FILE_SIZE, punctuation=False).encode()[:MAX_FILE_SIZE // 3 * 3]
    add("over-max-file-size-16MiB-plus-1-byte.txt", "Han text, max_file_size + 1 bytes",
        han + b"\n" * (MAX_FILE_SIZE + 1 - len(han)), expect="reported")

    special("fifo-named-like-text.txt", "a FIFO named .txt (nobody writes to it)", os.mkfifo)
    special("fifo-named-like-markdown.md", "a FIFO named .md", os.mkfifo)
    os.symlink("symlink-loop-b.txt", os.path.join(root, "symlink-loop-a.txt"))
    special("symlink-loop-b.txt", "symlink loop: a -> b -> a", lambda path: os.symlink("symlink-loop-a.txt", path))
    entries.append(Entry(b"symlink-loop-a.txt", "symlink loop: a -> b -> a", "skipped"))
    special("symlink-to-itself.txt", "a symlink to itself", lambda path: os.symlink("symlink-to-itself.txt", path))
    os.makedirs(os.path.join(root, "dir-symlink-loop", "sub"))
    os.symlink("..", os.path.join(root, "dir-symlink-loop", "sub", "back-to-parent"))
    special("dir-symlink-loop/self", "a directory symlink to its own directory", lambda path: os.symlink(".", path))
    add("dir-symlink-loop/sub/inside-dir-symlink-loop.txt", "a file inside the directory loops (indexed once)",
        "环路里的文件\n\n这个文件在目录符号链接环路之中。独有标记：环路内部标记词。\n")

    body = "控制字符文件名\n\n文件名里有控制字符，内容正常。\n"
    for name, what, extra in ((b"name-with-newline-\n-in-it.txt", "a newline in the name", False),
                              (b"\x1b[31mname-with-ESC-sequence-red.txt", "an ANSI ESC sequence in the name", False),
                              (b"name-with-tab-\t-in-it.txt", "a tab in the name", False),
                              (b"name-with-carriage-return-\r-in-it.txt", "a CR in the name", True),
                              (b"name-with-invalid-utf8-\xff\xfe.txt", "invalid UTF-8 bytes FF FE in the name", False),
                              (b"name-with-truncated-utf8-\xe4\xb8.md", "a truncated UTF-8 sequence in the name", True)):
        add(name, what, body, extra=extra)
    return entries


# ---------------------------------------------------------------- the well-behaved client

def probe(sock_path, queries, stop, deadline, started, pipe):
    """Its own process: a cheap search every 50 ms; sends back
    ([(seconds after the daemon's start, latency s, query)], [failure])."""
    latencies, failures, client, i = [], [], None, 0
    while not stop.is_set() and time.time() < deadline:
        if client is None:
            try:
                client = Client(sock_path, 5)
            except OSError as error:
                failures.append(f"@{time.time() - started:.1f} connect: {error.strerror or error}")
                time.sleep(0.2)
                continue
        query = queries[i % len(queries)]
        i += 1
        start = time.perf_counter()
        try:
            response = client.request("search", {"query": query, "limit": 10})
        except (OSError, ValueError) as error:
            failures.append(f"@{time.time() - started:.1f} {query!r}: {type(error).__name__} {error}")
            client.close()
            client = None
            continue
        elapsed = time.perf_counter() - start
        latencies.append((time.time() - started - elapsed, elapsed, query))
        if not response.get("ok"):
            failures.append(f"@{time.time() - started:.1f} {query!r}: {response.get('error', {}).get('code')}")
            if response.get("error", {}).get("code") == "busy":
                client.close()
                client = None
        time.sleep(max(0.0, PROBE_INTERVAL_S - elapsed))
    if client:
        client.close()
    pipe.send((latencies, failures))
    pipe.close()


# ---------------------------------------------------------------- the hostile clients

def extreme_cases():
    """(label, request line, expect): expect 'error' (ok must be false) or 'any' (a valid value)."""
    cases = []

    def search(label, params, expect="error"):
        request = {"v": 1, "id": 1, "method": "search", "params": {"query": "中国", **params}}
        cases.append((label, json.dumps(request, ensure_ascii=False).encode(), expect))

    values = [("0", 0), ("-1", -1), ("2**63-8", 2 ** 63 - 8), ("2**64", 2 ** 64), ("-2**63", -2 ** 63),
              ("1e300", 1e300), ("1.5", 1.5), ('"x"', "x"), ("null", None), ("true", True), ("[]", [])]
    for field in ("limit", "offset"):
        for label, value in values:
            valid = value is None or (field == "offset" and label == "0")
            search(f"{field} {label}", {field: value}, "any" if valid else "error")
    for label, value in (("2**63", 2 ** 63), ("10**30", 10 ** 30), ("-2**63-1", -2 ** 63 - 1), ("1e300", 1e300), ('"x"', "x")):
        request = {"v": 1, "id": value, "method": "search", "params": {"query": "中国"}}
        cases.append((f"id {label}", json.dumps(request).encode(), "error"))
    cases.append(("id 2**63-1", json.dumps({"v": 1, "id": 2 ** 63 - 1, "method": "ping"}).encode(), "any"))
    for label, value in (("2**63-8", 2 ** 63 - 8), ("10**30", 10 ** 30), ("1e300", 1e300), ("0", 0), ("-1", -1), ("2", 2), ('"1"', "1")):
        cases.append((f"v {label}", json.dumps({"v": value, "id": 1, "method": "ping"}).encode(), "error"))
    raw = [
        ("limit 1e400 (overflows a double)", b'{"v":1,"method":"search","params":{"query":"x","limit":1e400}}'),
        ("limit -0.0", b'{"v":1,"method":"search","params":{"query":"x","limit":-0.0}}'),
        ("params nested 100,000 deep", b'{"v":1,"method":"search","params":{"query":"x","limit":' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
        ("line nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000),
        ("invalid UTF-8 in the query", b'{"v":1,"method":"search","params":{"query":"\xff\xfe\xe4\xb8"}}'),
        ("a 2 MiB line", b'{"v":1,"method":"search","params":{"query":"' + "的".encode() * (700 * 1024) + b'"}}'),
        ("query of 1,001 characters", json.dumps({"v": 1, "method": "search", "params": {"query": "的" * 1001}}).encode()),
    ]
    cases += [(label, line, "error") for label, line in raw]
    # Odd but arguably readable: any single answer will do.
    cases += [("lone surrogate \\ud800 in the query", b'{"v":1,"method":"search","params":{"query":"\\ud800"}}', "any"),
              ("NUL after the object", b'{"v":1,"method":"ping"}\0', "any")]
    return cases


class Attack:
    """The hostile clients, each on threads of its own, all stopping at `deadline`."""

    def __init__(self, sock_path, deadline, slow_readers, pool_frequent, phrase):
        self.sock_path, self.deadline = sock_path, deadline
        self.slow_readers = slow_readers
        self.extreme = {}          # label -> [attempts, good, last bad answer]
        self.extreme_codes = collections.Counter()
        self.expensive = {}        # label -> [count, {code: n}, max seconds]
        self.slow = []             # (requests sent, blocked)
        self.idle = {"held to the end": 0, "closed by the daemon (evicted)": 0, "answered busy": 0, "refused": 0}
        self.fresh = collections.Counter()
        self.fresh_latencies = []  # seconds from connect to the ping's answer, answered ones
        self.fresh_bad = []        # (seconds after the attack's start, what happened)
        self.flood = [None, None]  # when the idle connections were opened (first, last)
        self.frequent = pool_frequent
        self.phrase = phrase
        self.threads = []

    def start(self):
        jobs = [self.extreme_parameters, self.fresh_connections]
        jobs += [lambda k=k: self.expensive_queries(k) for k in range(2)]
        jobs += [lambda k=k: self.slow_reader(k) for k in range(self.slow_readers)]
        for job in jobs:
            self.threads.append(threading.Thread(target=job, daemon=True))
            self.threads[-1].start()
        time.sleep(1)  # the others connect first; then the flood fills the slots and evicts
        self.threads.append(threading.Thread(target=self.idle_connections, daemon=True))
        self.threads[-1].start()

    def join(self):
        for thread in self.threads:
            thread.join(timeout=max(1.0, self.deadline + 40 - time.time()))

    def connect(self, timeout):
        while time.time() < self.deadline:
            try:
                return Client(self.sock_path, timeout)
            except OSError:
                time.sleep(0.2)
        return None

    def extreme_parameters(self):
        cases = extreme_cases()
        client = self.connect(15)
        while client and time.time() < self.deadline:
            for label, line, expect in cases:
                if time.time() >= self.deadline:
                    break
                row = self.extreme.setdefault(label, [0, 0, ""])
                row[0] += 1
                note("extreme parameters", label)
                try:
                    client.send(line)
                    response = client.receive()
                    self.extreme_codes["ok" if response.get("ok") else response.get("error", {}).get("code", "?")] += 1
                    good = expect == "any" or response.get("ok") is False
                    if not good:
                        row[2] = json.dumps(response, ensure_ascii=False)[:120]
                    elif response.get("error", {}).get("code") == "busy":
                        good, row[2] = False, "busy (not tested)"
                    row[1] += good
                except (OSError, ValueError) as error:
                    row[2] = f"no response: {type(error).__name__} {error}"
                    client.close()
                    client = self.connect(15)
                    if client is None:
                        return
                time.sleep(0.01)
        if client:
            client.close()

    def expensive_queries(self, k):
        frequent = self.frequent
        queries = [
            ("的 × 500", {"query": "的" * 500}),
            ("的 一 是 在 不 了 有 和, repeated", {"query": ("的 一 是 在 不 了 有 和 " * 70)[:999].strip()}),
            ("300 OR terms (over the 1,000-character cap)", {"query": " OR ".join(frequent[:300])}),
            ("199 OR terms", {"query": " OR ".join(frequent[:199])}),
            ("a 900-character phrase from the corpus", {"query": '"' + self.phrase + '"'}),
            ('"的" × 998 as a phrase', {"query": '"' + "的" * 998 + '"'}),
            ("100 frequent characters AND-ed", {"query": " ".join(frequent[:100])}),
            ("的, 1,000 hits with snippets", {"query": "的", "limit": 1000}),
            ("的 sorted by date, offset 99,000", {"query": "的", "sort": "date", "limit": 1000, "offset": 99_000}),
            ("prefix 的*", {"query": "的*", "limit": 1000, "snippets": False}),
            ("的 -一 -是 -在", {"query": "的 -一 -是 -在", "limit": 1000}),
            ("path:/ (every document), offset 100,000", {"query": "path:/", "limit": 1000, "offset": 100_000}),
        ]
        client = self.connect(40)
        i = k * 5
        while client and time.time() < self.deadline:
            label, params = queries[i % len(queries)]
            i += 1
            row = self.expensive.setdefault(label, [0, collections.Counter(), 0.0])
            note("expensive query", label)
            start = time.time()
            try:
                response = client.request("search", params)
                code = "ok" if response.get("ok") else response.get("error", {}).get("code", "?")
            except (OSError, ValueError) as error:
                code = f"no response ({type(error).__name__})"
                client.close()
                client = self.connect(40)
            row[0] += 1
            row[1][code] += 1
            row[2] = max(row[2], time.time() - start)
        if client:
            client.close()

    def slow_reader(self, k):
        """Sends searches until the daemon stops reading, never reads an answer; holds on."""
        client = self.connect(5)
        if client is None:
            return
        line = json.dumps({"v": 1, "method": "search", "params": {"query": self.frequent[k % 20] + self.frequent[k % 7], "limit": 200}},
                          ensure_ascii=False).encode() + b"\n"
        sent, blocked, pending = 0, False, b""
        client.sock.setblocking(False)
        note("slow reader", f"#{k} starts sending")
        while time.time() < self.deadline and (pending or sent < 20_000):
            _, writable, _ = select.select([], [client.sock], [], 1.0)
            if not writable:
                blocked = True
                break
            if not pending:
                pending, sent = line, sent + 1
            try:
                pending = pending[client.sock.send(pending):]
            except BlockingIOError:
                continue
            except OSError:
                break
        self.slow.append((sent, blocked))
        while time.time() < self.deadline:
            time.sleep(0.2)
        client.close()

    def idle_connections(self):
        socks = []
        self.flood = [time.time(), None]
        for _ in range(IDLE_CONNECTIONS):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            try:
                s.connect(self.sock_path)
                socks.append(s)
            except OSError:
                self.idle["refused"] += 1
                s.close()
        self.flood[1] = time.time()
        note("idle connections", f"{len(socks)} connected, sending nothing")
        while time.time() < self.deadline:
            time.sleep(0.2)
        for s in socks:
            s.setblocking(False)
            try:
                data = s.recv(4096)
                key = "answered busy" if b'"busy"' in data else "closed by the daemon (evicted)" if not data else "held to the end"
            except BlockingIOError:
                key = "held to the end"
            except OSError:
                key = "closed by the daemon (evicted)"
            self.idle[key] += 1
            s.close()

    def fresh_connections(self):
        """A new connection and a ping every second; answered means `ok` within 5 s."""
        began = time.time()
        while time.time() < self.deadline:
            start = time.time()
            note("fresh connection", "connect + ping")
            try:
                client = Client(self.sock_path, 5)
                try:
                    response = client.request("ping")
                    outcome = "answered ok" if response.get("ok") else response.get("error", {}).get("code", "?")
                finally:
                    client.close()
            except socket.timeout:
                outcome = "no answer within 5 s"
            except ConnectionRefusedError:
                outcome = "connection refused"
            except ConnectionError as error:
                outcome = f"closed without an answer ({type(error).__name__})"
            except (OSError, ValueError) as error:
                outcome = f"failed ({type(error).__name__}: {error})"
            self.fresh[outcome] += 1
            if outcome == "answered ok":
                self.fresh_latencies.append(time.time() - start)
            else:
                self.fresh_bad.append((start - began, outcome))
            time.sleep(max(0.0, 1.0 - (time.time() - start)))


class IdleWatch(threading.Thread):
    """Polls status from the daemon's start, to see when indexing first ends (during the attack)."""

    def __init__(self, daemon, deadline):
        super().__init__(daemon=True)
        self.d, self.deadline = daemon, deadline
        self.first_idle = None
        self.start()

    def run(self):
        client = None
        while self.first_idle is None and time.time() < self.deadline and self.d.alive():
            try:
                client = client or Client(self.d.socket, 10)
                status = client.call("status")
                if status.get("state") == "idle" and status.get("pending") == 0:
                    self.first_idle = time.time() - self.d.started
            except (OSError, ValueError, RuntimeError):
                if client:
                    client.close()
                client = None
            time.sleep(0.25)
        if client:
            client.close()


# ---------------------------------------------------------------- checking the index

def wait_idle(daemon, deadline):
    """(seconds from start to idle or None, last status or None)."""
    client, status = None, None
    while time.time() < deadline and daemon.alive():
        try:
            client = client or Client(daemon.socket, 10)
            status = client.call("status")
            if status.get("state") == "idle" and status.get("pending") == 0:
                client.close()
                return time.time() - daemon.started, status
        except (OSError, ValueError, RuntimeError):
            if client:
                client.close()
            client = None
        time.sleep(0.5)
    if client:
        client.close()
    return None, status


def error_list(sock_path, status):
    """({path: message} of every indexing error, read with the `errors` method in pages of
    1,000, how it was read)."""
    errors, offset, pages, total = {}, 0, 0, None
    client = Client(sock_path, 60)
    try:
        while offset <= 1_000_000:
            result = client.call("errors", {"limit": 1000, "offset": offset})
            total, page = result["total"], result["errors"]
            pages += 1
            for error in page:
                errors.setdefault(error["path"], error["message"])
            offset += len(page)
            if not page or offset >= total:
                break
    finally:
        client.close()
    how = (f"the `errors` method: total {total}, {offset} listed in {pages} page{'s' if pages != 1 else ''} of up to 1,000"
           f" ({len(errors)} distinct paths); `status` counted {status.get('errors', '?')}")
    return errors, how


def show_all(sock_path, paths):
    """{path: ('indexed', result) | ('missing', '') | ('error', text)} over one connection."""
    out, client = {}, None
    for path in paths:
        try:
            client = client or Client(sock_path, 120)
            response = client.request("show", {"path": path})
        except (OSError, ValueError) as error:
            out[path] = ("error", f"{type(error).__name__}: {error}")
            if client:
                client.close()
            client = None
            continue
        if response.get("ok"):
            result = response["result"]
            # Only the body's length is kept: a novel's body is millions of characters.
            result["bodyChars"] = len(result["body"]) if result.get("body") is not None else None
            result["body"] = None
            out[path] = ("indexed", result)
        elif response.get("error", {}).get("code") == "not_found":
            out[path] = ("missing", "")
        else:
            out[path] = ("error", f"{response.get('error')}")
    if client:
        client.close()
    return out


# ---------------------------------------------------------------- main

def machine():
    """nproc, memory, CPU model and kernel, for the report."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory, model = "?", ""
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(line.split()[1]) for line in f if line.startswith("MemTotal:"))
            memory = f"{kb / (1 << 20):.1f} GiB"
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except (OSError, StopIteration, ValueError):
        pass
    return f"nproc {cpus}{' (' + model + ')' if model else ''}, {memory} of memory, Linux {os.uname().release}"


def binary_note(binary):
    """The build of the binary (debug or release, from its path), when it was built, the
    repository's HEAD, and a warning when a source file is newer than the binary."""
    try:
        built = os.path.getmtime(binary)
    except OSError:
        return ""
    kind = next((k for k in ("release", "debug") if k in os.path.realpath(binary)), "")
    note = f" ({kind + ' build, ' if kind else ''}built {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(built))} UTC"
    try:
        head = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %cd", "--date=format-local:%H:%M"],
                              capture_output=True, text=True, timeout=10, env={**os.environ, "TZ": "UTC"}).stdout.strip()
        if head:
            note += f"; repository HEAD {head} UTC"
    except (OSError, subprocess.SubprocessError):
        pass
    newest = max(((os.path.getmtime(os.path.join(d, f)), os.path.join(d, f)) for d, _, files in os.walk(os.path.join(REPO, "Sources"))
                  for f in files if f.endswith((".swift", ".c", ".h"))), default=None)
    if newest and newest[0] > built:
        note += (f"; **the binary is older than the sources**: {os.path.relpath(newest[1], REPO)} changed "
                 f"{time.strftime('%H:%M:%S', time.gmtime(newest[0]))} UTC")
    return note + ")"


def find_binaries(option):
    for folder in ([option] if option else [os.path.join(REPO, ".build", "release"), os.path.join(REPO, ".build", "debug")]):
        if os.access(os.path.join(folder, "jiansuod"), os.X_OK):
            return os.path.abspath(folder)
    sys.exit(f"no jiansuod in {option or '.build/release or .build/debug'}; build first or pass --bin DIR")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--bin", help="folder of jiansuod (default .build/release, else .build/debug)")
    parser.add_argument("--out", help="markdown report (default: bench/HOSTILE.md for medium, none for small)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (files, index, daemon.log)")
    parser.add_argument("--attack", type=float, help="seconds of hostile clients (small 20, medium 60)")
    parser.add_argument("--idle-timeout", type=float, help="seconds from the daemon's start to idle (small 75, medium 400)")
    parser.add_argument("--novels", type=int, help="plain-text novels of 12–16 MB in a third root (small 2, medium 30)")
    parser.add_argument("--timing-as-figures", action="store_true",
                        help="report the timing and memory targets (search p99, peak RSS) as figures, not as checks "
                             "(CI: tests check behaviour, benches measure speed)")
    args = parser.parse_args()
    if args.novels is not None and args.novels < 0:
        parser.error("--novels must be 0 or more")
    p = dict(SIZES[args.size])
    attack_s = args.attack or p["attack"]
    idle_timeout = args.idle_timeout or p["idle_timeout"]
    out_path = args.out or (os.path.join(REPO, "bench", "HOSTILE.md") if args.size == "medium" else None)
    bin_dir = find_binaries(args.bin)
    binary = os.path.join(bin_dir, "jiansuod")
    began = time.time()
    work = tempfile.mkdtemp(prefix="jiansuo-hostile-")
    log(f"work folder {work}")
    try:
        return run(args, p, attack_s, idle_timeout, out_path, binary, work, began)
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args, p, attack_s, idle_timeout, out_path, binary, work, began):
    command = "bench/hostile" + "".join(" " + shlex.quote(a) for a in sys.argv[1:])
    # 1. The files.
    novel_count = p["novels"] if args.novels is None else args.novels
    log(f"[{args.size}] normal corpus")
    normal_root, titles, corpus_how = normal_corpus(work, args.size)
    normal_root = os.path.realpath(normal_root)
    normal = normal_files(normal_root)
    pool = han_pool(normal_root, titles)
    log(f"[{args.size}] pathological files")
    hostile_root = os.path.realpath(os.path.join(work, "hostile"))
    os.makedirs(hostile_root)
    entries = hostile_files(hostile_root, p, pool)
    hostile_bytes = sum(e.size for e in entries)
    log(f"[{args.size}] {novel_count} novels of 12–16 MB")
    novels_began = time.time()
    novel_root = os.path.realpath(os.path.join(work, "novels"))
    novels = write_novels(novel_root, novel_count, corpus_paragraphs(normal_root), titles)
    novel_bytes = sum(n.size for n in novels)
    novels_s = time.time() - novels_began
    generated_s = time.time() - began
    frequent = [c for c, _ in collections.Counter(pool).most_common(300)]
    rnd = random.Random(5)
    start = rnd.randrange(max(1, len(pool) - 900))
    phrase = pool[start:start + 900]
    queries = [t for t in titles if 4 <= len(t) <= 30 and '"' not in t] or titles or ["知识产权"]
    queries = rnd.sample(queries, min(200, len(queries)))

    # 2. The daemon, the well-behaved client and the attack.
    log(f"[{args.size}] starting {binary}: {len(normal)} normal files, {len(entries)} pathological entries ({mb(hostile_bytes)}), "
        f"{len(novels)} novels ({mb(novel_bytes)})")
    daemon = Daemon(binary, [normal_root, hostile_root, novel_root], work)
    up = daemon.wait_ping(30)
    context = multiprocessing.get_context("fork")
    stop_probe = context.Event()
    receiver, sender = context.Pipe(duplex=False)
    probe_deadline = daemon.started + idle_timeout + 5
    prober = context.Process(target=probe, args=(daemon.socket, queries, stop_probe, probe_deadline, daemon.started, sender), daemon=True)
    attack = Attack(daemon.socket, time.time() + attack_s, p["slow_readers"], frequent, phrase)
    attack_window = (time.time() - daemon.started, time.time() - daemon.started + attack_s)
    watch = None
    if up:
        prober.start()
        watch = IdleWatch(daemon, daemon.started + idle_timeout)
        log(f"[{args.size}] attacking for {attack_s:.0f} s while it indexes")
        attack.start()
        attack.join()
        log(f"[{args.size}] attack over; waiting for idle (until {idle_timeout:.0f} s after start)")
        idle_s, status = wait_idle(daemon, daemon.started + idle_timeout)
    else:
        idle_s, status = None, None
    run_end = time.time() - daemon.started
    if idle_s is not None:
        time.sleep(3)  # a baseline: cheap searches on the idle daemon (reported, not checked)
    stop_probe.set()
    samples, failures = (receiver.recv() if up and receiver.poll(30) else ([], ["the probe sent nothing"] if up else []))
    if up:
        prober.join(10)
    latencies = [latency for t, latency, _ in samples if t < run_end]
    first_idle = watch.first_idle if watch else None
    if first_idle is None:
        first_idle = idle_s
    daemon.read_rss()
    rss_before_checks = daemon.peak_rss_mb
    log(f"[{args.size}] peak RSS so far {rss_before_checks:.0f} MB; "
        + (f"first idle {first_idle:.1f} s after start" if first_idle is not None else "not idle"))

    # 3. The files, checked while the daemon still runs.
    alive_after = daemon.alive()
    peer_pid = None
    shows, errors, errors_how = {}, {}, "the daemon is not running"
    loop_hits = None
    final_status = None
    novel_paths = [protocol_path(os.path.join(os.fsencode(novel_root), os.fsencode(n.name))) for n in novels]
    checks_began = time.time()
    if alive_after:
        log(f"[{args.size}] checking {len(normal)} normal, {len(entries)} pathological and {len(novels)} novel paths with show")
        try:
            client = Client(daemon.socket, 30)
            peer_pid = client.peer_pid()
            status = final_status = client.call("status")
            hits = client.call("search", {"query": "环路内部标记词", "limit": 100, "snippets": False})
            loop_hits = [h["path"] for h in hits["hits"]]
            client.close()
            errors, errors_how = error_list(daemon.socket, status)
        except (OSError, ValueError, RuntimeError) as error:
            errors_how = f"status or errors failed: {error}"
        shows = show_all(daemon.socket, normal + [protocol_path(os.path.join(os.fsencode(hostile_root), e.name)) for e in entries]
                         + novel_paths)
        alive_after = daemon.alive()
    checks_s = time.time() - checks_began
    daemon.read_rss()
    stayed_up = up and alive_after and peer_pid == daemon.pid
    how_ended = daemon.how_it_ended()
    died_at = (daemon.exited_at - daemon.started) if daemon.exited_at else None
    stop_s = daemon.stop()
    normal_found = sum(1 for path in normal if shows.get(path, ("?",))[0] == "indexed")
    for novel, path in zip(novels, novel_paths):
        state, result = shows.get(path, ("unknown", ""))
        if state == "indexed":
            novel.outcome = "indexed" + (" + reported" if path in errors else "")
            novel.detail = f"title '{shown(result['title'][:40])}', {result['bodyChars'] or 0:,} characters of text"
        elif path in errors:
            novel.outcome, novel.detail = "reported, not indexed", errors[path]
        elif state == "missing":
            novel.outcome, novel.detail = "MISSING", "neither indexed nor in the errors"
        else:
            novel.outcome = "unknown"
            novel.detail = result if state == "error" else "not checked (the daemon is not running)"
    novels_found = sum(1 for n in novels if n.outcome.startswith("indexed"))

    # 4. The outcome of each file.
    for entry in entries:
        path = protocol_path(os.path.join(os.fsencode(hostile_root), entry.name))
        state, result = shows.get(path, ("unknown", ""))
        if path in errors:
            entry.outcome, entry.detail = "reported", errors[path]
            if state == "indexed":
                entry.outcome = "indexed + reported"
        elif state == "indexed":
            entry.outcome = "indexed"
            entry.detail = f"{result['format']}, {result['encoding']}, title '{shown(result['title'][:40])}'"
            if result["bodyChars"] is not None:
                entry.detail += f", {result['bodyChars']:,} characters of text"
        elif state == "missing":
            entry.outcome = "skipped" if entry.expect == "skipped" else "MISSING"
            entry.detail = "neither indexed nor in the errors"
        else:
            entry.outcome = "unknown"
            entry.detail = result if state == "error" else "not checked (the daemon is not running)"
        if entry.name.endswith(b"inside-dir-symlink-loop.txt") and loop_hits is not None and len(loop_hits) != 1:
            entry.outcome = f"found {len(loop_hits)} times"
            entry.detail = "by its unique word: " + ", ".join(loop_hits[:3])
    bad_entries = [e for e in entries if not (
        (e.expect == "either" and e.outcome in ("indexed", "reported", "indexed + reported"))
        or (e.expect == "reported" and e.outcome == "reported")
        or (e.expect == "skipped" and e.outcome in ("skipped", "reported")))]

    # 5. Checks.
    extreme_bad = {label: row for label, row in attack.extreme.items() if row[1] < row[0]}
    extreme_n = sum(row[0] for row in attack.extreme.values())
    expensive_n = sum(row[0] for row in attack.expensive.values())
    expensive_bad = {label: row for label, row in attack.expensive.items()
                     if set(row[1]) - {"ok", "timeout", "invalid_params"}}
    p99 = pct(latencies, .99)
    checks = []

    figures = []  # timing and memory targets reported, not checked (--timing-as-figures)

    def check(name, ok, value, target, timing=False):
        if timing and args.timing_as_figures:
            figures.append((name, bool(ok), value, target))
        else:
            checks.append((name, bool(ok), value, target))

    if stayed_up:
        value = f"pid {daemon.pid}, up {time.time() - daemon.started:.0f} s until stopped"
    elif not up:
        value = f"never answered ping within 30 s: {how_ended}"
    else:
        value = f"pid {daemon.pid} {how_ended}" + (f" {died_at:.1f} s after start" if died_at else "")
        if peer_pid and peer_pid != daemon.pid:
            value += f"; the socket is answered by pid {peer_pid}"
    check("daemon stayed up", stayed_up, value, "same pid, never exited")
    check("extreme parameters answered with errors", up and extreme_n and not extreme_bad,
          f"{extreme_n} requests, {len(attack.extreme)} kinds; {len(extreme_bad)} kinds answered wrongly or not at all",
          "one error line each (`ok: false`)")
    check("expensive queries answered", up and expensive_n and not expensive_bad,
          f"{expensive_n} queries; longest {max((r[2] for r in attack.expensive.values()), default=0):.1f} s; "
          f"{len(expensive_bad)} kinds with other answers", "an answer, `timeout` or `invalid_params`")
    check("cheap search p99 during the run", latencies and p99 <= P99_TARGET_S,
          f"{ms(p99)} (p50 {ms(pct(latencies, .5))}, max {ms(max(latencies) if latencies else float('nan'))}, {len(latencies)} searches)",
          f"≤ {P99_TARGET_S * 1000:.0f} ms", timing=True)
    check("cheap searches all answered ok", latencies and not failures, f"{len(failures)} failures, {len(latencies)} answers", "0 failures")
    fresh_n = sum(attack.fresh.values())
    fresh_ok = attack.fresh["answered ok"]
    fresh_rate = fresh_ok / fresh_n if fresh_n else 0.0
    check("fresh connections during the attack answered", up and fresh_n and fresh_rate >= FRESH_TARGET,
          f"{fresh_ok} of {fresh_n} ({fresh_rate:.0%})"
          + (f"; ping p50 {ms(pct(attack.fresh_latencies, .5))}, max {ms(max(attack.fresh_latencies))}" if attack.fresh_latencies else "")
          + "".join(f"; {shown(k)} × {v}" for k, v in attack.fresh.most_common() if k != "answered ok"),
          f"≥ {FRESH_TARGET:.0%} answered `ok` within 5 s (not `busy`, not closed)")
    check("peak RSS (whole run)", daemon.peak_rss_mb and daemon.peak_rss_mb <= RSS_TARGET_MB,
          f"{daemon.peak_rss_mb:.0f} MB (VmHWM; {rss_before_checks:.0f} MB before the show checks)", f"≤ {RSS_TARGET_MB} MB",
          timing=True)
    if idle_s is not None:
        idle_value = f"first idle {first_idle:.1f} s after start"
    elif not up or daemon.exited_at and daemon.exited_at - daemon.started < idle_timeout:
        idle_value = "the daemon died before it was idle"
    else:
        idle_value = (f"not idle {idle_timeout:.0f} s after start (last state: {(status or {}).get('state', 'none')}, "
                      f"pending {(status or {}).get('pending', '?')})")
    check("idle after indexing", idle_s is not None, idle_value,
          f"≤ {idle_timeout:.0f} s")
    check("every normal file indexed", alive_after and normal_found == len(normal),
          f"{normal_found} of {len(normal)} found with show", f"{len(normal)}")
    check("every novel indexed", alive_after and novels_found == len(novels),
          f"{novels_found} of {len(novels)} found with show ({mb(novel_bytes)})", f"{len(novels)}")
    check("every pathological file indexed or reported", alive_after and not bad_entries,
          f"{len(entries) - len(bad_entries)} of {len(entries)} as expected",
          "indexed, or in the errors with a reason; FIFOs and symlinks not indexed")
    passed = sum(1 for c in checks if c[1])

    # 6. The report.
    end_of_indexing = first_idle if first_idle is not None else float("inf")
    lines = []
    out = lines.append
    total_s = time.time() - began
    out(f"# Hostile inputs: {args.size} ({time.strftime('%Y-%m-%d %H:%M %Z')})")
    out("")
    out(f"**Peak RSS (VmHWM) for the whole run: {daemon.peak_rss_mb:.0f} MB** (target ≤ {RSS_TARGET_MB} MB; "
        f"{rss_before_checks:.0f} MB before the show checks). "
        + (f"**Time to idle: {first_idle:.1f} s** after the daemon's start." if first_idle is not None else "**The daemon never went idle.**"))
    out("")
    out(f"- Date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}. Machine: {machine()}.")
    out(f"- Command: `{command}`; daemon `{binary}`{binary_note(binary)}.")
    out(f"- Normal corpus: {corpus_how}, {len(normal)} files. Pathological: {len(entries)} entries, {mb(hostile_bytes)}. "
        f"Novels: {len(novels)} plain-text files, {mb(novel_bytes)} "
        + (f"({mb(min(n.size for n in novels))} to {mb(max(n.size for n in novels))}; written in {novels_s:.0f} s). " if novels else ". ")
        + f"Generated in {generated_s:.0f} s in all.")
    out(f"- Hostile clients for {attack_s:.0f} s from the daemon's start; the cheap-search probe until idle. "
        f"Config: `follow_symlinks: true`, other settings default (max_file_size 16 MiB, search_timeout_ms 10000, "
        f"indexing_memory_mb 128, extraction_timeout_ms 10000).")
    if not stayed_up:
        ended = how_ended
    elif stop_s is None:
        ended = "did not stop within 30 s of SIGTERM and was killed"
    else:
        ended = f"stopped on SIGTERM in {stop_s:.1f} s"
    out(f"- Total time {total_s:.0f} s (checking every file with show: {checks_s:.0f} s); the daemon {ended}.")
    out("")
    out("## Checks")
    out("")
    out("| check | result | value | target |")
    out("|---|---|---|---|")
    for name, ok, value, target in checks:
        out(f"| {name} | {'pass' if ok else '**FAIL**'} | {value} | {target} |")
    for name, ok, value, target in figures:
        out(f"| {name} (figure, not checked) | {'within target' if ok else '**over target**'} | {value} | {target} |")
    out("")
    if not stayed_up and up:
        out("## The crash")
        out("")
        out(f"jiansuod {how_ended}" + (f", {died_at:.1f} s after it started." if died_at else "."))
        if daemon.exited_at:
            recent = [(t, c, w) for t, c, w in RECENT if daemon.exited_at - 2 <= t <= daemon.exited_at]
            out("Requests sent by the hostile clients in the 2 s before the exit was seen: "
                + ("; ".join(f"{c}: {shown(w)} ({t - daemon.exited_at:+.2f} s)" for t, c, w in recent[-12:]) or "none") + ".")
        out("")
        out(f"From the daemon's log ({daemon.log_path}{'' if args.keep else ', removed without --keep'}):")
        out("")
        out("```")
        lines.extend(daemon.log_excerpt())
        out("```")
        out("")
    if daemon.rss:
        out("## Memory")
        out("")
        out(f"VmHWM (the kernel's high-water mark of the resident set) was {daemon.peak_rss_mb:.0f} MB at the end of the run and "
            f"{rss_before_checks:.0f} MB before the show checks. VmRSS sampled every 0.1 s, highest in each phase:")
        out("")
        out("| phase | samples | highest VmRSS | at |")
        out("|---|---:|---:|---:|")
        for label, low, high in (("the attack", attack_window[0], attack_window[1]),
                                 ("after the attack, until the first idle", attack_window[1], end_of_indexing),
                                 ("idle, until the show checks", end_of_indexing, checks_began - daemon.started),
                                 ("the show checks", checks_began - daemon.started, float("inf"))):
            xs = [(r, t) for t, r in daemon.rss if low <= t < high]
            if xs:
                r, t = max(xs)
                out(f"| {label} | {len(xs)} | {r:.0f} MB | {t:.1f} s |")
        out("")
    out("## Cheap searches during the run (one client, every 50 ms, 10 hits with snippets)")
    out("")
    out("| when | searches | p50 | p99 | max |")
    out("|---|---:|---:|---:|---:|")
    for label, keep in (("during the attack", lambda t: attack_window[0] <= t < attack_window[1]),
                        ("while indexing (before the first idle status)", lambda t: t < end_of_indexing),
                        ("after the attack's deadline, still indexing", lambda t: attack_window[1] <= t < min(end_of_indexing, run_end)),
                        ("after the attack's deadline, idle", lambda t: max(attack_window[1], end_of_indexing) <= t < run_end),
                        ("**the run (checked)**", lambda t: t < run_end),
                        ("baseline: 3 s on the idle daemon after the run (not checked)", lambda t: t >= run_end)):
        xs = [latency for t, latency, _ in samples if keep(t)]
        if xs:
            out(f"| {label} | {len(xs)} | {ms(pct(xs, .5))} | {ms(pct(xs, .99))} | {ms(max(xs))} |")
    slowest = sorted((sample for sample in samples if sample[0] < run_end), key=lambda sample: -sample[1])[:5]
    if slowest:
        out("")
        out("Slowest: " + "; ".join(f"{ms(latency)} at {t:.1f} s ({shown(query)})" for t, latency, query in slowest)
            + f". The attack ran from {attack_window[0]:.1f} s to {attack_window[1]:.1f} s after the daemon's start "
            + "(requests in flight then are still answered after it); "
            + (f"indexing first went idle at {first_idle:.1f} s." if first_idle is not None else "indexing never went idle."))
    if failures:
        kinds = collections.Counter(re.sub(r"^@[0-9.]+ ('.*?': )?", "", f) for f in failures)
        when = [f.split(" ", 1)[0][1:] + " s" for f in failures if f.startswith("@")]
        out("")
        out("Failures: " + "; ".join(f"{shown(k)} × {n}" for k, n in kinds.most_common(8))
            + (f" (at {', '.join(when[:10])} after the daemon's start" if when else "")
            + (f"; the {IDLE_CONNECTIONS} idle connections were opened from {attack.flood[0] - daemon.started:.3f} s "
               f"to {attack.flood[1] - daemon.started:.3f} s" if when and attack.flood[1] else "")
            + (")" if when else "") + ".")
    out("")
    out("## Hostile clients")
    out("")
    out("| client | result |")
    out("|---|---|")
    out(f"| extreme parameters ({len(attack.extreme)} kinds, {extreme_n} requests, one connection) | "
        + (f"{len(extreme_bad)} kinds answered wrongly: " + "; ".join(f"{shown(label)}: {row[0] - row[1]} of {row[0]} ({shown(row[2])})"
                                                                    for label, row in list(extreme_bad.items())[:12])
           if extreme_bad else "every request got one JSON line, `ok: false` for each invalid value")
        + "; answers: " + ", ".join(f"{code} × {n}" for code, n in attack.extreme_codes.most_common()) + " |")
    for label, row in attack.expensive.items():
        out(f"| expensive query: {shown(label)} | {row[0]} sent; " + ", ".join(f"{k} × {n}" for k, n in row[1].most_common()) + f"; longest {row[2]:.2f} s |")
    sent = ", ".join(f"{n}{' (then blocked)' if b else ''}" for n, b in attack.slow)
    out(f"| slow readers ({p['slow_readers']} connections, never read) | requests sent before the daemon stopped reading: {sent or 'none'} |")
    out(f"| {IDLE_CONNECTIONS} connections that never send | " + ", ".join(f"{k} {v}" for k, v in attack.idle.items()) + " |")
    out(f"| a new connection + ping every second | " + (", ".join(f"{shown(k)} × {v}" for k, v in attack.fresh.most_common()) or "none")
        + (f"; ping answered in p50 {ms(pct(attack.fresh_latencies, .5))}, p99 {ms(pct(attack.fresh_latencies, .99))}, "
           f"max {ms(max(attack.fresh_latencies))}" if attack.fresh_latencies else "")
        + ("; not answered at " + ", ".join(f"{t:.0f} s ({shown(w)})" for t, w in attack.fresh_bad[:10]) if attack.fresh_bad else "")
        + " |")
    out("")
    out("## Pathological files")
    out("")
    out(f"Errors: {errors_how}.")
    out("")
    out("| file | size | what | expected | outcome | detail |")
    out("|---|---:|---|---|---|---|")
    expected = {"either": "indexed or reported", "reported": "reported", "skipped": "not indexed"}
    for e in entries:
        outcome = e.outcome if e not in bad_entries else f"**{e.outcome}**"
        out(f"| `{shown(e.name)}` | {mb(e.size) if e.size else '–'} | {shown(e.what)}{' (extra)' if e.extra else ''} | "
            f"{expected[e.expect]} | {outcome} | {shown(e.detail)[:160]} |")
    missing_normal = [path for path in normal if shows.get(path, ("?",))[0] != "indexed"]
    if alive_after and missing_normal:
        out("")
        out(f"Normal files not found with show ({len(missing_normal)}): "
            + ", ".join(f"`{shown(m)}`" + (f" ({shown(errors[m])[:120]})" if m in errors else "") for m in missing_normal[:10]) + ".")
    hostile_prefix = protocol_path(os.fsencode(hostile_root) + b"/")
    other_errors = [(path, message) for path, message in errors.items() if not path.startswith(hostile_prefix)]
    if other_errors:
        out("")
        out(f"Errors outside the pathological folder ({len(other_errors)}): "
            + "; ".join(f"`{shown(path)}`: {shown(message)[:120]}" for path, message in other_errors[:10]) + ".")
    out("")
    out("## Novels")
    out("")
    out(f"{len(novels)} plain-text files in `novels/`, {mb(novel_bytes)} in all, indexed beside the normal corpus and the "
        "pathological files while the attack ran. Each is the normal corpus's bodies concatenated (paragraphs separated "
        "by blank lines, the first line a title), starting at a different document.")
    out("")
    if novels:
        out("| novel | size | outcome | detail |")
        out("|---|---:|---|---|")
        for n in novels:
            outcome = n.outcome if n.outcome.startswith("indexed") else f"**{n.outcome}**"
            out(f"| `{n.name}` | {n.size:,} B | {outcome} | {shown(n.detail)[:160]} |")
        out("")
    out("## Status at the end")
    out("")
    if final_status:
        st = final_status
        out("| field | value |")
        out("|---|---|")
        for key in ("state", "documents", "pending", "errors", "quarantined", "unreadableDirectoryCount",
                    "watchedDirectories", "unwatchedDirectories", "overflows", "extractions"):
            out(f"| `{key}` | {shown(json.dumps(st.get(key, '(absent)'), ensure_ascii=False))} |")
        out(f"| `unreadableDirectories` | " + (", ".join(f"`{shown(d.get('path', ''))}`: {shown(d.get('message', ''))}"
                                                    for d in st.get("unreadableDirectories") or []) or "none") + " |")
        out(f"| `missingRoots` | {shown(json.dumps(st.get('missingRoots', '(absent)'), ensure_ascii=False))} |")
        out(f"| `lastReconcile` | {shown(json.dumps(st.get('lastReconcile', '(absent)'), ensure_ascii=False))} |")
        out(f"| `damage` | {shown(json.dumps(st['damage'], ensure_ascii=False)) if 'damage' in st else 'absent (not damaged)'} |")
    else:
        out("No status: the daemon was not running.")
    out("")
    out(f"{passed} passed, {len(checks) - passed} failed")
    report = "\n".join(lines) + "\n"
    sys.stdout.write(report)
    sys.stdout.flush()
    if out_path:
        with open(out_path, "w", encoding="utf-8") as f:
            f.write(report)
        log(f"written to {out_path}")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
