/// Parses the search box syntax into a ``QueryNode``, leniently: ordinary input never fails.
///
/// | syntax | meaning |
/// |---|---|
/// | `知识 产权` | both terms (AND) |
/// | `"知识产权 保险"` | phrase: tokens adjacent, in order |
/// | `保险 OR 证券` | either term; binds tighter than AND |
/// | `-广告`, `NOT 广告` | exclude documents with the term |
/// | `a AND b` | the same as `a b` |
/// | `swif*` | prefix |
/// | `title:专利`, `body:"…"` | limit a term or phrase to a field |
/// | `path:新闻/2023`, `ext:md` | path contains a folder; file extension |
/// | `after:2021-09`, `before:2022` | document date (front matter, else modification time) |
/// | `category:金融`, `tag:专利`, `author:…` | front matter fields |
///
/// What cannot be used is reported in ``ParsedQuery/hints`` instead of an error: an unknown
/// field is read as text, a lone `"` closes at the end of the input, a dangling `OR` or `-` is
/// ignored.
public enum QueryParser {
    /// Most terms, phrases and filters a query keeps; later ones are ignored with a hint. Each
    /// term costs the search a pass over its postings, so this bounds a request's cost.
    public static let maxTerms = 64

    public static func parse(_ input: String) -> ParsedQuery {
        // Control characters (a NUL included) are never text: they become spaces.
        let cleaned = String(String.UnicodeScalarView(input.unicodeScalars.map {
            $0.properties.generalCategory == .control ? " " : $0
        }))
        let (folded, syntaxHints) = foldSyntax(cleaned)
        var lexer = Lexer(folded)
        var hints: [String] = syntaxHints
        var groups: [[QueryNode]] = []   // AND of ORs
        var pendingOr = false
        var pendingNot = false
        var seen: Set<QueryNode> = []
        let tooMany = "used the first \(Self.maxTerms) terms; the rest were ignored"
        while let lexeme = lexer.next(hints: &hints) {
            var lexeme = lexeme
            if pendingNot {
                switch lexeme {
                case .not: continue  // NOT NOT x is NOT x
                case .or: hints.append("ignored NOT without a term after it")
                case .node(let node):
                    if case .not = node {} else { lexeme = .node(.not(node)) }
                }
                pendingNot = false
            }
            switch lexeme {
            case .not:
                pendingNot = true
            case .or:
                if groups.isEmpty || pendingOr {
                    hints.append("ignored OR without a term before it")
                } else {
                    pendingOr = true
                }
            case .node(let node):
                // The same term twice adds nothing to AND or OR but cost.
                if seen.contains(node) {
                    pendingOr = false
                    continue
                }
                if seen.count == Self.maxTerms {
                    if !hints.contains(tooMany) { hints.append(tooMany) }
                    pendingOr = false
                    continue
                }
                seen.insert(node)
                if pendingOr, var last = groups.popLast() {
                    if case .not = node {
                        hints.append("an excluded term cannot be part of OR; read as AND")
                        groups.append(last)
                        groups.append([node])
                    } else if let lastNode = last.last, case .not = lastNode {
                        hints.append("an excluded term cannot be part of OR; read as AND")
                        groups.append(last)
                        groups.append([node])
                    } else {
                        last.append(node)
                        groups.append(last)
                    }
                } else {
                    groups.append([node])
                }
                pendingOr = false
            }
        }
        if pendingNot { hints.append("ignored NOT without a term after it") }
        if pendingOr { hints.append("ignored OR at the end of the query") }
        let nodes = groups.map { $0.count == 1 ? $0[0] : QueryNode.or($0) }
        let root: QueryNode? = switch nodes.count {
        case 0: nil
        case 1: nodes[0]
        default: .and(nodes)
        }
        return ParsedQuery(root: root, hints: hints)
    }
}

extension QueryParser {
    /// Quote pairs a Chinese input method types, read as the ASCII phrase quote `"`.
    static let phraseQuotes: Set<Character> = ["“", "”", "‘", "’", "「", "」", "『", "』", "＂"]

    /// The query's syntax as a Chinese input method types it, folded to ASCII before parsing:
    /// “” ‘’ 「」 『』 ＂ are phrase quotes; － (at the start of a word) excludes; ： after a
    /// field or filter name is its colon; ＊ at the end of a word is a prefix; ＯＲ ＡＮＤ ＮＯＴ as
    /// whole words are the operators; （ ） are parentheses. Each character taken as syntax gets
    /// one hint. Elsewhere these characters are text (the analyzer folds them with NFKC), and
    /// ‘ ’ between two letters is an apostrophe (`don’t`).
    /// - Returns: the folded query and the hints.
    static func foldSyntax(_ query: String) -> (String, [String]) {
        var chars = Array(query)
        var hints: [String] = []
        func taken(_ c: Character, as ascii: String, _ meaning: String) { taken(String(c), as: ascii, meaning) }
        func taken(_ c: String, as ascii: String, _ meaning: String) {
            let hint = "read '\(c)' as '\(ascii)' (\(meaning))"
            if !hints.contains(hint) { hints.append(hint) }
        }
        func isSpace(_ k: Int) -> Bool { k < 0 || k >= chars.count || chars[k].isWhitespace }
        let names = Set(Field.allCases.map(\.rawValue) + Filter.names)
        var k = 0
        var wordStart = 0  // where the word holding chars[k] starts (one pass: linear)
        while k < chars.count {
            let c = chars[k]
            if c.isWhitespace { wordStart = k + 1 }
            switch c {
            case _ where phraseQuotes.contains(c):
                let apostrophe = (c == "‘" || c == "’") && k > 0 && k + 1 < chars.count && chars[k - 1].isLetter && chars[k + 1].isLetter
                    && chars[k - 1].isASCII && chars[k + 1].isASCII
                if !apostrophe {
                    chars[k] = "\""
                    taken(c, as: "\"", "a phrase quote")
                }
            case "－" where isSpace(k - 1) && !isSpace(k + 1):
                chars[k] = "-"
                taken(c, as: "-", "exclude the word after it")
            case "＋" where isSpace(k - 1) && !isSpace(k + 1):
                chars[k] = "+"
            case "：":
                // A field or filter name right before it, from the start of the word.
                var start = wordStart
                if start < k, chars[start] == "-" || chars[start] == "－" { start += 1 }
                // Names are short: a long word before it is never one (and is not copied).
                if k - start <= 16, names.contains(String(chars[start..<k]).lowercased()) {
                    let name = String(chars[start..<k]).lowercased()
                    chars[k] = ":"
                    taken(c, as: ":", "after \(name)")
                }
            case "＊" where isSpace(k + 1) && !isSpace(k - 1):
                chars[k] = "*"
                taken(c, as: "*", "a prefix")
            case "（": chars[k] = "("
            case "）": chars[k] = ")"
            default:
                break
            }
            k += 1
        }
        // Full-width operators typed as whole words.
        var out: [Character] = []
        var word: [Character] = []
        func flush() {
            let text = String(word)
            if let ascii = ["ＯＲ": "OR", "ＡＮＤ": "AND", "ＮＯＴ": "NOT"][text] {
                out.append(contentsOf: ascii)
                taken(text, as: ascii, "the operator")
            } else {
                out.append(contentsOf: word)
            }
            word.removeAll()
        }
        for c in chars {
            if c.isWhitespace {
                flush()
                out.append(c)
            } else {
                word.append(c)
            }
        }
        flush()
        return (String(out), hints)
    }
}

/// The result of a lenient parse: the tree (nil for an empty query) and what was ignored.
public struct ParsedQuery: Sendable, Equatable {
    public var root: QueryNode?
    /// Human-readable notes about input that was ignored or reinterpreted.
    public var hints: [String]
}

private enum Lexeme {
    case node(QueryNode)
    case or
    /// The keyword NOT: the next term is excluded.
    case not
}

private struct Lexer {
    let chars: [Character]
    var i = 0

    init(_ input: String) { chars = Array(input) }

    mutating func next(hints: inout [String]) -> Lexeme? {
        while true {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            guard i < chars.count else { return nil }
            var negated = false
            if chars[i] == "-" {
                negated = true
                i += 1
                if i >= chars.count || chars[i].isWhitespace {
                    hints.append("ignored '-' without a term after it")
                    continue
                }
            }
            var field: Field?
            if let (f, length) = fieldPrefix() {
                field = f
                i += length
            } else if let (name, length) = filterPrefix() {
                i += length
                let value = readValue(hints: &hints)
                guard !value.isEmpty, let filter = Filter(name: name, value: value) else {
                    hints.append("ignored an empty \(name): filter")
                    continue
                }
                return .node(negated ? .not(.filter(filter)) : .filter(filter))
            }
            let node: QueryNode
            if let text = readQuoted(hints: &hints) {
                node = .phrase(text, field: field)
            } else {
                var word = readWord()
                if !negated, field == nil, word == "OR" { return .or }
                if !negated, field == nil, word == "AND" { continue }  // AND is what spaces mean
                // NOT x is -x; the parser applies it (no recursion, however many NOTs in a row).
                if !negated, field == nil, word == "NOT" { return .not }
                if field == nil, word.hasSuffix(":"), let name = Optional(String(word.dropLast()).lowercased()),
                   Filter.names.contains(name) || Field.allCases.map(\.rawValue).contains(name) {
                    hints.append("ignored an empty \(name): filter")
                    continue
                }
                var prefix = false
                while word.hasSuffix("*") {
                    word.removeLast()
                    prefix = true
                }
                if word.isEmpty {
                    if field != nil { hints.append("ignored an empty \(field!.rawValue): filter") }
                    else if prefix { hints.append("ignored '*' without a prefix before it") }
                    continue
                }
                node = .term(word, field: field, prefix: prefix)
            }
            return .node(negated ? .not(node) : node)
        }
    }

    /// Recognizes `title:` / `body:` directly followed by a term or quote.
    func fieldPrefix() -> (Field, Int)? {
        for field in Field.allCases {
            if let length = prefixLength(field.rawValue) { return (field, length) }
        }
        return nil
    }

    /// Recognizes a filter name and its colon, directly followed by a value.
    func filterPrefix() -> (String, Int)? {
        for name in Filter.names {
            if let length = prefixLength(name) { return (name, length) }
        }
        return nil
    }

    private func prefixLength(_ name: String) -> Int? {
        let prefix = Array(name + ":")
        guard i + prefix.count < chars.count,
              Array(chars[i..<(i + prefix.count)]).map({ Character($0.lowercased()) }) == prefix,
              !chars[i + prefix.count].isWhitespace
        else { return nil }
        return prefix.count
    }

    /// A filter value: a quoted string or the rest of the word.
    mutating func readValue(hints: inout [String]) -> String {
        readQuoted(hints: &hints) ?? readWord()
    }

    /// The text of a `"…"` at the cursor (a missing closing quote closes at the end), or nil
    /// when the cursor is not on a quote.
    mutating func readQuoted(hints: inout [String]) -> String? {
        guard i < chars.count, chars[i] == "\"" else { return nil }
        i += 1
        let start = i
        while i < chars.count, chars[i] != "\"" { i += 1 }
        let text = String(chars[start..<i])
        if i < chars.count { i += 1 } else { hints.append("closed the unterminated quote at the end") }
        return text
    }

    /// The characters up to the next whitespace.
    mutating func readWord() -> String {
        let start = i
        while i < chars.count, !chars[i].isWhitespace { i += 1 }
        return String(chars[start..<i])
    }
}
