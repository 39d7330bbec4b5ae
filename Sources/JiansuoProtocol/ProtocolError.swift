/// An error response: a stable machine-readable `code` and a message for people.
public struct ProtocolError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// Stable error codes. Clients may branch on these; messages may change.
    public enum Code: String, Codable, Sendable {
        /// The line is not a JSON object of the request shape.
        case badRequest = "bad_request"
        /// `v` names a protocol version this daemon does not speak.
        case unsupportedVersion = "unsupported_version"
        /// `method` is not one of the known methods.
        case unknownMethod = "unknown_method"
        /// `params` are missing, of the wrong type or out of range.
        case invalidParams = "invalid_params"
        /// The named document is not in the index.
        case notFound = "not_found"
        /// The peer's user may not connect, or may not run this write command.
        case forbidden = "forbidden"
        /// The index failed a consistency check (`check`); `rebuild` replaces it.
        case corrupt = "corrupt"
        /// Too many clients are connected; try again shortly.
        case busy = "busy"
        /// The query ran over its time budget and was stopped.
        case timeout = "timeout"
        /// The request line is longer than ``WireProtocol/maxRequestBytes``.
        case requestTooLarge = "request_too_large"
        /// The daemon failed; the message says how. The request may be retried.
        case `internal` = "internal"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A one-line description of a decoding error, naming the key path.
    public static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let p = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at '\(p)'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)'\(path(context))"
        case .typeMismatch(_, let context): return "wrong type\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value\(path(context))"
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return "malformed JSON\(path(context)): \(context.debugDescription)\(underlying)"
        @unknown default: return "\(error)"
        }
    }
}
