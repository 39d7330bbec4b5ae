#!/usr/bin/env python3
"""Letters and digits inside longer runs: query generation and brute-force ground truth.

bench/recall.py uses this for three query kinds it generates itself from the extracted text
(title + "\\n" + body, as the daemon's `show` returns them) of every document:

  alnum-part    a piece of a run that is not the whole run: the letter part of a mixed run
                (`abc` of `ABC123`), a case piece or join not at the start (`office` of
                `LibreOffice`, `phone` of `iPhone15`, `httprequest` of `XMLHttpRequest`), a digit
                part after letters (`15` of `iPhone15`). Letter queries >= 3 chars, digits >= 2.
  digit-prefix  the first 4-6 digits of a digit part of >= 6 digits (`2020` of `20200101`); one
                query in three is letters + a digit prefix of >= 3 digits (`abc202` of `abc2020`).
  alnum-whole   a whole run of >= 2 parts, lower-cased (`iphone15pro` of `iPhone15Pro`).

Queries are made only from ASCII runs; the ground truth checks every run of every document,
non-ASCII ones too, with `matches` below (its docstring is the definition).

Run `python3 bench/alnum_truth.py` for the self-tests.
"""
import functools
import random
import re
import sys
import unicodedata

# Han ideographs and kana: never part of a run (they are indexed one character at a time).
CJK_RANGES = (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
    (0x3005, 0x3007), (0x3021, 0x3029),                       # 々〆〇, Hangzhou numerals
    (0x3040, 0x30FF), (0x31F0, 0x31FF), (0xFF66, 0xFF9F),     # kana
)
ASCII_RUN = re.compile(r"[A-Za-z0-9]+")  # an ASCII run if no other run character touches it
QUERY = re.compile(r"[a-z0-9]+")
QUERY_PART = re.compile(r"[0-9]+|[a-z]+")
# A cheap test that an ASCII run may yield a candidate at all (a letter/digit change, a case
# change, or a long number); runs that fail it are one part of one piece and at most 5 digits.
ASCII_CANDIDATE = re.compile(r"[A-Za-z][0-9]|[0-9][A-Za-z]|[a-z][A-Z]|[A-Z][A-Z][a-z]|[0-9]{6}")
PARTS_MAX_JOINED = 6   # a letter part of at most this many pieces indexes every join of pieces
PIECES_MAX = 16        # beyond that, only this many single pieces
COUNTS = {"small": 40, "medium": 100}  # generated queries per kind and corpus size (default 100)
KINDS = ("alnum-part", "digit-prefix", "alnum-whole")


def is_cjk(ch):
    c = ord(ch)
    return any(lo <= c <= hi for lo, hi in CJK_RANGES)


def is_mark(ch):
    return not ch.isascii() and unicodedata.category(ch).startswith("M")


def is_upper(ch):
    return ch.isupper() or ch.istitle()


@functools.lru_cache(maxsize=None)
def run_patterns():
    """(one run, one run character) as compiled regexes. The character class is built from the
    definition over every code point (about a second, once)."""
    ranges, start = [], None
    for c in range(0x110001):
        ch = chr(c) if c < 0x110000 else ""
        inside = bool(ch) and (ch.isalnum() or unicodedata.category(ch).startswith("M")) and not is_cjk(ch)
        if inside and start is None:
            start = c
        elif not inside and start is not None:
            ranges.append((start, c - 1))
            start = None
    cls = "".join(f"\\U{lo:08x}-\\U{hi:08x}" if hi > lo else f"\\U{lo:08x}" for lo, hi in ranges)
    return re.compile(f"[{cls}]+"), re.compile(f"[{cls}]")


class Part:
    """One level-1 part of a run: its text in the document's case, whether it is digits, its case
    pieces (letter parts only) and the colocated tokens listed for it, casefolded."""
    __slots__ = ("text", "folded", "digits", "pieces", "tokens")

    def __init__(self, text, digits):
        self.text, self.folded, self.digits = text, text.casefold(), digits
        self.pieces = [text] if digits else case_pieces(text)
        self.tokens = frozenset(p.casefold() for _, p in listed_tokens(self.pieces))

    def __repr__(self):
        return f"Part({self.text!r}, pieces={self.pieces})"


@functools.lru_cache(maxsize=None)
def run_parts(run):
    """split_parts(run), or None for a run holding a character whose casefold is not one character
    (such a run never matches). Cached: the same runs come back in many documents."""
    if any(len(ch.casefold()) != 1 for ch in run):
        return None
    return split_parts(run)


def split_parts(run):
    """A run's level-1 parts, cut at every letter<->digit change (never before a mark: a mark
    belongs to the character before it; a mark that starts the run is a letter)."""
    parts, start, kind = [], 0, None
    for k, ch in enumerate(run):
        if k > 0 and is_mark(ch):
            continue
        digit = unicodedata.category(ch) == "Nd"
        if k > 0 and digit != kind:
            parts.append(Part(run[start:k], kind))
            start = k
        kind = digit
    parts.append(Part(run[start:], kind))
    return parts


def case_pieces(part):
    """A letter part cut at case changes: aB -> a|B; ABc -> A|Bc (`HTMLParser` -> HTML|Parser).
    Marks are skipped when looking at the previous and next character, and never start a piece."""
    bases = [k for k, ch in enumerate(part) if not is_mark(ch)]
    pieces, start = [], 0
    for i in range(1, len(bases)):
        prev, ch = part[bases[i - 1]], part[bases[i]]
        nxt = part[bases[i + 1]] if i + 1 < len(bases) else ""
        if (prev.islower() and is_upper(ch)) or (is_upper(prev) and is_upper(ch) and nxt.islower()):
            pieces.append(part[start:bases[i]])
            start = bases[i]
    pieces.append(part[start:])
    return pieces


def listed_tokens(pieces):
    """The tokens colocated with a letter part of these pieces, as (first piece index, text): for
    2..6 pieces every contiguous join of pieces except the whole part; for more, the first 16
    single pieces; for one piece, none."""
    m = len(pieces)
    if m < 2:
        return []
    if m > PARTS_MAX_JOINED:
        return [(i, pieces[i]) for i in range(min(m, PIECES_MAX))]
    return [(i, "".join(pieces[i:j])) for i in range(m) for j in range(i + 1, m + 1) if (i, j) != (0, m)]


# A query's last digits find longer numbers only from this many digits on (QueryCompiler).
MIN_PREFIX_DIGITS = 3


def query_parts(q):
    """A query (one lower-case ASCII run) cut at letter/digit changes."""
    if not QUERY.fullmatch(q):
        raise ValueError(f"not a lower-case ASCII run: {q!r}")
    return QUERY_PART.findall(q)


def _first_ok(q, part):
    return q == part.folded or q in part.tokens


def _last_ok(q, part):
    return _first_ok(q, part) or (part.digits and q.isdigit() and len(q) >= MIN_PREFIX_DIGITS and part.folded.startswith(q))


def run_matches(parts, qparts):
    """Whether query parts Q_1..Q_n match some consecutive parts P_a..P_b of one run (see `matches`)."""
    n = len(qparts)
    for a in range(len(parts) - n + 1):
        if n == 1:
            if _last_ok(qparts[0], parts[a]):
                return True
        elif (_first_ok(qparts[0], parts[a]) and _last_ok(qparts[-1], parts[a + n - 1])
              and all(qparts[i] == parts[a + i].folded for i in range(1, n - 1))):
            return True
    return False


def aligned_casefold(text):
    """text.casefold() with one character per character of text: a character whose casefold is
    not one character is kept as it is (the runs holding one are skipped anyway)."""
    folded = text.casefold()
    if len(folded) == len(text):  # casefold never shortens a character, so this is aligned
        return folded
    return "".join(f if len(f) == 1 else ch for ch, f in ((ch, ch.casefold()) for ch in text))


class Corpus:
    """Every document's text (NFKC) and its aligned casefold, in path order."""

    def __init__(self, bodies):
        """bodies: (path, title, body) rows, as bench/recall.py fetches them with `show`."""
        rows = sorted(bodies)
        self.paths = [p for p, _, _ in rows]
        self.texts = [unicodedata.normalize("NFKC", title + "\n" + body) for _, title, body in rows]
        self.folded = [aligned_casefold(t) for t in self.texts]

    def runs_with(self, doc, needle):
        """The runs (start, end) of document doc whose casefold contains needle."""
        run, run_char = run_patterns()
        text, folded = self.texts[doc], self.folded[doc]
        found, end = [], 0
        i = folded.find(needle)
        while i >= 0:
            if i >= end:
                start = i
                while start > 0:
                    ch = text[start - 1]
                    if not (ch.isalnum() if ch.isascii() else run_char.match(ch)):  # ASCII: quicker
                        break
                    start -= 1
                m = run.match(text, start)
                if m:  # the needle's characters fold to ASCII letters and digits: always a run
                    end = m.end()
                    found.append((start, end))
                else:
                    end = i + 1
            i = folded.find(needle, i + 1)
        return found

    def doc_matches(self, doc, qparts):
        needle = qparts[0]  # every match holds Q_1 inside P_a: the run holds it
        for start, end in self.runs_with(doc, needle):
            parts = run_parts(self.texts[doc][start:end])
            if parts is not None and run_matches(parts, qparts):
                return True
        return False

    def candidates(self, qparts):
        """Documents that may match: Q_1, Q_n and the middle parts joined occur in the casefold.
        (Not `q in text`: a colocated token stands at its part's position, so `abc202` matches
        `AbcDef2020` and `xmlhttp2` matches `XMLHttpRequest2` with no `abc202` or `xmlhttp2` in the text.)"""
        needles = {qparts[0], qparts[-1], "".join(qparts[1:-1])} - {""}
        needles = sorted(needles, key=len, reverse=True)
        return [d for d, f in enumerate(self.folded) if all(n in f for n in needles)]

    def expected(self, q):
        """The paths of every document q matches, sorted."""
        qparts = query_parts(q)
        return [self.paths[d] for d in self.candidates(qparts) if self.doc_matches(d, qparts)]

    def ascii_runs(self):
        """(document index, run) for every run made only of ASCII characters, in document order."""
        _, run_char = run_patterns()
        for doc, text in enumerate(self.texts):
            for m in ASCII_RUN.finditer(text):
                start, end = m.span()
                if not (start > 0 and run_char.match(text, start - 1)) and not run_char.match(text, end):
                    yield doc, m.group()


def matches(text, q):
    """Whether the lower-case ASCII query q matches a document of this text (title + "\\n" + body).

    The text is normalized with NFKC (case kept for the boundary rules) and compared
    case-insensitively with str.casefold(), on aligned indices; a run holding a character whose
    casefold is not exactly one character is skipped.
    - A *run* is a maximal sequence of characters c with (c.isalnum() or
      unicodedata.category(c).startswith('M')) and not CJK, where CJK = Han ideographs
      (U+3400-U+4DBF, U+4E00-U+9FFF, U+F900-U+FAFF, U+20000-U+3FFFF, U+3005-U+3007, U+3021-U+3029)
      and kana (U+3040-U+30FF, U+31F0-U+31FF, U+FF66-U+FF9F).
    - Inside a run, a *digit* is a character of category Nd; every other character is a *letter*
      (marks belong to the character before them: never a boundary before a mark; the "previous"
      and "next" characters below skip over marks).
    - Level-1 *parts*: the run cut at every letter<->digit change. A letter part is further cut
      into *pieces* at case changes: before char k when the previous char is lowercase
      (str.islower) and c[k] is uppercase (isupper or istitle); and before char k when the previous
      char is uppercase, c[k] is uppercase and the next char is lowercase (`HTMLParser` ->
      HTML|Parser, `XMLHttpRequest` -> XML|Http|Request).
    - The index's tokens for a run: each part, at consecutive positions; and, colocated with a
      letter part of m >= 2 pieces: if m <= 6, every contiguous join of >= 1 pieces other than
      the whole part (XML, Http, Request, XMLHttp, HttpRequest); if m > 6, only the first 16
      single pieces. These are the part's *listed tokens*.
    - The query q is cut into parts Q_1..Q_n the same way (letter/digit changes only). q matches
      iff some run has consecutive parts P_a..P_b (n = b-a+1) where: each middle Q equals its P
      whole; Q_1 equals P_a or one of P_a's listed tokens; Q_n equals P_b, or one of P_b's listed
      tokens, or (Q_n of at least 3 digits, P_b a digit part) a prefix of P_b. For n = 1 both rules apply to
      the one part. A listed token stands at its part's position: after Q_1 = `xmlhttp` of
      `XMLHttpRequest2`, Q_2 must be the next part, `2`.
    """
    return bool(Corpus([("", "", text)]).expected(q))


def candidate_pools(corpus):
    """{kind: {query: first document index}} from every ASCII run, plus digit-prefix queries with
    letters in their own pool ("digit-prefix+letters")."""
    pools = {kind: {} for kind in (*KINDS, "digit-prefix+letters")}

    def add(kind, q, doc):
        pools[kind].setdefault(q, doc)

    for doc, text in corpus.ascii_runs():
        if not ASCII_CANDIDATE.search(text):
            continue
        parts = run_parts(text)
        for k, part in enumerate(parts):
            if part.digits:
                if k > 0 and len(part.text) >= 2:
                    add("alnum-part", part.folded, doc)                     # 15 of iPhone15
                for length in range(4, min(6, len(part.text) - 1) + 1):
                    add("digit-prefix", part.folded[:length], doc)          # 2020 of 20200101
                previous = parts[k - 1] if k > 0 else None
                if previous and len(previous.text) >= 2:
                    for length in range(MIN_PREFIX_DIGITS, min(6, len(part.text) - 1) + 1):  # abc202 of abc2020
                        add("digit-prefix+letters", previous.folded + part.folded[:length], doc)
                continue
            if len(parts) > 1 and len(part.text) >= 3:
                add("alnum-part", part.folded, doc)                         # abc of ABC123
            for first, token in listed_tokens(part.pieces):
                if first > 0 and len(token) >= 3:
                    add("alnum-part", token.casefold(), doc)                # office of LibreOffice
        if len(parts) > 1:
            add("alnum-whole", text.casefold(), doc)                        # iphone15pro
    return pools


def generate(corpus, count, seed=1, max_df=0.05):
    """About count queries of each kind with their expected paths: [(query, kind, [path])], and
    {kind: (queries, candidates, skipped as too frequent)}. Deterministic for a corpus: candidates
    are sorted, then shuffled with random.Random(seed). As in make-queries, a query matching more
    than max_df of the documents (at least 30) is skipped; no query is used for two kinds."""
    rng = random.Random(seed)
    limit = max(30, int(max_df * len(corpus.paths)))
    pools = candidate_pools(corpus)
    out, stats, used = [], {}, set()
    for kind in KINDS:
        sources = dict(pools[kind])
        order = sorted(sources)
        rng.shuffle(order)
        if kind == "digit-prefix":  # two digit prefixes, then one with letters; then what is left
            sources.update(pools["digit-prefix+letters"])
            letters = sorted(pools["digit-prefix+letters"])
            rng.shuffle(letters)
            mixed = []
            while order or letters:
                mixed += order[:2] + letters[:1]
                order, letters = order[2:], letters[1:]
            order = mixed
        taken = skipped = 0
        for q in order:
            if taken == count:
                break
            if q in used:
                continue
            expected = corpus.expected(q)
            source = corpus.paths[sources[q]]
            if source not in expected:
                raise AssertionError(f"{kind} query {q!r} does not match its own document {source}")
            if len(expected) > limit:
                skipped += 1
                continue
            used.add(q)
            out.append((q, kind, expected))
            taken += 1
        stats[kind] = (taken, len(sources), skipped)
    return out, stats


def _selftest():
    cases = [  # (text, query, expected)
        ("20200101新闻联播回顾", "2020", True),
        ("20200101新闻联播回顾", "0101", False),       # digits: prefixes only
        ("20200101新闻联播回顾", "20200101", True),
        ("型号ABC123规格说明", "abc", True),
        ("型号ABC123规格说明", "abc123", True),
        ("型号ABC123规格说明", "bc123", False),
        ("购买了iPhone15Pro手机", "iphone", True),
        ("购买了iPhone15Pro手机", "phone", True),
        ("购买了iPhone15Pro手机", "pro", True),
        ("购买了iPhone15Pro手机", "iphone15", True),
        ("购买了iPhone15Pro手机", "phone15", True),
        ("购买了iPhone15Pro手机", "15pro", True),
        ("购买了iPhone15Pro手机", "iphone15pro", True),
        ("购买了iPhone15Pro手机", "hone", False),
        ("购买了iPhone15Pro手机", "i", True),          # a piece of iPhone (m = 2)
        ("购买了iPhone15Pro手机", "iphone1", False),    # a digit prefix needs 3 digits
        ("购买了iPhone1500Pro手机", "iphone150", True),  # 3 digits start 1500
        ("购买了iPhone15Pro手机", "1pro", False),       # ... but never starts one
        ("购买了iPhone15Pro手机", "iphone15p", False),  # a letter part is never a prefix
        ("ubuntu9.04", "ubuntu", True),
        ("ubuntu9.04", "ubuntu904", False),             # '.' ends the run
        ("ubuntu9.04", "04", True),
        ("XMLHttpRequest", "xmlhttp", True),
        ("XMLHttpRequest", "httprequest", True),
        ("XMLHttpRequest", "http", True),
        ("XMLHttpRequest", "xml", True),
        ("XMLHttpRequest", "xmlhttprequest", True),
        ("XMLHttpRequest", "xmlrequest", False),
        ("XMLHttpRequest", "ttp", False),
        ("XMLHttpRequest2", "xmlhttp2", True),          # a colocated token stands at its part
        ("AbcDef2020", "abc202", True),
        ("AbcDef2020", "def2020", True),
        ("AbcDef2020", "abcdef", True),
        ("HTMLParser", "parser", True),
        ("HTMLParser", "tmlparser", False),
        ("HTMLParser", "html", True),
        ("20201abc", "2020abc", False),
        ("20201abc", "2020", True),
        ("abc123", "abc12", False),                      # fewer than 3 digits: a whole number
        ("abc1234", "abc123", True),
        ("abc123", "ab", False),
        ("abc123 xyz", "abc123xyz", False),             # two runs
        ("LibreOffice帮助", "office", True),
        ("LibreOffice帮助", "libre", True),
        ("LibreOffice帮助", "ffice", False),
        ("ＡＢＣ１２３", "abc", True),                  # NFKC: full-width to ASCII
        ("ＡＢＣ１２３４", "abc123", True),
        ("café2020", "2020", True),                     # non-ASCII runs count too
        ("café2020", "caf", False),
        ("Straße2020", "2020", False),                  # ß casefolds to two chars: run skipped
        ("ab\u0301c12", "12", True),                    # a mark stays in its letter part
        ("1\u0301abc", "abc", True),                    # a mark after a digit is in the digit part
        ("々abc", "abc", True),                         # 々 is CJK: not in the run
        ("ΑλφαΒήτα", "abc", False),
        ("AaBbCcDdEeFfGg", "gg", True),                 # 7 pieces: the first 16 single pieces only
        ("AaBbCcDdEeFfGg", "bbcc", False),
        ("AaBbCcDdEeFf", "bbcc", True),                 # 6 pieces: every join
        ("AaBbCcDdEeFf", "aabbccddeeff", True),
        ("x\ny", "xy", False),
        ("title", "title", True),
    ]
    failures = [(t, q, want) for t, q, want in cases if matches(t, q) != want]
    assert [p.text for p in split_parts("iPhone15Pro")] == ["iPhone", "15", "Pro"]
    assert case_pieces("XMLHttpRequest") == ["XML", "Http", "Request"]
    assert case_pieces("HTMLParser") == ["HTML", "Parser"]
    assert case_pieces("iPhone") == ["i", "Phone"]
    assert case_pieces("ABC") == ["ABC"]
    assert case_pieces("dBASE") == ["d", "BASE"]
    assert sorted(t for _, t in listed_tokens(["XML", "Http", "Request"])) == \
        ["Http", "HttpRequest", "Request", "XML", "XMLHttp"]
    # A corpus of several documents, with generation: its queries match their own documents.
    corpus = Corpus([("b", "LibreOffice 7.4", "版本 20200101 iPhone15Pro 型号ABC123"), ("a", "PostgreSQL", "ubuntu9.04 abc2020")])
    assert corpus.expected("office") == ["b"] and corpus.expected("abc") == ["a", "b"]
    assert corpus.expected("2020") == ["a", "b"] and corpus.expected("sql") == ["a"]
    queries, stats = generate(corpus, 40)
    assert {k for _, k, _ in queries} == set(KINDS), stats
    assert generate(corpus, 40) == (queries, stats)  # deterministic
    for t, q, want in failures:
        print(f"FAIL: {q!r} in {t!r}: expected {want}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"alnum_truth: {len(cases)} match cases and generation OK")


if __name__ == "__main__":
    _selftest()
