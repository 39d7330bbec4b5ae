/// Picks the snippet of a hit from its whole body as marked by FTS5's `highlight()`: the window
/// of ``width`` characters that holds the most distinct highlighted texts (then the most
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

    static func crop(_ marked: String) -> String {
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
        var out = String.UnicodeScalarView()
        if start > 0 { out.append("…") }
        var visible = 0
        var inside = false
        var end = start
        while end < scalars.count, visible < width {
            let s = scalars[end]
            if s == "\u{1}" { inside = true } else if s == "\u{2}" { inside = false } else { visible += 1 }
            out.append(s)
            end += 1
        }
        // Finish a highlight cut by the window (up to `lead` more characters).
        var extra = 0
        while inside, end < scalars.count, scalars[end] != "\u{1}", extra < lead {
            let s = scalars[end]
            out.append(s)
            end += 1
            extra += 1
            if s == "\u{2}" { inside = false }
        }
        if inside { out.append("\u{2}") }
        if end < scalars.count { out.append("…") }
        return String(out)
    }
}
