/// Text from files (names, titles, snippets) made safe to write to a terminal or a log line.
///
/// A file name may hold a newline (forging a second log entry), an ESC sequence (rewriting the
/// user's terminal) or a bidirectional override (showing text in another order than it is).
/// Each such character is written as an escape instead: `\n`, `\r`, `\t`, and `\u{1B}` for
/// the rest of C0, DEL, C1 (U+0080–U+009F), U+2028/U+2029 and the bidi controls (U+061C,
/// U+200E–U+200F, U+202A–U+202E, U+2066–U+2069). A backslash is written as it is. Everything
/// else is unchanged.
public enum PrintableText {
    /// True for the characters ``escape(_:)`` rewrites.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every control character escaped (see the type's description).
    public static func escape(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let escaped: String
            switch scalar {
            case "\n": escaped = "\\n"
            case "\r": escaped = "\\r"
            case "\t": escaped = "\\t"
            default: escaped = "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
            out.append(contentsOf: escaped.unicodeScalars)
        }
        return String(out)
    }
}
