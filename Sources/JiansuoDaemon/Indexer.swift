import Dispatch
import Foundation
import Glibc
import JiansuoExtract
import JiansuoIndex
import JiansuoPath
import JiansuoWatch
import Logging
import Synchronization

/// Keeps the index equal to the files on disk.
///
/// Work arrives as paths to check (from reconciles and from the watcher). Each path is queued
/// once however often it changes; after a debounce the writer thread (the caller of ``run()``)
/// takes up to `batchSize` items. A fixed ``WorkerPool`` of `threads` workers `lstat`s the
/// files, reads and extracts the changed ones and analyses their text
/// (``SearchIndex/prepare(_:)``) in parallel, while the writer applies their results in order,
/// in transactions bounded by ``SearchIndex/TransactionLimits``, replaying the tokens the
/// workers recorded. Bounds:
/// - memory: workers reserve each file's estimated footprint in a ``ByteBudget`` before reading
///   it; the writer returns it once the document is written;
/// - time: the writer waits at most `extractionTimeout` for one file, then records it as a
///   failure (tried again when it changes) and goes on;
/// - crashes: each worker's file and the writer's large document are recorded in an
///   ``InFlightLog``, so a file that kills the process is quarantined at the next start.
/// Nothing runs on the socket server's threads, and readers never wait for the writer (WAL).
public final class Indexer: Sendable {
    /// The indexer's phase, as `status` reports it.
    public enum Phase: String, Sendable {
        /// `merging`: every file is indexed (searches see all of it) and the writer is finishing
        /// what follows work: merging FTS5's segments after bulk work, reading document sizes,
        /// caching the searches of the most frequent terms (after a start or a merge).
        case scanning, indexing, merging, idle
    }

    /// What one reconcile found (for `status` and `reconcile --wait`).
    public struct ReconcileReport: Sendable, Equatable {
        /// Files found on disk.
        public var files: Int
        /// New, changed, failed-and-changed and removed paths queued for indexing.
        public var changes: Int
        /// Unchanged-looking files read again to compare content hashes, because they were
        /// written within a second of being indexed ("racy clean").
        public var verified: Int
    }

    private struct State {
        var queue: WorkQueue
        var inFlight = 0
        var scans = 1  // the start-up scan
        var stopped = false
        var merging = false
        /// The writer has finished a bulk of work and is doing what follows it (a merge, freeing
        /// pages, reading sizes, running cached searches again): not idle yet.
        var settling = false
        /// Requests to cache the searches of the most frequent terms (after starting, after a
        /// full merge, after a rebuild's swap), and the last request a warming satisfied: a
        /// request that arrives during a warming is not lost when that warming ends.
        var warmRequests: UInt64 = 0
        var warmedRequests: UInt64 = 0
        /// The last warming of the pending request was interrupted by new work: it waits for the
        /// next quiet moment, and `status` may say `idle` meanwhile (a root rewritten more often
        /// than a warming takes must not keep `status` off `idle` for ever).
        var warmInterrupted = false

        var warmPending: Bool { warmRequests != warmedRequests }
    }

    private let holder: IndexHolder
    private let extractor: Extractor
    private let settings: WatchSettings
    private var rules: IndexingRules { settings.rules }
    private var roots: [String] { settings.roots }
    private let logger: Logger
    private let debounceSeconds: Double
    /// Whether the writer merges and warms after work (see `init`).
    private let settles: Bool
    private let batchSize: Int
    private let extractionTimeout: UInt64  // ns
    private let state: Mutex<State>
    private let wakeup = DispatchSemaphore(value: 0)
    private let extractions = Atomic<Int>(0)
    private let pool: WorkerPool
    private let budget: ByteBudget
    private let inFlight: InFlightLog?
    private let onCorrupt: @Sendable (String) -> Void
    private let limits = SearchIndex.TransactionLimits()

    /// Files read and extracted since start (for `status`).
    public var extractionCount: Int { extractions.load(ordering: .relaxed) }
    private let finished = DispatchSemaphore(value: 0)
    /// Serializes batches with index swaps (rebuild): held while a batch is processed.
    let batchLock = Mutex<Void>(())

    /// - Parameters:
    ///   - memoryBudget: bytes the workers may hold between reading files and the writer
    ///     writing them (estimated, see ``memoryEstimate(fileSize:)``).
    ///   - extractionTimeout: the longest the writer waits for one file.
    ///   - inFlight: where the workers and the writer record their files, or nil (rebuilds).
    ///   - onCorrupt: called when a write finds the index damaged (the work is then dropped:
    ///     the rebuild that follows reads every file).
    ///   - settles: after work, merge FTS5's segments and cache the searches of the most
    ///     frequent terms (false for a rebuild's builder: the rebuild optimizes its index, and the
    ///     daemon's indexer warms it once swapped in, ``indexReplaced()``).
    init(index: IndexHolder, extractor: Extractor, settings: WatchSettings, logger: Logger, debounce: Duration,
         reindexInterval: Duration, batchSize: Int, threads: Int = 0, memoryBudget: Int = 128 << 20,
         extractionTimeout: Duration = .seconds(10), inFlight: InFlightLog? = nil, settles: Bool = true,
         onCorrupt: @escaping @Sendable (String) -> Void = { _ in }) {
        let threads = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.holder = index
        self.extractor = extractor
        self.settings = settings
        self.logger = logger
        self.debounceSeconds = Self.seconds(debounce)
        self.batchSize = batchSize
        self.extractionTimeout = UInt64(max(0.001, Self.seconds(extractionTimeout)) * 1e9)
        self.inFlight = inFlight
        self.onCorrupt = onCorrupt
        pool = WorkerPool(threads: threads, name: "indexing")
        budget = ByteBudget(limit: memoryBudget)
        self.settles = settles
        state = Mutex(State(queue: WorkQueue(minimumIntervalNanoseconds: UInt64(Self.seconds(reindexInterval) * 1e9)),
                            warmRequests: settles ? 1 : 0))
    }

    /// The index was replaced (a rebuild swapped its new one in): the searches of its most
    /// frequent terms are cached at the next idle.
    public func indexReplaced() {
        requestWarming()
        wakeup.signal()
    }

    private func requestWarming() {
        guard settles else { return }
        state.withLock { s in
            s.warmRequests &+= 1
            s.warmInterrupted = false
        }
    }

    /// Number of indexing workers.
    static func workerCount(_ configured: Int) -> Int {
        configured > 0 ? configured : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    private var index: SearchIndex { holder.current }

    // MARK: Input

    /// Handles a watcher event: queues the work it implies.
    public func handle(_ event: WatchEvent) {
        switch event {
        case .fileChanged(let path): enqueue([.check(path)])
        case .removed(let path): enqueue([.removeTree(path), .check(path)])
        case .moved(let from, let to, let isDirectory):
            enqueue([.rename(from: from, to: to, isDirectory: isDirectory)] + (isDirectory ? [] : [.check(to)]))
        case .overflow: break  // the daemon starts a full reconcile
        }
    }

    private func enqueue(_ works: [Work]) {
        let now = Self.now()
        state.withLock { s in for w in works { s.queue.push(w, now: now) } }
        wakeup.signal()
    }

    /// Marks a scan as started: status is not idle until the matching ``reconcile(crawled:)``.
    public func beginScan() {
        state.withLock { $0.scans += 1 }
    }

    /// Takes back a ``beginScan()`` whose crawl joined another one.
    public func endScan() {
        state.withLock { $0.scans = max(0, $0.scans - 1) }
    }

    /// Compares a crawl of every root (`files`, absolute paths) with the index and queues the
    /// differences: new and changed files, files whose metadata is ambiguous (verified by
    /// content hash), failed files that changed (or whose failure is retried every time), and
    /// indexed paths that are gone or lie outside the roots or the rules. Ends one scan (see
    /// ``beginScan()``).
    @discardableResult
    public func reconcile(crawled files: [String]) -> ReconcileReport {
        let work = differences(crawled: files, stored: nil)
        let verified = work.count(where: { if case .verify = $0 { true } else { false } })
        let report = ReconcileReport(files: files.count, changes: work.count - verified, verified: verified)
        logger.info("reconcile", metadata: ["files.count": "\(files.count)", "changes.count": "\(report.changes)", "verified.count": "\(verified)"])
        let now = Self.now()
        state.withLock { s in
            for w in work { s.queue.push(w, now: now) }
            s.scans = max(0, s.scans - 1)
        }
        wakeup.signal()
        return report
    }

    /// Like ``reconcile(crawled:)`` for one directory tree (polling a directory the watch limit
    /// left unwatched): `files` is the crawl of `dir`.
    public func reconcile(tree dir: String, crawled files: [String]) {
        let stored = (try? index.paths(under: dir)) ?? []
        let work = differences(crawled: files, stored: Set(stored))
        if !work.isEmpty { enqueue(work) }
    }

    private func differences(crawled files: [String], stored subset: Set<String>?) -> [Work] {
        var work: [Work] = []
        do {
            let stored = try index.storedStates()
            let failed = try index.failedStates()
            let onDisk = Set(files)
            for path in files {
                guard let info = FileInfo(path: path, followingSymlinks: rules.followSymlinks) else { continue }
                let current = Self.state(info)
                if let failure = failed[path] {
                    // A failure that belongs to this version of the file is not tried again.
                    if failure != current { work.append(.check(path)) }
                } else if let known = stored[path] {
                    if known.state != current { work.append(.check(path)) }
                    else if known.isAmbiguous { work.append(.verify(path)) }
                    else if !Self.sameAccess(known.access, info) { work.append(.check(path)) }  // chmod, chown: a stat, no extraction
                } else {
                    work.append(.check(path))
                }
            }
            let candidates = subset ?? Set(stored.keys).union(failed.keys)
            for path in candidates where !onDisk.contains(path) { work.append(.check(path)) }
        } catch {
            if case IndexError.corrupt(let message) = error { onCorrupt(message) }
            logger.error("cannot read the index to reconcile; re-checking every file", metadata: ["error": "\(error)"])
            work = files.map { .check($0) }
        }
        return work
    }

    // MARK: Status

    /// The phase and the number of items waiting or being indexed.
    public var progress: (phase: Phase, pending: Int) {
        state.withLock { s in
            let pending = s.queue.count + s.inFlight
            if s.scans > 0 { return (.scanning, max(pending, 1)) }
            if pending == 0, s.merging || s.settling || (s.warmPending && !s.warmInterrupted) { return (.merging, 0) }
            return (pending > 0 ? .indexing : .idle, pending)
        }
    }

    /// Bytes the workers hold now (reserved in the ``ByteBudget``).
    var bytesInFlight: Int { budget.used }

    // MARK: Writer

    /// Processes work until ``stop()``; blocks the calling thread (the writer). The batch in
    /// flight when ``stop()`` is called is finished and committed first.
    public func run() {
        defer { finished.signal() }
        Self.yieldToRequests()
        // The changes the index counted when its last merge failed: the next attempt waits for
        // as many again (a full disk would otherwise be retried after every write).
        var failedMergeAt = 0
        /// What follows work (`wrote`) or a start: the merge when due (then the searches of the
        /// most frequent terms are cached again), the freed pages, the document sizes and access
        /// classes read once, then the warming when one is pending, else the refresh of the
        /// cached searches users asked for.
        func settle(wrote: Bool) {
            var merged = false
            // Bulk work has ended: trickles of edits are merged as they come again.
            if (try? index.bulkMerging()) == true {
                do {
                    try index.setBulkMerging(false)
                    logger.debug("bulk work ended: FTS5 merges as it writes again")
                } catch {
                    logger.warning("cannot turn FTS5's automerge back on", metadata: ["error": "\(error)"])
                }
            }
            if mergeIsDue(failedAt: failedMergeAt) {
                switch mergeSegments() {
                case .finished:
                    failedMergeAt = 0
                    merged = true
                    requestWarming()
                case .failed:
                    failedMergeAt = (try? index.unmergedChanges()) ?? 0
                case .interrupted:
                    break
                }
            }
            if wrote || merged {
                try? index.reclaimFreePages()
                if settles {
                    let started = Self.now()
                    try? index.cacheDocumentSizes()
                    try? index.cacheAccessClasses()
                    logger.debug("document sizes and access classes read", metadata: ["ms": "\((Self.now() - started) / 1_000_000)"])
                }
            }
            if state.withLock({ $0.warmPending }) {
                warmIfPending()
            } else if wrote && settles {
                refreshSearches()
            }
        }
        while true {
            // Started on an index that needs no work (or the warming was interrupted): settle
            // once nothing is queued or being crawled, checking every second until then. A
            // merge a stop interrupted is owed first (the index counts the changes since its last).
            if state.withLock({ $0.warmPending && !$0.queue.hasReady && $0.scans == 0 && !$0.stopped }) {
                settle(wrote: false)
            }
            let wait = state.withLock { s -> UInt64? in
                s.queue.hasReady ? 0 : s.queue.nextDue(now: Self.now()) ?? (s.warmPending ? 1_000_000_000 : nil)
            }
            if wait == nil || wait! > 0 {
                if let wait { _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(min(wait, 1_000_000_000)))) } else { wakeup.wait() }
            }
            if state.withLock({ $0.stopped }) { return }
            // Debounce: let a burst of events gather into one batch.
            if debounceSeconds > 0 { Thread.sleep(forTimeInterval: debounceSeconds) }
            var processed = 0
            while true {
                let batch = state.withLock { s -> [Work] in
                    let b = s.queue.pop(max: batchSize, now: Self.now())
                    s.inFlight = b.count
                    return b
                }
                if batch.isEmpty {
                    // After a bulk of work, give the memory the workers freed back to the system,
                    // so that an idle daemon stays small.
                    if processed >= Self.trimAfter { Self.trimMemory() }
                    // (A warming pending without work is the loop's first step.)
                    if processed > 0 { settle(wrote: true) }
                    state.withLock { $0.settling = false }
                    break
                }
                processed += batch.count
                // A full batch is bulk work: its segments are merged once at its end, not as
                // they are written (``SearchIndex/setBulkMerging(_:)``).
                if batch.count >= batchSize, settles, (try? index.bulkMerging()) == false {
                    do {
                        try index.setBulkMerging(true)
                        logger.debug("bulk work: FTS5 merges its segments once at the end")
                    } catch {
                        logger.warning("cannot turn FTS5's automerge off for bulk work", metadata: ["error": "\(error)"])
                    }
                }
                batchLock.withLock { _ in process(batch) }
                let stop = state.withLock { s -> Bool in
                    s.inFlight = 0
                    // In the same lock: `status` never sees idle between a batch and what
                    // follows it (the next batch, or the settling after the last).
                    s.settling = true
                    return s.stopped
                }
                if stop { return }
            }
        }
    }

    /// Caches the searches of the most frequent terms for the pending request, if one is
    /// pending; a request that arrives meanwhile stays pending.
    private func warmIfPending() {
        guard let ticket = state.withLock({ s -> UInt64? in s.warmPending ? s.warmRequests : nil }) else { return }
        let done = warmSearches()
        state.withLock { s in
            if done {
                s.warmedRequests = max(s.warmedRequests, ticket)
            } else if s.warmRequests == ticket {
                s.warmInterrupted = true
            }
        }
    }

    /// Asks ``run()`` to return after the batch in flight, waits until it has, then joins the
    /// workers (a worker stuck in one file is waited for at most the extraction time budget).
    public func stop() {
        state.withLock { $0.stopped = true }
        wakeup.signal()
        finished.wait()
        budget.cancel()
        let stuck = pool.shutdown(timeout: Self.seconds(.nanoseconds(Int64(extractionTimeout))) + 1)
        if stuck > 0 { logger.warning("indexing workers still busy at shutdown", metadata: ["workers.count": "\(stuck)"]) }
    }

    /// Makes glibc's allocator give large blocks back: blocks of 1 MiB or more are mapped and
    /// unmapped on their own (a fixed `M_MMAP_THRESHOLD`; by default glibc raises the threshold
    /// to 32 MiB after the first large free, so the text of every large file then stays in the
    /// heap), and at most 4 arenas (by default 8 per core, each keeping what its threads freed).
    /// Called once at start; a no-op on other C libraries. See mallopt(3).
    static func configureAllocator() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3, 1 << 20)  // M_MMAP_THRESHOLD
        _ = mallopt(-8, 4)        // M_ARENA_MAX
    }

    /// The nice value of the indexing threads (the writer and the workers): on a busy machine
    /// the CPU goes to requests first, so a search is not slowed by the indexing of a novel.
    static let indexingNice: Int32 = 10

    /// Lowers the calling thread's CPU priority to ``indexingNice``. On Linux the nice value is
    /// per thread, and `setpriority(PRIO_PROCESS, 0, …)` sets the calling thread's alone (see
    /// setpriority(2), "NOTES"); lowering it needs no privilege. Failure is ignored.
    static func yieldToRequests() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, indexingNice)
    }

    /// Documents written since the last full merge after which the writer, once idle, merges
    /// FTS5's segments into one (``mergeSegments()``), or a tenth of the index's documents
    /// when that is fewer. A bulk import leaves a dozen segments and a merge makes searches
    /// faster (and a small index smaller); a trickle of edits is left to FTS5's automerge. The
    /// merge rewrites the whole index (11.6 s at 100,000 documents), so at most once per 1,000
    /// changed documents, or per tenth of a small index (where it takes milliseconds).
    static let mergeAfter = 1000

    static func shouldMerge(changed: Int, documents: Int) -> Bool {
        changed > 0 && changed >= min(mergeAfter, max(1, documents / 10))
    }

    /// ``shouldMerge(changed:documents:)`` for the changes the index counted since its last
    /// full merge (``SearchIndex/unmergedChanges()``, kept across restarts).
    /// `failedAt`: the count when the last merge failed (0: none failed); the next attempt waits
    /// for as many changes again.
    private func mergeIsDue(failedAt: Int) -> Bool {
        settles && Self.shouldMerge(changed: ((try? index.unmergedChanges()) ?? 0) - failedAt, documents: (try? index.documentCount()) ?? 0)
    }

    /// How ``mergeSegments()`` ended.
    enum MergeOutcome {
        /// One segment is left (or there was nothing to merge).
        case finished
        /// New work or a stop came first: it goes on at the next idle.
        case interrupted
        /// A step failed (a full disk, for one: that step is rolled back).
        case failed
    }

    /// Merges FTS5's segments into one, a bounded step (``SearchIndex/mergeStep(pages:)``, one
    /// transaction) at a time, stopping early when new work is ready or the indexer stops.
    /// A failed merge is tried again after as many changes again (see ``run()``); an
    /// interrupted one goes on at the next idle.
    private func mergeSegments() -> MergeOutcome {
        let started = Self.now()
        var steps = 0
        state.withLock { $0.merging = true }
        defer { state.withLock { $0.merging = false } }
        while true {
            if state.withLock({ $0.stopped || $0.queue.hasReady }) {
                logger.debug("segment merge interrupted by new work", metadata: ["steps": "\(steps)"])
                return .interrupted
            }
            do {
                guard try index.mergeStep() else { break }
                steps += 1
            } catch {
                logger.warning("cannot merge the index segments", metadata: ["error": "\(error)"])
                return .failed
            }
        }
        logger.info("index segments merged", metadata: ["steps": "\(steps)", "ms": "\((Self.now() - started) / 1_000_000)"])
        return .finished
    }

    /// Caches the searches of the index's most frequent terms
    /// (``SearchIndex/warmMatchCache(fraction:limit:shouldStop:)``), with `status` saying
    /// `merging` meanwhile. Returns false when new work or ``stop()`` interrupted it (it is
    /// tried again at the next idle).
    private func warmSearches() -> Bool {
        let started = Self.now()
        state.withLock { $0.merging = true }
        defer { state.withLock { $0.merging = false } }
        let interrupted: @Sendable () -> Bool = { self.state.withLock { $0.stopped || $0.queue.hasReady } }
        do {
            let searches = try index.warmMatchCache(threads: pool.threads, shouldStop: interrupted)
            if interrupted() { return false }
            logger.info("searches of the most frequent terms cached",
                        metadata: ["searches": "\(searches)", "ms": "\((Self.now() - started) / 1_000_000)"])
        } catch {
            logger.warning("cannot cache the searches of the most frequent terms", metadata: ["error": "\(error)"])
        }
        return true
    }

    /// Runs again the cached searches users asked for (``SearchIndex/refreshMatchCache(limit:shouldStop:)``),
    /// which the writes just made stale.
    private func refreshSearches() {
        do {
            try index.refreshMatchCache(shouldStop: { self.state.withLock { $0.stopped || $0.queue.hasReady } })
        } catch {
            logger.warning("cannot refresh the cached searches", metadata: ["error": "\(error)"])
        }
    }

    /// Items processed in one busy period after which freed memory is returned (malloc_trim).
    static let trimAfter = 100

    /// glibc's `malloc_trim(0)`: returns free heap memory to the system. Looked up at run time
    /// (Swift's Glibc module does not export <malloc.h>); a no-op on other C libraries.
    static func trimMemory() {
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
    }

    /// Files at least this large make the writer commit before it waits for them.
    static let largeFileBytes: Int64 = 1 << 20

    /// The memory one file is expected to take from reading to writing, in bytes: its bytes,
    /// the decoded and cleaned text and the extracted body (about 4 bytes per byte), plus the
    /// tokens — recorded by the worker up to ``SearchIndex/maxPreparedBytes`` (about 8 bytes per
    /// byte), else made by the writer's tokenizer and held by FTS5 until the document is
    /// written (counted the same).
    static func memoryEstimate(fileSize: Int64) -> Int {
        let size = Int(clamping: max(0, fileSize))
        return size.multipliedReportingOverflow(by: 12).partialValue &+ 4096
    }

    private func process(_ batch: [Work]) {
        var changes: [IndexChange] = []
        var applying: [Work] = []  // the work behind `changes`, queued again if the write fails
        func failed(_ works: [Work], _ error: any Error) {
            if case IndexError.corrupt(let message) = error {
                // Retrying cannot help; the rebuild this starts reads every file again.
                onCorrupt(message)
                return
            }
            // Keep the work: it is retried after a pause rather than lost.
            logger.error("cannot write to the index; retrying in 1 s", metadata: ["error": "\(error)", "work.count": "\(works.count)"])
            let now = Self.now()
            state.withLock { s in for w in works { s.queue.delay(w, until: now + 1_000_000_000) } }
            wakeup.signal()
        }
        func flush() {
            defer { changes = []; applying = [] }
            guard !applying.isEmpty else { return }
            do {
                try index.apply(changes)
            } catch {
                failed(applying, error)
            }
        }
        var i = 0
        while i < batch.count {
            switch batch[i] {
            case .removeTree(let path):
                changes.append(.deleteTree(path: path))
                applying.append(batch[i])
                i += 1
            case .rename(let from, let to, let isDirectory):
                changes.append(isDirectory ? .renameTree(from: from, to: to) : .rename(from: from, to: to))
                applying.append(batch[i])
                // Apply it now: the checks after it must see the document at its new path.
                flush()
                i += 1
            case .check, .verify:
                flush()
                var end = i
                while end < batch.count, batch[end].isCheck { end += 1 }
                writeChecks(Array(batch[i..<end]), onError: failed)
                i = end
            }
        }
        flush()
    }

    /// Hands `checks` to the workers and writes their results in order as they come.
    private func writeChecks(_ checks: [Work], onError: ([Work], any Error) -> Void) {
        let results = BatchResults(count: checks.count)
        pool.submit(checks.indices.map { k in
            WorkerPool.Job { [self] worker, ticket in runCheck(checks[k], k, results, worker: worker, ticket: ticket) }
        })
        var taken = 0           // results taken from the workers
        var sources: [Int] = [] // for each change handed to the index, the index of its work
        var committedChanges = 0
        var unreleased = 0      // bytes of the change handed over last, returned on the next call
        var heldUntilCommit = 0 // bytes of a large document: FTS5 holds its postings until the commit
        var announcedCommit = false
        let writerSlot = inFlight?.writerSlot
        func next() -> SearchIndex.StreamItem? {
            budget.release(unreleased)
            unreleased = 0
            while taken < checks.count {
                if !announcedCommit, results.isLargeInProgress(taken, atLeast: Self.largeFileBytes) {
                    announcedCommit = true
                    return .commit
                }
                let outcome = results.take(taken, budget: extractionTimeout, now: Self.now)
                let k = taken
                taken += 1
                announcedCommit = false
                let change: IndexChange?
                switch outcome {
                case .done(let c, let bytes):
                    change = c
                    unreleased = bytes
                case .overBudget(let fileState):
                    let seconds = Double(extractionTimeout) / 1e9
                    let message = "extraction took longer than \(seconds) s (extraction_timeout_ms); skipped until the file changes"
                    logger.warning("file not indexed: \(message)", metadata: ["doc.path": "\(checks[k].checkedPath ?? "")"])
                    change = .failure(path: checks[k].checkedPath ?? "", message: message, state: fileState)
                }
                guard let change else { continue }
                sources.append(k)
                if change.textBytes >= limits.aloneTextBytes {
                    // Alone in its transaction: its memory is returned when it is committed,
                    // so that the next large file is not read while FTS5 still holds this one.
                    heldUntilCommit += unreleased
                    unreleased = 0
                    if let writerSlot { inFlight?.begin(writerSlot, .writer, change.path) }
                }
                return .change(change)
            }
            return nil
        }
        do {
            try index.apply(stream: next, limits: limits, committed: { n in
                committedChanges += n
                budget.release(heldUntilCommit)
                // A large document's FTS5 postings were held in the writer's heap until now:
                // give them back before the next one is read.
                if heldUntilCommit > 0 { Self.trimMemory() }
                heldUntilCommit = 0
                if let writerSlot { inFlight?.end(writerSlot) }
            })
            logger.debug("batch committed", metadata: ["work.count": "\(checks.count)"])
        } catch {
            // Drain what the workers still produce (returning their memory), then queue the
            // uncommitted work again.
            budget.release(unreleased + heldUntilCommit)
            heldUntilCommit = 0
            while taken < checks.count {
                if case .done(_, let bytes) = results.take(taken, budget: extractionTimeout, now: Self.now) { budget.release(bytes) }
                taken += 1
            }
            if let writerSlot { inFlight?.end(writerSlot) }
            let firstUncommitted = committedChanges < sources.count ? sources[committedChanges] : taken
            onError(Array(checks[min(firstUncommitted, checks.count)...]), error)
        }
    }

    /// A worker's job: checks one file, with its in-flight record and its memory reservation.
    private func runCheck(_ work: Work, _ k: Int, _ results: BatchResults, worker: Int, ticket: Int) {
        var reserved = 0
        var turnTaken = false
        var recorded = false
        // Called once the file is known to need reading, with its state: waits for memory,
        // then starts the file's time budget and its in-flight record. Waiting for memory
        // counts against neither.
        func willRead(_ path: String, _ state: FileState, _ bytes: Int) {
            guard !turnTaken else { return }
            turnTaken = true
            if budget.acquire(ticket: ticket, bytes: bytes) { reserved = bytes }
            results.start(k, now: Self.now())
            results.noteState(k, state)
            inFlight?.begin(worker, .extraction, path)
            recorded = true
        }
        var change: IndexChange?
        if let path = work.checkedPath {
            change = check(path, verify: { if case .verify = work { true } else { false } }(), willRead: willRead)
        }
        if recorded { inFlight?.end(worker) }
        if !turnTaken {
            // Nothing was read: pass the turn, and the result is ready at once.
            budget.acquire(ticket: ticket, bytes: 0)
            results.start(k, now: Self.now())
        }
        if !results.put(k, change, bytes: reserved) { budget.release(reserved) }
    }

    /// Decides what the index must do about `path`: nothing, index it, record a failure or
    /// delete it. With `verify`, a file whose metadata matches is still read and its content
    /// hash compared. `willRead` is called once, before the file is read, with its state and
    /// the memory it will take.
    private func check(_ path: String, verify: Bool, willRead: (String, FileState, Int) -> Void) -> IndexChange? {
        let rules = rules
        guard let info = FileInfo(path: path, followingSymlinks: rules.followSymlinks), info.kind == .regular,
              roots.contains(where: { rules.includes(path: path, under: $0) })
        else {
            return .delete(path: path)
        }
        let state = Self.state(info)
        let stored = try? index.storedState(path: path)
        let access = FileAccess.of(path: path, followingSymlinks: rules.followSymlinks)
        if let stored, stored.state == state, !verify {
            // Unchanged content. A file the daemon may no longer read leaves the index (it is
            // retried when its permissions change); new owner, group or mode are recorded.
            if RawPath.withCString(path, { faccessat(AT_FDCWD, $0, R_OK, AT_EACCESS) }) != 0 {
                let error = FileReadError(errno: errno)
                logger.warning("cannot read file", metadata: ["doc.path": "\(path)", "error": "\(error)"])
                return .failure(path: path, message: "\(error)")
            }
            if let access, access != stored.access { return .access(path: path, access: access) }
            return nil
        }
        if info.size > Int64(extractor.maxFileBytes) {
            let message = ExtractionError.tooLarge(size: Int(info.size), limit: extractor.maxFileBytes).description
            logger.warning("file not indexed: \(message)", metadata: ["doc.path": "\(path)"])
            return .failure(path: path, message: message, state: state)
        }
        willRead(path, state, Self.memoryEstimate(fileSize: info.size))
        let bytes: [UInt8]
        do {
            bytes = try Self.read(path, limit: extractor.maxFileBytes + 1, expectedSize: Int(info.size), followingSymlinks: rules.followSymlinks)
        } catch {
            if error.isTransient {
                // Out of descriptors or memory: not the file's fault; try again shortly.
                logger.warning("cannot read file now; retrying", metadata: ["doc.path": "\(path)", "error": "\(error)"])
                let now = Self.now()
                self.state.withLock { $0.queue.delay(.check(path), until: now + 1_000_000_000) }
                return nil
            }
            logger.warning("cannot read file", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: "\(error)")
        }
        extractions.add(1, ordering: .relaxed)
        let hash = ContentHash.of(bytes)
        if let stored, stored.contentHash == hash {
            // The same bytes (touched, or verified): nothing to extract. Record the metadata;
            // once the modification time is more than a second old it proves the file
            // unchanged, and the file is not read again.
            if stored.state != state { return .verified(path: path, state: state, access: access) }
            let ambiguous = state.mtimeNanoseconds >= (Int64(Date().timeIntervalSince1970 * 1000) - 1000) * 1_000_000
            if ambiguous { return access != stored.access ? access.map { .access(path: path, access: $0) } : nil }
            return .verified(path: path, state: state, access: access)
        }
        FaultInjection.extracting(path)
        do {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let document = try extractor.extract(bytes, fileName: name)
            for warning in document.warnings {
                logger.warning("\(warning)", metadata: ["doc.path": "\(path)"])
            }
            return .upsert(path: path, state: state, document: document, contentHash: hash, prepared: index.prepare(document),
                           access: access)
        } catch {
            logger.warning("cannot extract text", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: error.description, state: state)
        }
    }

    /// Whether the stored owner, group and mode are those `info` shows (an extended ACL is
    /// seen by ``check(_:verify:willRead:)``, which reads it).
    static func sameAccess(_ stored: FileAccess?, _ info: FileInfo) -> Bool {
        guard let stored else { return false }
        return stored.owner == info.owner && stored.group == info.group && stored.permissions == info.permissions
    }

    static func state(_ info: FileInfo) -> FileState {
        FileState(size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, inode: info.inode)
    }

    /// Reads at most `limit` bytes of a file. Opened non-blocking so that a FIFO swapped in
    /// after the `lstat` cannot hang the indexer.
    static func read(_ path: String, limit: Int, expectedSize: Int = 0, followingSymlinks: Bool = false) throws(FileReadError) -> [UInt8] {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingSymlinks ? 0 : O_NOFOLLOW)
        let fd = RawPath.withCString(path) { open($0, flags) }
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(limit, max(0, expectedSize)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, min($0.count, limit - bytes.count)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError(errno: errno)
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }
}

/// A file that could not be opened or read.
struct FileReadError: Error, CustomStringConvertible {
    var errno: Int32
    /// Out of file descriptors or memory: the process's state, not the file's.
    var isTransient: Bool { errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == EAGAIN }
    var description: String { "cannot read: \(String(cString: strerror(errno)))" }
}

