/// One token of analyzed text.
///
/// `text` is the normalized form (NFKC with case folding) that is stored in and matched against
/// the index; `utf8Start..<utf8End` are UTF-8 byte offsets into the *original* text, so that
/// highlights and snippets always show what the document really says.
public struct Token: Sendable, Hashable, Codable {
    /// What the ICU word break rules made of the segment.
    public enum Kind: String, Sendable, Codable {
        /// Digits, with their separators (`3366`, `91.7`).
        case number
        /// Letters of alphabetic scripts: Latin, Cyrillic, Hangul …
        case letter
        /// Japanese kana.
        case kana
        /// Han (CJK ideographs), segmented with ICU's CJK dictionary.
        case ideographic
    }

    /// The normalized token text.
    public var text: String
    public var kind: Kind
    /// Start of the token in the original text, in UTF-8 bytes.
    public var utf8Start: Int
    /// End (exclusive) of the token in the original text, in UTF-8 bytes.
    public var utf8End: Int
    /// Position of the token in the token stream, counting from 0.
    public var position: Int

    public init(text: String, kind: Kind, utf8Start: Int, utf8End: Int, position: Int) {
        self.text = text
        self.kind = kind
        self.utf8Start = utf8Start
        self.utf8End = utf8End
        self.position = position
    }
}
