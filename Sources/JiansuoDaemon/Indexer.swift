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
/// once however often it changes; after a debounce the worker thread takes up to `batchSize`
/// items, `lstat`s the files, extracts the changed ones and applies the batch in one
/// transaction. Extraction and SQLite writes run on that one dedicated thread, never on the
/// socket server's threads, and readers never wait for it (WAL).
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
    private let state: Mutex<State>
    private let wakeup = DispatchSemaphore(value: 0)
    private let extractions = Atomic<Int>(0)

    /// Files read and extracted since start (for `status`).
    public var extractionCount: Int { extractions.load(ordering: .relaxed) }
    private let finished = DispatchSemaphore(value: 0)
    /// Serializes batches with index swaps (rebuild): held while a batch is processed.
    let batchLock = Mutex<Void>(())

    public init(index: IndexHolder, extractor: Extractor, settings: WatchSettings,
                logger: Logger, debounce: Duration, reindexInterval: Duration, batchSize: Int) {
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
            while true {
                let batch = state.withLock { s -> [Work] in
                    let b = s.queue.pop(max: batchSize, now: Self.now())
                    s.inFlight = b.count
                    return b
                }
                if batch.isEmpty { break }
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

    private func process(_ batch: [Work]) {
        var changes: [IndexChange] = []
        for (n, work) in batch.enumerated() {
            switch work {
            case .removeTree(let path): changes.append(.deleteTree(path: path))
            case .rename(let from, let to, let isDirectory):
                changes.append(isDirectory ? .renameTree(from: from, to: to) : .rename(from: from, to: to))
                // Apply it now: the checks after it must see the document at its new path.
                if n + 1 < batch.count {
                    do {
                        try index.apply(changes)
                        changes = []
                    } catch {
                        logger.error("cannot write to the index", metadata: ["error": "\(error)"])
                    }
                }
            case .check(let path): if let change = check(path, verify: false) { changes.append(change) }
            case .verify(let path): if let change = check(path, verify: true) { changes.append(change) }
            }
        }
        do {
            try index.apply(changes)
            logger.debug("batch committed", metadata: ["batch.count": "\(batch.count)", "changes.count": "\(changes.count)"])
        } catch {
            // Keep the work: it is retried after a pause rather than lost.
            logger.error("cannot write to the index; retrying in 1 s", metadata: ["error": "\(error)", "batch.count": "\(batch.count)"])
            let now = Self.now()
            state.withLock { s in for w in batch { s.queue.push(w, now: now) } }
            Thread.sleep(forTimeInterval: 1)
            wakeup.signal()
        }
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
            return .upsert(path: path, state: state, document: document, contentHash: hash)
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
