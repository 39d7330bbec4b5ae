import Foundation

/// Counts of matching documents by extension, front matter category and year, gathered while a
/// search reads its matches (``SearchRequest/facets``).
public struct FacetCounts: Sendable, Equatable {
    /// Lower-case extension without the dot (`""` for none) → documents.
    public var extensions: [String: Int] = [:]
    /// Category, as written in the front matter → documents.
    public var categories: [String: Int] = [:]
    /// Year `YYYY` of the document's day (`date_key`) → documents.
    public var years: [String: Int] = [:]

    public init() {}

    /// The extension of a path's last component, lower-cased, without the dot; `""` when the
    /// name has none (or only a leading dot, as `.profile`), or when it is longer than 16 bytes.
    public static func fileExtension(of path: String) -> String {
        let utf8 = path.utf8
        guard let dot = utf8.lastIndex(of: UInt8(ascii: ".")) else { return "" }
        let after = utf8[utf8.index(after: dot)...]
        guard !after.contains(UInt8(ascii: "/")), after.count <= 16, dot > utf8.startIndex,
              utf8[utf8.index(before: dot)] != UInt8(ascii: "/") else { return "" }
        return String(Substring(after)).lowercased()
    }

    /// Adds documents to counts; decodes each distinct `categories` JSON array once (few
    /// distinct ones repeat across a corpus).
    struct Reader {
        private var decoded: [String: [String]] = [:]

        mutating func add(to counts: inout FacetCounts, path: String, categoriesJSON: String, dateKey: String) {
            counts.extensions[FacetCounts.fileExtension(of: path), default: 0] += 1
            if dateKey.utf8.count >= 4 { counts.years[String(dateKey.prefix(4)), default: 0] += 1 }
            guard categoriesJSON != "[]" else { return }
            let list: [String]
            if let known = decoded[categoriesJSON] {
                list = known
            } else {
                list = Array(Set((try? JSONDecoder().decode([String].self, from: Data(categoriesJSON.utf8))) ?? []))
                if decoded.count < 10_000 { decoded[categoriesJSON] = list }
            }
            for category in list { counts.categories[category, default: 0] += 1 }
        }
    }
}
