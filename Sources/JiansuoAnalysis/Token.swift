/// One token of analyzed text.
///
/// `text` is the normalized form that is stored in and matched against the index;
/// `utf8Start..<utf8End` are UTF-8 byte offsets into the *original* text, so that highlights and
/// snippets always show what the document really says.
public struct Token: Sendable, Hashable, Codable {
    /// What the token is.
    public enum Kind: String, Sendable, Codable {
        /// The digits of a run of letters and digits (`3366`; `91.7` gives `91` and `7`;
        /// `ABC123` gives the letters `abc` and the number `123`).
        case number
        /// The letters of a run of letters and digits, of an alphabetic script: Latin, Cyrillic,
        /// Hangul …
        case letter
        /// Japanese kana.
        case kana
        /// One Han character: every Han character is a token of its own.
        case han
        /// A multi-character Han word from ICU's CJK dictionary, at the same position as its
        /// first character (FTS5_TOKEN_COLOCATED). Its `text` starts with ``Token/wordPrefix``.
        case hanWord
        /// A whole Han word, in the words-only baseline analysis.
        case ideographic
        /// Two consecutive Han characters (consecutive positions): in documents at the same
        /// position as the second (FTS5_TOKEN_COLOCATED); its `text` starts with
        /// ``Token/bigramPrefix``. Hybrid analysis only (see `CICU_BIGRAM_PREFIX`).
        case hanBigram
        /// A piece of a ``letter`` token at a case change, or a join of consecutive pieces
        /// (`iPhone` → `i`, `phone`; `XMLHttpRequest` → `xml`, `xmlhttp`, `http`, `httprequest`,
        /// `request`): at the same position as the letters (FTS5_TOKEN_COLOCATED). Documents
        /// and ``TokenPurpose/positions`` only.
        case subword
        /// A whole run of letters and digits of several parts (`iPhone15Pro`), at the same
        /// position as its first part (FTS5_TOKEN_COLOCATED); its `text` starts with
        /// ``Token/wordPrefix``. Documents only: it ranks a match of the whole run first.
        case runWord
    }

    /// The first character of every ``Kind/hanWord`` token's text, so that a word never equals
    /// a character token.
    public static let wordPrefix: Character = "\u{1}"
    /// The first character of every ``Kind/hanBigram`` token's text.
    public static let bigramPrefix: Character = "\u{2}"

    /// The normalized token text.
    public var text: String
    public var kind: Kind
    /// Start of the token in the original text, in UTF-8 bytes.
    public var utf8Start: Int
    /// End (exclusive) of the token in the original text, in UTF-8 bytes.
    public var utf8End: Int
    /// Position in the token stream, counting from 0. Colocated tokens share the position of
    /// the token before them.
    public var position: Int

    public init(text: String, kind: Kind, utf8Start: Int, utf8End: Int, position: Int) {
        self.text = text
        self.kind = kind
        self.utf8Start = utf8Start
        self.utf8End = utf8End
        self.position = position
    }

    /// True for tokens of a document at the same position as the one before (``Kind/hanWord``,
    /// ``Kind/hanBigram``, ``Kind/subword``, ``Kind/runWord``).
    public var isColocated: Bool { kind.isColocated }

    /// The text without the ``wordPrefix`` or ``bigramPrefix`` marker.
    public var displayText: String {
        text.first == Self.wordPrefix || text.first == Self.bigramPrefix
            ? String(text.dropFirst()) : text
    }
}

extension Token.Kind {
    /// True for the kinds a document places at the position of the token before them.
    public var isColocated: Bool { self == .hanWord || self == .hanBigram || self == .subword || self == .runWord }

    /// True for a whole word colocated with its first token (``hanWord``, ``runWord``).
    public var isWord: Bool { self == .hanWord || self == .runWord }
}
