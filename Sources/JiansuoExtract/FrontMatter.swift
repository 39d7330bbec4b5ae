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
                if yaml.utf8.count > maxBytes {
                    return Split(metadata: nil, body: rest, unparsedBlock: yaml,
                                 warning: "front matter is over \(maxBytes / 1024) KB; indexed as text")
                }
                if nestingBound(yaml) > maxDepth {
                    return Split(metadata: nil, body: rest, unparsedBlock: yaml,
                                 warning: "front matter is nested deeper than \(maxDepth) levels; indexed as text")
                }
                do {
                    // The node tree only: Yams's conversion to Swift values (`load`) can trap on
                    // hostile YAML (found by fuzz/FuzzExtract), and a trap would stop the daemon.
                    // Scalars are read as the text written, so no implicit types are resolved
                    // (`.basic`): the default resolver matches every scalar against regular
                    // expressions (ICU's, through Foundation), 5% of a medium build's CPU. The
                    // encoding is given: Yams's default reads the whole environment (for
                    // YAMS_DEFAULT_ENCODING, printing a line to stdout when it is set) every time.
                    guard let node = try Yams.compose(yaml: String(yaml), .basic, .default, .utf8) else { return Split(metadata: Metadata(), body: rest) }
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

    /// Largest front matter block parsed as YAML, in UTF-8 bytes; a larger one is indexed as text.
    public static let maxBytes = 64 << 10
    /// Deepest nesting parsed as YAML (Yams builds its node tree recursively, one stack frame
    /// per level); a deeper block is indexed as text.
    public static let maxDepth = 64

    /// An upper bound on the nesting depth of the YAML in `yaml`, in one linear pass without
    /// parsing: the deepest flow nesting (`[` and `{`, counted even inside quotes, so the bound
    /// may be high but never low) plus, per line, the block levels its indentation opens and
    /// the `- ` and `? ` indicators that start it.
    public static func nestingBound(_ yaml: Substring) -> Int {
        let bytes = Array(yaml.utf8)
        var deepest = 0
        var flow = 0
        var indents: [Int] = []  // indentation of the open block levels, increasing
        var i = 0
        while i < bytes.count {
            // One line: its indentation, its leading `- ` / `? ` indicators, then its flow brackets.
            var indent = 0
            while i < bytes.count, bytes[i] == 0x20 { indent += 1; i += 1 }
            var indicators = 0
            while i + 1 < bytes.count, bytes[i] == 0x2D || bytes[i] == 0x3F, bytes[i + 1] == 0x20 {
                indicators += 1
                i += 2
                while i < bytes.count, bytes[i] == 0x20 { i += 1 }
            }
            if i < bytes.count, bytes[i] != 0x0A, bytes[i] != 0x23 {
                while let last = indents.last, last >= indent { indents.removeLast() }
                indents.append(indent)
            }
            while i < bytes.count, bytes[i] != 0x0A {
                switch bytes[i] {
                case 0x5B, 0x7B: flow += 1
                case 0x5D, 0x7D: flow = max(0, flow - 1)
                default: break
                }
                deepest = max(deepest, flow + indents.count + indicators)
                i += 1
            }
            deepest = max(deepest, flow + indents.count + indicators)
            i += 1
        }
        return deepest
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
