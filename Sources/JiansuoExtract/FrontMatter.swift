import Yams

/// A leading YAML front matter block: `---` on the first line, YAML, then `---` (or `...`) on a
/// line of its own. Parsed with Yams (https://github.com/jpsim/Yams).
public enum FrontMatter {
    /// The parts of a text that starts with a front matter block.
    public struct Split {
        /// The fields, or nil when the block is not a YAML mapping (see `warning`).
        public var metadata: Metadata?
        /// The text after the block (after the opening line only, when the block never closes).
        public var body: Substring
        /// A block that could not be parsed, to be indexed as plain text so nothing is lost.
        public var unparsedBlock: Substring?
        /// Why the block could not be used.
        public var warning: String?
    }

    /// Splits `text` (with `\n` line ends) into its front matter and the rest. Blank lines may
    /// precede the opening `---`. Returns nil when the text has no front matter block.
    public static func split(_ text: String) -> Split? {
        // Blank lines before the opening `---` are tolerated (real exports have them).
        let start = text.firstIndex(where: { $0 != "\n" && $0 != " " && $0 != "\t" }) ?? text.endIndex
        guard text[start...].hasPrefix("---\n") else { return nil }
        let afterOpen = text.index(start, offsetBy: 4)
        var lineStart = afterOpen
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: "\n") ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line == "---" || line == "..." {
                let yaml = text[afterOpen..<lineStart]
                let rest = lineEnd < text.endIndex ? text[text.index(after: lineEnd)...] : text[lineEnd...]
                do {
                    let value = try Yams.load(yaml: String(yaml), resolver)
                    if value == nil { return Split(metadata: Metadata(), body: rest) }
                    guard let map = value as? [String: Any] else {
                        return Split(metadata: nil, body: rest, unparsedBlock: yaml, warning: "front matter is not a YAML mapping")
                    }
                    return Split(metadata: metadata(from: map), body: rest)
                } catch {
                    return Split(metadata: nil, body: rest, unparsedBlock: yaml, warning: "front matter is not valid YAML: \(oneLine(error))")
                }
            }
            lineStart = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
        }
        return Split(metadata: nil, body: text[afterOpen...], warning: "front matter has no closing '---' line")
    }

    /// YAML's default resolver minus timestamps, so that a `date` stays the text that was written.
    private static let resolver = Resolver.default.removing(.timestamp)

    static func metadata(from map: [String: Any]) -> Metadata {
        Metadata(
            title: scalar(map["title"]),
            date: scalar(map["date"]),
            author: scalar(map["author"]),
            categories: list(map["categories"] ?? map["category"]),
            tags: list(map["tags"] ?? map["tag"]))
    }

    private static func scalar(_ value: Any?) -> String? {
        switch value {
        case let s as String: s
        case let n as Int: String(n)
        case let d as Double: String(d)
        case let b as Bool: String(b)
        default: nil
        }
    }

    private static func list(_ value: Any?) -> [String] {
        if let items = value as? [Any] { return items.compactMap { scalar($0) } }
        return scalar(value).map { [$0] } ?? []
    }

    private static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
