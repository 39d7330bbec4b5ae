/// A match with what ranking needs: `rank` from `jiansuo_rank` (title group included),
/// whether its whole title equals the query, and the sort key of a date or path order.
struct RankedHit {
    var id: Int64
    var exact: Bool
    var rank: Double
    var key: String
    /// The document's access class (see ``MatchCache``), when the search collected them; -1 otherwise.
    var accessClass: Int32 = -1
}

/// The best `capacity` hits seen so far, for a page of results without sorting every match.
///
/// Order: the `order` key first (newest date, or path), then exact titles, then rank, then
/// rowid so that equal scores page deterministically. Inserting costs O(log k) to find the
/// place plus the shift, and nothing for the many hits worse than the current k-th.
struct TopHits {
    let capacity: Int
    let order: ResultOrder
    private var hits: [RankedHit] = []

    init(capacity: Int, order: ResultOrder) {
        self.capacity = max(capacity, 0)
        self.order = order
        hits.reserveCapacity(min(self.capacity, 1024))
    }

    /// True when `a` ranks before `b`.
    func before(_ a: RankedHit, _ b: RankedHit) -> Bool {
        switch order {
        case .relevance: break
        case .date: if a.key != b.key { return a.key > b.key }
        case .path: if a.key != b.key { return a.key < b.key }
        }
        if a.exact != b.exact { return a.exact }
        if a.rank != b.rank { return a.rank > b.rank }
        return a.id < b.id
    }

    mutating func insert(_ hit: RankedHit) {
        guard capacity > 0 else { return }
        if hits.count == capacity {
            guard before(hit, hits[hits.count - 1]) else { return }
            hits.removeLast()
        }
        var low = 0, high = hits.count
        while low < high {
            let mid = (low + high) / 2
            if before(hits[mid], hit) { low = mid + 1 } else { high = mid }
        }
        hits.insert(hit, at: low)
    }

    /// The kept hits, best first.
    func sorted() -> [RankedHit] { hits }
}
