#!/usr/bin/env python3
"""Extraction over a whole corpus, through the real daemon.

Indexes a make-corpus folder with jiansuod and checks, for every document of the manifest:
- it is indexed (`show` finds it) and the daemon's document count equals the number of files;
- a `title:` search of its manifest title finds it;
- its extracted body holds no U+FFFD and no HTML markup: no more HTML element tags, comments or
  (for HTML sources) entities than make-queries' reference extraction of the same file has; the
  text itself may legitimately say "<style>" (written &lt;style&gt; in the source).
Prints the counts and up to five examples of each failure. Exit status 1 when any count is not 0.

Usage: bench/extraction [--size medium] [--work DIR] [--bin DIR]
"""
import argparse
import importlib.machinery
import importlib.util
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, REPO, log  # noqa: E402

# HTML elements only: the text itself may say "<email>" or "<codename>" (decoded from &lt;…&gt;).
ELEMENTS = "html|head|body|title|meta|link|style|script|noscript|template|div|span|p|a|b|i|u|em|strong|br|hr|img|" \
           "h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th|pre|code|blockquote|iframe|font|small|sup|sub|section|article"
TAG = re.compile(r"</?(" + ELEMENTS + r")(\s[^<>]*)?/?>|<!--", re.IGNORECASE)
ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def ground_truth():
    """make-queries' own extraction (the brute-force reference), loaded from the script."""
    path = os.path.join(os.path.dirname(REPO), "shared", "corpus", "make-queries")
    loader = importlib.machinery.SourceFileLoader("make_queries", path)
    spec = importlib.util.spec_from_loader("make_queries", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def title_query(title):
    if '"' not in title:
        return f'title:"{title}"'
    return " ".join("title:" + part.replace('"', "") for part in title.split() if part.replace('"', ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    root, manifest, _ = ensure_corpus(args.work, args.size)
    real_root = os.path.realpath(root)
    with open(manifest, encoding="utf-8") as f:
        next(f)
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    files = sum(len(fs) for _, _, fs in os.walk(root))

    reference = ground_truth()
    daemon = Daemon(os.path.join(args.bin, "jiansuod"), root, args.work, "hybrid")
    seconds, status = daemon.wait_indexed(len(rows))
    log(f"indexed {status['documents']} documents in {seconds:.1f} s; checking {len(rows)} documents")
    missing, title_misses, replacement, markup = [], [], [], []
    for row in rows:
        rel, title = row[0], row[3]
        path = os.path.join(real_root, rel)
        try:
            doc = daemon.call("show", {"path": path})
        except RuntimeError:
            missing.append(rel)
            continue
        if path not in daemon.search_all(title_query(title)):
            title_misses.append(f"{rel}: {title}")
        body = doc["body"]
        if "\ufffd" in body:
            replacement.append(rel)
        with open(path, "rb") as f:
            expected = reference.body_text(f.read(), row[1], row[2])
        for pattern in (TAG, ENTITY):
            if len(pattern.findall(body)) > len(pattern.findall(expected)):
                m = pattern.search(body)
                markup.append(f"{rel}: …{body[max(0, m.start() - 20):m.end() + 20]}…".replace("\n", " "))
                break
    daemon.stop()

    print(f"# Extraction check: {args.size} corpus ({len(rows)} documents in the manifest, {files} files)\n")
    print("| check | count |")
    print("|---|---:|")
    print(f"| files on disk | {files} |")
    print(f"| documents indexed (status) | {status['documents']} |")
    print(f"| indexing errors (status) | {status['errors']} |")
    print(f"| manifest documents not indexed | {len(missing)} |")
    print(f"| titles not found by a `title:` search | {len(title_misses)} |")
    print(f"| bodies containing U+FFFD | {len(replacement)} |")
    print(f"| bodies containing HTML tags, comments or entities | {len(markup)} |")
    for name, items in [("not indexed", missing), ("title misses", title_misses), ("U+FFFD", replacement), ("markup", markup)]:
        for item in items[:5]:
            print(f"- {name}: {item}")
    failed = missing or title_misses or replacement or markup or status["documents"] != files or status["errors"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
