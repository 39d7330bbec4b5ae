#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: the CLI starts faster without ICU's data
#else
import Foundation
#endif
import JiansuoPath

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
    /// Where the daemon's time went, when the request asked (`timings: true`).
    public var timings: SearchTimings?
    /// Counts of all matching documents (every page) by extension, category and year, when the
    /// request asked (`facets: true`).
    public var facets: SearchFacets?

    public init(total: Int, hits: [SearchHitMessage], hints: [String], timings: SearchTimings? = nil,
                facets: SearchFacets? = nil) {
        self.facets = facets
        self.total = total
        self.hits = hits
        self.hints = hints
        self.timings = timings
    }
}

/// Where a search's time went in the daemon, in milliseconds. What a client measures beyond
/// `total` is the socket and JSON.
public struct SearchTimings: Codable, Sendable, Equatable {
    /// From the request's arrival until a request thread started it (waiting in its lane).
    public var wait: Double
    /// Parsing, compiling to FTS5, and the cost estimate.
    public var plan: Double
    /// FTS5 matching, `jiansuo_rank` for every match, and the bounded top-k (the words
    /// fallback's run included, when it ran).
    public var match: Double
    /// The page: its rows, highlights and snippets.
    public var page: Double
    /// From arrival until the result was built (before it is encoded as JSON).
    public var total: Double
    /// True when the matches, `total` and facets came from the daemon's cache of searches with
    /// many matches (valid until the next change to the index) instead of FTS5; absent when false.
    public var cached: Bool?

    public init(wait: Double, plan: Double, match: Double, page: Double, total: Double, cached: Bool? = nil) {
        self.cached = cached
        self.wait = wait
        self.plan = plan
        self.match = match
        self.page = page
        self.total = total
    }
}

/// How many of a search's matching documents (all pages, only those the caller may read) have
/// each extension, category and year. Each list is sorted by count, largest first (`year`: by
/// year, newest first) and holds at most ``maxValues`` values.
public struct SearchFacets: Codable, Sendable, Equatable {
    /// Most values per list.
    public static let maxValues = 50

    /// Lower-case file name extensions without the dot (`txt`); `""` for a name without one.
    public var ext: [FacetValue]
    /// Front matter categories, as written in the first document that has each.
    public var category: [FacetValue]
    /// Years (`2023`) of the documents' days (the `date` of hits).
    public var year: [FacetValue]

    public init(ext: [FacetValue], category: [FacetValue], year: [FacetValue]) {
        self.ext = ext
        self.category = category
        self.year = year
    }
}

/// One value of a facet and the number of matching documents that have it.
public struct FacetValue: Codable, Sendable, Equatable {
    public var value: String
    public var count: Int

    public init(value: String, count: Int) {
        self.value = value
        self.count = count
    }
}

/// One hit of `search`.
public struct SearchHitMessage: Codable, Sendable, Equatable {
    /// Absolute path of the file. A name that is not valid UTF-8 has each invalid byte as
    /// U+10FF00 + byte (see `RawPath`), and `pathBytes` is set.
    public var path: String
    /// The exact path bytes, base64, only when they are not valid UTF-8.
    public var pathBytes: String?
    public var title: String
    /// Relevance from `jiansuo_rank` (BM25, title matches weighing 10× body matches, with word
    /// and proximity boosts). Higher is better; comparable within one query only.
    public var score: Double
    /// An excerpt of the body around the best match, on one line, without markup.
    public var snippet: String
    /// Matched ranges of `snippet` as `[start, end]` pairs of UTF-8 byte offsets (end exclusive).
    public var highlights: [[Int]]
    /// The document's day, `YYYY-MM-DD`: its front-matter date, else the file's modification
    /// day (what `sort: "date"` orders by). Absent from older daemons.
    public var date: String?

    public init(path: String, title: String, score: Double, snippet: String, highlights: [[Int]], date: String? = nil) {
        self.date = date
        self.path = path
        self.pathBytes = RawPath.isEscaped(path) ? Data(RawPath.bytes(of: path)).base64EncodedString() : nil
        self.title = title
        self.score = score
        self.snippet = snippet
        self.highlights = highlights
    }
}

/// Result of `status`.
public struct StatusResult: Codable, Sendable, Equatable {
    /// `"scanning"` (initial crawl), `"indexing"` (files pending), `"merging"` (every file is
    /// indexed and searchable; after bulk work, the index's segments are being merged and the
    /// searches of its most frequent terms cached),
    /// `"idle"`; also `"polling"`, `"missing-root"`, `"rebuilding"` or `"damaged"`.
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
    /// Documents whose charset is a guess (see ``ShowResult/encodingUncertainty``); absent
    /// from daemons before 0.3.
    public var uncertainEncodings: Int?
    /// The most recent of them.
    public var recentErrors: [FileErrorMessage]
    /// Daemon version.
    public var version: String
    /// Directories watched with inotify.
    public var watchedDirectories: Int
    /// Directories over the inotify watch limit (`fs.inotify.max_user_watches`), polled instead.
    public var unwatchedDirectories: Int
    /// How often the inotify queue overflowed (each one triggers a full reconcile).
    public var overflows: Int
    /// Watched directories whose access is kept for the searches of users other than root
    /// (see docs/protocol.md, "Who sees what"); nil for a caller who may not write, and from
    /// daemons before 0.3.
    public var keptDirectories: Int?
    /// Roots that do not exist at the moment (watched again when they come back).
    public var missingRoots: [String]
    /// A rebuild in progress, or nil.
    public var rebuild: RebuildStatus?
    /// How the last rebuild ended, or nil.
    public var lastRebuild: String?
    /// Files read and extracted since the daemon started.
    public var extractions: Int
    /// Files quarantined because extracting or writing them stopped the daemon (they are in
    /// `errors` too, with a message starting `quarantined:`).
    public var quarantined: Int
    /// Directories that cannot be read or watched (`message` says why, e.g. `Permission
    /// denied`): their files are not indexed. At most 10; `unreadableDirectoryCount` counts all.
    public var unreadableDirectories: [FileErrorMessage]
    public var unreadableDirectoryCount: Int
    /// The last finished reconcile, or nil before the start-up crawl has finished.
    public var lastReconcile: ReconcileStatus?
    /// Why the index in use is damaged (SQLite reported corruption), while a rebuild from the
    /// files replaces it; nil when it is not known to be damaged. `state` is then `"damaged"`.
    public var damage: String?

    public init(state: String, documents: Int, pending: Int, roots: [String], index: String,
                errors: Int, recentErrors: [FileErrorMessage], version: String,
                watchedDirectories: Int = 0, unwatchedDirectories: Int = 0, overflows: Int = 0,
                missingRoots: [String] = [], rebuild: RebuildStatus? = nil, lastRebuild: String? = nil, extractions: Int = 0,
                damage: String? = nil, quarantined: Int = 0, unreadableDirectories: [FileErrorMessage] = [],
                unreadableDirectoryCount: Int = 0, lastReconcile: ReconcileStatus? = nil, uncertainEncodings: Int? = nil,
                keptDirectories: Int? = nil) {
        self.keptDirectories = keptDirectories
        self.uncertainEncodings = uncertainEncodings
        self.damage = damage
        self.quarantined = quarantined
        self.unreadableDirectories = unreadableDirectories
        self.unreadableDirectoryCount = unreadableDirectoryCount
        self.lastReconcile = lastReconcile
        self.extractions = extractions
        self.watchedDirectories = watchedDirectories
        self.unwatchedDirectories = unwatchedDirectories
        self.overflows = overflows
        self.missingRoots = missingRoots
        self.rebuild = rebuild
        self.lastRebuild = lastRebuild
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

/// What the last reconcile found.
public struct ReconcileStatus: Codable, Sendable, Equatable {
    /// Why it ran (`start`, `requested`, `inotify queue overflow`, …; several when coalesced).
    public var reason: String
    /// Files found on disk.
    public var files: Int
    /// New, changed and removed files it queued for indexing.
    public var changes: Int
    /// Files written within a second of being indexed, read again to compare their content.
    public var verified: Int
    /// How long the crawl took, in seconds.
    public var seconds: Double
    /// When it finished, in milliseconds since the Unix epoch.
    public var finishedAtMilliseconds: Int64

    public init(reason: String, files: Int, changes: Int, verified: Int, seconds: Double, finishedAtMilliseconds: Int64) {
        self.reason = reason
        self.files = files
        self.changes = changes
        self.verified = verified
        self.seconds = seconds
        self.finishedAtMilliseconds = finishedAtMilliseconds
    }
}

/// Result of `errors`: files that could not be indexed, newest first.
public struct ErrorsResult: Codable, Sendable, Equatable {
    /// All failures recorded.
    public var total: Int
    public var errors: [FileErrorMessage]

    public init(total: Int, errors: [FileErrorMessage]) {
        self.total = total
        self.errors = errors
    }
}

/// Progress of a rebuild.
public struct RebuildStatus: Codable, Sendable, Equatable {
    /// What a rebuild is doing.
    public enum Phase: String, Codable, Sendable {
        /// Reading and indexing the files (`done` of `total`).
        case indexing
        /// Every file is indexed; merging the new index's segments and swapping it in.
        case finishing
    }

    /// Files done and to do.
    public var done: Int
    public var total: Int
    /// Seconds since the rebuild started.
    public var elapsedSeconds: Double
    /// Absent from older daemons (then: indexing).
    public var phase: Phase?

    public init(done: Int, total: Int, elapsedSeconds: Double, phase: Phase? = nil) {
        self.done = done
        self.total = total
        self.elapsedSeconds = elapsedSeconds
        self.phase = phase
    }
}

/// Result of `reconcile`, `rebuild` and `optimize`.
public struct ActionResult: Codable, Sendable, Equatable {
    /// False when the action was already running (rebuild) and nothing new was started.
    public var started: Bool
    public var message: String

    public init(started: Bool, message: String) {
        self.started = started
        self.message = message
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

/// Result of `segment`.
public struct SegmentResult: Codable, Sendable, Equatable {
    /// The text after normalization (NFKC_Casefold, traditional→simplified if enabled).
    public var normalized: String
    public var tokens: [TokenMessage]

    public init(normalized: String, tokens: [TokenMessage]) {
        self.normalized = normalized
        self.tokens = tokens
    }
}

/// One token of `segment`.
public struct TokenMessage: Codable, Sendable, Equatable {
    /// The normalized token as indexed (colocated words without their internal marker).
    public var text: String
    /// `han`, `hanWord` (colocated with the character before), `letter`, `number`, `subword` and
    /// `runWord` (colocated: a case piece of letters, a whole run of letters and digits), `kana`,
    /// `ideographic`.
    public var kind: String
    /// UTF-8 byte offsets `[start, end)` into the original text.
    public var start: Int
    public var end: Int
    /// Token position; colocated tokens share their first character's.
    public var position: Int

    public init(text: String, kind: String, start: Int, end: Int, position: Int) {
        self.text = text
        self.kind = kind
        self.start = start
        self.end = end
        self.position = position
    }
}

/// Result of `show`.
public struct ShowResult: Codable, Sendable, Equatable {
    public var path: String
    public var title: String
    /// `text`, `markdown` or `html`.
    public var format: String
    /// The charset the file was decoded from, e.g. `UTF-8`, `GB18030`.
    public var encoding: String
    /// Why `encoding` is a guess (a detection with low confidence, or a Chinese charset
    /// chosen over the detector's single-byte one); absent when it is not.
    public var encodingUncertainty: String?
    /// File size in bytes when indexed.
    public var size: Int64
    /// Modification time when indexed, in nanoseconds since the Unix epoch.
    public var mtimeNanoseconds: Int64
    /// When it was indexed, in milliseconds since the Unix epoch.
    public var indexedAtMilliseconds: Int64
    /// Front matter fields.
    public var date: String?
    public var author: String?
    public var categories: [String]
    public var tags: [String]
    /// Link targets (HTML `href`s, markdown link URLs); stored, not indexed as body words.
    public var links: [String]
    /// The extracted body text, as indexed.
    public var body: String
    /// With a `query`: every occurrence of its terms in `body`, as `[start, end]` pairs of UTF-8
    /// byte offsets (end exclusive), in order, at most ``maxHighlights``. Absent without a query.
    public var highlights: [[Int]]?
    /// True when `body` holds more occurrences than `highlights` lists.
    public var highlightsTruncated: Bool?
    /// Most occurrences `highlights` lists.
    public static let maxHighlights = 10_000

    public init(path: String, title: String, format: String, encoding: String, size: Int64, mtimeNanoseconds: Int64,
                indexedAtMilliseconds: Int64, date: String?, author: String?, categories: [String], tags: [String],
                links: [String] = [], body: String, encodingUncertainty: String? = nil, highlights: [[Int]]? = nil,
                highlightsTruncated: Bool? = nil) {
        self.highlights = highlights
        self.highlightsTruncated = highlightsTruncated
        self.encodingUncertainty = encodingUncertainty
        self.links = links
        self.path = path
        self.title = title
        self.format = format
        self.encoding = encoding
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.indexedAtMilliseconds = indexedAtMilliseconds
        self.date = date
        self.author = author
        self.categories = categories
        self.tags = tags
        self.body = body
    }
}
