#!/usr/bin/env python3
"""Tantivy as a bench/run peer: the same per-character tokens Jiansuo indexes, in-process.

bench/run fetches the extracted text (title and body) of every document from the daemon with
`show` and hands it here with the sampled queries. A worker process (this file run as a
script, so that its peak RSS is Tantivy's and not bench/run's) then:

  - tokenizes the text in Python the way Jiansuo's index does: NFKC with case folding, each Han
    character a token, each run of letters and each run of digits a token (Jiansuo cuts runs of
    letters and digits where letters and digits meet: `iPhone15` → `iphone`, `15`); spaces,
    punctuation and symbols are dropped;
  - indexes the space-joined tokens with Tantivy's `whitespace` tokenizer (fields title and body,
    positions kept; the path stored), 2 writer threads, and times that build (add_document of
    every document, commit, waiting for merges) apart from the Python tokenization;
  - runs each query once for recall (every match, untimed, which also warms the index), then
    once timed: the query tokenized, a phrase query of its tokens per field (title OR body; a
    query of several space-separated terms is the AND of each term's), the top 10 by BM25 with
    an exact count (`searcher.search(query, 10, count=True)`) and their stored paths. No
    snippets.

Tantivy comes from PyPI (TANTIVY_REQUIREMENT): when it is not importable, `pip install --target`
puts it in WORK/python-packages.
"""
import json
import os
import re
import subprocess
import sys
import time
import unicodedata

TANTIVY_REQUIREMENT = "tantivy==0.27.*"
HEAP_BYTES = 256_000_000
THREADS = 2

HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
TOKEN = re.compile(f"[{HAN}]|[^\\W\\d_{HAN}]+|\\d+")


def tokens(text):
    """Jiansuo's per-character tokens of `text` (without its colocated words and subwords)."""
    return TOKEN.findall(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()))


def vm(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


# ---------------------------------------------------------------- bench/run's side

def packages_dir(work):
    return os.path.join(work, "python-packages")


def ensure_installed(work, log=lambda *a: None):
    """Makes `import tantivy` work for the worker (PYTHONPATH += WORK/python-packages), installing
    TANTIVY_REQUIREMENT with pip when needed. Returns the worker's environment; raises
    RuntimeError saying why when Tantivy cannot be had."""
    target = packages_dir(work)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([target] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    probe = [sys.executable, "-c", "import tantivy"]
    if subprocess.run(probe, env=env, capture_output=True).returncode == 0:
        return env
    log(f"[tantivy] installing {TANTIVY_REQUIREMENT} from PyPI into {target}")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              "--upgrade", "--target", target, TANTIVY_REQUIREMENT], capture_output=True, text=True)
    if install.returncode != 0:
        tail = " ".join((install.stderr or install.stdout).strip().splitlines()[-2:])
        raise RuntimeError(f"`pip install {TANTIVY_REQUIREMENT}` failed: {tail or 'no output'}")
    check = subprocess.run(probe, env=env, capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"tantivy installed but not importable: {check.stderr.strip().splitlines()[-1:]}")
    return env


def run(work, bodies, queries, log=lambda *a: None):
    """Builds a Tantivy index of `bodies` [(path, title, body)] under WORK and runs `queries`
    [(query, kind, class, expected paths or None)] in a worker process. Returns the worker's
    report (see worker()); raises RuntimeError when Tantivy cannot be installed or fails."""
    env = ensure_installed(work, log)
    folder = os.path.join(work, "tantivy")
    os.makedirs(folder, exist_ok=True)
    docs_path = os.path.join(folder, "docs.jsonl")
    queries_path = os.path.join(folder, "queries.json")
    report_path = os.path.join(folder, "report.json")
    with open(docs_path, "w", encoding="utf-8") as f:
        for path, title, body in bodies:
            f.write(json.dumps([path, title, body], ensure_ascii=False) + "\n")
    with open(queries_path, "w", encoding="utf-8") as f:
        json.dump([list(q) for q in queries], f, ensure_ascii=False)
    if os.path.exists(report_path):
        os.remove(report_path)
    worker_run = subprocess.run([sys.executable, os.path.abspath(__file__), docs_path, queries_path,
                                 os.path.join(folder, "index"), report_path], env=env, capture_output=True, text=True)
    if worker_run.returncode != 0 or not os.path.exists(report_path):
        tail = " ".join(worker_run.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"the Tantivy worker failed (exit {worker_run.returncode}): {tail}")
    with open(report_path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- the worker

def worker(docs_path, queries_path, index_dir, report_path):
    import shutil
    import tantivy

    with open(docs_path, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    with open(queries_path, encoding="utf-8") as f:
        queries = json.load(f)
    text_bytes = sum(len(title.encode()) + len(body.encode()) for _, title, body in docs)

    start = time.perf_counter()
    prepared = [(path, " ".join(tokens(title)), " ".join(tokens(body))) for path, title, body in docs]
    tokenize_s = time.perf_counter() - start
    token_count = sum(t.count(" ") + 1 for _, title, body in prepared for t in (title, body) if t)
    del docs
    rss_before = vm("VmRSS")

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("path", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("title", stored=False, tokenizer_name="whitespace")
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    schema = builder.build()
    shutil.rmtree(index_dir, ignore_errors=True)
    os.makedirs(index_dir)

    start = time.perf_counter()
    index = tantivy.Index(schema, path=index_dir)
    writer = index.writer(HEAP_BYTES, num_threads=THREADS)
    for path, title, body in prepared:
        writer.add_document(tantivy.Document(path=path, title=title, body=body))
    writer.commit()
    commit_s = time.perf_counter() - start
    writer.wait_merging_threads()
    build_s = time.perf_counter() - start
    peak_rss = vm("VmHWM")
    del prepared, writer
    index.reload()
    searcher = index.searcher()
    index_bytes = dir_bytes(index_dir)

    Must, Should = tantivy.Occur.Must, tantivy.Occur.Should

    def field_query(field, words):
        if len(words) == 1:
            return tantivy.Query.term_query(schema, field, words[0], index_option="position")
        return tantivy.Query.phrase_query(schema, field, words)

    def compile_query(text):
        """AND over the space-separated terms of (the term's tokens as a phrase in title OR body);
        None when no term has a token."""
        terms = [words for words in (tokens(term) for term in text.split()) if words]
        if not terms:
            return None
        clauses = [(Must, tantivy.Query.boolean_query([(Should, field_query("title", words)), (Should, field_query("body", words))]))
                   for words in terms]
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    results = []
    # Recall (every match; untimed).
    for text, kind, cls, expected in queries:
        query = compile_query(text)
        count = searcher.search(query, 1, count=True).count if query is not None else 0
        found = set()
        if count:
            found = {searcher.doc(address)["path"][0] for _, address in searcher.search(query, count, count=False).hits}
        results.append({"query": text, "kind": kind, "class": cls, "matches": count,
                        "expected": None if expected is None else len(expected),
                        "found": None if expected is None else sum(1 for p in expected if p in found)})
    # Latency: a results page of 10 paths and the exact count.
    for result, (text, _, _, _) in zip(results, queries):
        t = time.perf_counter()
        query = compile_query(text)
        if query is not None:
            page = searcher.search(query, 10, count=True)
            paths = [searcher.doc(address)["path"][0] for _, address in page.hits]
            count = page.count
        else:
            paths, count = [], 0
        result["seconds"] = time.perf_counter() - t
        assert count == result["matches"] and len(paths) == min(10, count)

    version = re.search(r"\d+\.\d+\.\d+", getattr(tantivy, "__version__", ""))
    report = {"version": version.group(0) if version else "?", "documents": searcher.num_docs,
              "segments": searcher.num_segments, "text_bytes": text_bytes, "tokens": token_count,
              "tokenize_s": tokenize_s, "commit_s": commit_s, "build_s": build_s, "heap_bytes": HEAP_BYTES, "threads": THREADS,
              "rss_before_mb": rss_before, "peak_rss_mb": peak_rss, "index_bytes": index_bytes, "queries": results}
    with open(report_path, "w", encoding="utf-8") as f:
        json.dump(report, f, ensure_ascii=False)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: tantivy_peer.py DOCS.jsonl QUERIES.json INDEX-DIR REPORT.json (run by bench/run)")
    worker(*sys.argv[1:])
