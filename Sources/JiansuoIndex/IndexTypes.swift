import GRDB
import CIndex
import Foundation
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery

/// What the index remembers of a file to tell whether it changed.
public struct FileState: Sendable, Equatable {
    /// Size in bytes.
    public var size: Int64
    /// Modification time in nanoseconds since the Unix epoch.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64

    public init(size: Int64, mtimeNanoseconds: Int64, inode: UInt64) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
    }
}

/// One change to apply to the index.
public enum IndexChange: Sendable {
    /// Insert or replace the document at `path`; `contentHash` is ``ContentHash`` of the file's
    /// bytes; `prepared` holds its tokens when ``SearchIndex/prepare(_:)`` analysed it ahead.
    /// `access`: its owner, group and mode, for filtering results by reader (nil: unknown).
    case upsert(path: String, state: FileState, document: Document, contentHash: UInt64 = 0, prepared: PreparedDocument? = nil,
                access: FileAccess? = nil)
    /// Remove the document at `path` (no-op when absent).
    case delete(path: String)
    /// Remove every document under the directory `path` (`path/…`).
    case deleteTree(path: String)
    /// The file at `from` was renamed to `to`: move its document (replacing any at `to`).
    case rename(from: String, to: String)
    /// The directory `from` was renamed to `to`: move every document under it.
    case renameTree(from: String, to: String)
    /// Record that `path` could not be indexed; any old document for it is kept out of results.
    /// With `state`, the failure belongs to that version of the file: a reconcile tries it again
    /// only when the file changes (an extraction error, a file over the time budget, a file
    /// quarantined after it stopped the daemon). Without, it is tried at every reconcile (a
    /// read error: permissions may change without the file changing).
    case failure(path: String, message: String, state: FileState? = nil)
    /// The file at `path` was read again and is unchanged (same content hash): record `state`
    /// and the time, so that its metadata proves it unchanged from now on (and `access`, when given).
    case verified(path: String, state: FileState, access: FileAccess? = nil)
    /// Only the owner, group or mode of the file at `path` changed (chmod, chown, setfacl):
    /// record them; nothing is read or extracted again.
    case access(path: String, access: FileAccess)
}

extension IndexChange {
    /// UTF-8 bytes of text this change writes (title and body of an upsert), for bounding
    /// transactions and memory; 0 for the other changes.
    public var textBytes: Int {
        if case .upsert(_, _, let document, _, _, _) = self { return document.title.utf8.count + document.body.utf8.count }
        return 0
    }

    /// The path the change is about (the destination of a rename).
    public var path: String {
        switch self {
        case .upsert(let p, _, _, _, _, _), .delete(let p), .deleteTree(let p), .failure(let p, _, _), .verified(let p, _, _), .access(let p, _): p
        case .rename(_, let to), .renameTree(_, let to): to
        }
    }
}

/// A document's tokens, analysed ahead of its write by ``SearchIndex/prepare(_:)`` so that the
/// writer only replays them.
public struct PreparedDocument: Sendable {
    let recordings: [TokenRecording]
    let fields: DerivedFields
}

/// The `documents` columns computed from a document's text and metadata.
struct DerivedFields: Sendable {
    /// ``SearchIndex/titleKey(_:options:)`` of the title.
    var titleKey: String
    /// The front matter date's day, `YYYY-MM-DD`, when it has a readable one.
    var day: String?
    /// JSON arrays.
    var categories: String
    var tags: String
    var links: String
    /// The body as stored: zlib-compressed (see `cindex_store_text`).
    var storedBody: Data

    init(_ document: Document, options: AnalysisOptions) {
        storedBody = Self.store(document.body)
        titleKey = SearchIndex.titleKey(document.title, options: options)
        day = document.metadata.date.flatMap(DocumentDate.day)
        categories = Self.jsonArray(document.metadata.categories)
        tags = Self.jsonArray(document.metadata.tags)
        links = Self.jsonArray(document.links)
    }

    /// `text` encoded by `cindex_store_text`.
    static func store(_ text: String) -> Data {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                var count: Int32 = 0
                guard let stored = cindex_store_text(chars.baseAddress, Int32(chars.count), &count) else {
                    // Out of memory: store the text as it is (tag 0).
                    return Data([0] + Array(utf8))
                }
                defer { cindex_free(stored) }
                return Data(bytes: stored, count: Int(count))
            }
        }
    }

    static func jsonArray(_ items: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(items), as: UTF8.self)) ?? "[]"
    }
}

/// What the index knows of a file, to decide whether it must be read again.
public struct StoredState: Sendable, Equatable {
    public var state: FileState
    /// ``ContentHash`` of the bytes that were indexed.
    public var contentHash: UInt64
    /// When the file was indexed, in milliseconds since the Unix epoch.
    public var indexedAtMilliseconds: Int64
    /// Owner, group and mode as last recorded; nil when unknown (indexed before they were kept).
    public var access: FileAccess? = nil

    /// True when size, mtime and inode cannot prove the file unchanged: it was modified within
    /// the second before it was indexed, so a later write in the same timestamp tick would
    /// leave them equal (the "racy clean" case). Such files are verified by content hash.
    public var isAmbiguous: Bool {
        state.mtimeNanoseconds >= (indexedAtMilliseconds - 1000) * 1_000_000
    }
}

/// FNV-1a, 64 bits: a fast content fingerprint to verify files whose metadata is ambiguous.
/// Not cryptographic. See http://www.isthe.com/chongo/tech/comp/fnv/
public enum ContentHash {
    public static func of(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// A search request against the index.
public struct SearchRequest: Sendable {
    /// The FTS5 MATCH expression (from ``JiansuoQuery/QueryCompiler``; never raw user text), or
    /// nil to list the documents that pass `filters`, newest first.
    public var match: String?
    /// Metadata conditions every hit must meet.
    public var filters: [DocumentFilter]
    /// Maximum hits to return.
    public var limit: Int
    /// Hits to skip, for paging.
    public var offset: Int
    /// ``SearchIndex/titleKey(_:options:)`` of the user's query text: documents with exactly
    /// this title rank first. Nil to skip that rule.
    public var titleKey: String?
    /// Whether to compute snippets (the costliest part of a large page).
    public var snippets: Bool
    /// The order of hits.
    public var order: ResultOrder
    /// ``JiansuoQuery/CompiledQuery/rankLayout`` of `match`: which phrase is a term, a word
    /// boost or excluded. Empty ranks every phrase as a required term.
    public var rankLayout: String
    /// ``JiansuoQuery/CompiledQuery/highlightTerms``: marked in snippets by our highlighter.
    /// Empty: snippets are the opening of each body, with no highlights.
    public var highlightTerms: [HighlightTerm]
    /// The longest the search may run, in milliseconds, or nil for no limit. Enforced on the
    /// search's own database connection; over it the search throws ``IndexError/timeout(milliseconds:)``.
    public var timeBudgetMilliseconds: Int?
    /// The user searching: hits, `total` and pages count only the documents this user may read
    /// (see ``ReadPermission``). Nil: every document (root, the daemon's own user).
    public var reader: Reader?
    /// Directory access kept between requests, used for `reader` when current (see
    /// ``DirectoryAccessCache``). Nil: every directory is examined with a `stat(2)`.
    public var directories: DirectoryAccessCache?
    /// Whether to count the matches by extension, category and year (``SearchResults/facets``).
    public var facets: Bool

    public init(match: String?, filters: [DocumentFilter] = [], limit: Int, offset: Int, titleKey: String? = nil,
                snippets: Bool = true, order: ResultOrder = .relevance, rankLayout: String = "",
                highlightTerms: [HighlightTerm] = [], timeBudgetMilliseconds: Int? = nil, reader: Reader? = nil,
                directories: DirectoryAccessCache? = nil, facets: Bool = false) {
        self.facets = facets
        self.directories = directories
        self.timeBudgetMilliseconds = timeBudgetMilliseconds
        self.reader = reader
        self.rankLayout = rankLayout
        self.highlightTerms = highlightTerms
        self.snippets = snippets
        self.order = order
        self.match = match
        self.filters = filters
        self.limit = limit
        self.offset = offset
        self.titleKey = titleKey
    }
}

extension SearchRequest {
    /// The request for the user's query text `query`, compiled as `compiled`
    /// (``JiansuoQuery/QueryCompiler/compile(_:)``): its match, filters, rank layout and
    /// highlight terms, and the title key of `query` analysed with `options`. The daemon's
    /// searches and ``SearchIndex/warmMatchCache(fraction:limit:shouldStop:)`` both build their
    /// requests here, so that a warmed search is the one a user's search looks up.
    public init(query: String, compiled: CompiledQuery, options: AnalysisOptions, limit: Int, offset: Int = 0,
                snippets: Bool = true, order: ResultOrder = .relevance, timeBudgetMilliseconds: Int? = nil,
                reader: Reader? = nil, directories: DirectoryAccessCache? = nil, facets: Bool = false) {
        self.init(match: compiled.match, filters: compiled.filters, limit: limit, offset: offset,
                  titleKey: SearchIndex.titleKey(query, options: options), snippets: snippets, order: order,
                  rankLayout: compiled.rankLayout, highlightTerms: compiled.highlightTerms,
                  timeBudgetMilliseconds: timeBudgetMilliseconds, reader: reader, directories: directories, facets: facets)
    }
}

/// The order of search hits.
public enum ResultOrder: String, Sendable {
    /// Exact title, then title matches, then BM25.
    case relevance
    /// Newest document day first (ties by relevance).
    case date
    /// By path (byte order).
    case path
}

/// One ranked hit.
public struct SearchHit: Sendable, Equatable {
    public var path: String
    public var title: String
    /// Relevance: the negated bm25 rank (title weight 10, body 1). Higher is better.
    public var score: Double
    /// A short excerpt of the body around the best match, on one line.
    public var snippet: String
    /// Matched ranges in `snippet`, as UTF-8 byte offsets `[start, end)`.
    public var highlights: [Range<Int>]
    /// The document's day, `YYYY-MM-DD` (its front-matter date, else the file's modification
    /// day): what `sort: date` orders by.
    public var date: String? = nil
}

/// Hits of a page plus the total number of matching documents.
public struct SearchResults: Sendable, Equatable {
    public var total: Int
    public var hits: [SearchHit]
    /// Time spent matching, ranking and keeping the top k, and on the page (rows, highlights,
    /// snippets), in nanoseconds.
    public var matchNanoseconds: UInt64 = 0
    public var pageNanoseconds: UInt64 = 0
    /// The matches counted by extension, category and year, when the request asked.
    public var facets: FacetCounts? = nil
    /// True when the matches, `total` and `facets` came from the index's cache of searches with
    /// many matches (see ``SearchIndex/warmMatchCache(fraction:limit:shouldStop:)``) instead of FTS5.
    public var cached = false
}

/// A file that could not be indexed.
public struct IndexingFailure: Sendable, Equatable {
    public var path: String
    public var message: String
    /// When it happened, in milliseconds since the Unix epoch.
    public var atMilliseconds: Int64
}

/// Errors of the index.
public enum IndexError: Error, CustomStringConvertible {
    /// The ``IndexError`` for a GRDB/SQLite error: ``corrupt(_:)`` for SQLITE_CORRUPT and
    /// SQLITE_NOTADB (whatever the statement), ``failed(_:)`` otherwise; other errors are
    /// returned as they are.
    public static func from(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            return IndexError.corrupt(error.message ?? "\(error)")
        }
        return IndexError.failed(error.message ?? "\(error)")
    }

    /// SQLite rejected the MATCH expression (should not happen for compiled queries).
    case invalidQuery(String)
    /// The database could not be opened or migrated; `reason` is SQLite's message.
    case cannotOpen(path: String, reason: String)
    /// The database file is damaged: SQLite reported SQLITE_CORRUPT or SQLITE_NOTADB (at open,
    /// in a check, or in any read or write), or ``SearchIndex/integrityCheck()`` found an
    /// inconsistency. Only a rebuild from the files repairs it.
    case corrupt(String)
    /// A search ran over its ``SearchRequest/timeBudgetMilliseconds`` and was stopped.
    case timeout(milliseconds: Int)
    /// SQLite failed for another reason (a full disk, I/O, out of memory); `message` is SQLite's.
    case failed(String)

    public var description: String {
        switch self {
        case .invalidQuery(let m): "invalid query: \(m)"
        case .cannotOpen(let path, let reason): "cannot open the index at \(path): \(reason)"
        case .corrupt(let m): "index is corrupt: \(m)"
        case .timeout(let ms): "the search took longer than \(ms) ms and was stopped"
        case .failed(let m): "index operation failed: \(m)"
        }
    }
}

/// A document as the index stores it.
public struct StoredDocument: Sendable, Equatable {
    public var path: String
    public var state: FileState
    public var title: String
    public var format: String
    public var encoding: String
    public var date: String?
    public var author: String?
    public var categories: [String]
    public var tags: [String]
    /// Link targets found in the document.
    public var links: [String]
    /// When it was indexed, in milliseconds since the Unix epoch.
    public var indexedAtMilliseconds: Int64
    public var body: String
    /// Why `encoding` is a guess, or nil (see ``JiansuoExtract/Document/encodingUncertainty``).
    public var encodingUncertainty: String? = nil
}
