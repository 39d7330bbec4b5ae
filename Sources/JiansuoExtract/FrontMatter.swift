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
                    // The node tree only: Yams's conversion to Swift values (`load`) can trap on
                    // hostile YAML (found by fuzz/FuzzExtract), and a trap would stop the daemon.
                    guard let node = try Yams.compose(yaml: String(yaml)) else { return Split(metadata: Metadata(), body: rest) }
                    guard let map = node.mapping else {
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

    static func metadata(from map: Node.Mapping) -> Metadata {
        var fields: [String: Node] = [:]
        for (key, value) in map {
            if let name = key.scalar?.string, fields[name] == nil { fields[name] = value }
        }
        return Metadata(
            title: scalar(fields["title"]),
            date: scalar(fields["date"]),
            author: scalar(fields["author"]),
            categories: list(fields["categories"] ?? fields["category"]),
            tags: list(fields["tags"] ?? fields["tag"]))
    }

    /// A scalar's text as written (a date stays the text of the date).
    private static func scalar(_ node: Node?) -> String? {
        guard let scalar = node?.scalar else { return nil }
        if scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty { return nil }
        return scalar.string
    }

    private static func list(_ node: Node?) -> [String] {
        if let items = node?.sequence { return items.compactMap { scalar($0) } }
        return scalar(node).map { [$0] } ?? []
    }

    private static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
