import Dispatch
import Foundation
import Glibc
import JiansuoPath
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch
import Logging
import Synchronization

/// Keeps the index equal to the files on disk.
///
/// Work arrives as paths to check (from the initial reconcile and from the watcher). Each path
/// is queued once however often it changes; after a debounce the worker thread takes up to
/// `batchSize` paths, `lstat`s them, extracts the changed ones and applies the batch in one
/// transaction. Extraction and SQLite writes run on that one dedicated thread, never on the
/// socket server's threads, and readers never wait for it (WAL).
public final class Indexer: Sendable {
    /// The indexer's phase, as `status` reports it.
    public enum Phase: String, Sendable {
        case scanning, indexing, idle
    }

    private enum Work: Sendable, Hashable {
        case check(String)
        case removeTree(String)
    }

    private struct Queue {
        var order: [Work] = []
        var queued: Set<Work> = []
        var head = 0
        var inFlight = 0
        var scanning = true
        var stopped = false

        var count: Int { order.count - head }

        mutating func push(_ work: Work) {
            if queued.insert(work).inserted { order.append(work) }
        }

        mutating func pop(max: Int) -> [Work] {
            let end = min(order.count, head + max)
            let batch = Array(order[head..<end])
            head = end
            for w in batch { queued.remove(w) }
            if head > 4096, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    private let index: SearchIndex
    private let extractor: Extractor
    private let rules: IndexingRules
    private let roots: [String]
    private let logger: Logger
    private let debounceSeconds: Double
    private let batchSize: Int
    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    public init(index: SearchIndex, extractor: Extractor, rules: IndexingRules, roots: [String],
                logger: Logger, debounce: Duration, batchSize: Int) {
        self.index = index
        self.extractor = extractor
        self.rules = rules
        self.roots = roots
        self.logger = logger
        self.debounceSeconds = Double(debounce.components.seconds) + Double(debounce.components.attoseconds) / 1e18
        self.batchSize = batchSize
    }

    // MARK: Input

    /// Handles a watcher event: queues the work it implies.
    public func handle(_ event: WatchEvent) {
        switch event {
        case .fileChanged(let path): enqueue([.check(path)])
        case .removed(let path): enqueue([.removeTree(path), .check(path)])
        case .overflow: enqueue([])  // a full reconcile is queued by the daemon
        }
    }

    private func enqueue(_ works: [Work]) {
        queue.withLock { q in for w in works { q.push(w) } }
        wakeup.signal()
    }

    /// Compares the crawl of every root (`files`, absolute paths) with the index and queues the
    /// differences: new and changed files, failed files, and indexed paths that are gone or lie
    /// outside the roots. Ends the scanning phase.
    public func reconcile(crawled files: [String]) {
        var work: [Work] = []
        do {
            let stored = try index.fileStates()
            let failed = try index.failedPaths()
            let onDisk = Set(files)
            for path in files {
                guard let info = FileInfo(path: path) else { continue }
                if stored[path] != Self.state(info) || failed.contains(path) { work.append(.check(path)) }
            }
            for path in stored.keys where !onDisk.contains(path) { work.append(.check(path)) }
            for path in failed where !onDisk.contains(path) { work.append(.check(path)) }
        } catch {
            logger.error("cannot read the index to reconcile; re-checking every file", metadata: ["error": "\(error)"])
            work = files.map { .check($0) }
        }
        logger.info("reconcile", metadata: ["files.count": "\(files.count)", "changes.count": "\(work.count)"])
        queue.withLock { q in
            for w in work { q.push(w) }
            q.scanning = false
        }
        wakeup.signal()
    }

    /// Marks a new scan as started (e.g. after an inotify overflow): status is not idle until
    /// ``reconcile(crawled:)`` ends it.
    public func beginScan() {
        queue.withLock { $0.scanning = true }
    }

    // MARK: Status

    /// The phase and the number of paths waiting or being indexed.
    public var progress: (phase: Phase, pending: Int) {
        queue.withLock { q in
            let pending = q.count + q.inFlight
            if q.scanning { return (.scanning, max(pending, 1)) }
            return (pending > 0 ? .indexing : .idle, pending)
        }
    }

    // MARK: Worker

    /// Processes work until ``stop()``; blocks the calling thread. The batch in flight when
    /// ``stop()`` is called is finished and committed first.
    public func run() {
        defer { finished.signal() }
        while true {
            wakeup.wait()
            if queue.withLock({ $0.stopped }) { return }
            // Debounce: let a burst of events gather into one batch.
            if debounceSeconds > 0 { Thread.sleep(forTimeInterval: debounceSeconds) }
            while true {
                let batch = queue.withLock { q -> [Work] in
                    let b = q.pop(max: batchSize)
                    q.inFlight = b.count
                    return b
                }
                if batch.isEmpty { break }
                process(batch)
                let stop = queue.withLock { q -> Bool in
                    q.inFlight = 0
                    return q.stopped
                }
                if stop { return }
            }
        }
    }

    /// Asks ``run()`` to return after the batch in flight, and waits until it has.
    public func stop() {
        queue.withLock { $0.stopped = true }
        wakeup.signal()
        finished.wait()
    }

    private func process(_ batch: [Work]) {
        var changes: [IndexChange] = []
        for work in batch {
            switch work {
            case .removeTree(let path): changes.append(.deleteTree(path: path))
            case .check(let path): if let change = check(path) { changes.append(change) }
            }
        }
        do {
            try index.apply(changes)
            logger.debug("batch committed", metadata: ["batch.count": "\(batch.count)", "changes.count": "\(changes.count)"])
        } catch {
            // Keep the work: it is retried after a pause rather than lost.
            logger.error("cannot write to the index; retrying in 1 s", metadata: ["error": "\(error)", "batch.count": "\(batch.count)"])
            queue.withLock { q in for w in batch { q.push(w) } }
            Thread.sleep(forTimeInterval: 1)
            wakeup.signal()
        }
    }

    /// Decides what the index must do about `path`: nothing, index it, record a failure or
    /// delete it.
    private func check(_ path: String) -> IndexChange? {
        guard let info = FileInfo(path: path), info.kind == .regular,
              roots.contains(where: { rules.includes(path: path, under: $0) })
        else {
            return .delete(path: path)
        }
        let state = Self.state(info)
        if let stored = try? index.fileState(path: path), stored == state { return nil }
        if info.size > Int64(extractor.maxFileBytes) {
            return .failure(path: path, message: ExtractionError.tooLarge(size: Int(info.size), limit: extractor.maxFileBytes).description)
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.read(path, limit: extractor.maxFileBytes + 1)
        } catch {
            logger.warning("cannot read file", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: "\(error)")
        }
        do {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let document = try extractor.extract(bytes, fileName: name)
            for warning in document.warnings {
                logger.warning("\(warning)", metadata: ["doc.path": "\(path)"])
            }
            return .upsert(path: path, state: state, document: document)
        } catch {
            logger.warning("cannot extract text", metadata: ["doc.path": "\(path)", "error": "\(error)"])
            return .failure(path: path, message: error.description)
        }
    }

    static func state(_ info: FileInfo) -> FileState {
        FileState(size: info.size, mtimeNanoseconds: info.mtimeNanoseconds, inode: info.inode)
    }

    /// Reads at most `limit` bytes of a file.
    static func read(_ path: String, limit: Int) throws(FileReadError) -> [UInt8] {
        let fd = RawPath.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
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
    var description: String { "cannot read: \(String(cString: strerror(errno)))" }
}
