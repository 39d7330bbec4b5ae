import Synchronization

/// Every document's access class (``AccessClass``: its directory, and its owner, group and mode
/// without an ACL) at one index generation, read in one pass over the access index
/// (``SearchIndex/cacheAccessClasses()``), so that the searches that need each match's class or
/// read permission (warming, which counts matches by class for ``MatchCache``, and every
/// reader's search) look it up by rowid instead of joining the match's row and hashing its path.
///
/// Why: warming the cache after a start at 100,000 documents took 39.6 s for 756 searches,
/// about a quarter of it in Swift's string decoding, hashing and comparison of each match's
/// path, and much of the rest in the join (docs/performance.md).
///
/// Validity: like ``DocumentSizes``, the table belongs to one generation and a search uses it
/// only when its snapshot is of that generation, so a class looked up here is the one the
/// search's own snapshot holds. Thread-safe.
final class DocumentAccessClasses: Sendable {
    struct Table: Sendable {
        /// The index generation the table was read at (``DocumentSizes/generation``).
        let generation: Int64
        /// Class ids (indices into ``classes``) by rowid; -1 for a document no class can stand
        /// for (access unknown, an ACL, a path without `/`) and for rowids without a document.
        let classOfRow: [Int32]
        let classes: [AccessClass]

        /// The class of document `id`, -1 when it has none (see ``classOfRow``).
        func classOf(_ id: Int64) -> Int32 {
            id >= 0 && id < Int64(classOfRow.count) ? classOfRow[Int(id)] : -1
        }
    }

    /// Rowids are at most this many times the documents (plus ``slack``) for a table to be made:
    /// the table has one entry per rowid up to the largest, and an index whose documents were
    /// replaced many times over has sparse rowids (then searches join the rows as before).
    static let maximumSparseness = 8
    static let slack = 65_536

    private let table = Mutex<Table?>(nil)

    /// The table read at `generation`, or nil (another generation, none read yet, or a
    /// generation < 0: a write was under way).
    func usable(at generation: Int64) -> Table? {
        guard generation >= 0 else { return nil }
        return table.withLock { $0?.generation == generation ? $0 : nil }
    }

    /// Keeps `new` unless a table of a newer generation is already kept.
    func store(_ new: Table) {
        table.withLock { if $0 == nil || $0!.generation <= new.generation { $0 = new } }
    }

    /// Builds a table from rows of (rowid, path as UTF-8 bytes, stored access), in any order.
    /// Consecutive rows of one directory (the crawl's order) share a class without hashing.
    struct Builder {
        private(set) var classOfRow: [Int32]
        private(set) var classes: [AccessClass] = []
        private var ids: [ClassKey: Int32] = [:]
        private var last: (directory: [UInt8], access: FileAccess, id: Int32)?

        private struct ClassKey: Hashable {
            var directory: [UInt8]
            var access: FileAccess
        }

        init(maximumRowid: Int64) {
            classOfRow = [Int32](repeating: -1, count: Int(max(0, maximumRowid) + 1))
        }

        mutating func add(id: Int64, path: UnsafeRawBufferPointer, access: FileAccess?) {
            guard id >= 0, id < Int64(classOfRow.count), let access, access.mode & FileAccess.extendedACL == 0,
                  let slash = path.lastIndex(of: UInt8(ascii: "/")) else { return }
            let directory = UnsafeRawBufferPointer(rebasing: path[..<slash])
            if let last, last.access == access, last.directory.elementsEqual(directory) {
                classOfRow[Int(id)] = last.id
                return
            }
            let key = ClassKey(directory: Array(directory), access: access)
            let classID: Int32
            if let known = ids[key] {
                classID = known
            } else {
                classID = Int32(classes.count)
                ids[key] = classID
                classes.append(AccessClass(directory: String(decoding: key.directory, as: UTF8.self), access: access))
            }
            classOfRow[Int(id)] = classID
            last = (key.directory, access, classID)
        }

        func table(generation: Int64) -> Table {
            Table(generation: generation, classOfRow: classOfRow, classes: classes)
        }
    }
}
