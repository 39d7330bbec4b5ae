import CIndex

/// Each document's size in tokens, cached in memory for `jiansuo_rank` (see `cindex_sizes` in
/// `cindex.h`): BM25 needs the size of every matching row, and FTS5 reads it from `%_docsize`
/// with one statement per row, about two thirds of a search that ranks 33,000 matches. One per
/// index database in this process, shared by all its connections.
///
/// The writer brackets every write transaction with ``write(_:)``, which makes the generation
/// odd while it is open and every cached size stale once it ends. A search reads
/// ``generation`` before its read transaction and again once its snapshot is taken
/// (``usable(before:after:)``), and passes the generation to `jiansuo_rank` only when both
/// match: its snapshot then holds exactly the sizes cached for that generation.
final class DocumentSizes: @unchecked Sendable {
    /// The C cache; nil when it could not be allocated (then every size is read from SQLite).
    let pointer: OpaquePointer?

    init() {
        pointer = cindex_sizes_new()
    }

    deinit {
        cindex_sizes_free(pointer)
    }

    /// The current generation: even between write transactions, odd during one.
    var generation: Int64 { cindex_sizes_generation(pointer) }

    /// Runs `body` (a write transaction) with the generation odd, and even again afterwards,
    /// whether it commits or throws.
    func write<T>(_ body: () throws -> T) rethrows -> T {
        cindex_sizes_write_begin(pointer)
        defer { cindex_sizes_write_end(pointer) }
        return try body()
    }

    /// The generation a reader may pass to `jiansuo_rank`: `before` (read before its read
    /// transaction began) when `after` (read once its snapshot was taken) is the same even
    /// number, else -1 (read every size from SQLite).
    static func usable(before: Int64, after: Int64) -> Int64 {
        before == after && before >= 0 && before % 2 == 0 ? before : -1
    }
}
