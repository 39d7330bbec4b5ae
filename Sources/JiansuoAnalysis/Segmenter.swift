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

/// Splits text into normalized word tokens with ICU's word break iterator.
///
/// Han text is segmented with ICU's CJK dictionary (`北京市|知识|产权`), Latin text into whole
/// words, numbers into numbers. Spaces, punctuation and symbols are dropped. Each token is
/// normalized with NFKC_Casefold (`ｉＰｈｏｎｅ` → `iphone`), capped at
/// ``Segmenter/maxTokenBytes`` bytes, and keeps the UTF-8 byte range of its original text.
///
/// Not thread-safe (an ICU break iterator has state): give each thread or SQLite connection its
/// own instance. Opening one costs about 10 µs.
///
/// See https://unicode-org.github.io/icu/userguide/boundaryanalysis/ for the break rules.
public final class Segmenter {
    /// Longest token, in UTF-8 bytes after normalization; longer segments are cut.
    public static let maxTokenBytes = Int(CICU_MAX_TOKEN_BYTES)

    private let handle: OpaquePointer

    /// Opens a segmenter for `locale` ("zh" selects ICU's CJK dictionary for Han text).
    /// - Throws: ``AnalysisError/icu(code:)`` when ICU cannot open the iterator.
    public init(locale: String = "zh") throws {
        var err: Int32 = 0
        guard let h = cicu_segmenter_open(locale, &err) else {
            throw AnalysisError.icu(code: String(cString: cicu_error_name(err)))
        }
        handle = h
    }

    deinit { cicu_segmenter_close(handle) }

    /// Tokenizes `text` and returns its tokens in order.
    /// - Throws: ``AnalysisError/tokenizationFailed(status:)`` when ICU fails.
    public func tokens(of text: String) throws -> [Token] {
        final class Collector {
            var tokens: [Token] = []
        }
        let collector = Collector()
        var text = text
        let rc = text.withUTF8 { utf8 -> Int32 in
            withExtendedLifetime(collector) {
                cicu_segmenter_tokenize_kinds(
                    handle, utf8.baseAddress, Int32(utf8.count),
                    Unmanaged.passUnretained(collector).toOpaque()
                ) { ctx, kind, ptr, len, start, end in
                    let c = Unmanaged<Collector>.fromOpaque(ctx!).takeUnretainedValue()
                    let bytes = UnsafeRawBufferPointer(start: ptr, count: Int(len))
                    c.tokens.append(Token(
                        text: String(decoding: bytes, as: UTF8.self),
                        kind: Token.Kind(cicuKind: kind),
                        utf8Start: Int(start), utf8End: Int(end),
                        position: c.tokens.count))
                    return 0
                }
            }
        }
        guard rc == 0 else { throw AnalysisError.tokenizationFailed(status: rc) }
        return collector.tokens
    }

    /// Tokenizes `count` bytes of UTF-8 at `text`, calling `callback(context, 0, token,
    /// tokenLength, start, end)` for each token: the shape of SQLite FTS5's xToken, so an FTS5
    /// tokenizer can pass its callback straight through
    /// (see https://sqlite.org/fts5.html#custom_tokenizers). Offsets are UTF-8 byte offsets into
    /// `text`. Returns 0 (SQLITE_OK), the callback's first non-zero result, or -1 on ICU failure.
    public func tokenize(
        utf8 text: UnsafePointer<CChar>?, count: Int32, context: UnsafeMutableRawPointer?,
        callback: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int32, Int32, Int32) -> Int32
    ) -> Int32 {
        guard let text, count > 0 else { return 0 }
        return cicu_segmenter_tokenize(handle, text, count, context, callback)
    }
}

extension Token.Kind {
    init(cicuKind: Int32) {
        switch cicuKind {
        case Int32(CICU_KIND_IDEO): self = .ideographic
        case Int32(CICU_KIND_KANA): self = .kana
        case Int32(CICU_KIND_LETTER): self = .letter
        default: self = .number
        }
    }
}
