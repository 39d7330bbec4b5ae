import JiansuoIndex
import Synchronization

/// The index currently in use. A rebuild swaps in a new one; everything that reads or writes
/// the index asks the holder each time instead of keeping its own reference.
public final class IndexHolder: Sendable {
    private let index: Mutex<SearchIndex>

    public init(_ index: SearchIndex) {
        self.index = Mutex(index)
    }

    public var current: SearchIndex { index.withLock { $0 } }

    /// Replaces the index; returns the old one.
    func swap(_ new: SearchIndex) -> SearchIndex {
        index.withLock { old in
            let previous = old
            old = new
            return previous
        }
    }
}
