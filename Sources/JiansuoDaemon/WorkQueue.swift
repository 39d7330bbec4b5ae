/// What the indexer must do about a path.
enum Work: Sendable, Hashable {
    /// Compare the file with the index and index, delete or skip it.
    case check(String)
    /// Like `check`, but also read and hash a file whose metadata matches (ambiguous metadata).
    case verify(String)
    /// Drop every document under a directory that is gone.
    case removeTree(String)
    /// A rename seen by the watcher: move documents without extracting them again.
    case rename(from: String, to: String, isDirectory: Bool)

    /// True for `check` and `verify`, which the indexing workers run in parallel.
    var isCheck: Bool { checkedPath != nil }

    /// The path whose re-indexing rate is limited, for `check` and `verify`.
    var checkedPath: String? {
        switch self {
        case .check(let p), .verify(let p): p
        default: nil
        }
    }
}

/// The indexer's queue: a FIFO of distinct work items, plus items held back because their file
/// was indexed less than `minimumInterval` ago (a log being appended, an editor saving again
/// and again): such a file is indexed again at most once per interval and never holds back
/// other files. Pure data: no threads, no clock of its own (times are passed in, in ns).
struct WorkQueue {
    private var order: [Work] = []
    private var head = 0
    private var queued: Set<Work> = []
    /// Held-back items and when they become ready (monotonic ns).
    private var delayed: [Work: UInt64] = [:]
    /// When each recently indexed path was last taken for indexing (monotonic ns).
    private var lastTaken: [String: UInt64] = [:]
    let minimumInterval: UInt64

    init(minimumIntervalNanoseconds: UInt64) {
        minimumInterval = minimumIntervalNanoseconds
    }

    /// Items waiting, ready or held back.
    var count: Int { order.count - head + delayed.count }

    mutating func push(_ work: Work, now: UInt64) {
        if queued.contains(work) || delayed[work] != nil { return }
        if let path = work.checkedPath, let last = lastTaken[path], now < last + minimumInterval {
            delayed[work] = last + minimumInterval
            return
        }
        queued.insert(work)
        order.append(work)
    }

    /// Holds `work` back until `due` (monotonic ns): a retry after a transient failure.
    mutating func delay(_ work: Work, until due: UInt64) {
        if queued.contains(work) { return }
        delayed[work] = Swift.max(delayed[work] ?? 0, due)
    }

    /// Up to `max` ready items, in arrival order.
    mutating func pop(max: Int, now: UInt64) -> [Work] {
        for (work, due) in delayed where due <= now {
            delayed[work] = nil
            if queued.insert(work).inserted { order.append(work) }
        }
        let end = Swift.min(order.count, head + max)
        let batch = Array(order[head..<end])
        head = end
        for w in batch {
            queued.remove(w)
            if let path = w.checkedPath { lastTaken[path] = now }
        }
        if head > 4096, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        if lastTaken.count > 10_000 { lastTaken = lastTaken.filter { now < $0.value + minimumInterval } }
        return batch
    }

    /// Nanoseconds until the next held-back item is ready, or nil when none is held back.
    func nextDue(now: UInt64) -> UInt64? {
        delayed.values.min().map { $0 > now ? $0 - now : 0 }
    }

    var hasReady: Bool { head < order.count }
}
