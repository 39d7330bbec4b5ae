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
        // The last line in `lines` is paragraph text that a soft line break may continue (and
        // whether it was in a block quote: a quote's lines continue only each other).
        var continuable: Bool?
        // Lines as scalar slices: Character (grapheme) iteration costs several times more, and
        // every marker here is ASCII.
        let source = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, raw) in source.enumerated() {
            let trimmed = raw.drop(while: { $0 == " " || $0 == "\t" })
            let wasContinuable = continuable
            continuable = nil
            if let open = fence {
                if trimmed.starts(with: open.unicodeScalars) { fence = nil } else { lines.append(String(String.UnicodeScalarView(raw))) }
                continue
            }
            if trimmed.starts(with: "```".unicodeScalars) || trimmed.starts(with: "~~~".unicodeScalars) {
                fence = String(String.UnicodeScalarView(trimmed.prefix(3)))
                continue
            }
            var line = trimmed
            // Setext underline: the previous line was a heading.
            if !line.isEmpty, line.allSatisfy({ $0 == "=" || $0 == "-" }), n > 0, !lines.isEmpty, !(lines.last ?? "").isEmpty {
                if heading.isEmpty { heading = lines.last! }
                continue
            }
            // Horizontal rule: three or more of one of - * _, spaces allowed between.
            if let c = line.first, c == "-" || c == "*" || c == "_",
               line.allSatisfy({ $0 == c || $0 == " " }), line.lazy.filter({ $0 == c }).count >= 3 { continue }
            while line.first == ">" { line = line.dropFirst().drop(while: { $0 == " " }) }
            if line.first == "#" {
                let hashes = line.prefix(while: { $0 == "#" }).count
                let rest = line.dropFirst(hashes)
                if hashes <= 6, rest.isEmpty || rest.first == " " {
                    line = rest.drop(while: { $0 == " " })
                    while line.last == "#" || line.last == " " { line = line.dropLast() }
                    let text = Self.inline(line, links: &links)
                    if heading.isEmpty { heading = text }
                    lines.append(text)
                    continue
                }
            }
            let quoted = line.startIndex != trimmed.startIndex
            // Indented four columns or more: code, or a continuation best kept as written.
            let indented = raw.prefix(4).allSatisfy { $0 == " " } && raw.count >= 4 || raw.first == "\t"
            var item = false
            if let c = line.first, c == "-" || c == "*" || c == "+", line.dropFirst().first == " " { line = line.dropFirst(2); item = true }
            let digits = line.prefix(while: { $0.isASCII && $0.properties.numericType == .decimal }).count
            if digits > 0, digits <= 9 {
                let after = line.dropFirst(digits)
                // An ordered item keeps its number: a reader sees "11." (so does a renderer), and
                // searches for it (bench/recall at 100,000 documents missed one such "11").
                if after.first == "." || after.first == ")", after.dropFirst().first == " " { item = true }
            }
            let text = Self.inline(line, links: &links)
            // A soft line break inside a paragraph (not a hard break: two spaces or a backslash at
            // the end) between East Asian wide characters is removed (CSS Text 3, see SegmentBreak).
            let hardBreak = (n > 0 && (source[n - 1].reversed().prefix(2).allSatisfy { $0 == " " } && source[n - 1].count >= 2))
                || (n > 0 && source[n - 1].last == "\\")
            if wasContinuable == quoted, !item, !hardBreak, !indented, !text.isEmpty,
               let last = lines.last?.unicodeScalars.last, let first = text.unicodeScalars.first, SegmentBreak.isRemovable(last, first) {
                lines[lines.count - 1].append(text)  // in place: a paragraph of many lines stays linear
            } else {
                lines.append(text)
            }
            continuable = text.isEmpty || indented ? nil : quoted
        }
        body = lines.joined(separator: "\n")
        firstHeading = heading
        self.links = links
    }

    private static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        s.isASCII && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s))
    }

    /// Inline markup of one line: links, images, code spans, emphasis.
    static func inline(_ line: Substring.UnicodeScalarView, links: inout [String]) -> String {
        let chars = Array(line)
        var out = String.UnicodeScalarView()
        var i = 0
        // The first `]` and the first `)` at or after each index (chars.count when none), so
        // that finding a link's end costs O(1): searching forward from every `[` would make a
        // line of `[x](` repeated quadratic.
        let nextBracket = Self.nextIndices(of: "]", in: chars), nextParen = Self.nextIndices(of: ")", in: chars)
        func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(chars[r])) }
        while i < chars.count {
            let c = chars[i]
            // [text](url) and ![alt](url)
            if c == "[" || (c == "!" && i + 1 < chars.count && chars[i + 1] == "[") {
                let open = c == "!" ? i + 1 : i
                let close = nextBracket[open + 1]
                if close + 1 < chars.count, chars[close + 1] == "(", case let end = nextParen[close + 2], end < chars.count {
                    out.append(contentsOf: chars[(open + 1)..<close])
                    let target = text((close + 2)..<end).split(separator: " ").first.map(String.init) ?? ""
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
                let before: Unicode.Scalar = i > 0 ? chars[i - 1] : " ", after: Unicode.Scalar = end < chars.count ? chars[end] : " "
                if isASCIIAlnum(before) && isASCIIAlnum(after) { out.append(" ") }
                i = end
                continue
            }
            if c == "\\", i + 1 < chars.count, Self.isPunctuationOrSymbol(chars[i + 1]) {
                out.append(chars[i + 1])  // an escaped character is itself
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    /// For each index of `chars` and for `chars.count` itself: the index of the first `target`
    /// at or after it, or `chars.count` when there is none. One backward pass.
    static func nextIndices(of target: Unicode.Scalar, in chars: [Unicode.Scalar]) -> [Int] {
        var next = [Int](repeating: chars.count, count: chars.count + 1)
        var k = chars.count - 1
        while k >= 0 {
            next[k] = chars[k] == target ? k : next[k + 1]
            k -= 1
        }
        return next
    }

    private static func isPunctuationOrSymbol(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: true
        default: false
        }
    }
}
