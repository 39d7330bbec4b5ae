import Foundation
import Synchronization

/// Recently counted document frequencies (documents containing a token, or a prefix's first
/// 1,000 tokens), for estimating a search's cost without reading the posting lists again.
/// Thread-safe. An entry lives ``lifetime`` (counts drift as documents change; an estimate
/// may lag); at ``capacity`` entries the cache starts over.
final class DocumentFrequencyCache: Sendable {
    static let lifetime: UInt64 = 60_000_000_000  // nanoseconds
    static let capacity = 65_536

    private struct Entry {
        var count: Int
        var countedAt: UInt64  // DispatchTime uptime, ns
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Counts read in one pass over every token (``seed(_:)``), kept until the next pass: what
    /// ``SearchIndex/warmMatchCache(fraction:limit:shouldStop:)`` read anyway. Without them,
    /// the first estimate of a query with a frequent token counted it (reading its whole
    /// posting list: up to 35 ms at 100,000 documents), once a minute.
    private let seeded = Mutex<(counts: [String: Int], generation: Int64)>(([:], -1))
    private let documentCount = Mutex<Entry?>(nil)

    /// The number of documents, counted by `count` at most every 10 seconds.
    func documents(_ count: () throws -> Int) rethrows -> Int {
        let now = DispatchTime.now().uptimeNanoseconds
        if let entry = documentCount.withLock({ $0 }), now &- entry.countedAt < 10_000_000_000 { return entry.count }
        let n = try count()
        documentCount.withLock { $0 = Entry(count: n, countedAt: now) }
        return n
    }

    /// The fresh counts among `keys` (a count from the last ``seed(_:)`` when there is none newer).
    func lookup(_ keys: [String]) -> [String: Int] {
        let now = DispatchTime.now().uptimeNanoseconds
        var found: [String: Int] = entries.withLock { entries in
            var found: [String: Int] = [:]
            for key in keys {
                if let entry = entries[key], now &- entry.countedAt < Self.lifetime { found[key] = entry.count }
            }
            return found
        }
        if found.count < keys.count {
            seeded.withLock { seeded in
                for key in keys where found[key] == nil { found[key] = seeded.counts[key] }
            }
        }
        return found
    }

    /// Replaces the seeded counts with `counts` (token → documents; prefixes are not seeded),
    /// read from a snapshot of index generation `generation` (see ``DocumentSizes``; -1 when
    /// a write may have begun meanwhile).
    func seed(_ counts: [String: Int], generation: Int64) {
        seeded.withLock { $0 = (counts, generation) }
    }

    /// The seeded counts when they were read at `generation` (≥ 0): then each is exactly the
    /// token's document count in a snapshot of that generation. Nil otherwise.
    func seeded(at generation: Int64) -> [String: Int]? {
        seeded.withLock { generation >= 0 && $0.generation == generation ? $0.counts : nil }
    }

    /// Tokens in fewer documents are not seeded: counting them reads a short list.
    static let seedMinimum = 1000

    func store(_ counts: [String: Int]) {
        let now = DispatchTime.now().uptimeNanoseconds
        entries.withLock { entries in
            if entries.count + counts.count > Self.capacity { entries.removeAll(keepingCapacity: true) }
            for (key, count) in counts { entries[key] = Entry(count: count, countedAt: now) }
        }
    }
}
