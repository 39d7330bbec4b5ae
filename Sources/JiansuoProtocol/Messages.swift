import Foundation

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

    public var method: String {
        switch self {
        case .ping: "ping"
        case .version: "version"
        case .status: "status"
        case .search: "search"
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

    /// The query in the search syntax (see README "Query syntax").
    public var query: String
    /// Number of hits to return, 1…``maxLimit``; default ``defaultLimit``.
    public var limit: Int?
    /// Number of hits to skip, ≥ 0; default 0.
    public var offset: Int?

    public init(query: String, limit: Int? = nil, offset: Int? = nil) {
        self.query = query
        self.limit = limit
        self.offset = offset
    }
}

/// A request line with its envelope.
public struct RequestEnvelope: Sendable, Equatable {
    /// Echoed in the response; chosen by the client.
    public var id: Int?
    public var request: Request

    public init(id: Int? = nil, request: Request) {
        self.id = id
        self.request = request
    }
}

extension RequestEnvelope: Codable {
    private enum Keys: String, CodingKey { case v, id, method, params }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let v = try c.decodeIfPresent(Int.self, forKey: .v) ?? WireProtocol.version
        guard v == WireProtocol.version else {
            throw ProtocolError(.unsupportedVersion, "protocol version \(v) is not supported; this daemon speaks \(WireProtocol.version)")
        }
        id = try c.decodeIfPresent(Int.self, forKey: .id)
        let method = try c.decode(String.self, forKey: .method)
        switch method {
        case "ping": request = .ping
        case "version": request = .version
        case "status": request = .status
        case "search":
            do {
                request = .search(try c.decode(SearchParams.self, forKey: .params))
            } catch let error as DecodingError {
                throw ProtocolError(.invalidParams, "search params: \(ProtocolError.describe(error))")
            }
        default:
            throw ProtocolError(.unknownMethod, "unknown method '\(method)'; known: ping, version, status, search")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(WireProtocol.version, forKey: .v)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(request.method, forKey: .method)
        if case .search(let params) = request { try c.encode(params, forKey: .params) }
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
