/// A parsed search query: the abstract syntax tree between the user's text and FTS5.
public indirect enum QueryNode: Sendable, Equatable {
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
}

/// A document field that a query term can be limited to with `field:term`.
public enum Field: String, Sendable, Equatable, CaseIterable {
    case title
    case body
}
