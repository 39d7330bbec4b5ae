import JiansuoAnalysis

/// Compiles a ``QueryNode`` into an FTS5 MATCH expression: the query planner.
///
/// Safety: user text only ever appears inside FTS5 string literals (`"…"`, with `"` doubled),
/// never as FTS5 syntax, so no input can produce an FTS5 syntax error or reach an operator.
/// FTS5 runs the index's tokenizer over each literal (query purpose: Han characters only), so
/// a Han term becomes a phrase of characters and finds every occurrence, whatever the words
/// around it. See https://sqlite.org/fts5.html#full_text_query_syntax
///
/// Ranking terms are added without changing which documents match:
/// - a Han term whose text holds dictionary words `w1 … wk` becomes
///   `(C OR (C AND W1 … AND Wk))`, where `C` is the phrase of characters and `Wi` the colocated
///   word tokens: documents where the term is a real word score higher under BM25;
/// - two to four plain terms also get `NEAR(C1 C2 …, 12)` in the same way, so documents where
///   they stand close together score higher.
public struct QueryCompiler {
    /// Counts the query tokens of a text, to drop terms with none (pure punctuation such as `#`).
    public var tokenCount: (String) -> Int
    /// The dictionary Han words of a text (their ``Token/displayText``), for ranking.
    public var hanWords: (String) -> [String]

    /// How close terms must be for the proximity boost, in tokens.
    public static let nearDistance = 12

    public init(tokenCount: @escaping (String) -> Int, hanWords: @escaping (String) -> [String] = { _ in [] }) {
        self.tokenCount = tokenCount
        self.hanWords = hanWords
    }

    /// A compiler that analyzes terms with `segmenter` (the same analysis as the index).
    public init(segmenter: Segmenter) {
        self.init(
            tokenCount: { text in (try? segmenter.tokens(of: text, for: .query).count) ?? 0 },
            hanWords: { text in
                (try? segmenter.tokens(of: text, for: .document).filter { $0.kind == .hanWord }.map(\.displayText)) ?? []
            })
    }

    /// Returns the MATCH expression, or nil with a reason in `hints` when nothing searchable
    /// is left (an empty query, only punctuation, only exclusions).
    public func compile(_ parsed: ParsedQuery) -> CompiledQuery {
        var hints = parsed.hints
        guard let root = parsed.root else {
            return CompiledQuery(match: nil, hints: hints + ["the query is empty"])
        }
        let match = expression(root, hints: &hints)?.text
        if match == nil, !hints.contains(where: { $0.hasPrefix("ignored") || $0.hasPrefix("a query") }) {
            hints.append("nothing searchable in the query")
        }
        return CompiledQuery(match: match, hints: hints)
    }

    /// A compiled subexpression; `phrase` is its plain phrase of characters when it is a single
    /// term or phrase without field or prefix (usable in NEAR).
    private struct Compiled {
        var text: String
        var phrase: String?
    }

    private func expression(_ node: QueryNode, hints: inout [String]) -> Compiled? {
        switch node {
        case .term(let text, let field, let prefix):
            return literal(text, field: field, prefix: prefix, hints: &hints)
        case .phrase(let text, let field):
            return literal(text, field: field, prefix: false, hints: &hints)
        case .or(let children):
            let parts = children.compactMap { expression($0, hints: &hints)?.text }
            if parts.isEmpty { return nil }
            return Compiled(text: parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")")
        case .not(let child):
            // A lone exclusion: FTS5 cannot express "every document except".
            _ = expression(child, hints: &hints)
            hints.append("a query needs at least one term that is not excluded")
            return nil
        case .and(let children):
            var positive: [Compiled] = []
            var negative: [String] = []
            for child in children {
                if case .not(let inner) = child {
                    if let e = expression(inner, hints: &hints) { negative.append(e.text) }
                } else if let e = expression(child, hints: &hints) {
                    positive.append(e)
                }
            }
            guard !positive.isEmpty else {
                if !negative.isEmpty { hints.append("a query needs at least one term that is not excluded") }
                return nil
            }
            var parts = positive.map(\.text)
            let phrases = positive.compactMap(\.phrase)
            if positive.count >= 2, positive.count <= 4, phrases.count == positive.count {
                // Proximity boost: matches exactly what the first term matches.
                parts[0] = "(\(parts[0]) OR NEAR(\(phrases.joined(separator: " ")), \(Self.nearDistance)))"
            }
            var result = parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " AND ") + ")"
            for n in negative { result = "(\(result) NOT \(n))" }
            return Compiled(text: result)
        }
    }

    private func literal(_ raw: String, field: Field?, prefix: Bool, hints: inout [String]) -> Compiled? {
        let text = raw.filter { $0 != Segmenter.wordSentinel }
        guard tokenCount(text) > 0 else {
            hints.append(raw.isEmpty ? "ignored an empty phrase" : "ignored '\(raw)': no letters, digits or Han characters")
            return nil
        }
        let phrase = Self.quote(text)
        var s = phrase
        if prefix {
            s += " *"
        } else {
            let words = hanWords(text)
            if !words.isEmpty {
                let boost = words.map { Self.quote(String(Segmenter.wordSentinel) + $0) }.joined(separator: " AND ")
                s = "(\(phrase) OR (\(phrase) AND \(boost)))"
            }
        }
        if let field {
            return Compiled(text: "{\(field.rawValue)} : (\(s))")
        }
        return Compiled(text: s, phrase: prefix ? nil : phrase)
    }

    /// An FTS5 string literal: `"` doubled inside double quotes.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A compiled query: the FTS5 MATCH expression (nil when nothing is searchable) and hints
/// about what was ignored.
public struct CompiledQuery: Sendable, Equatable {
    public var match: String?
    public var hints: [String]
}

import Foundation
