import Yams

/// A leading YAML front matter block: `---` on the first line, YAML, then `---` (or `...`) on a
/// line of its own. Parsed with Yams (https://github.com/jpsim/Yams).
public enum FrontMatter {
    /// Splits `text` (with `\n` line ends) into its front matter and the rest. Blank lines may
    /// precede the opening `---`.
    ///
    /// Returns nil when the text has no front matter block. When the block is there but is not a
    /// YAML mapping, `metadata` is nil, `warning` says why and `body` is the whole text, so
    /// nothing is lost.
    public static func split(_ text: String) -> (metadata: Metadata?, body: Substring, warning: String?)? {
        // Blank lines before the opening `---` are tolerated (real exports have them).
        let start = text.firstIndex(where: { $0 != "\n" && $0 != " " && $0 != "\t" }) ?? text.endIndex
        guard text[start...].hasPrefix("---\n") else { return nil }
        let afterOpen = text.index(start, offsetBy: 4)
        var lineStart = afterOpen
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: "\n") ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line == "---" || line == "..." {
                let yaml = String(text[afterOpen..<lineStart])
                let rest = lineEnd < text.endIndex ? text[text.index(after: lineEnd)...] : text[lineEnd...]
                do {
                    let value = try Yams.load(yaml: yaml, resolver)
                    if value == nil { return (Metadata(), rest, nil) }
                    guard let map = value as? [String: Any] else {
                        return (nil, text[...], "front matter is not a YAML mapping")
                    }
                    return (metadata(from: map), rest, nil)
                } catch {
                    return (nil, text[...], "front matter is not valid YAML: \(oneLine(error))")
                }
            }
            lineStart = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
        }
        return (nil, text[...], "front matter has no closing '---' line")
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
