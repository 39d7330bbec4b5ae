/// Result of `ping`.
public struct PingResult: Codable, Sendable, Equatable {
    public var pong: Bool
    public init() { pong = true }
}

/// Result of `version`.
public struct VersionResult: Codable, Sendable, Equatable {
    /// The daemon's version, e.g. "0.1.0".
    public var daemon: String
    /// ``WireProtocol/version``.
    public var `protocol`: Int
    /// ICU library version, e.g. "72.1".
    public var icu: String
    /// The analyzer identity stored in the index, e.g. "rules=1 icu=72.1 unicode=15.0".
    public var analysis: String

    public init(daemon: String, protocol: Int, icu: String, analysis: String) {
        self.daemon = daemon
        self.protocol = `protocol`
        self.icu = icu
        self.analysis = analysis
    }
}

/// Result of `search`.
public struct SearchResult: Codable, Sendable, Equatable {
    /// Number of documents matching the query (all pages).
    public var total: Int
    /// This page of hits, best first.
    public var hits: [SearchHitMessage]
    /// Notes about parts of the query that were ignored or reinterpreted.
    public var hints: [String]

    public init(total: Int, hits: [SearchHitMessage], hints: [String]) {
        self.total = total
        self.hits = hits
        self.hints = hints
    }
}

/// One hit of `search`.
public struct SearchHitMessage: Codable, Sendable, Equatable {
    /// Absolute path of the file.
    public var path: String
    public var title: String
    /// Relevance (negated bm25; title matches weigh 10× body matches). Higher is better.
    public var score: Double
    /// An excerpt of the body around the best match, on one line, without markup.
    public var snippet: String
    /// Matched ranges of `snippet` as `[start, end]` pairs of UTF-8 byte offsets (end exclusive).
    public var highlights: [[Int]]

    public init(path: String, title: String, score: Double, snippet: String, highlights: [[Int]]) {
        self.path = path
        self.title = title
        self.score = score
        self.snippet = snippet
        self.highlights = highlights
    }
}

/// Result of `status`.
public struct StatusResult: Codable, Sendable, Equatable {
    /// `"scanning"` (initial crawl), `"indexing"` (files pending) or `"idle"`.
    public var state: String
    /// Number of documents in the index.
    public var documents: Int
    /// Files waiting to be indexed, including a crawl in progress; 0 when idle.
    public var pending: Int
    /// Watched root directories (absolute).
    public var roots: [String]
    /// Path of the index database.
    public var index: String
    /// Number of files that could not be indexed.
    public var errors: Int
    /// The most recent of them.
    public var recentErrors: [FileErrorMessage]
    /// Daemon version.
    public var version: String

    public init(state: String, documents: Int, pending: Int, roots: [String], index: String,
                errors: Int, recentErrors: [FileErrorMessage], version: String) {
        self.state = state
        self.documents = documents
        self.pending = pending
        self.roots = roots
        self.index = index
        self.errors = errors
        self.recentErrors = recentErrors
        self.version = version
    }
}

/// A file that could not be indexed, and why.
public struct FileErrorMessage: Codable, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
}
