import JiansuoAnalysis

/// Compiles a ``QueryNode`` into an FTS5 MATCH expression.
///
/// Safety: user text only ever appears inside FTS5 string literals (`"…"`, with `"` doubled),
/// never as FTS5 syntax, so no input can produce an FTS5 syntax error or reach an operator.
/// FTS5 runs the index's tokenizer on each string, which turns it into a phrase of tokens.
/// See https://sqlite.org/fts5.html#full_text_query_syntax
public struct QueryCompiler {
    /// Counts the index tokens of a text, to drop terms with none (pure punctuation such as `#`).
    public var tokenCount: (String) -> Int

    public init(tokenCount: @escaping (String) -> Int) {
        self.tokenCount = tokenCount
    }

    /// A compiler that counts tokens with `segmenter`.
    public init(segmenter: Segmenter) {
        self.init { text in (try? segmenter.tokens(of: text).count) ?? 0 }
    }

    /// Returns the MATCH expression, or nil with a reason in `hints` when nothing searchable
    /// is left (an empty query, only punctuation, only exclusions).
    public func compile(_ parsed: ParsedQuery) -> CompiledQuery {
        var hints = parsed.hints
        guard let root = parsed.root else {
            return CompiledQuery(match: nil, hints: hints + ["the query is empty"])
        }
        let match = expression(root, hints: &hints)
        if match == nil, !hints.contains(where: { $0.hasPrefix("ignored") || $0.hasPrefix("a query") }) {
            hints.append("nothing searchable in the query")
        }
        return CompiledQuery(match: match, hints: hints)
    }

    private func expression(_ node: QueryNode, hints: inout [String]) -> String? {
        switch node {
        case .term(let text, let field, let prefix):
            return literal(text, field: field, prefix: prefix, hints: &hints)
        case .phrase(let text, let field):
            return literal(text, field: field, prefix: false, hints: &hints)
        case .or(let children):
            let parts = children.compactMap { expression($0, hints: &hints) }
            if parts.isEmpty { return nil }
            return parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")"
        case .not(let child):
            // A lone exclusion: FTS5 cannot express "every document except".
            _ = expression(child, hints: &hints)
            hints.append("a query needs at least one term that is not excluded")
            return nil
        case .and(let children):
            var positive: [String] = []
            var negative: [String] = []
            for child in children {
                if case .not(let inner) = child {
                    if let e = expression(inner, hints: &hints) { negative.append(e) }
                } else if let e = expression(child, hints: &hints) {
                    positive.append(e)
                }
            }
            guard !positive.isEmpty else {
                if !negative.isEmpty { hints.append("a query needs at least one term that is not excluded") }
                return nil
            }
            var result = positive.count == 1 ? positive[0] : "(" + positive.joined(separator: " AND ") + ")"
            for n in negative { result = "(\(result) NOT \(n))" }
            return result
        }
    }

    private func literal(_ text: String, field: Field?, prefix: Bool, hints: inout [String]) -> String? {
        guard tokenCount(text) > 0 else {
            hints.append("ignored '\(text)': no letters, digits or Han characters")
            return nil
        }
        var s = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        if prefix { s += " *" }
        if let field { s = "{\(field.rawValue)} : " + s }
        return s
    }
}

/// A compiled query: the FTS5 MATCH expression (nil when nothing is searchable) and hints
/// about what was ignored.
public struct CompiledQuery: Sendable, Equatable {
    public var match: String?
    public var hints: [String]
}

import Foundation
