import Foundation
import JiansuoProtocol

/// The search page's parameters, read from the query string and checked: `q` (the query
/// syntax), `page` (from 1), `sort`, and the filters `ext`, `cat` (a front matter category),
/// `from` and `to` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, both inclusive). A value that does not
/// fit is dropped, and said so in ``problems``.
struct SearchForm: Sendable {
    static let pageSize = 10

    var q: String
    var page: Int
    var sort: HitOrder
    var ext: String
    var category: String
    var from: String
    var to: String
    var lang: String
    var problems: [String] = []

    init(_ query: [String: String]) {
        q = String((query["q"] ?? "").prefix(SearchParams.maxQueryCharacters))
        let page = Int(query["page"] ?? "1") ?? 1
        let lastPage = SearchParams.maxOffset / Self.pageSize + 1
        self.page = min(max(page, 1), lastPage)
        sort = HitOrder(rawValue: query["sort"] ?? "") ?? .relevance
        // An extension: letters and digits only.
        let ext = (query["ext"] ?? "").lowercased()
        self.ext = ext.count <= 16 && ext.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) } ? ext : ""
        if self.ext != ext { problems.append("ext") }
        // A category is written as a quoted filter value: a quote cannot be part of it.
        let category = String((query["cat"] ?? "").prefix(200))
        self.category = category.contains("\"") ? "" : category
        if self.category != category { problems.append("cat") }
        let from = query["from"] ?? "", to = query["to"] ?? ""
        self.from = Self.day(from) != nil ? from : ""
        self.to = Self.day(to) != nil ? to : ""
        if self.from != from { problems.append("from") }
        if self.to != to { problems.append("to") }
        lang = query["lang"] == "en" || query["lang"] == "zh" ? query["lang"]! : ""
    }

    var offset: Int { (page - 1) * Self.pageSize }

    /// The query sent to the daemon: `q` with the filters in the query syntax; nil when there is
    /// nothing to search for or list.
    var daemonQuery: String? {
        var parts: [String] = []
        if !q.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(q) }
        if !ext.isEmpty { parts.append("ext:\(ext)") }
        if !category.isEmpty { parts.append("category:\"\(category)\"") }
        if !from.isEmpty { parts.append("after:\(from)") }
        if let end = Self.dayAfter(to) { parts.append("before:\(end)") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The page's parameters as `(key, value)`, with `changes` applied (an empty value drops
    /// the key); for links that keep the rest of the search.
    func parameters(_ changes: [String: String] = [:]) -> [(String, String)] {
        var pairs: [(String, String)] = [("q", q), ("sort", sort == .relevance ? "" : sort.rawValue), ("ext", ext), ("cat", category),
                                         ("from", from), ("to", to), ("page", page > 1 ? String(page) : ""), ("lang", lang)]
        for (key, value) in changes {
            if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        }
        return pairs.filter { !$0.1.isEmpty }
    }

    func link(_ changes: [String: String] = [:]) -> String { "/?" + URLQuery.make(parameters(changes)) }

    /// (year, month, day) of `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (month and day default to 1).
    static func day(_ text: String) -> (Int, Int, Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4, parts.dropFirst().allSatisfy({ $0.count == 2 }),
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else { return nil }
        let y = Int(parts[0])!, m = parts.count > 1 ? Int(parts[1])! : 1, d = parts.count > 2 ? Int(parts[2])! : 1
        guard (1...9998).contains(y), (1...12).contains(m), (1...daysIn(y, m)).contains(d) else { return nil }
        return (y, m, d)
    }

    static func daysIn(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// The first day after the period `text` names (`2023` → `2024-01-01`, `2023-02` →
    /// `2023-03-01`, `2023-02-28` → `2023-03-01`): `to` is inclusive, the `before:` filter is not.
    static func dayAfter(_ text: String) -> String? {
        guard var (y, m, d) = day(text) else { return nil }
        switch text.split(separator: "-").count {
        case 1: (y, m, d) = (y + 1, 1, 1)
        case 2: (y, m, d) = m == 12 ? (y + 1, 1, 1) : (y, m + 1, 1)
        default:
            if d < daysIn(y, m) { d += 1 } else if m < 12 { (m, d) = (m + 1, 1) } else { (y, m, d) = (y + 1, 1, 1) }
        }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
}
