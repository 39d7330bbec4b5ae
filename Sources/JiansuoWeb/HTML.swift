/// Building HTML safely: every string from a document, the daemon or the request goes through
/// ``HTML/escape(_:)`` (text and attribute values alike) or ``URLQuery/encode(_:)``.
struct HTML {
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(16 * 1024) }

    /// Appends trusted markup written in this module.
    mutating func raw(_ markup: String) { bytes.append(contentsOf: markup.utf8) }

    /// Appends `text` escaped for element content and for quoted attribute values.
    mutating func text(_ text: some StringProtocol) { Self.escape(text, into: &bytes) }

    /// Appends UTF-8 bytes of a document as escaped text (bytes that are not UTF-8 become U+FFFD).
    mutating func text(utf8: ArraySlice<UInt8>) { text(String(decoding: utf8, as: UTF8.self)) }

    /// `&`, `<`, `>`, `"` and `'` as character references; every other character as it is
    /// (control characters other than tab, line feed and carriage return as U+FFFD: they have no
    /// place in HTML text).
    static func escape(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        escape(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func escape(_ text: some StringProtocol, into out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
            case 0x09, 0x0A, 0x0D: out.append(byte)
            case 0..<0x20, 0x7F: out.append(contentsOf: "\u{FFFD}".utf8)
            default: out.append(byte)
            }
        }
    }

    /// `text` with the UTF-8 byte ranges `marks` wrapped in `<mark>`; each mark goes through
    /// `open(k)` for its opening markup (k counts from 0) and `close(k)`. Ranges that are out of
    /// order, overlapping, outside `text` or not on character boundaries are dropped.
    mutating func marked(_ text: String, _ marks: [[Int]], open: (Int) -> String = { _ in "<mark>" },
                         close: (Int) -> String = { _ in "</mark>" }) {
        let utf8 = Array(text.utf8)
        func boundary(_ i: Int) -> Bool { i == utf8.count || (i < utf8.count && utf8[i] & 0xC0 != 0x80) }
        var at = 0
        var k = 0
        for mark in marks {
            guard mark.count == 2, mark[0] >= at, mark[0] < mark[1], mark[1] <= utf8.count,
                  boundary(mark[0]), boundary(mark[1]) else { continue }
            self.text(utf8: utf8[at..<mark[0]])
            raw(open(k))
            self.text(utf8: utf8[mark[0]..<mark[1]])
            raw(close(k))
            at = mark[1]
            k += 1
        }
        self.text(utf8: utf8[at...])
    }
}

/// Percent-encoding of query strings (`application/x-www-form-urlencoded`, as forms send them).
enum URLQuery {
    /// `value` percent-encoded: every byte but ASCII letters, digits and `-._~`.
    static func encode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// `key=value&…`, in the given order, leaving out empty values.
    static func make(_ pairs: [(String, String)]) -> String {
        pairs.filter { !$0.1.isEmpty }.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// The pairs of a query string or form body; `+` is a space; malformed escapes are kept as
    /// they are; bytes that are not UTF-8 become U+FFFD. A key given twice keeps its first value.
    static func parse(_ query: some StringProtocol) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true).prefix(64) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if result[key] == nil { result[key] = value }
        }
        return result
    }

    static func decode(_ text: some StringProtocol) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
            } else {
                bytes.append(b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
