/// A parsed search query: the abstract syntax tree between the user's text and FTS5.
public indirect enum QueryNode: Sendable, Hashable {
    /// A bare word. `prefix` is set by a trailing `*` (`swif*`).
    case term(String, field: Field?, prefix: Bool)
    /// A `"quoted phrase"`: its tokens must be adjacent and in order.
    case phrase(String, field: Field?)
    /// Every child must match (terms separated by spaces).
    case and([QueryNode])
    /// Any child may match (`a OR b`).
    case or([QueryNode])
    /// The child must not match (`-word`). Only meaningful inside ``and(_:)``.
    case not(QueryNode)
    /// A condition on document fields other than the text (`ext:md`, `after:2021`).
    case filter(Filter)
}

/// A condition on a document's metadata. Values are as the user typed them.
public enum Filter: Sendable, Hashable {
    /// `path:新闻/2023`: the path contains this folder (a path starting with `/`: starts with it).
    case path(String)
    /// `ext:md`: the file name extension, case-insensitive, without the dot.
    case ext(String)
    /// `after:2021-09`: the document date is on or after this day (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`).
    case after(String)
    /// `before:2022`: the document date is before this day.
    case before(String)
    /// `category:金融`: one of the front matter categories equals this (normalized).
    case category(String)
    /// `tag:专利`: one of the front matter tags equals this (normalized).
    case tag(String)
    /// `author:新浪财经`: the front matter author equals this (normalized).
    case author(String)

    /// The filter names, as typed before the colon.
    public static let names = ["path", "ext", "after", "before", "category", "tag", "author"]

    init?(name: String, value: String) {
        switch name {
        case "path": self = .path(value)
        case "ext": self = .ext(value)
        case "after": self = .after(value)
        case "before": self = .before(value)
        case "category": self = .category(value)
        case "tag": self = .tag(value)
        case "author": self = .author(value)
        default: return nil
        }
    }
}

/// A document field that a query term can be limited to with `field:term`.
public enum Field: String, Sendable, Equatable, CaseIterable {
    case title
    case body
}
