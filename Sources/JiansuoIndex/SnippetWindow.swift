/// Picks the snippet of a hit from its whole body as marked by FTS5's `highlight()`: the window
/// of ``width`` user-perceived characters (grapheme clusters) that holds the most distinct highlighted texts (then the most
/// highlights), starting at a sentence start when one is close before its first highlight.
///
/// FTS5's own `snippet()` scores a window per phrase instance, which is quadratic in the
/// matches of one document (a one-line 300 KB file took minutes); this is one linear pass over
/// the highlighted body. Input and output mark highlights with U+0001 … U+0002; the output keeps
/// them balanced and has `…` where text was cut.
enum SnippetWindow {
    /// Visible characters in a snippet.
    static let width = 80
    /// How far before the first highlight a snippet may start, to begin at a sentence.
    static let lead = 24
    /// Highlights looked at; a body with more is judged by its first ones.
    static let maxSpans = 4096

    /// The snippet of `marked`. `cutBefore`/`cutAfter`: the text was cut out of a longer one
    /// there, so a character at that end may be incomplete (it is dropped) and `…` marks the cut.
    static func crop(_ marked: String, cutBefore: Bool = false, cutAfter: Bool = false) -> String {
        let scalars = Array(marked.unicodeScalars)
        // Highlighted spans: [open marker, close marker) indices, and their text for distinctness.
        var spans: [(start: Int, end: Int, text: String)] = []
        var open: Int?
        for (i, s) in scalars.enumerated() {
            if s == "\u{1}" {
                open = i
            } else if s == "\u{2}", let o = open {
                spans.append((o, i, String(String.UnicodeScalarView(scalars[(o + 1)..<i]))))
                open = nil
                if spans.count >= maxSpans { break }
            }
        }
        var start = 0
        if !spans.isEmpty {
            // Two pointers over the spans: the window starting at span i holds spans i..<j.
            var best = (distinct: -1, count: -1, index: 0)
            var counts: [String: Int] = [:]
            var j = 0
            for i in spans.indices {
                while j < spans.count, spans[j].end - spans[i].start <= width + 2 * (j - i + 1) {
                    counts[spans[j].text, default: 0] += 1
                    j += 1
                }
                let inWindow = max(j - i, 1)
                if counts.count > best.distinct || (counts.count == best.distinct && inWindow > best.count) {
                    best = (counts.count, inWindow, i)
                }
                if j > i {
                    let t = spans[i].text
                    counts[t]! -= 1
                    if counts[t] == 0 { counts[t] = nil }
                } else {
                    j = i + 1
                }
            }
            let first = spans[best.index].start
            start = max(0, first - lead)
            // Begin just after the last sentence end before the highlight, when there is one.
            if let stop = scalars[start..<first].lastIndex(where: { "。！？!?；;\n".unicodeScalars.contains($0) }) {
                start = stop + 1
            }
        }
        // Cut only between user-perceived characters (extended grapheme clusters, UAX #29, as
        // Swift's Character implements them): never inside a flag, an emoji ZWJ sequence or a
        // letter with its combining marks.
        var text = Substring(marked)
        var dropped = 0
        if cutBefore {
            // The text starts where a caller cut it: drop what continues a character before it.
            dropped = scalars.prefix { $0.properties.isGraphemeExtend || $0 == "\u{200D}" || $0.properties.generalCategory == .spacingMark }.count
            text = Substring(text.unicodeScalars.dropFirst(dropped))
        }
        let startIndex = characterBoundary(in: text, atOrBefore: max(0, start - dropped))
        text = text[startIndex...]
        var out = ""
        if startIndex > marked.startIndex || cutBefore { out.append("…") }
        var visible = 0
        var inside = false
        var end = text.startIndex
        while end < text.endIndex, visible < width {
            let c = text[end]
            if c == "\u{1}" { inside = true } else if c == "\u{2}" { inside = false } else { visible += 1 }
            out.append(c)
            end = text.index(after: end)
        }
        // Finish a highlight cut by the window (up to `lead` more characters).
        var extra = 0
        while inside, end < text.endIndex, text[end] != "\u{1}", extra < lead {
            let c = text[end]
            out.append(c)
            end = text.index(after: end)
            extra += 1
            if c == "\u{2}" { inside = false }
        }
        if cutAfter, end == text.endIndex, let last = out.last, last != "\u{2}" {
            // The text ends where a caller cut it: its last character may be incomplete.
            out.removeLast()
        }
        if inside { out.append("\u{2}") }
        if end < text.endIndex || cutAfter { out.append("…") }
        return out
    }

    /// The last grapheme cluster boundary at or before the `offset`-th scalar of `text`. Found
    /// from a nearby point where a boundary is certain (after a control such as a line feed or a
    /// highlight marker, or between two characters that never join: ASCII or Han on both
    /// sides), so the cost does not grow with the text before it.
    static func characterBoundary(in text: Substring, atOrBefore offset: Int) -> String.Index {
        let scalars = text.unicodeScalars
        let target = scalars.index(scalars.startIndex, offsetBy: min(offset, scalars.count))
        func plain(_ s: Unicode.Scalar) -> Bool { (s.value >= 0x20 && s.value < 0x7F) || s.properties.isIdeographic }
        var safe = target
        var steps = 0
        while safe > scalars.startIndex {
            let before = scalars[scalars.index(before: safe)]
            if before.properties.generalCategory == .control && before != "\r" { break }
            if safe < scalars.endIndex, plain(before), plain(scalars[safe]) { break }
            steps += 1
            if steps > 4096 { safe = scalars.startIndex; break }
            safe = scalars.index(before: safe)
        }
        let rest = text[safe...]
        var boundary = rest.startIndex
        while boundary < rest.endIndex {
            let next = rest.index(after: boundary)
            if next > target { break }
            boundary = next
        }
        return boundary
    }
}
