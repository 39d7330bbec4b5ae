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
/// once however often it changes; after a debounce the writer thread takes up to `batchSize`
/// items. `threads` workers `lstat` the files, read and extract the changed ones and analyse
/// their text (``SearchIndex/prepare(_:)``) in parallel, while the writer applies their
/// results in order, in transactions of up to ``chunkSize`` documents, replaying the tokens
/// the workers recorded. Nothing runs on the socket server's threads, and readers never wait
/// for the writer (WAL).
public final class Indexer: Sendable {
    /// The indexer's phase, as `status` reports it.
    public enum Phase: String, Sendable {
        case scanning, indexing, idle
    }

    private struct State {
        var queue: WorkQueue
        var inFlight = 0
        var scans = 1  // the start-up scan
        var stopped = false
        var paused = false
    }

    private let holder: IndexHolder
    private let extractor: Extractor
    private let settings: WatchSettings
    private var rules: IndexingRules { settings.rules }
    private var roots: [String] { settings.roots }
    private let logger: Logger
    private let debounceSeconds: Double
    private let batchSize: Int
    private let threads: Int
    private let state: Mutex<State>
    private let wakeup = DispatchSemaphore(value: 0)
    private let extractions = Atomic<Int>(0)

    /// Files read and extracted since start (for `status`).
    public var extractionCount: Int { extractions.load(ordering: .relaxed) }
    private let finished = DispatchSemaphore(value: 0)
    /// Serializes batches with index swaps (rebuild): held while a batch is processed.
    let batchLock = Mutex<Void>(())

    public init(index: IndexHolder, extractor: Extractor, settings: WatchSettings,
                logger: Logger, debounce: Duration, reindexInterval: Duration, batchSize: Int, threads: Int = 0) {
        self.threads = threads > 0 ? threads : max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.holder = index
        self.extractor = extractor
        self.settings = settings
        self.logger = logger
        self.debounceSeconds = Self.seconds(debounce)
        self.batchSize = batchSize
        state = Mutex(State(queue: WorkQueue(minimumIntervalNanoseconds: UInt64(Self.seconds(reindexInterval) * 1e9))))
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

    /// Compares a crawl of every root (`files`, absolute paths) with the index and queues the
    /// differences: new and changed files, files whose metadata is ambiguous (verified by
    /// content hash), failed files, and indexed paths that are gone or lie outside the roots or
    /// the rules. Ends one scan (see ``beginScan()``).
    public func reconcile(crawled files: [String]) {
        let work = differences(crawled: files, stored: nil)
        logger.info("reconcile", metadata: ["files.count": "\(files.count)", "changes.count": "\(work.count)"])
        let now = Self.now()
        state.withLock { s in
            for w in work { s.queue.push(w, now: now) }
            s.scans = max(0, s.scans - 1)
        }
        wakeup.signal()
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
            let failed = try index.failedPaths()
            let onDisk = Set(files)
            for path in files {
                guard let info = FileInfo(path: path, followingSymlinks: rules.followSymlinks) else { continue }
                if let known = stored[path], !failed.contains(path) {
                    if known.state != Self.state(info) { work.append(.check(path)) }
                    else if known.isAmbiguous { work.append(.verify(path)) }
                } else {
                    work.append(.check(path))
                }
            }
            let candidates = subset ?? Set(stored.keys).union(failed)
            for path in candidates where !onDisk.contains(path) { work.append(.check(path)) }
        } catch {
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
            return (pending > 0 ? .indexing : .idle, pending)
        }
    }

    // MARK: Worker

    /// Processes work until ``stop()``; blocks the calling thread. The batch in flight when
    /// ``stop()`` is called is finished and committed first.
    public func run() {
        defer { finished.signal() }
        while true {
            let wait = state.withLock { s -> UInt64? in
                s.queue.hasReady ? 0 : s.queue.nextDue(now: Self.now())
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
                    break
                }
                processed += batch.count
                batchLock.withLock { _ in process(batch) }
                let stop = state.withLock { s -> Bool in
                    s.inFlight = 0
                    return s.stopped
                }
                if stop { return }
            }
        }
    }

    /// Asks ``run()`` to return after the batch in flight, and waits until it has.
    public func stop() {
        state.withLock { $0.stopped = true }
        wakeup.signal()
        finished.wait()
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

    /// Most changes the writer applies in one transaction.
    static let transactionSize = 1024

    private func process(_ batch: [Work]) {
        var changes: [IndexChange] = []
        var applying: [Work] = []  // the work behind `changes`, queued again if the write fails
        func retry(_ works: [Work], _ error: any Error) {
            // Keep the work: it is retried after a pause rather than lost.
            logger.error("cannot write to the index; retrying in 1 s", metadata: ["error": "\(error)", "work.count": "\(works.count)"])
            let now = Self.now()
            state.withLock { s in for w in works { s.queue.push(w, now: now) } }
            Thread.sleep(forTimeInterval: 1)
            wakeup.signal()
        }
        func flush() {
            defer { changes = []; applying = [] }
            guard !applying.isEmpty else { return }
            do {
                try index.apply(changes)
            } catch {
                retry(applying, error)
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
                let checks = Array(batch[i..<end])
                inParallel(checks) { take in
                    var taken = 0     // results taken from the workers
                    var committed = 0 // of which committed
                    do {
                        try index.apply(stream: {
                            while taken < checks.count {
                                let change = take(taken)
                                taken += 1
                                if let change { return change }
                            }
                            return nil
                        }, perTransaction: Self.transactionSize, committed: { _ in committed = taken })
                        logger.debug("batch committed", metadata: ["work.count": "\(checks.count)"])
                    } catch {
                        for k in taken..<checks.count { _ = take(k) }
                        retry(Array(checks[committed...]), error)
                    }
                }
                i = end
            }
        }
        flush()
    }

    /// Runs ``check(_:verify:)`` (with the text analysis) for each of `works` on the worker
    /// threads while `consume` runs on this thread; `consume` gets a function that waits for
    /// result `k` and returns it (each once, in order). Returns when the workers are done.
    private func inParallel(_ works: [Work], _ consume: ((Int) -> IndexChange?) -> Void) {
        let results = OrderedResults<IndexChange?>(count: works.count)
        let next = Atomic<Int>(0)
        let count = min(threads, works.count)
        let finished = DispatchSemaphore(value: 0)
        // Threads of their own, not Dispatch's global queue: a worker runs for a whole batch,
        // and on a small machine it would hold one of the few threads the socket server's
        // requests also run on, delaying searches for seconds during a bulk import.
        for n in 0..<count {
            let worker = Thread { [self] in
                defer { finished.signal() }
                while true {
                    let k = next.add(1, ordering: .relaxed).oldValue
                    guard k < works.count else { return }
                    switch works[k] {
                    case .check(let path): results.put(k, check(path, verify: false))
                    case .verify(let path): results.put(k, check(path, verify: true))
                    default: results.put(k, nil)
                    }
                }
            }
            worker.name = "indexing-\(n)"
            worker.start()
        }
        consume { results.take($0) }
        for _ in 0..<count { finished.wait() }
    }

    /// Decides what the index must do about `path`: nothing, index it, record a failure or
    /// delete it. With `verify`, a file whose metadata matches is still read and its content
    /// hash compared.
    private func check(_ path: String, verify: Bool) -> IndexChange? {
        let rules = rules
        guard let info = FileInfo(path: path, followingSymlinks: rules.followSymlinks), info.kind == .regular,
              roots.contains(where: { rules.includes(path: path, under: $0) })
        else {
            return .delete(path: path)
        }
        let state = Self.state(info)
        let stored = try? index.storedState(path: path)
        if let stored, stored.state == state, !verify { return nil }
        if info.size > Int64(extractor.maxFileBytes) {
            let message = ExtractionError.tooLarge(size: Int(info.size), limit: extractor.maxFileBytes).description
            logger.warning("file not indexed: \(message)", metadata: ["doc.path": "\(path)"])
            return .failure(path: path, message: message)
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.read(path, limit: extractor.maxFileBytes + 1, followingSymlinks: rules.followSymlinks)
        } catch {
            if error.isTransient {
                // Out of descriptors or memory: not the file's fault; try again shortly.
                logger.warning("cannot read file now; retrying", metadata: ["doc.path": "\(path)", "error": "\(error)"])
                retryLater(.check(path))
                return nil
            }
            logger.warning("cannot read file", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: "\(error)")
        }
        extractions.add(1, ordering: .relaxed)
        let hash = ContentHash.of(bytes)
        if let stored, stored.state == state, stored.contentHash == hash { return nil }
        do {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let document = try extractor.extract(bytes, fileName: name)
            for warning in document.warnings {
                logger.warning("\(warning)", metadata: ["doc.path": "\(path)"])
            }
            return .upsert(path: path, state: state, document: document, contentHash: hash, prepared: index.prepare(document))
        } catch {
            logger.warning("cannot extract text", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: error.description)
        }
    }

    private func retryLater(_ work: Work) {
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [self] in enqueue([work]) }
    }

    static func state(_ info: FileInfo) -> FileState {
        FileState(size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, inode: info.inode)
    }

    /// Reads at most `limit` bytes of a file. Opened non-blocking so that a FIFO swapped in
    /// after the `lstat` cannot hang the indexer.
    static func read(_ path: String, limit: Int, followingSymlinks: Bool = false) throws(FileReadError) -> [UInt8] {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followingSymlinks ? 0 : O_NOFOLLOW)
        let fd = RawPath.withCString(path) { open($0, flags) }
        guard fd >= 0 else { throw FileReadError(errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
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

/// Results filled in any order by worker threads and taken in order by one consumer.
final class OrderedResults<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var slots: [T?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func put(_ k: Int, _ value: T) {
        condition.lock()
        slots[k] = value
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for result `k` and returns it (each result is taken once).
    func take(_ k: Int) -> T {
        condition.lock()
        defer { condition.unlock() }
        while slots[k] == nil { condition.wait() }
        let value = slots[k]!
        slots[k] = nil
        return value
    }
}
