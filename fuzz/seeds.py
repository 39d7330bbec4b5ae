#!/usr/bin/env python3
"""Writes seeds for the structure-aware mode of the fuzz targets (see FuzzSupport/Expander.swift):
small programs that expand into deeply nested, repetitive or huge inputs, for libFuzzer to mutate.
Usage: fuzz/seeds.py CORPUS_DIR   (writes CORPUS_DIR/<Target>/expand-*)"""
import os
import struct
import sys

MARKER = 0xEE


def program(*instructions):
    """(op, shift, count, fragment) → bytes. op: 0 once, 1 repeat, 2 nest ("open\\x01close"), 3 lines."""
    out = bytearray([MARKER])
    for op, shift, count, fragment in instructions:
        out += bytes([op | shift << 2]) + struct.pack("<H", count) + fragment.encode() + b"\0"
    return bytes(out)


SEEDS = {
    "FuzzExtract": {
        "nested-div": program((0, 0, 0, "<html><body>"), (2, 3, 25000, "<div>\x01</div>"), (0, 0, 0, "深层")),
        "nested-heading": program((2, 2, 20000, "<h2><span>\x01</span></h2>"), (0, 0, 0, "标题")),
        "links": program((1, 2, 65535, "[x](")),
        "emphasis": program((1, 2, 65535, "a*`~")),
        "quotes": program((1, 3, 20000, ">"), (0, 0, 0, " 引用")),
        "lists": program((3, 2, 30000, "   - 项目")),
        "front-matter-flow": program((0, 0, 0, "---\ntitle: "), (2, 0, 60000, "[\x01]"), (0, 0, 0, "\n---\n正文")),
        "front-matter-block": program((0, 0, 0, "---\n"), (3, 0, 5000, " k:"), (0, 0, 0, "---\n正文")),
        "tiny-lines": program((3, 5, 65535, "字")),
        "han-run": program((1, 5, 40000, "汉字检索")),
        "html-a": program((0, 0, 0, "<p>"), (1, 2, 65535, "<a")),
        "entities": program((0, 0, 0, "<p>"), (1, 2, 65535, "&amp;&#x4e2d;")),
    },
    "FuzzQuery": {
        "nots": program((1, 4, 4000, "NOT "), (0, 0, 0, "知识")),
        "quotes": program((1, 4, 4000, "\"")),
        "parens": program((2, 3, 4000, "(\x01)")),
        "ors": program((1, 3, 4000, "的 OR ")),
        "fields": program((1, 3, 4000, "title:")),
    },
    "FuzzProtocol": {
        "nested-arrays": program((0, 0, 0, "{\"method\":\"search\",\"params\":"), (2, 3, 60000, "[\x01]"), (0, 0, 0, "}")),
        "nested-objects": program((2, 3, 30000, "{\"a\":\x01}")),
        "huge-number": program((0, 0, 0, "{\"id\":"), (1, 3, 60000, "9"), (0, 0, 0, ",\"method\":\"ping\"}")),
        "long-query": program((0, 0, 0, "{\"method\":\"search\",\"params\":{\"query\":\""), (1, 2, 60000, "的"), (0, 0, 0, "\"}}")),
    },
}

if __name__ == "__main__":
    corpus = sys.argv[1]
    for target, seeds in SEEDS.items():
        os.makedirs(os.path.join(corpus, target), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(corpus, target, "expand-" + name), "wb") as f:
                f.write(data)
