import Foundation
import JiansuoAnalysis
import JiansuoExtract
import JiansuoPath
import JiansuoProtocol
import Logging
import Yams

/// The daemon's settings: built-in defaults, overridden by the YAML config file, overridden by
/// command-line flags. Every key is documented in `etc/jiansuod.yaml`.
public struct DaemonConfig: Sendable, Equatable {
    /// Directories to index and watch (absolute after ``resolved()``). Key `roots`.
    public var roots: [String] = []
    /// Directory holding the index database. Key `index`; default `index` (relative to the
    /// working directory, i.e. `index/` in a checkout).
    public var indexDirectory = "index"
    /// Unix socket the daemon listens on. Key `socket`; default `<index>/jiansuod.sock`.
    public var socketPath: String?
    /// Key `log_level`: trace, debug, info, notice, warning, error, critical. Default info.
    public var logLevel: Logger.Level = .info
    /// File name extensions to index. Key `extensions`; default txt, md, markdown, html, htm.
    public var extensions: [String] = ["txt", "md", "markdown", "html", "htm"]
    /// Files larger than this many bytes are not indexed (reported in status). Key
    /// `max_file_size`; default 16 MiB.
    public var maxFileBytes = Extractor.defaultMaxFileBytes
    /// Memory the indexing workers may hold between reading files and the writer writing them,
    /// in MiB (estimated per file: about 12 bytes per byte of the file). A file larger than the
    /// budget is read alone. Key `indexing_memory_mb`; default 128.
    public var indexingMemoryMegabytes = 128
    /// Threads that answer requests (the fast lane; one more thread runs expensive searches).
    /// Key `request_threads`; default: one per core, at least 2.
    public var requestThreads = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// ``indexingMemoryMegabytes`` in bytes.
    public var indexingMemoryBytes: Int { indexingMemoryMegabytes << 20 }
    /// A file whose reading and extraction take longer than this is skipped and reported (it
    /// is tried again when it changes), in milliseconds. Key `extraction_timeout_ms`; default
    /// 10000.
    public var extractionTimeoutMilliseconds = 10_000
    /// Milliseconds to wait after a change before indexing, to batch bursts. Key `debounce_ms`;
    /// default 50.
    public var debounceMilliseconds = 50
    /// Most files taken from the queue at a time; their changes are written in one
    /// transaction. Key `batch_size`; default 1000.
    public var batchSize = 1000
    /// Threads that read, extract and analyse files while one writer thread applies them to
    /// the index; 0 means one per core. Key `indexing_threads`; default 0.
    public var indexingThreads = 0
    /// A file that keeps changing is indexed again at most this often, in milliseconds. Key
    /// `reindex_interval_ms`; default 500.
    public var reindexIntervalMilliseconds = 500
    /// Most inotify watches to use (one per directory); 0 means up to the kernel's
    /// `fs.inotify.max_user_watches`. Directories over the limit are polled. Key `max_watches`.
    public var maxWatches = 0
    /// Follow symbolic links to files and directories (loops are detected). Key
    /// `follow_symlinks`; default false.
    public var followSymlinks = false
    /// Users (names or uids) who may connect; nil: anyone the socket's mode lets in. Key
    /// `allowed_users`.
    public var allowedUsers: [String]?
    /// Users who may run write commands (reconcile, rebuild, optimize, check) besides root,
    /// the daemon's own user and the members of ``adminGroup``; default none. Key `writers`.
    public var writers: [String]?
    /// A group (name or gid) whose members may run the write commands, whatever `writers` and
    /// `allowed_users` say; checked against the caller's primary and supplementary groups
    /// (SO_PEERCRED, SO_PEERGROUPS). Key `admin_group`; default none.
    public var adminGroup: String?
    /// A search running longer than this is interrupted and answered `timeout`, in
    /// milliseconds. Key `search_timeout_ms`; default 10000.
    public var searchTimeoutMilliseconds = 10_000
    /// A connection with no request for this many seconds is closed. Key `idle_timeout_s`;
    /// default 60.
    public var idleTimeoutSeconds = Int(WireProtocol.idleTimeoutSeconds)
    /// The socket's group, to let its members connect (the socket becomes 0660). Key
    /// `socket_group`; default none (0600).
    public var socketGroup: String?
    /// Glob patterns of files and directories never to index (see ``JiansuoWatch/IndexingRules``).
    /// Key `exclude`; default none. Paths newly excluded are purged at the next start.
    public var excludes: [String] = []
    /// How text is analysed. Keys `fold_scripts` (bool, default true: traditional and simplified
    /// Han match each other) and `segmentation` (`hybrid`, the default: every Han character plus
    /// dictionary words; `words`: ICU words only, a smaller index that misses parts of words).
    /// Changing either rebuilds the index at the next start.
    public var analysis = AnalysisOptions.default

    public init() {}

    /// The socket path, defaulted from the index directory.
    public var effectiveSocketPath: String { socketPath ?? indexDirectory + "/jiansuod.sock" }

    /// Reads the YAML file at `path` over these values.
    /// - Throws: ``ConfigError`` naming the file, the key and, for YAML syntax errors, the line.
    public mutating func load(file path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, key: nil, message: "cannot read: \(error.localizedDescription)")
        }
        try load(yaml: text, source: path)
    }

    /// The environment variable for each key: `JIANSUOD_` and the key in upper case
    /// (`JIANSUOD_ROOTS`, `JIANSUOD_LOG_LEVEL` …). List values are separated by `:` for
    /// `roots` and by `,` otherwise.
    public static func environmentName(_ key: String) -> String { "JIANSUOD_" + key.uppercased() }

    static let keys = ["roots", "index", "socket", "socket_group", "allowed_users", "writers", "admin_group", "idle_timeout_s", "search_timeout_ms", "log_level", "extensions", "exclude", "follow_symlinks", "max_watches",
                       "max_file_size", "extraction_timeout_ms", "indexing_memory_mb", "request_threads", "debounce_ms", "reindex_interval_ms", "batch_size", "indexing_threads", "fold_scripts", "segmentation"]
    /// The accepted range of each integer key (units as in the key's name; sizes in bytes).
    /// Values outside it are refused with a ``ConfigError`` naming the key and the range.
    public static let ranges: [String: ClosedRange<Int>] = [
        "max_file_size": 1...(256 << 20),
        "debounce_ms": 0...60_000,
        "batch_size": 1...100_000,
        "reindex_interval_ms": 0...3_600_000,
        "indexing_threads": 0...256,
        "max_watches": 0...Int(Int32.max),
        "search_timeout_ms": 1...600_000,
        "idle_timeout_s": 1...86_400,
        "extraction_timeout_ms": 1...3_600_000,
        "indexing_memory_mb": 16...65_536,
        "request_threads": 1...64,
    ]

    static let listKeys: [String: Character] = ["roots": ":", "extensions": ",", "exclude": ",", "allowed_users": ",", "writers": ","]

    /// Reads `JIANSUOD_*` variables over these values (after the file, before the flags).
    /// - Throws: ``ConfigError`` naming the variable.
    public mutating func load(environment: [String: String]) throws {
        // A misspelt variable would otherwise be ignored without a word.
        let known = Set(Self.keys.map(Self.environmentName) + ["JIANSUOD_TEST_FAULT"])
        if let unknown = environment.keys.sorted().first(where: { $0.hasPrefix("JIANSUOD_") && !known.contains($0) }) {
            let near = Self.keys.map(Self.environmentName).min { Self.distance($0, unknown) < Self.distance($1, unknown) }
            throw ConfigError(file: nil, key: unknown, message: "unknown environment variable"
                              + (near.map { Self.distance($0, unknown) <= 3 ? "; did you mean \($0)?" : "" } ?? "")
                              + " (known: \(Self.keys.map(Self.environmentName).joined(separator: ", ")))")
        }
        var yaml = ""
        for key in Self.keys {
            guard let value = environment[Self.environmentName(key)] else { continue }
            let encoded: String
            if let separator = Self.listKeys[key] {
                let items = value.split(separator: separator).map { String($0) }
                encoded = "[" + items.map(Self.yamlString).joined(separator: ", ") + "]"
            } else {
                // A number or a boolean goes in as it is, anything else quoted: an environment
                // value can never add YAML of its own (a newline and another key).
                let bare = (Self.ranges[key] != nil && Self.isInteger(value))
                    || (["follow_symlinks", "fold_scripts"].contains(key) && ["true", "false"].contains(value))
                encoded = bare ? value : Self.yamlString(value)
            }
            yaml += "\(key): \(encoded)\n"
        }
        guard !yaml.isEmpty else { return }
        do {
            try load(yaml: yaml, source: nil)
        } catch var error as ConfigError {
            error.key = error.key.map(Self.environmentName)
            throw error
        }
    }

    private static func isInteger(_ s: String) -> Bool {
        let digits = s.hasPrefix("-") ? s.utf8.dropFirst() : s.utf8[...]
        return !digits.isEmpty && digits.count <= 30 && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Levenshtein distance between two names (for "did you mean").
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    private static func yamlString(_ s: String) -> String {
        // Double-quoted YAML with every backslash, quote and control character escaped.
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `source`: the file's path, or nil for the environment (whose values have no lines).
    mutating func load(yaml text: String, source path: String?) throws {
        // Yams builds its node tree recursively: a hostile file must not exhaust the stack.
        guard text.utf8.count <= 1 << 20 else {
            throw ConfigError(file: path, key: nil, message: "larger than 1 MiB; a configuration is a few lines")
        }
        guard FrontMatter.nestingBound(text[...]) <= FrontMatter.maxDepth else {
            throw ConfigError(file: path, key: nil, message: "nested deeper than \(FrontMatter.maxDepth) levels")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError(file: path, key: nil, message: "not valid YAML: \(error)")
        }
        guard let node else { return }
        guard let map = node.mapping else {
            throw ConfigError(file: path, key: nil, message: "expected a mapping of keys to values")
        }
        for (keyNode, value) in map {
            guard let key = keyNode.string else { continue }
            let line = path == nil ? "" : keyNode.mark.map { " (line \($0.line))" } ?? ""
            func fail(_ message: String) -> ConfigError {
                ConfigError(file: path, key: key, message: message + line)
            }
            func string() throws -> String {
                guard let s = value.string, value.scalar != nil else { throw fail("expected a string") }
                return s
            }
            /// An integer in `range`: every number from a file or the environment is range-checked,
            /// so no later arithmetic on it can overflow.
            func int(_ range: ClosedRange<Int>) throws -> Int {
                guard let i = value.int, value.scalar != nil else {
                    throw fail("expected an integer between \(range.lowerBound) and \(range.upperBound)")
                }
                guard range.contains(i) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound), not \(i)") }
                return i
            }
            func strings() throws -> [String] {
                if let seq = value.sequence {
                    return try seq.map { item in
                        guard let s = item.string else { throw fail("expected a list of strings") }
                        return s
                    }
                }
                return [try string()]
            }
            switch key {
            case "roots": roots = try strings()
            case "index": indexDirectory = try string()
            case "socket": socketPath = try string()
            case "log_level":
                let s = try string()
                guard let level = Logger.Level(rawValue: s.lowercased()) else {
                    throw fail("unknown level '\(s)'; use trace, debug, info, notice, warning, error or critical")
                }
                logLevel = level
            case "extensions": extensions = try strings().map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            case "max_file_size": maxFileBytes = try int(Self.ranges["max_file_size"]!)
            case "debounce_ms": debounceMilliseconds = try int(Self.ranges["debounce_ms"]!)
            case "batch_size":
                batchSize = try int(Self.ranges["batch_size"]!)
            case "reindex_interval_ms": reindexIntervalMilliseconds = try int(Self.ranges["reindex_interval_ms"]!)
            case "indexing_threads":
                indexingThreads = try int(Self.ranges["indexing_threads"]!)
            case "indexing_memory_mb": indexingMemoryMegabytes = try int(Self.ranges["indexing_memory_mb"]!)
            case "request_threads": requestThreads = try int(Self.ranges["request_threads"]!)
            case "extraction_timeout_ms": extractionTimeoutMilliseconds = try int(Self.ranges["extraction_timeout_ms"]!)
            case "max_watches": maxWatches = try int(Self.ranges["max_watches"]!)
            case "allowed_users": allowedUsers = try strings()
            case "writers": writers = try strings()
            case "socket_group": socketGroup = try string()
            case "admin_group": adminGroup = try string()
            case "search_timeout_ms":
                searchTimeoutMilliseconds = try int(Self.ranges["search_timeout_ms"]!)
            case "idle_timeout_s":
                idleTimeoutSeconds = try int(Self.ranges["idle_timeout_s"]!)
            case "follow_symlinks":
                guard let b = value.bool else { throw fail("expected true or false") }
                followSymlinks = b
            case "exclude": excludes = try strings()
            case "fold_scripts":
                guard let b = value.bool else { throw fail("expected true or false") }
                analysis.foldScripts = b
            case "segmentation":
                switch try string() {
                case "hybrid": analysis.wordsOnly = false
                case "words": analysis.wordsOnly = true
                case let other: throw fail("unknown segmentation '\(other)'; use hybrid or words")
                }
            default:
                throw fail("unknown key; known keys: \(Self.keys.joined(separator: ", "))")
            }
        }
    }

    /// A copy with every path absolute and every root canonical (symbolic links resolved).
    /// - Throws: ``ConfigError`` when there is no root or a root is not a directory.
    public func resolved() throws -> DaemonConfig {
        var c = self
        guard !roots.isEmpty else {
            throw ConfigError(file: nil, key: "roots", message: "no directory to index: pass --root DIR or set roots in the config file")
        }
        c.roots = try roots.map { root in
            guard let real = realpath(root, nil) else {
                throw ConfigError(file: nil, key: "roots", message: "'\(root)' does not exist")
            }
            defer { free(real) }
            let path = RawPath.string(from: UnsafeBufferPointer(start: real, count: strlen(real)).map { UInt8(bitPattern: $0) })
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw ConfigError(file: nil, key: "roots", message: "'\(root)' is not a directory")
            }
            return path
        }
        c.indexDirectory = Self.absolute(indexDirectory)
        c.socketPath = Self.absolute(effectiveSocketPath)
        return c
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let cwd = FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
    }
}

/// A configuration problem, naming the file and key when known.
public struct ConfigError: Error, CustomStringConvertible {
    public var file: String?
    public var key: String?
    public var message: String

    public var description: String {
        var s = "configuration error"
        if let file { s += " in \(file)" }
        if let key { s += ", key '\(key)'" }
        return s + ": " + message
    }
}
