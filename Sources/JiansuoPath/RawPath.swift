/// File paths are bytes on Linux; the index and the protocol use strings. This is the one
/// reversible mapping between them.
///
/// A path that is valid UTF-8 is used as it is. In a path that is not, each byte of an invalid
/// sequence becomes the scalar U+10FF00 + byte (in Supplementary Private Use Area-B), so that
/// `bytes(of: string(from: b)) == b` for every byte string `b`. Such paths are returned to
/// clients with their exact bytes as well (`pathBytes`, base64, in the protocol).
public enum RawPath {
    /// First scalar of the escape range: U+10FF00 + byte.
    static let escapeBase: UInt32 = 0x10FF00

    /// The string for the path bytes `bytes`.
    public static func string(from bytes: some Collection<UInt8>) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var pending = Array(bytes)[...]
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                scalars.append(Unicode.UTF8.decode(encoded))
                pending = pending.dropFirst(encoded.count)
            case .error(let length):
                for byte in pending.prefix(length) { scalars.append(Unicode.Scalar(escapeBase + UInt32(byte))!) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return String(scalars)
            }
        }
    }

    /// The path bytes of `path` (the inverse of ``string(from:)``).
    public static func bytes(of path: String) -> [UInt8] {
        guard isEscaped(path) else { return Array(path.utf8) }
        var out: [UInt8] = []
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase, scalar.value <= escapeBase + 0xFF {
                out.append(UInt8(scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Whether `path` holds escaped bytes, i.e. its file name is not valid UTF-8.
    public static func isEscaped(_ path: String) -> Bool {
        path.unicodeScalars.contains { $0.value >= escapeBase && $0.value <= escapeBase + 0xFF }
    }

    /// Calls `body` with the NUL-terminated path bytes, for system calls.
    public static func withCString<T>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        guard isEscaped(path) else { return try path.withCString(body) }
        let raw = bytes(of: path).map { CChar(bitPattern: $0) } + [0]
        return try raw.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }
}
