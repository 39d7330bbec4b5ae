import Foundation
import Synchronization

/// The outcome of a search's match phase (its best hits in order and its exact `total`, and its
/// facet counts when they were asked for), kept for searches whose matches are many, so that
/// the next identical search skips FTS5 and the ranking of every match.
///
/// Why: a search ranks every match to find the best ten, so a very frequent word (的 in 97% of
/// the large corpus's 100,000 documents, 中国 in 40%) costs in proportion to its matches: 30 to
/// 115 ms at 100,000 documents, about ten times an ordinary query (docs/performance.md). FTS5
/// stores postings by rowid, so the ranking cannot stop early; the outcome, though, changes
/// only when the index does.
///
/// Validity: an entry belongs to one index generation (``DocumentSizes/generation``, which every
/// write transaction moves on, the writer's merges included) and is used only by a search whose
/// snapshot is of that same generation, so a cached answer is always exactly the answer the
/// search would compute. Only searches without a reader (root, the daemon's user), without
/// metadata filters are kept: a reader's results also depend on the file system's permissions,
/// which can change without a write to the index.
///
/// Thread-safe. Bounded: at most ``capacity`` entries, ``maximumHits`` hits in all, ``depth`` hits
/// an entry unless a search asked for a deeper page (up to ``maximumDepth``); the least recently
/// used entry goes first.
final class MatchCache: Sendable {
    /// What the match phase's outcome depends on besides the index's contents.
    struct Key: Hashable, Sendable {
        var match: String
        var rankLayout: String
        var titleKey: String?
        var order: ResultOrder
    }

    struct Outcome: Sendable {
        var total: Int
        /// The best hits, in order: the first `hits.count` of every match.
        var hits: [RankedHit]
        var facets: FacetCounts?
    }

    private struct Entry {
        var generation: Int64
        var outcome: Outcome
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Keys searches asked for (a lookup or a store by a search) since ``refreshable(limit:)``
        /// last listed them → when; kept across generations, at most `capacity`.
        var demand: [Key: UInt64] = [:]
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
        /// Hits kept over every entry.
        var stored = 0
    }

    /// Searches with fewer matches are not kept: they cost little to run again.
    let minimumMatches: Int
    /// Hits kept per entry (ten pages of ten), or the page asked for when deeper.
    let depth: Int
    /// The deepest page kept: a search for hits beyond it is neither kept nor answered here.
    let maximumDepth: Int
    /// Entries kept, at most.
    let capacity: Int
    /// Hits kept over every entry, at most (a hit is about 40 bytes: 8 MB).
    let maximumHits: Int
    private let state = Mutex(State())

    init(minimumMatches: Int = 1000, depth: Int = 100, maximumDepth: Int = 1000, capacity: Int = 2048, maximumHits: Int = 200_000) {
        self.minimumMatches = max(1, minimumMatches)
        self.depth = max(1, depth)
        self.maximumDepth = max(self.depth, maximumDepth)
        self.capacity = max(1, capacity)
        self.maximumHits = max(self.maximumDepth, maximumHits)
    }

    /// How many hits a search that wants the first `wanted` should keep for the cache: at
    /// least ``depth``; nil when `wanted` is beyond ``maximumDepth`` (not cached).
    func keep(wanted: Int) -> Int? {
        wanted <= maximumDepth ? max(wanted, depth) : nil
    }

    /// The outcome kept for `key` at `generation` when it holds the first `wanted` hits (or
    /// every match), else nil. `generation` < 0 (a write was under way) never matches.
    /// `demanded`: asked by a user's search (false when warming or refreshing).
    func lookup(_ key: Key, generation: Int64, wanted: Int, facets: Bool, demanded: Bool = true) -> Outcome? {
        state.withLock { s in
            s.clock += 1
            guard generation >= 0, var entry = s.entries[key], entry.generation == generation,
                  Self.answers(entry.outcome, wanted: wanted, facets: facets) else {
                s.misses += 1
                return nil
            }
            s.hits += 1
            entry.lastUse = s.clock
            s.entries[key] = entry
            if demanded { Self.demand(key, at: s.clock, in: &s, capacity: capacity) }
            return entry.outcome
        }
    }

    /// Whether ``lookup(_:generation:wanted:facets:)`` would answer, without counting or marking it.
    func contains(_ key: Key, generation: Int64, wanted: Int, facets: Bool) -> Bool {
        state.withLock { s in
            guard generation >= 0, let entry = s.entries[key], entry.generation == generation else { return false }
            return Self.answers(entry.outcome, wanted: wanted, facets: facets)
        }
    }

    private static func answers(_ outcome: Outcome, wanted: Int, facets: Bool) -> Bool {
        (outcome.hits.count >= wanted || outcome.hits.count == outcome.total) && (!facets || outcome.facets != nil)
    }

    /// Keeps `outcome` for `key` at `generation` when it has at least ``minimumMatches``
    /// matches. Entries of other generations can never be used again and are dropped.
    /// `demanded`: stored by a user's search (false when warming).
    func store(_ key: Key, generation: Int64, outcome: Outcome, demanded: Bool) {
        guard generation >= 0, outcome.total >= minimumMatches, outcome.hits.count <= maximumDepth else { return }
        state.withLock { s in
            if s.entries.values.contains(where: { $0.generation != generation }) {
                s.entries = s.entries.filter { $0.value.generation == generation }
                s.stored = s.entries.values.reduce(0) { $0 + $1.outcome.hits.count }
            }
            // Facet counts kept before (same generation: the same counts) survive a store without them.
            var outcome = outcome
            if let old = s.entries.removeValue(forKey: key) {
                if outcome.facets == nil { outcome.facets = old.outcome.facets }
                s.stored -= old.outcome.hits.count
            }
            while !s.entries.isEmpty, s.entries.count >= capacity || s.stored + outcome.hits.count > maximumHits,
                  let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries[oldest.key] = nil
                s.stored -= oldest.value.outcome.hits.count
            }
            s.clock += 1
            s.entries[key] = Entry(generation: generation, outcome: outcome, lastUse: s.clock)
            s.stored += outcome.hits.count
            if demanded { Self.demand(key, at: s.clock, in: &s, capacity: capacity) }
        }
    }

    private static func demand(_ key: Key, at clock: UInt64, in s: inout State, capacity: Int) {
        if s.demand[key] == nil, s.demand.count >= capacity, let oldest = s.demand.min(by: { $0.value < $1.value })?.key {
            s.demand[oldest] = nil
        }
        s.demand[key] = clock
    }

    /// The keys searches asked for since they were last listed here, most recent first, at
    /// most `limit`; listing them forgets them all. For recomputing them after a write.
    func refreshable(limit: Int) -> [Key] {
        state.withLock { s in
            let keys = s.demand.sorted { $0.value > $1.value }.prefix(limit).map(\.key)
            s.demand.removeAll()
            return keys
        }
    }

    /// Entries, and lookups answered and not answered since the cache was made.
    var statistics: (entries: Int, hits: Int, misses: Int) {
        state.withLock { ($0.entries.count, $0.hits, $0.misses) }
    }
}
