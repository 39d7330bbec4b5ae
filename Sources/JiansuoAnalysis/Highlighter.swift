import CICU

/// A query term to highlight: its normalized query tokens (``TokenPurpose/query``), which must
/// appear at consecutive positions; with `prefix`, the last token only has to start a token
/// (the whole token is marked); with `digitPrefix` too, it is a digit prefix (`2020` of
/// `20200101`) and only the digits it covers are marked.
public struct HighlightTerm: Sendable, Equatable {
    public var tokens: [String]
    public var prefix: Bool
    public var digitPrefix: Bool

    public init(tokens: [String], prefix: Bool = false, digitPrefix: Bool = false) {
        self.tokens = tokens
        self.prefix = prefix || digitPrefix
        self.digitPrefix = digitPrefix
    }
}

extension Segmenter {
    /// Terms longer than this many tokens are not highlighted. A query is at most 1,000
    /// characters, so every term a query can hold is (the matcher keeps as many positions as
    /// the longest term has tokens).
    public static let maxHighlightTokens = 4096

    /// Where `terms` occur in `text`: merged UTF-8 byte ranges into `text`, in order. Matching
    /// follows the positions FTS5 phrases match on (``TokenPurpose/positions``), so the ranges are
    /// the occurrences a phrase query finds, computed without an FTS5 query.
    /// Sentences that hold no character of any term are not tokenized (`skipSentences`; the
    /// ranges are the same without it, only slower: see `cicu_highlight`).
    /// - Throws: ``AnalysisError/tokenizationFailed(status:)`` when ICU fails.
    public func highlights(in text: String, terms: [HighlightTerm], skipSentences: Bool = true) throws -> [Range<Int>] {
        let usable = terms.filter { !$0.tokens.isEmpty && $0.tokens.count <= Self.maxHighlightTokens }
        guard !usable.isEmpty else { return [] }
        var flat: [CChar] = []
        for term in usable {
            for token in term.tokens { flat.append(contentsOf: token.utf8CString) }
        }
        let counts = usable.map { Int32($0.tokens.count) }
        let prefixes = usable.map {
            Int32($0.digitPrefix ? CICU_HIGHLIGHT_DIGITS : $0.prefix ? CICU_HIGHLIGHT_PREFIX : CICU_HIGHLIGHT_EXACT)
        }
        final class Collector { var ranges: [Range<Int>] = [] }
        let collector = Collector()
        var text = text
        let rc = text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                withExtendedLifetime(collector) {
                    cicu_highlight_with(rawHandle, chars.baseAddress, Int32(chars.count), flat, Int32(flat.count), counts, prefixes,
                                        Int32(usable.count), Unmanaged.passUnretained(collector).toOpaque(), { ctx, start, end in
                        let c = Unmanaged<Collector>.fromOpaque(ctx!).takeUnretainedValue()
                        c.ranges.append(Int(start)..<Int(end))
                        return 0
                    }, skipSentences ? 1 : 0)
                }
            }
        }
        guard rc == 0 else { throw AnalysisError.tokenizationFailed(status: rc) }
        // Occurrences come in order of their end; sort by start and merge overlaps (adjacent
        // occurrences stay apart, so a run of them is not one endless highlight).
        var merged: [Range<Int>] = []
        for r in collector.ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, r.lowerBound < last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        return merged
    }
}
