import CICU

/// Errors raised by text analysis.
public enum AnalysisError: Error, Equatable, CustomStringConvertible {
    /// ICU refused to open a word break iterator or normalizer; `code` is ICU's UErrorCode name.
    case icu(code: String)
    /// Tokenization failed part-way (ICU error or out of memory).
    case tokenizationFailed(status: Int32)

    public var description: String {
        switch self {
        case .icu(let code): "ICU could not be opened: \(code)"
        case .tokenizationFailed(let status): "tokenization failed (status \(status))"
        }
    }
}

/// What a tokenization is for.
public enum TokenPurpose: Sendable {
    /// Text being indexed or highlighted: Han characters plus colocated Han words.
    case document
    /// Query text: Han characters only (a query word becomes a phrase of characters). Text that
    /// starts with ``Segmenter/wordSentinel`` becomes the single colocated word token instead.
    case query
    /// Positions only, for FTS5's `highlight()` and `snippet()`: the tokens of ``document``
    /// without the colocated Han words (same texts, offsets and positions), computed without
    /// ICU's dictionary when the text allows it.
    case positions
    /// An FTS5 MATCH string literal (what the index's tokenizer gets for a query): ``query``,
    /// unless the text starts with ``Segmenter/bigramSentinel``: then the phrase of bigrams
    /// that matches documents exactly where the phrase of characters would: the bigram of each
    /// Han character and the one before it (``Token/Kind/hanBigram``, at consecutive positions),
    /// a character that pairs with neither neighbour as itself.
    case match
}

/// Analysis options. They change the tokens, so they are part of ``AnalysisVersion``.
public struct AnalysisOptions: Sendable, Equatable, Codable {
    /// Fold traditional Han characters to simplified ones (so either script finds both).
    public var foldScripts: Bool
    /// Whole ICU words only: the plain-ICU baseline, which misses substrings of words.
    public var wordsOnly: Bool

    public init(foldScripts: Bool = true, wordsOnly: Bool = false) {
        self.foldScripts = foldScripts
        self.wordsOnly = wordsOnly
    }

    public static let `default` = AnalysisOptions()

    var cicuOptions: Int32 {
        (wordsOnly ? Int32(CICU_OPTION_WORDS_ONLY) : 0) | (foldScripts ? 0 : Int32(CICU_OPTION_NO_SCRIPT_FOLD))
    }
}

/// Splits text into normalized tokens: Jiansuo's analyzer.
///
/// 1. The text is normalized with NFKC_Casefold (`ｉＰｈｏｎｅ１５` → `iphone15`, `①` → `1`) and
///    traditional Han characters are folded to simplified (`知識產權` → `知识产权`), keeping a map
///    back to the original bytes.
/// 2. ICU's word break iterator (dictionary-based for CJK) finds the words.
/// 3. Every Han character becomes a token; each multi-character Han word is also emitted at its
///    first character's position (FTS5_TOKEN_COLOCATED). A run of letters and digits is cut
///    into parts where letters and digits meet (`iPhone15Pro` → `iphone`, `15`, `pro`), each at
///    its own position; a document also places the pieces of a letter part at case changes
///    (`i`, `phone`: ``Token/Kind/subword``) and the whole run (``Token/Kind/runWord``) at the
///    first part's position. Spaces, punctuation, symbols and emoji are dropped. Tokens are
///    capped at ``maxTokenBytes``.
///
/// Every token keeps the UTF-8 byte range of its original text. Not thread-safe (an ICU break
/// iterator has state): give each thread or SQLite connection its own instance.
///
/// See https://unicode-org.github.io/icu/userguide/boundaryanalysis/ for the break rules.
public final class Segmenter {
    /// Longest token, in UTF-8 bytes after normalization; longer segments are cut.
    public static let maxTokenBytes = Int(CICU_MAX_TOKEN_BYTES)
    /// A query literal that starts with this (U+E000) is looked up as one colocated Han word.
    public static let wordSentinel: Character = "\u{E000}"
    /// True when `token` (a normalized token's text) is one common Han character: two such
    /// characters side by side have their bigram in documents (see `cicu_is_common_han`).
    public static func isCommonHan(_ token: String) -> Bool {
        let scalars = token.unicodeScalars
        return scalars.count == 1 && cicu_is_common_han(Int32(scalars.first!.value)) != 0
    }

    /// Marks a ``TokenPurpose/match`` text to be tokenized as the phrase of its Han bigrams.
    public static let bigramSentinel: Character = "\u{E002}"

    public let options: AnalysisOptions
    private let handle: OpaquePointer
    var rawHandle: OpaquePointer { handle }

    /// Opens a segmenter for `locale` ("zh" selects ICU's CJK dictionary for Han text).
    /// - Throws: ``AnalysisError/icu(code:)`` when ICU cannot open the iterator.
    public init(locale: String = "zh", options: AnalysisOptions = .default) throws {
        var err: Int32 = 0
        guard let h = cicu_segmenter_open(locale, options.cicuOptions, &err) else {
            throw AnalysisError.icu(code: String(cString: cicu_error_name(err)))
        }
        handle = h
        self.options = options
    }

    deinit { cicu_segmenter_close(handle) }

    /// `text` cut into words as a reader would: at each token position the longest dictionary
    /// word that starts there (ICU's CJK dictionary), else the token itself (one Han character,
    /// a run of letters or of digits). Each word is a slice of `text` as written; punctuation
    /// and spaces between words are left out. `[text]` when nothing can be cut.
    public func words(of text: String) -> [String] {
        guard let tokens = try? tokens(of: text, for: .document) else { return [text] }
        let utf8 = Array(text.utf8)
        var out: [String] = []
        var coveredTo = -1  // UTF-8 end of the last word taken
        for (k, token) in tokens.enumerated() where !token.isColocated && token.utf8Start >= coveredTo {
            let word = tokens[k...].prefix { $0.position == token.position }
                .filter { $0.kind.isWord }.max { $0.utf8End < $1.utf8End }
            let end = word?.utf8End ?? token.utf8End
            guard token.utf8Start < end, end <= utf8.count else { continue }
            out.append(String(decoding: utf8[token.utf8Start..<end], as: UTF8.self))
            coveredTo = end
        }
        return out.isEmpty ? [text] : out
    }

    /// Tokenizes `text` and returns its tokens in order.
    /// - Throws: ``AnalysisError/tokenizationFailed(status:)`` when ICU fails.
    public func tokens(of text: String, for purpose: TokenPurpose = .document) throws -> [Token] {
        final class Collector {
            var tokens: [Token] = []
            var position = -1
            let document: Bool
            init(document: Bool) { self.document = document }
        }
        let collector = Collector(document: purpose == .document)
        var text = text
        let rc = text.withUTF8 { utf8 -> Int32 in
            withExtendedLifetime(collector) {
                cicu_segmenter_tokenize_kinds(
                    handle, utf8.baseAddress, Int32(utf8.count), purpose.cicu,
                    Unmanaged.passUnretained(collector).toOpaque()
                ) { ctx, kind, ptr, len, start, end in
                    let c = Unmanaged<Collector>.fromOpaque(ctx!).takeUnretainedValue()
                    let kind = Token.Kind(cicuKind: kind)
                    // In a query's bigram literal a bigram stands at its own position.
                    let colocated = kind == .hanBigram ? c.document : kind.isColocated
                    if !colocated || c.position < 0 { c.position += 1 }
                    c.tokens.append(Token(
                        text: String(decoding: UnsafeRawBufferPointer(start: ptr, count: Int(len)), as: UTF8.self),
                        kind: kind, utf8Start: Int(start), utf8End: Int(end), position: c.position))
                    return 0
                }
            }
        }
        guard rc == 0 else { throw AnalysisError.tokenizationFailed(status: rc) }
        return collector.tokens
    }

    /// Tokenizes `count` bytes of UTF-8 at `text` for `purpose`, calling `callback(context,
    /// flags, token, tokenLength, start, end)` for each token: the shape of SQLite FTS5's xToken,
    /// so an FTS5 tokenizer can pass its callback straight through
    /// (see https://sqlite.org/fts5.html#custom_tokenizers). `flags` is 0 or
    /// FTS5_TOKEN_COLOCATED; offsets are UTF-8 byte offsets into `text`. Returns 0 (SQLITE_OK),
    /// the callback's first non-zero result, or -1 on ICU failure.
    public func tokenize(
        utf8 text: UnsafePointer<CChar>?, count: Int32, purpose: TokenPurpose, context: UnsafeMutableRawPointer?,
        callback: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int32, Int32, Int32) -> Int32
    ) -> Int32 {
        guard let text, count > 0 else { return 0 }
        return cicu_segmenter_tokenize(handle, text, count, purpose.cicu, context, callback)
    }
}

extension TokenPurpose {
    var cicu: Int32 {
        switch self {
        case .document: Int32(CICU_PURPOSE_DOCUMENT)
        case .query: Int32(CICU_PURPOSE_QUERY)
        case .positions: Int32(CICU_PURPOSE_POSITIONS)
        case .match: Int32(CICU_PURPOSE_MATCH)
        }
    }
}

extension Token.Kind {
    init(cicuKind: Int32) {
        switch Int(cicuKind) {
        case CICU_KIND_HAN: self = .han
        case CICU_KIND_HAN_WORD: self = .hanWord
        case CICU_KIND_HAN_BIGRAM: self = .hanBigram
        case CICU_KIND_IDEO: self = .ideographic
        case CICU_KIND_KANA: self = .kana
        case CICU_KIND_LETTER: self = .letter
        case CICU_KIND_SUBWORD: self = .subword
        case CICU_KIND_RUN_WORD: self = .runWord
        default: self = .number
        }
    }
}
