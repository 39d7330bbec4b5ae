import JiansuoAnalysis

/// Compiles a ``QueryNode`` into an FTS5 MATCH expression: the query planner.
///
/// Safety: user text only ever appears inside FTS5 string literals (`"…"`, with `"` doubled),
/// never as FTS5 syntax, so no input can produce an FTS5 syntax error or reach an operator.
/// FTS5 runs the index's tokenizer over each literal (``TokenPurpose/match``), and a Han term
/// is written as its bigram literal (``Segmenter/bigramSentinel`` + the text), so it becomes the
/// phrase of its bigrams: it matches exactly where the term's characters stand side by side,
/// whatever the words around them, and reads the bigrams' position lists, which are far
/// shorter than its characters' (a one-character term is its character).
/// See https://sqlite.org/fts5.html#full_text_query_syntax
///
/// Ranking information is added without changing which documents match:
/// - a Han term whose text holds dictionary words becomes `(C OR W)`, where `C` is the phrase of
///   bigrams and `W` the same text as a phrase of its colocated word tokens, with bigrams
///   between them (`知识产权` → `"\u{E000}知识" + "\u{E002}知识" + "\u{E000}产权"`). Every match
///   of `W` is a match of `C`, so the set of hits is that of `C`, and `jiansuo_rank` counts an
///   occurrence as a real word twice;
/// - ``CompiledQuery/rankLayout`` tells `jiansuo_rank` which phrase is which (term, word boost,
///   excluded) and which top-level conjunct each term belongs to, for the title group and the
///   proximity bonus (see `cindex.h`).
public struct QueryCompiler {
    /// Counts the query tokens of a text, to drop terms with none (pure punctuation such as `#`).
    public var tokenCount: (String) -> Int
    /// The text as a phrase of word boost pieces, one per token position from the first word
    /// to the end of the last: the colocated word token where a dictionary word starts (as
    /// ``Segmenter/wordSentinel`` + the word), else the bigram that ends there (as
    /// ``Segmenter/bigramSentinel`` + its two characters), else the token's text. Empty when
    /// the text holds no multi-character word.
    public var boostPieces: (String) -> [String]
    /// The index's normalization, applied to filter values compared with metadata.
    public var normalize: (String) -> String
    /// The normalized query tokens of a text, for highlighting.
    public var queryTokens: (String) -> [String]

    public init(tokenCount: @escaping (String) -> Int, boostPieces: @escaping (String) -> [String] = { _ in [] },
                normalize: @escaping (String) -> String = { $0.lowercased() },
                queryTokens: @escaping (String) -> [String] = { _ in [] }) {
        self.tokenCount = tokenCount
        self.boostPieces = boostPieces
        self.normalize = normalize
        self.queryTokens = queryTokens
    }

    /// The query again with each unquoted term of several words (`告诉我如何写周报`) replaced by
    /// the AND of its words (`告诉 我 如何 写 周报`): what to run when the query as typed found
    /// nothing, because a term is matched as a phrase. Quoted phrases, excluded terms, prefixes
    /// and filters stay as they are. Returns the new query and the words of the terms that
    /// split; nil when no term splits.
    /// `words` cuts a term into words (``JiansuoAnalysis/Segmenter/words(of:)``).
    public static func wordsFallback(_ parsed: ParsedQuery, words: (String) -> [String]) -> (query: ParsedQuery, words: [String])? {
        guard let root = parsed.root else { return nil }
        var splitWords: [String] = []
        func split(_ node: QueryNode) -> [QueryNode] {
            guard case .term(let text, let field, false) = node else { return [node] }
            let parts = words(text).filter { !$0.isEmpty }
            guard parts.count > 1 else { return [node] }
            splitWords += parts
            return parts.map { QueryNode.term($0, field: field, prefix: false) }
        }
        let rewritten: QueryNode
        switch root {
        case .and(let children):
            rewritten = .and(children.flatMap(split))
        case .term:
            let parts = split(root)
            rewritten = parts.count == 1 ? parts[0] : .and(parts)
        default:
            return nil
        }
        guard !splitWords.isEmpty else { return nil }
        return (ParsedQuery(root: rewritten, hints: parsed.hints), splitWords)
    }

    /// A compiler that analyzes terms with `segmenter` (the same analysis as the index).
    public init(segmenter: Segmenter) {
        self.init(
            tokenCount: { text in (try? segmenter.tokens(of: text, for: .query).count) ?? 0 },
            boostPieces: { text in
                guard let tokens = try? segmenter.tokens(of: text, for: .document),
                      tokens.contains(where: { $0.kind.isWord }) else { return [] }
                // Per position: its token, the word that starts there, the bigram that ends there.
                struct Slot { var token: String; var end: Int; var word: String? = nil; var wordEnd = -1; var bigram: String? = nil }
                var slots: [Slot] = []
                var position = -1
                for token in tokens {
                    if token.position != position {
                        position = token.position
                        slots.append(Slot(token: token.text, end: token.utf8End))
                    } else if token.kind.isWord {
                        slots[slots.count - 1].word = String(Segmenter.wordSentinel) + token.displayText
                        slots[slots.count - 1].wordEnd = token.utf8End
                    } else if token.kind == .hanBigram {
                        slots[slots.count - 1].bigram = String(Segmenter.bigramSentinel) + token.displayText
                    }
                }
                // Every character must be implied by a piece, so that each match of the pieces is
                // a match of the term: a word implies its characters, a bigram its two. The first
                // character is left out when a bigram at the second implies it (its own position
                // list is long when it is common), and so are characters inside the last word.
                var pieces = slots.map { $0.word ?? $0.bigram ?? $0.token }
                var isWord = slots.map { $0.word != nil }
                var start = 0
                if slots.count > 1, slots[0].word == nil, let bigram = slots[1].bigram {
                    pieces[1] = bigram
                    isWord[1] = false
                    start = 1
                }
                let wordsEnd = (start..<slots.count).filter { isWord[$0] }.map { slots[$0].wordEnd }.max() ?? -1
                var end = slots.count
                while end - 1 > start, !isWord[end - 1], slots[end - 1].end <= wordsEnd { end -= 1 }
                guard (start..<end).contains(where: { isWord[$0] }) else { return [] }
                return Array(pieces[start..<end])
            },
            normalize: { Normalizer.normalize($0, options: segmenter.options) },
            queryTokens: { text in (try? segmenter.tokens(of: text, for: .query).map(\.text)) ?? [] })
    }

    /// Returns the MATCH expression and the metadata filters. Both are empty, with a reason in
    /// `hints`, when nothing searchable is left (an empty query, only punctuation, only
    /// exclusions). Filters apply to the whole query, so they must stand at its top level.
    public func compile(_ parsed: ParsedQuery) -> CompiledQuery {
        var hints = parsed.hints
        guard let root = parsed.root else {
            return CompiledQuery(match: nil, filters: [], hints: hints + ["the query is empty"])
        }
        var filters: [DocumentFilter] = []
        var rest: QueryNode? = root
        let children: [QueryNode]
        if case .and(let c) = root { children = c } else { children = [root] }
        var remaining: [QueryNode] = []
        for child in children {
            switch child {
            case .filter(let f): if let d = documentFilter(f, negated: false, hints: &hints) { filters.append(d) }
            case .not(.filter(let f)): if let d = documentFilter(f, negated: true, hints: &hints) { filters.append(d) }
            default: remaining.append(child)
            }
        }
        rest = remaining.isEmpty ? nil : remaining.count == 1 ? remaining[0] : .and(remaining)
        var match: String?
        var layout = ""
        var highlights: [HighlightTerm] = []
        if let rest {
            if !filters.isEmpty, case .not = rest {
                // `-word ext:md`: FTS5 cannot match "not this word" on its own, so the exclusion
                // is dropped with a hint and the filters alone are listed.
                match = nil
                hints.append("a query needs at least one term that is not excluded")
            } else if let compiled = expression(rest, hints: &hints, topLevel: true) {
                match = compiled.text
                layout = compiled.layout.map(\.code).joined(separator: " ")
                highlights = compiled.highlights
            }
        }
        if match == nil, filters.isEmpty, !hints.contains(where: { $0.hasPrefix("ignored") || $0.hasPrefix("a query") }) {
            hints.append("nothing searchable in the query")
        }
        return CompiledQuery(match: match, filters: filters, hints: hints, rankLayout: layout, highlightTerms: highlights)
    }

    private func documentFilter(_ filter: Filter, negated: Bool, hints: inout [String]) -> DocumentFilter? {
        switch filter {
        case .path(let v):
            return DocumentFilter(kind: v.hasPrefix("/") ? .pathPrefix : .pathContains, value: v, negated: negated)
        case .ext(let v):
            return DocumentFilter(kind: .ext, value: v.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")), negated: negated)
        case .after(let v), .before(let v):
            guard let day = DocumentFilter.dayBound(v) else {
                hints.append("ignored '\(v)': not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
                return nil
            }
            if case .after = filter { return DocumentFilter(kind: .after, value: day, negated: negated) }
            return DocumentFilter(kind: .before, value: day, negated: negated)
        case .category(let v): return DocumentFilter(kind: .category, value: normalize(v), negated: negated)
        case .tag(let v): return DocumentFilter(kind: .tag, value: normalize(v), negated: negated)
        case .author(let v): return DocumentFilter(kind: .author, value: normalize(v), negated: negated)
        }
    }

    /// The role of one FTS5 phrase, for `jiansuo_rank`.
    private enum PhraseRole {
        case term(slot: Int?)
        case boost
        case excluded

        var code: String {
            switch self {
            case .term(let slot): "T\(slot ?? 0)"
            case .boost: "B"
            case .excluded: "X"
            }
        }
    }

    /// A compiled subexpression and the roles of its phrases, in text order.
    private struct Compiled {
        var text: String
        var layout: [PhraseRole]
        /// The terms that are not excluded, to highlight.
        var highlights: [HighlightTerm] = []

        /// Puts the terms that have no top-level conjunct yet into `slot`.
        func inSlot(_ slot: Int) -> Compiled {
            Compiled(text: text, layout: layout.map { if case .term(nil) = $0 { .term(slot: slot) } else { $0 } }, highlights: highlights)
        }

        var excluded: [PhraseRole] { layout.map { _ in .excluded } }
    }

    /// `ranking`: add the alternatives that only rank (word boosts, exact digits); false for
    /// excluded terms, where they would only lengthen the expression.
    private func expression(_ node: QueryNode, hints: inout [String], topLevel: Bool = false, ranking: Bool = true) -> Compiled? {
        switch node {
        case .term(let text, let field, let prefix):
            return literal(text, field: field, prefix: prefix, ranking: ranking, hints: &hints)
        case .phrase(let text, let field):
            return literal(text, field: field, prefix: false, ranking: ranking, hints: &hints)
        case .or(let children):
            let parts = children.compactMap { expression($0, hints: &hints, ranking: ranking) }
            if parts.isEmpty { return nil }
            if parts.count == 1 { return parts[0] }
            return Compiled(text: "(" + parts.map(\.text).joined(separator: " OR ") + ")", layout: parts.flatMap(\.layout),
                            highlights: parts.flatMap(\.highlights))
        case .filter:
            hints.append("ignored a filter inside OR: filters apply to the whole query")
            return nil
        case .not(let child):
            // A lone exclusion: FTS5 cannot express "every document except".
            _ = expression(child, hints: &hints, ranking: false)
            hints.append("a query needs at least one term that is not excluded")
            return nil
        case .and(let children):
            var positive: [Compiled] = []
            var negative: [Compiled] = []
            for child in children {
                if case .not(let inner) = child {
                    if let e = expression(inner, hints: &hints, ranking: false) { negative.append(e) }
                } else if let e = expression(child, hints: &hints, ranking: ranking) {
                    positive.append(topLevel ? e.inSlot(positive.count) : e)
                }
            }
            guard !positive.isEmpty else {
                if !negative.isEmpty { hints.append("a query needs at least one term that is not excluded") }
                return nil
            }
            var result = positive.count == 1 ? positive[0].text : "(" + positive.map(\.text).joined(separator: " AND ") + ")"
            var layout = positive.flatMap(\.layout)
            // One NOT with an OR group: a chain of NOTs nests and overflows FTS5's parser stack.
            if !negative.isEmpty {
                result = "(\(result) NOT " + (negative.count == 1 ? negative[0].text : "(" + negative.map(\.text).joined(separator: " OR ") + ")") + ")"
                layout += negative.flatMap(\.excluded)
            }
            return Compiled(text: result, layout: layout, highlights: positive.flatMap(\.highlights))
        }
    }

    private func literal(_ raw: String, field: Field?, prefix: Bool, ranking: Bool, hints: inout [String]) -> Compiled? {
        let text = raw.filter { $0 != Segmenter.wordSentinel && $0 != Segmenter.bigramSentinel }
        guard tokenCount(text) > 0 else {
            hints.append(raw.isEmpty ? "ignored an empty phrase" : "ignored '\(raw)': no letters, digits or Han characters")
            return nil
        }
        // A term that ends in digits finds them where they start a longer number too (`2020`
        // finds `20200101`): its last token is a prefix, and the exact term ranks first. Only
        // from ``minimumPrefixDigits`` digits on: `第1章` must not find `第12章`, and a prefix of
        // one or two digits expands to a large share of all the numbers in the index.
        let tokens = queryTokens(text)
        let digitPrefix = !prefix && (tokens.last.map { Self.isDigits($0) && $0.unicodeScalars.count >= Self.minimumPrefixDigits } ?? false)
        let asPrefix = prefix || digitPrefix
        // Han text as the phrase of its bigrams (see the type's documentation).
        let phrase = text.unicodeScalars.contains(where: { $0.properties.isIdeographic })
            ? Self.quote(String(Segmenter.bigramSentinel) + text) : Self.quote(text)
        var s = phrase + (asPrefix ? " *" : "")
        var layout: [PhraseRole] = [.term(slot: nil)]
        var alternatives: [String] = []
        if digitPrefix && ranking {
            alternatives.append(phrase)
            layout.append(.boost)
        }
        if !prefix && ranking {
            let pieces = boostPieces(text)
            if !pieces.isEmpty {
                alternatives.append(pieces.map(Self.quote).joined(separator: " + "))
                layout.append(.boost)
            }
        }
        if !alternatives.isEmpty {
            s = "(" + ([s] + alternatives).joined(separator: " OR ") + ")"
        }
        if let field {
            s = "{\(field.rawValue)} : (\(s))"
        }
        return Compiled(text: s, layout: layout, highlights: [HighlightTerm(tokens: tokens, prefix: prefix, digitPrefix: digitPrefix)])
    }

    /// The fewest digits at the end of a term that also find longer numbers they start.
    public static let minimumPrefixDigits = 3

    /// True when a normalized query token is a number: decimal digits only.
    static func isDigits(_ token: String) -> Bool {
        !token.isEmpty && token.unicodeScalars.allSatisfy { $0.properties.numericType == .decimal }
    }

    /// An FTS5 string literal: `"` doubled inside double quotes. Escaped scalar by scalar: a
    /// quote followed by a combining mark is one Swift Character, but FTS5 reads bytes, and an
    /// undoubled quote would end the literal and let the rest of the text act as syntax.
    static func quote(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in text.unicodeScalars {
            if scalar == "\"" { out.append("\"") }
            out.append(scalar)
        }
        out.append("\"")
        return String(out)
    }
}

/// A compiled query: the FTS5 MATCH expression (nil when the query has no text terms), the
/// metadata filters, and hints about what was ignored. Nothing is searchable when both are empty.
public struct CompiledQuery: Sendable, Equatable {
    public var match: String?
    public var filters: [DocumentFilter]
    public var hints: [String]
    /// The role of each phrase of `match` for the `jiansuo_rank` ranking function (see
    /// `cindex.h`): `T<conjunct>` term, `B` word boost, `X` excluded, space-separated.
    public var rankLayout: String
    /// The terms to highlight in hits: every term that is not excluded.
    public var highlightTerms: [HighlightTerm]

    public init(match: String?, filters: [DocumentFilter] = [], hints: [String], rankLayout: String = "",
                highlightTerms: [HighlightTerm] = []) {
        self.match = match
        self.filters = filters
        self.hints = hints
        self.rankLayout = rankLayout
        self.highlightTerms = highlightTerms
    }

    /// True when there is something to search: text terms or filters.
    public var isSearchable: Bool { match != nil || !filters.isEmpty }
}

/// A compiled metadata filter, with its value normalized for comparison.
public struct DocumentFilter: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// The absolute path starts with `value`.
        case pathPrefix
        /// The path contains `/value` (a folder or file name and what follows).
        case pathContains
        /// The extension, lower case, equals `value`.
        case ext
        /// The document day (`YYYY-MM-DD`) is on or after `value`.
        case after
        /// The document day is before `value`.
        case before
        /// A category, normalized, equals `value`.
        case category
        /// A tag, normalized, equals `value`.
        case tag
        /// The author, normalized, equals `value`.
        case author
    }

    public var kind: Kind
    public var value: String
    /// `-ext:md`: the condition must not hold.
    public var negated: Bool

    public init(kind: Kind, value: String, negated: Bool) {
        self.kind = kind
        self.value = value
        self.negated = negated
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` as `YYYY-MM-DD` (missing parts 01), or nil.
    static func dayBound(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        let month = parts.count > 1 ? Int(parts[1])! : 1
        let day = parts.count > 2 ? Int(parts[2])! : 1
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        return "\(parts[0])-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }
}

import Foundation
