import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: the CLI starts faster without ICU's data
#else
import Foundation
#endif
import Glibc
import JiansuoClient
import JiansuoPath
import JiansuoProtocol

/// Exit codes of `jiansuo` (documented in the README).
enum ExitCodes {
    /// Hits were found, or the command succeeded.
    static let success: Int32 = 0
    /// A search found no hits.
    static let noHits: Int32 = 1
    /// Usage or query error.
    static let usage: Int32 = 2
    /// The daemon could not be reached.
    static let unreachable: Int32 = 3
    /// The daemon could not answer this request: the search ran over its time budget, or the
    /// index is damaged (the daemon is rebuilding it).
    static let failed: Int32 = 4
}

/// `text` safe for the terminal: control characters from file names and contents are
/// escaped (see ``JiansuoPath/PrintableText``).
func safe(_ text: String) -> String { PrintableText.escape(text) }

struct Jiansuo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jiansuo",
        abstract: "Search your Chinese documents through the jiansuod daemon.",
        discussion: """
            Exit codes: 0 hits found, 1 no hits, 2 usage or query error or not
            permitted, 3 daemon unreachable, 4 the daemon could not answer (a search
            timed out; the index is damaged and being rebuilt).
            The socket: --socket, else $JIANSUO_SOCKET, else index/jiansuod.sock in
            the current directory if it exists, else /run/jiansuo/jiansuod.sock.

            Examples / 示例:
              jiansuo search 知识产权           search / 搜索
              jiansuo search '"知识产权 质押"' -l
                                                a phrase, paths only / 短语，只列路径
              jiansuo status                    the daemon's state / 守护进程状态
              jiansuo web                       a search page in the browser / 网页搜索
              jiansuo segment 北京市知識產權    how text is tokenized / 查看分词
              jiansuo rebuild --wait            after a bulk import
                                                批量导入后重建索引
            """,
        version: JiansuoVersion.current,
        subcommands: [Search.self, Status.self, Show.self, Errors.self, Segment.self, Web.self, Reconcile.self, Rebuild.self, Optimize.self, Check.self])

    // Declared here too so that `jiansuo --socket PATH search …` parses; subcommands read it
    // through their own @OptionGroup.
    @OptionGroup var connection: ConnectionOptions
}

struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's socket (default: $JIANSUO_SOCKET, else index/jiansuod.sock if it exists, else /run/jiansuo/jiansuod.sock).")
    var socket: String?

    var client: Client { Client(socketPath: Client.socketPath(explicit: socket)) }
}

/// Runs a request, turning failures into a message on stderr and the documented exit code.
func call<R: Codable & Sendable>(_ options: ConnectionOptions, _ request: Request, _ type: R.Type) throws -> R {
    do {
        return try options.client.send(request, expecting: type)
    } catch {
        writeStandardError((("jiansuo: " + error.description + "\n").utf8))
        switch error {
        case .daemonNotRunning, .io: throw ExitCode(ExitCodes.unreachable)
        case .server(let e) where e.code == .invalidParams || e.code == .forbidden: throw ExitCode(ExitCodes.usage)
        case .server(let e) where e.code == .notFound: throw ExitCode(ExitCodes.noHits)
        case .server(let e) where e.code == .corrupt || e.code == .timeout || e.code == .internal: throw ExitCode(ExitCodes.failed)
        default: throw ExitCode(ExitCodes.unreachable)
        }
    }
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search the index.",
        discussion: """
            Syntax: words are ANDed; "a phrase"; a OR b; -excluded; prefix*;
            title: body: path: ext: after: before: category: tag: author:.

            Examples / 示例:
              jiansuo search 北京               finds 北京市 too / 也能找到"北京市"
              jiansuo search 知識產權           finds 知识产权 / 繁简互通
              jiansuo search 专利 -银行 --limit 5
                                                exclude a word / 排除词语
              jiansuo search 'title:专利 after:2021'
                                                title and date filters / 标题与日期过滤
              jiansuo search swif* --json       prefix; JSON for scripts
                                                前缀；脚本用 JSON 输出
            """)

    @OptionGroup var connection: ConnectionOptions

    // Anything not recognized as an option is part of the query, so that `jiansuo search
    // 北京 -上海` excludes 上海 without quoting; a misspelt long option is refused in validate().
    @Argument(parsing: .allUnrecognized, help: "The query; several arguments are joined with spaces. -word excludes a word.")
    var query: [String] = []

    @Option(help: "Number of hits to show (1–1000).")
    var limit: Int = SearchParams.defaultLimit

    @Option(help: "Number of hits to skip.")
    var offset: Int = 0

    @Option(help: "Order of hits: relevance (default), date (newest first) or path.")
    var sort: HitOrder = .relevance

    @Flag(help: "Print one JSON object: {total, hits: [{path, title, score, snippet, highlights, date}], hints}.")
    var json = false

    @Flag(name: [.customShort("l"), .long], help: "Print only the paths of the hits, one per line (no snippets: faster).")
    var filesWithMatches = false

    @Flag(name: [.customShort("0"), .long], help: "With -l, end each path with a NUL byte instead of a newline (for xargs -0).")
    var null = false

    @Flag(help: "Print where the time went (daemon: wait, plan, match, page; then socket and JSON) to standard error.")
    var timings = false

    func validate() throws {
        guard (1...SearchParams.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(SearchParams.maxLimit)")
        }
        guard offset >= 0 else { throw ValidationError("--offset must not be negative") }
        if let option = query.first(where: { $0.hasPrefix("--") && $0.count > 2 }) {
            throw ValidationError("unknown option '\(option)' (see jiansuo search --help); to search for text that starts with '--', quote it inside the query: '\"\(option)\"'")
        }
        guard query.joined().contains(where: { !$0.isWhitespace }) else {
            throw ValidationError("the query is empty: nothing to search for")
        }
    }

    func run() throws {
        let params = SearchParams(query: query.joined(separator: " "), limit: limit, offset: offset,
                                  snippets: filesWithMatches ? false : nil, sort: sort == .relevance ? nil : sort,
                                  timings: timings ? true : nil)
        let sent = Date()
        let result = try call(connection, .search(params), SearchResult.self)
        if let t = result.timings {
            let wall = Date().timeIntervalSince(sent) * 1000
            func f(_ x: Double) -> String { "\((x * 100).rounded() / 100)" }
            writeStandardError(("timings (ms): wait \(f(t.wait)), plan \(f(t.plan)), match \(f(t.match))\(t.cached == true ? " (cached)" : ""), page \(f(t.page)), " +
                                "daemon \(f(t.total)); socket and JSON \(f(max(0, wall - t.total))); request \(f(wall))\n").utf8)
        }
        if filesWithMatches {
            // The exact bytes, also for names that are not valid UTF-8.
            for hit in result.hits { writeStandardOutput(RawPath.bytes(of: hit.path) + [null ? 0 : 0x0A]) }
        } else if json {
            try printJSON(result)
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            for hint in result.hints {
                writeStandardError(("note: \(hint)\n".utf8))
            }
            for (n, hit) in result.hits.enumerated() {
                let rank = offset + n + 1
                // Sorted by date, each hit says its date (the order would look arbitrary otherwise).
                let date = sort == .date ? hit.date.map { "  " + safe($0) } ?? "" : ""
                print(color ? "\u{1B}[1m\(rank). \(safe(hit.title))\u{1B}[0m\(date)" : "\(rank). \(safe(hit.title))\(date)")
                print("   " + (color ? "\u{1B}[32m\(safe(hit.path))\u{1B}[0m" : safe(hit.path)))
                print("   " + highlighted(hit, color: color))
            }
            let shown = result.hits.isEmpty ? "" : " (showing \(offset + 1)–\(offset + result.hits.count))"
            print("\(result.total) document\(result.total == 1 ? "" : "s")\(shown)")
        }
        if result.hits.isEmpty && result.total == 0 { throw ExitCode(ExitCodes.noHits) }
    }

    /// The snippet with its highlights: bold red on a colour terminal, else in [brackets]. The
    /// snippet's own control characters are escaped, piece by piece, before the markup goes in.
    func highlighted(_ hit: SearchHitMessage, color: Bool) -> String {
        let bytes = Array(hit.snippet.utf8)
        var out = ""
        var cursor = 0
        func piece(_ r: Range<Int>) -> String { safe(String(decoding: bytes[r], as: UTF8.self)) }
        let (open, close) = color ? ("\u{1B}[1;31m", "\u{1B}[0m") : ("[", "]")
        for range in hit.highlights where range.count == 2 {
            let start = max(cursor, min(range[0], bytes.count)), end = max(start, min(range[1], bytes.count))
            out += piece(cursor..<start) + open + piece(start..<end) + close
            cursor = end
        }
        return out + piece(cursor..<bytes.count)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what the daemon is doing and how big the index is.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the whole status as one JSON object (its fields: docs/protocol.md).")
    var json = false

    func run() throws {
        let status = try call(connection, .status, StatusResult.self)
        if json {
            try printJSON(status)
            return
        }
        print("state:     \(status.state)")
        if let damage = status.damage { print("damage:    \(safe(damage)) (rebuilding from the files)") }
        print("documents: \(status.documents)")
        print("pending:   \(status.pending)")
        print("roots:     \(safe(status.roots.joined(separator: ", ")))")
        print("index:     \(safe(status.index))")
        print("watches:   \(status.watchedDirectories) directories watched"
              + (status.unwatchedDirectories > 0 ? ", \(status.unwatchedDirectories) polled (over the inotify limit)" : "")
              + (status.overflows > 0 ? ", \(status.overflows) inotify overflows" : ""))
        print("errors:    \(status.errors)\(status.quarantined > 0 ? ", \(status.quarantined) quarantined" : "")\(status.errors > status.recentErrors.count ? " (jiansuo errors lists them all)" : "")")
        for e in status.recentErrors { print("  \(safe(e.path)): \(safe(e.message))") }
        if status.unreadableDirectoryCount > 0 {
            print("unreadable directories: \(status.unreadableDirectoryCount) (their files are not indexed)")
            for e in status.unreadableDirectories { print("  \(safe(e.path)): \(safe(e.message))") }
        }
        if let n = status.uncertainEncodings, n > 0 {
            print("uncertain encodings: \(n) documents (their charset was a guess; jiansuo show says why)")
        }
        if let r = status.lastReconcile {
            print("last reconcile: \(r.files) files, \(r.changes) changes, \(r.verified) verified (\(safe(r.reason)))")
        }
        print("version:   \(status.version)")
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print one indexed document's stored fields and extracted text.",
        discussion: "Exit code 1 when the file is not in the index.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The file (relative paths are resolved against the current directory).")
    var path: String

    @Flag(help: "Print one JSON object with every stored field and the body.")
    var json = false

    func run() throws {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let doc = try call(connection, .show(ShowParams(path: absolute)), ShowResult.self)
        if json {
            try printJSON(doc)
            return
        }
        print("path:       \(safe(doc.path))")
        print("title:      \(safe(doc.title))")
        print("format:     \(doc.format)")
        print("encoding:   \(doc.encoding)\(doc.encodingUncertainty.map { " (uncertain: \(safe($0)))" } ?? "")")
        print("size:       \(doc.size) bytes")
        if let date = doc.date { print("date:       \(safe(date))") }
        if let author = doc.author { print("author:     \(safe(author))") }
        if !doc.categories.isEmpty { print("categories: \(safe(doc.categories.joined(separator: ", ")))") }
        if !doc.tags.isEmpty { print("tags:       \(safe(doc.tags.joined(separator: ", ")))") }
        if !doc.links.isEmpty { print("links:      \(safe(doc.links.joined(separator: " ")))") }
        print("")
        // Line by line, so that line breaks and tabs stay; any other control character is escaped.
        for line in doc.body.split(separator: "\n", omittingEmptySubsequences: false) {
            print(line.split(separator: "\t", omittingEmptySubsequences: false).map { safe(String($0)) }.joined(separator: "\t"))
        }
    }
}

struct Web: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a local search page (127.0.0.1 and ::1) that asks the daemon as you.",
        discussion: """
            Prints the page's address with its access token as the first line of standard output
            and opens it with xdg-open when there is a display. Runs jiansuo-web, installed next
            to jiansuo: plain searches never load the HTTP server.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "The port (default: a free one).")
    var port: Int = 0

    @Flag(name: .long, help: "Do not open the page in a browser.")
    var noOpen = false

    func run() throws {
        // jiansuo-web beside this executable (the resolved /proc/self/exe), never from PATH.
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let me = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let program = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/jiansuo-web"
        guard access(program, X_OK) == 0 else {
            writeStandardError("jiansuo: \(program) is missing: the search page is a separate executable installed with jiansuo\n".utf8)
            throw ExitCode(ExitCodes.usage)
        }
        let socket = connection.client.socketPath
        var arguments = [program, "--socket", socket, "--port", String(port)]
        if noOpen { arguments.append("--no-open") }
        let argv = arguments.map { strdup($0) } + [nil]
        execv(program, argv)
        writeStandardError("jiansuo: cannot run \(program): \(String(cString: strerror(errno)))\n".utf8)
        throw ExitCode(ExitCodes.usage)
    }
}

struct Errors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the files that could not be indexed, with the reason, newest first.",
        discussion: "Files quarantined because they stopped the daemon say so; they are tried again when they change.")

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Number of files to list (1–\(ErrorsParams.maxLimit)).")
    var limit: Int = 100

    @Option(help: "Number of files to skip.")
    var offset: Int = 0

    @Flag(help: "Print one JSON object: {total, errors: [{path, message}]}.")
    var json = false

    func run() throws {
        let result = try call(connection, .errors(ErrorsParams(limit: limit, offset: offset)), ErrorsResult.self)
        if json {
            try printJSON(result)
            return
        }
        for e in result.errors { print("\(safe(e.path)): \(safe(e.message))") }
        print("\(result.total) file\(result.total == 1 ? "" : "s") not indexed")
    }
}

struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how text is normalized and tokenized, to understand a match or a miss.",
        discussion: """
            Each line is one token: position, kind, the normalized token, and the original text it \
            came from. Han characters are tokens of their own; a dictionary word (kind hanWord) sits \
            at the position of its first character. A run of letters and digits is cut where letters \
            and digits meet; its case pieces (subword) and the whole run (runWord) share a position.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The text; several arguments are joined with spaces.")
    var text: [String]

    @Flag(help: "Tokenize as a query term is (Han characters only) instead of as a document.")
    var query = false

    @Flag(help: "Print one JSON object: {normalized, tokens: [{text, kind, start, end, position}]}.")
    var json = false

    func run() throws {
        let input = text.joined(separator: " ")
        let result = try call(connection, .segment(SegmentParams(text: input, purpose: query ? "query" : "document")), SegmentResult.self)
        if json {
            try printJSON(result)
            return
        }
        print("normalized: \(result.normalized)")
        let bytes = Array(input.utf8)
        for t in result.tokens {
            let original = t.start <= t.end && t.end <= bytes.count ? String(decoding: bytes[t.start..<t.end], as: UTF8.self) : ""
            let pos = padded(String(t.position), 5)
            let kind = padded(t.kind, 8)
            print("\(pos) \(kind) \(t.text)\(original == t.text ? "" : "  ← \(original)")  [\(t.start), \(t.end))")
        }
    }
}

/// Waits until the daemon is idle, showing progress: a bar on a terminal, lines otherwise.
func waitUntilIdle(_ connection: ConnectionOptions, what: String) throws {
    let tty = isatty(STDERR_FILENO) == 1
    var lastLine = Date.distantPast
    var sawWork = false
    while true {
        let status = try call(connection, .status, StatusResult.self)
        if let r = status.rebuild, r.phase == .finishing {
            sawWork = true
            if tty {
                writeStandardError(("\r\(what): all \(r.total) files indexed; merging and swapping in the new index…\u{1B}[K").utf8)
            } else if Date().timeIntervalSince(lastLine) >= 1 {
                writeStandardError(("\(what): all \(r.total) files indexed; merging and swapping in the new index\n").utf8)
                lastLine = Date()
            }
        } else if let r = status.rebuild {
            sawWork = true
            let rate = r.elapsedSeconds > 0 ? Double(r.done) / r.elapsedSeconds : 0
            let eta = rate > 0 ? Double(r.total - r.done) / rate : 0
            let fraction = r.total > 0 ? Double(r.done) / Double(r.total) : 0
            if tty {
                let width = 30, filled = Int(fraction * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                writeStandardError(("\r\(what) \(bar) \(r.done)/\(r.total) files  \(Int(rate.rounded())) files/s  ETA \(Int(eta.rounded())) s ").utf8)
            } else if Date().timeIntervalSince(lastLine) >= 1 {
                writeStandardError(("\(what): \(r.done)/\(r.total) files, \(Int(rate.rounded())) files/s, ETA \(Int(eta.rounded())) s\n").utf8)
                lastLine = Date()
            }
        } else if status.state == "idle" || status.state == "polling" || status.state == "missing-root" {
            if tty && sawWork { writeStandardError(("\n".utf8)) }
            var summary = "\(what): done; \(status.documents) documents, \(status.errors) errors"
            if what == "reconcile", let r = status.lastReconcile {
                summary += "; \(r.files) files on disk, \(r.changes) changes, \(r.verified) verified"
            }
            print(summary)
            return
        } else if !tty && Date().timeIntervalSince(lastLine) >= 1 {
            writeStandardError(("\(what): \(status.state), \(status.pending) pending\n".utf8))
            lastLine = Date()
        }
        usleep(200_000)
    }
}

/// Sends a write command and, with `wait`, follows its progress until the daemon is idle.
func runAction(_ connection: ConnectionOptions, _ request: Request, wait: Bool, what: String) throws {
    let result = try call(connection, request, ActionResult.self)
    print(result.message)
    if wait {
        usleep(300_000)
        try waitUntilIdle(connection, what: what)
    }
}

struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the index with the files on disk and apply the differences.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Wait until the index matches the files.")
    var wait = false

    func run() throws { try runAction(connection, .reconcile, wait: wait, what: "reconcile") }
}

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a fresh index from the files on disk (after bulk imports), then swap it in.",
        discussion: "The old index keeps answering searches until the new one is ready.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Wait for the rebuild, showing progress (a bar on a terminal, lines otherwise).")
    var wait = false

    func run() throws { try runAction(connection, .rebuild, wait: wait, what: "rebuild") }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the whole index for consistency (SQLite quick_check and FTS5 integrity-check).",
        discussion: "Exit code 4 when the index is damaged; the daemon then rebuilds it from the files by itself.")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        print(try call(connection, .check, ActionResult.self).message)
    }
}

struct Optimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the index's segments after bulk work (smaller, faster to search).")

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        print(try call(connection, .optimize, ActionResult.self).message)
    }
}

extension HitOrder: ExpressibleByArgument {}

// Like `Jiansuo.main()`, but usage errors exit with 2 (as documented) instead of 64.
do {
    var command = try Jiansuo.parseAsRoot()
    try command.run()
} catch {
    if Jiansuo.exitCode(for: error) == .validationFailure {
        writeStandardError(((Jiansuo.fullMessage(for: error) + "\n").utf8))
        exit(ExitCodes.usage)
    }
    Jiansuo.exit(withError: error)
}

/// Writes bytes to standard error (no Foundation FileHandle: see the imports).
func writeStandardError<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
    writeAll(STDERR_FILENO, Array(bytes))
}

/// Writes bytes to standard output, after anything `print` buffered.
func writeStandardOutput(_ bytes: [UInt8]) {
    fflush(nil)
    writeAll(STDOUT_FILENO, bytes)
}

private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
    }
}

/// `text` padded with spaces to `width` characters.
func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
