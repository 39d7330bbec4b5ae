/// The text of a markdown document: what a reader sees, without the markup. Line by line and
/// linear in the input, so no document can make it loop (the markdown library used before, Ink
/// 0.6, never returned on inputs fuzz/FuzzExtract found).
///
/// Headings lose their `#` (and setext underlines go), block quotes their `>`, list items their
/// markers, horizontal rules disappear; fenced code blocks are kept as they are; inline, links
/// and images keep their text (`[text](url)` → text; the URL goes to ``links``), code spans
/// and `**`, `*`, `~~` emphasis lose their markers. Paragraphs stay separated by blank lines.
public struct MarkdownText: Sendable, Equatable {
    public var body: String
    /// Text of the first heading (ATX `#` or setext), empty when there is none.
    public var firstHeading: String
    /// Link and image targets, in order.
    public var links: [String]

    public init(parsing text: String) {
        var lines: [String] = []
        var links: [String] = []
        var heading = ""
        var fence: String?
        let source = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, raw) in source.enumerated() {
            let trimmed = raw.drop(while: { $0 == " " || $0 == "\t" })
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil } else { lines.append(String(raw)) }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = String(trimmed.prefix(3))
                continue
            }
            var line = trimmed
            // Setext underline: the previous line was a heading.
            if !line.isEmpty, line.allSatisfy({ $0 == "=" || $0 == "-" }), n > 0, !lines.isEmpty, !(lines.last ?? "").isEmpty {
                if heading.isEmpty { heading = lines.last! }
                continue
            }
            // Horizontal rule.
            let compact = line.filter { $0 != " " }
            if compact.count >= 3, let c = compact.first, "-*_".contains(c), compact.allSatisfy({ $0 == c }) { continue }
            while line.hasPrefix(">") { line = line.dropFirst().drop(while: { $0 == " " }) }
            if line.hasPrefix("#") {
                let hashes = line.prefix(while: { $0 == "#" })
                let rest = line.dropFirst(hashes.count)
                if hashes.count <= 6, rest.isEmpty || rest.first == " " {
                    line = rest.drop(while: { $0 == " " })
                    while line.hasSuffix("#") || line.hasSuffix(" ") { line = line.dropLast() }
                    let text = Self.inline(line, links: &links)
                    if heading.isEmpty { heading = text }
                    lines.append(text)
                    continue
                }
            }
            for marker in ["- ", "* ", "+ "] where line.hasPrefix(marker) { line = line.dropFirst(2); break }
            let digits = line.prefix(while: { $0.isASCII && $0.isNumber })
            if !digits.isEmpty, digits.count <= 9 {
                let after = line.dropFirst(digits.count)
                if after.hasPrefix(". ") || after.hasPrefix(") ") { line = after.dropFirst(2) }
            }
            lines.append(Self.inline(line, links: &links))
        }
        body = lines.joined(separator: "\n")
        firstHeading = heading
        self.links = links
    }

    /// Inline markup of one line: links, images, code spans, emphasis.
    static func inline(_ line: Substring, links: inout [String]) -> String {
        let chars = Array(line)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            // [text](url) and ![alt](url)
            if c == "[" || (c == "!" && i + 1 < chars.count && chars[i + 1] == "[") {
                let open = c == "!" ? i + 1 : i
                if let close = chars[(open + 1)...].firstIndex(of: "]"), close + 1 < chars.count, chars[close + 1] == "(",
                   let end = chars[(close + 2)...].firstIndex(of: ")") {
                    out += String(chars[(open + 1)..<close])
                    let target = String(chars[(close + 2)..<end]).split(separator: " ").first.map(String.init) ?? ""
                    if !target.isEmpty { links.append(target) }
                    i = end + 1
                    continue
                }
            }
            if c == "`" || c == "*" || c == "~" {
                // A run of code span and emphasis markers goes; between two letters or digits
                // ("24~26", "5*8", "31``Extending") it separated words, so it becomes a space.
                var end = i
                while end < chars.count, chars[end] == "`" || chars[end] == "*" || chars[end] == "~" { end += 1 }
                let before = i > 0 ? chars[i - 1] : " ", after = end < chars.count ? chars[end] : " "
                if before.isASCII && (before.isLetter || before.isNumber) && after.isASCII && (after.isLetter || after.isNumber) {
                    out.append(" ")
                }
                i = end
                continue
            }
            if c == "\\", i + 1 < chars.count, chars[i + 1].isPunctuation || chars[i + 1].isSymbol {
                out.append(chars[i + 1])  // an escaped character is itself
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }
}
