import CICU

/// Line breaks in running text, read as CSS Text 3's segment break transformation reads them
/// (https://www.w3.org/TR/css-text-3/#line-break-transform): a break between two East Asian
/// wide characters is removed (`比去年同\n期增长` reads `比去年同期增长`), any other becomes a
/// space. Used for HTML whitespace, markdown soft line breaks, titles, and plain text that was
/// hard-wrapped at a fixed width.
enum SegmentBreak {
    /// True when a line break between `before` and `after` is removed, not read as a space
    /// (``cicu_segment_break_removable``: ICU's East Asian Width, Hangul excepted).
    static func isRemovable(_ before: Unicode.Scalar, _ after: Unicode.Scalar) -> Bool {
        if before.value < 0x1100 || after.value < 0x1100 { return before == "\u{200B}" || after == "\u{200B}" }
        return cicu_segment_break_removable(Int32(bitPattern: before.value), Int32(bitPattern: after.value)) != 0
    }

    /// `text` with each `marker` (collapsed whitespace that held a line break) replaced by
    /// nothing between two East Asian wide characters, by a space elsewhere (nothing at either
    /// end). Linear.
    static func resolve(_ text: String, marker: Unicode.Scalar = "\u{B}") -> String {
        guard text.unicodeScalars.contains(marker) else { return text }
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (k, s) in scalars.enumerated() {
            guard s == marker else { out.append(s); continue }
            guard k > 0, k + 1 < scalars.count else { continue }
            if !isRemovable(scalars[k - 1], scalars[k + 1]) { out.append(" ") }
        }
        return String(out)
    }

    /// `lines` joined into one line: nothing between two that meet at East Asian wide
    /// characters, a space otherwise. Blank lines are left out.
    static func joinLines<S: Sequence>(_ lines: S) -> String where S.Element: StringProtocol {
        var out = ""
        for line in lines {
            let piece = line.trimmingCharacters(in: .whitespacesAndIdeographicSpace)
            guard !piece.isEmpty else { continue }
            if let last = out.unicodeScalars.last, let first = piece.unicodeScalars.first, !isRemovable(last, first) {
                out.append(" ")
            }
            out.append(piece)
        }
        return out
    }

    /// Plain text hard-wrapped at a fixed width, with the breaks the wrapping made between
    /// two East Asian wide characters removed. The text is taken as wrapped at `W` display
    /// columns (a wide character counts 2) when at least 3 lines, and at least half of the lines
    /// longer than 10 columns, end within 4 columns of the longest line `W` (40 columns or more),
    /// and most of those full lines do not end in punctuation (verse, whose lines are sentences,
    /// does).
    /// A line that long followed by a line that does not start with indentation continues
    /// the paragraph: the break between them goes when both sides are wide characters. Other
    /// breaks, and every text that is not wrapped this way, are kept as they are. Linear.
    static func unwrapHardWrapped(_ text: String) -> String {
        guard text.utf8.count >= 40, text.utf8.contains(0x0A) else { return text }
        var widths: [Int] = []
        var width = 0
        for s in text.unicodeScalars {
            if s == "\n" { widths.append(width); width = 0 } else { width += columns(s) }
        }
        widths.append(width)
        guard let longest = widths.max(), longest >= 40 else { return text }
        let full = widths.filter { $0 >= longest - 4 }.count
        let long = widths.filter { $0 > 10 }.count
        guard full >= 3, 2 * full >= long else { return text }
        let scalars = Array(text.unicodeScalars)
        // Full lines that end in punctuation: verse, or lines that are sentences.
        var line = 0, punctuated = 0
        for (k, s) in scalars.enumerated() where s == "\n" {
            if widths[line] >= longest - 4, k > 0, isPunctuation(scalars[k - 1]) { punctuated += 1 }
            line += 1
        }
        guard 2 * punctuated < full else { return text }
        var out = String.UnicodeScalarView()
        out.reserveCapacity(scalars.count)
        line = 0
        for (k, s) in scalars.enumerated() {
            guard s == "\n" else { out.append(s); continue }
            defer { line += 1 }
            if widths[line] >= longest - 4, k > 0, k + 1 < scalars.count,
               scalars[k + 1] != " ", scalars[k + 1] != "\u{3000}", scalars[k + 1] != "\t",
               isRemovable(scalars[k - 1], scalars[k + 1]) {
                continue
            }
            out.append(s)
        }
        return String(out)
    }

    private static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: true
        default: false
        }
    }

    /// Display columns of a scalar for wrap detection: 2 for the wide ranges (CJK, kana,
    /// Hangul, full-width forms), 0 for combining marks, 1 otherwise.
    private static func columns(_ s: Unicode.Scalar) -> Int {
        switch s.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        default:
            return s.properties.generalCategory == .nonspacingMark ? 0 : 1
        }
    }
}
