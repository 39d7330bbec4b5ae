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
/// search would compute. Searches with metadata filters are not kept.
///
/// Readers: an entry is the unfiltered outcome. A reader's results also depend on directory
/// permissions, which change without a write to the index, so a reader is never given a
/// stored answer: when the search that stored the entry also counted its matches by access
/// class (a directory and a file's owner, group and mode without an ACL, ``AccessClass``),
/// a reader's total is the sum of the classes it may read, decided now
/// (``ReadPermission/mayRead(directory:access:)``, one `stat(2)` per directory), and its page
/// the stored hits of those classes, when they hold enough of them. Warming and readers'
/// own searches count the classes; a reader's own search (run because the kept hits did not
/// hold its page) keeps ``maximumDepth`` hits, so that readers who may read few of the best
/// hits are answered from the cache next time.
///
/// Thread-safe. Bounded: at most ``capacity`` entries, ``maximumBytes`` in all, ``depth`` hits
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
        /// The matches by access class: the classes (ids into the cache's class table, see
        /// ``lookupForReader(_:generation:demanded:)``) and how many matches each holds; every
        /// hit's ``RankedHit/accessClass`` is one of them. Nil when they were not counted.
        var classIDs: [Int32]? = nil
        var classCounts: [Int32]? = nil

        /// About what the entry costs in memory, in bytes.
        var bytes: Int { 256 + hits.count * 48 + (classIDs?.count ?? 0) * 8 }
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
        /// Bytes kept over every entry (``Outcome/bytes``).
        var stored = 0
        /// The access classes of the entries of `classGeneration`, by id.
        var classes: [AccessClass] = []
        var classIDs: [AccessClass: Int32] = [:]
        var classGeneration: Int64 = -1
        /// The newest generation stored.
        var newestGeneration: Int64 = -1
    }

    /// Searches with fewer matches are not kept: they cost little to run again.
    let minimumMatches: Int
    /// Hits kept per entry (ten pages of ten), or the page asked for when deeper.
    let depth: Int
    /// The deepest page kept: a search for hits beyond it is neither kept nor answered here.
    let maximumDepth: Int
    /// Entries kept, at most.
    let capacity: Int
    /// Bytes kept over every entry, at most (``Outcome/bytes``: a hit about 48, an access class 8).
    let maximumBytes: Int
    private let state = Mutex(State())

    init(minimumMatches: Int = 1000, depth: Int = 100, maximumDepth: Int = 1000, capacity: Int = 2048, maximumBytes: Int = 24 << 20) {
        self.minimumMatches = max(1, minimumMatches)
        self.depth = max(1, depth)
        self.maximumDepth = max(self.depth, maximumDepth)
        self.capacity = max(1, capacity)
        self.maximumBytes = max(self.maximumDepth * 48 + 256, maximumBytes)
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
            Self.use(key, generation: generation, demanded: demanded, in: &s, capacity: capacity) {
                Self.answers($0.outcome, wanted: wanted, facets: facets)
            }?.outcome
        }
    }

    /// The outcome kept for `key` at `generation` with its matches counted by access class,
    /// and the class table its ids refer to; nil otherwise. For a reader's search: it decides
    /// which classes it may read and whether the hits kept hold its page.
    func lookupForReader(_ key: Key, generation: Int64, demanded: Bool = true) -> (outcome: Outcome, classes: [AccessClass])? {
        state.withLock { s in
            let classGeneration = s.classGeneration
            return Self.use(key, generation: generation, demanded: demanded, in: &s, capacity: capacity) {
                $0.outcome.classIDs != nil && classGeneration == generation
            }.map { ($0.outcome, s.classes) }
        }
    }

    /// The entry for `key` at `generation` when `usable` accepts it, counted as a hit and made
    /// the most recently used (and asked for, when `demanded`); else nil, counted as a miss.
    private static func use(_ key: Key, generation: Int64, demanded: Bool, in s: inout State, capacity: Int,
                            _ usable: (Entry) -> Bool) -> Entry? {
        s.clock += 1
        guard generation >= 0, var entry = s.entries[key], entry.generation == generation, usable(entry) else {
            s.misses += 1
            return nil
        }
        s.hits += 1
        entry.lastUse = s.clock
        s.entries[key] = entry
        if demanded { demand(key, at: s.clock, in: &s, capacity: capacity) }
        return entry
    }

    /// Whether ``lookup(_:generation:wanted:facets:demanded:)`` would answer (for a reader:
    /// whether an entry with access classes is kept), without counting or marking it.
    func contains(_ key: Key, generation: Int64, wanted: Int, facets: Bool, reader: Bool = false) -> Bool {
        state.withLock { s in
            guard generation >= 0, let entry = s.entries[key], entry.generation == generation else { return false }
            if reader { return entry.outcome.classIDs != nil && !facets }
            return Self.answers(entry.outcome, wanted: wanted, facets: facets)
        }
    }

    private static func answers(_ outcome: Outcome, wanted: Int, facets: Bool) -> Bool {
        (outcome.hits.count >= wanted || outcome.hits.count == outcome.total) && (!facets || outcome.facets != nil)
    }

    /// Keeps `outcome` for `key` at `generation` when it has at least ``minimumMatches``
    /// matches. Entries of other generations can never be used again and are dropped.
    /// `demanded`: stored by a user's search (false when warming).
    /// `classes`: the matches counted by access class, with each hit's ``RankedHit/accessClass``
    /// an index into `classes.classes` (nil when they were not counted).
    func store(_ key: Key, generation: Int64, outcome: Outcome, classes: AccessClassCounts? = nil, demanded: Bool) {
        guard generation >= 0, outcome.total >= minimumMatches, outcome.hits.count <= maximumDepth else { return }
        state.withLock { s in
            // A search of an older snapshot that ends after a newer one was stored: its outcome
            // can never be used, and must not push out the newer entries.
            guard generation >= s.newestGeneration else { return }
            s.newestGeneration = generation
            if s.entries.values.contains(where: { $0.generation != generation }) {
                s.entries = s.entries.filter { $0.value.generation == generation }
                s.stored = s.entries.values.reduce(0) { $0 + $1.outcome.bytes }
            }
            if s.classGeneration != generation {
                s.classes = []
                s.classIDs = [:]
                s.classGeneration = generation
            }
            var outcome = outcome
            outcome.classIDs = nil
            outcome.classCounts = nil
            if let classes, outcome.hits.allSatisfy({ $0.accessClass >= 0 && Int($0.accessClass) < classes.classes.count
                                                        && classes.counts[Int($0.accessClass)] > 0 }) {
                // Local class numbers to the table's, for the classes with matches.
                var global = [Int32](repeating: -1, count: classes.classes.count)
                var ids: [Int32] = []
                var counts: [Int32] = []
                for (k, c) in classes.classes.enumerated() where classes.counts[k] > 0 {
                    let id: Int32
                    if let known = s.classIDs[c] {
                        id = known
                    } else {
                        id = Int32(s.classes.count)
                        s.classes.append(c)
                        s.classIDs[c] = id
                    }
                    global[k] = id
                    ids.append(id)
                    counts.append(classes.counts[k])
                }
                for k in outcome.hits.indices { outcome.hits[k].accessClass = global[Int(outcome.hits[k].accessClass)] }
                outcome.classIDs = ids
                outcome.classCounts = counts
            } else {
                for k in outcome.hits.indices { outcome.hits[k].accessClass = -1 }
            }
            // Facet counts kept before (same generation: the same counts) survive a store without them.
            if let old = s.entries.removeValue(forKey: key) {
                if outcome.facets == nil { outcome.facets = old.outcome.facets }
                s.stored -= old.outcome.bytes
            }
            while !s.entries.isEmpty, s.entries.count >= capacity || s.stored + outcome.bytes > maximumBytes,
                  let oldest = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                s.entries[oldest.key] = nil
                s.stored -= oldest.value.outcome.bytes
            }
            s.clock += 1
            s.entries[key] = Entry(generation: generation, outcome: outcome, lastUse: s.clock)
            s.stored += outcome.bytes
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

/// A directory and a file access without an ACL: a reader may read every file with this access
/// in this directory, or none (``ReadPermission/mayRead(directory:access:)``).
/// Equal when the directories are the same bytes (Swift's `String` equality would join
/// canonically equivalent names, which are different directories on Linux).
struct AccessClass: Hashable, Sendable {
    var directory: String
    var access: FileAccess

    static func == (a: AccessClass, b: AccessClass) -> Bool {
        a.access == b.access && a.directory.utf8.elementsEqual(b.directory.utf8)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(access)
        var directory = directory
        directory.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// A search's matches counted by access class, built while it reads them (``MatchCache``).
struct AccessClassCounts {
    private(set) var classes: [AccessClass] = []
    private(set) var counts: [Int32] = []
    private var ids: [AccessClass: Int32] = [:]

    init() {}

    /// Counts already made by class (``DocumentAccessClasses``): `counts[k]` matches of
    /// `classes[k]`; classes without matches are left out when stored.
    init(classes: [AccessClass], counts: [Int32]) {
        self.classes = classes
        self.counts = counts.count == classes.count ? counts : [Int32](repeating: 0, count: classes.count)
    }

    /// Counts a match at `path` (absolute) with stored access `access` and returns its class;
    /// nil when no class can stand for it (access unknown or with an ACL, a path without `/`):
    /// then no reader can be answered from these counts.
    mutating func add(path: String, access: FileAccess?) -> Int32? {
        guard let access, access.mode & FileAccess.extendedACL == 0,
              let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let key = AccessClass(directory: String(path[..<slash]), access: access)
        if let id = ids[key] {
            counts[Int(id)] += 1
            return id
        }
        let id = Int32(classes.count)
        ids[key] = id
        classes.append(key)
        counts.append(1)
        return id
    }
}
