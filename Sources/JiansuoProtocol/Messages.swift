#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: the CLI starts faster without ICU's data
#else
import Foundation
#endif

/// The socket protocol: newline-delimited JSON, one request object per line, one response object
/// per line, in order. Every message carries `"v"`, the protocol version.
///
/// Request:  `{"v":1,"id":7,"method":"search","params":{"query":"知识产权","limit":10}}`
/// Response: `{"v":1,"id":7,"ok":true,"result":{…}}` or
///           `{"v":1,"id":7,"ok":false,"error":{"code":"invalid_params","message":"…"}}`
public enum WireProtocol {
    /// The protocol version this build speaks.
    public static let version = 1
    /// Longest request line accepted, in bytes (newline excluded).
    public static let maxRequestBytes = 1 << 20
    /// Most clients connected at once; more are answered `busy` and closed.
    public static let maxClients = 64
    /// A connection with no request for this many seconds is closed.
    public static let idleTimeoutSeconds: Int64 = 60
}

/// A request: what the client asks for.
public enum Request: Sendable, Equatable {
    /// Liveness check; answered with ``PingResult``.
    case ping
    /// Versions of the daemon, protocol and ICU; answered with ``VersionResult``.
    case version
    /// Index and indexing state; answered with ``StatusResult``.
    case status
    /// Full-text search; answered with ``SearchResult``.
    case search(SearchParams)
    /// How a text is normalized and tokenized; answered with ``SegmentResult``.
    case segment(SegmentParams)
    /// One indexed document's stored fields and text; answered with ``ShowResult``.
    case show(ShowParams)
    /// Compare the index with the files on disk and apply the differences; ``ActionResult``.
    case reconcile
    /// Build a fresh index from the files on disk, then swap it in; ``ActionResult``.
    case rebuild
    /// The files that could not be indexed, with the reason, paged; ``ErrorsResult``.
    case errors(ErrorsParams)
    /// Merge the FTS5 index segments (after bulk work); ``ActionResult``.
    case optimize
    /// Full consistency check of the index (SQLite quick_check, FTS5 integrity-check); ``ActionResult``.
    case check

    public var method: String {
        switch self {
        case .ping: "ping"
        case .version: "version"
        case .status: "status"
        case .search: "search"
        case .segment: "segment"
        case .errors: "errors"
        case .show: "show"
        case .reconcile: "reconcile"
        case .rebuild: "rebuild"
        case .optimize: "optimize"
        case .check: "check"
        }
    }
}

/// Parameters of `search`.
public struct SearchParams: Codable, Sendable, Equatable {
    /// Default for `limit`.
    public static let defaultLimit = 20
    /// Largest `limit` accepted.
    public static let maxLimit = 1000
    /// Longest query accepted, in characters.
    public static let maxQueryCharacters = 1000
    /// Largest `offset` accepted: paging deeper than this is refused, because every page
    /// ranks `offset + limit` hits.
    public static let maxOffset = 100_000

    /// The query in the search syntax (see README "Query syntax").
    public var query: String
    /// Number of hits to return, 1…``maxLimit``; default ``defaultLimit``.
    public var limit: Int?
    /// Number of hits to skip, 0…``maxOffset``; default 0.
    public var offset: Int?
    /// Whether hits carry a snippet; default true. Without, hits have an empty `snippet` and
    /// no `highlights`, and large pages are much cheaper.
    public var snippets: Bool?

    /// Order of hits; default ``HitOrder/relevance``.
    public var sort: HitOrder?
    /// Whether the result says where the daemon's time went (``SearchTimings``); default false.
    public var timings: Bool?
    /// Whether the result counts the matching documents by extension, category and year
    /// (``SearchFacets``); default false. Costs a read of every match's metadata.
    public var facets: Bool?

    public init(query: String, limit: Int? = nil, offset: Int? = nil, snippets: Bool? = nil, sort: HitOrder? = nil,
                timings: Bool? = nil, facets: Bool? = nil) {
        self.facets = facets
        self.query = query
        self.limit = limit
        self.offset = offset
        self.snippets = snippets
        self.sort = sort
        self.timings = timings
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case query, limit, offset, snippets, sort, timings, facets }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        query = try c.decode(String.self, forKey: .query)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        offset = try c.decodeIfPresent(Int.self, forKey: .offset)
        if let limit, !(1...Self.maxLimit).contains(limit) {
            throw ProtocolError(.invalidParams, "limit must be between 1 and \(Self.maxLimit), not \(limit)")
        }
        if let offset, !(0...Self.maxOffset).contains(offset) {
            throw ProtocolError(.invalidParams, "offset must be between 0 and \(Self.maxOffset), not \(offset)")
        }
        snippets = try c.decodeIfPresent(Bool.self, forKey: .snippets)
        sort = try c.decodeIfPresent(HitOrder.self, forKey: .sort)
        timings = try c.decodeIfPresent(Bool.self, forKey: .timings)
        facets = try c.decodeIfPresent(Bool.self, forKey: .facets)
    }
}

/// The order of search hits.
public enum HitOrder: String, Codable, Sendable, CaseIterable {
    /// Exact title first, then title matches, then BM25 (the default).
    case relevance
    /// Newest document date first (front matter date, else modification time).
    case date
    /// By path.
    case path
}

/// Rejects keys a message does not define: a misspelt parameter is an error, not ignored.
enum StrictKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func check(_ decoder: any Decoder, _ known: [String]) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = c.allKeys.map(\.stringValue).first(where: { !known.contains($0) }) {
            throw ProtocolError(.invalidParams, "unknown field '\(unknown)'; known: \(known.joined(separator: ", "))")
        }
    }
}

/// Parameters of `segment`.
public struct SegmentParams: Codable, Sendable, Equatable {
    /// Longest text accepted, in characters.
    public static let maxTextCharacters = 100_000

    /// The text to analyze.
    public var text: String
    /// `"document"` (default: as indexed, with colocated words) or `"query"` (as a query term).
    public var purpose: String?

    public init(text: String, purpose: String? = nil) {
        self.text = text
        self.purpose = purpose
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case text, purpose }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decode(String.self, forKey: .text)
        purpose = try c.decodeIfPresent(String.self, forKey: .purpose)
    }
}

/// Parameters of `errors`.
public struct ErrorsParams: Codable, Sendable, Equatable {
    /// Largest `limit` accepted.
    public static let maxLimit = 1000
    /// Largest `offset` accepted.
    public static let maxOffset = 1_000_000

    /// Failures to return, newest first, 1…``maxLimit``; default 100.
    public var limit: Int?
    /// Failures to skip, 0…``maxOffset``; default 0.
    public var offset: Int?

    public init(limit: Int? = nil, offset: Int? = nil) {
        self.limit = limit
        self.offset = offset
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case limit, offset }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        limit = try c.decodeIfPresent(Int.self, forKey: .limit)
        offset = try c.decodeIfPresent(Int.self, forKey: .offset)
        if let limit, !(1...Self.maxLimit).contains(limit) {
            throw ProtocolError(.invalidParams, "limit must be between 1 and \(Self.maxLimit), not \(limit)")
        }
        if let offset, !(0...Self.maxOffset).contains(offset) {
            throw ProtocolError(.invalidParams, "offset must be between 0 and \(Self.maxOffset), not \(offset)")
        }
    }
}

/// Parameters of `show`.
public struct ShowParams: Codable, Sendable, Equatable {
    /// Absolute path of an indexed file.
    public var path: String
    /// A query in the search syntax, up to ``SearchParams/maxQueryCharacters`` characters: the
    /// result's `highlights` mark every occurrence of its terms in `body`. Nil: no highlights.
    public var query: String?

    public init(path: String, query: String? = nil) {
        self.path = path
        self.query = query
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case path, query }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        query = try c.decodeIfPresent(String.self, forKey: .query)
        if let query, query.count > SearchParams.maxQueryCharacters {
            throw ProtocolError(.invalidParams, "query is longer than \(SearchParams.maxQueryCharacters) characters")
        }
    }
}

/// A request line with its envelope.
public struct RequestEnvelope: Sendable, Equatable {
    /// Echoed in the response; chosen by the client, within ±``maxID``.
    public var id: Int?
    /// Largest `id` magnitude: 2^53 − 1, the integers every JSON reader represents exactly.
    public static let maxID = (1 << 53) - 1
    public var request: Request

    public init(id: Int? = nil, request: Request) {
        self.id = id
        self.request = request
    }
}

extension RequestEnvelope: Codable {
    private enum Keys: String, CodingKey { case v, id, method, params }

    public init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, ["v", "id", "method", "params"])
        let c = try decoder.container(keyedBy: Keys.self)
        let v = try c.decodeIfPresent(Int.self, forKey: .v) ?? WireProtocol.version
        guard v == WireProtocol.version else {
            throw ProtocolError(.unsupportedVersion, "protocol version \(v) is not supported; this daemon speaks \(WireProtocol.version)")
        }
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        if let id, !(-Self.maxID...Self.maxID).contains(id) {
            throw ProtocolError(.invalidParams, "id must be an integer between -\(Self.maxID) and \(Self.maxID)")
        }
        let method = try c.decode(String.self, forKey: .method)
        switch method {
        case "ping": request = .ping
        case "version": request = .version
        case "status": request = .status
        case "search": request = .search(try Self.params(c, method))
        case "segment": request = .segment(try Self.params(c, method))
        case "errors": request = .errors(c.contains(.params) ? try Self.params(c, method) : ErrorsParams())
        case "show": request = .show(try Self.params(c, method))
        case "reconcile": request = .reconcile
        case "rebuild": request = .rebuild
        case "optimize": request = .optimize
        case "check": request = .check
        default:
            throw ProtocolError(.unknownMethod, "unknown method '\(method)'; known: ping, version, status, search, segment, show, errors, reconcile, rebuild, optimize, check")
        }
    }

    private static func params<P: Decodable>(_ c: KeyedDecodingContainer<Keys>, _ method: String) throws -> P {
        do {
            return try c.decode(P.self, forKey: .params)
        } catch let error as ProtocolError {
            throw ProtocolError(error.code, "\(method) params: \(error.message)")
        } catch let error as DecodingError {
            throw ProtocolError(.invalidParams, "\(method) params: \(ProtocolError.describe(error))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(WireProtocol.version, forKey: .v)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(request.method, forKey: .method)
        switch request {
        case .search(let params): try c.encode(params, forKey: .params)
        case .segment(let params): try c.encode(params, forKey: .params)
        case .errors(let params): try c.encode(params, forKey: .params)
        case .show(let params): try c.encode(params, forKey: .params)
        case .ping, .version, .status, .reconcile, .rebuild, .optimize, .check: break
        }
    }
}

/// A response line. Exactly one of `result` and `error` is set.
public struct ResponseEnvelope<Result: Codable & Sendable>: Codable, Sendable {
    public var v: Int
    public var id: Int?
    public var ok: Bool
    public var result: Result?
    public var error: ProtocolError?

    public init(id: Int?, result: Result) {
        v = WireProtocol.version
        self.id = id
        ok = true
        self.result = result
        error = nil
    }

    public init(id: Int?, error: ProtocolError) {
        v = WireProtocol.version
        self.id = id
        ok = false
        result = nil
        self.error = error
    }
}

/// A response envelope whose result is not decoded: enough to read an error of any method.
public struct EmptyResult: Codable, Sendable {}
