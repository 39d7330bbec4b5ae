import Foundation
import Glibc
import JiansuoIndex
import JiansuoPath
import Synchronization

/// Which files are being extracted or written at this moment, kept in `<index>/in-flight` so
/// that the record outlives the process: a daemon that dies (a signal, the OOM killer, a
/// future bug) leaves the paths it was working on, and the next start quarantines or probes
/// them instead of dying on them again (see ``CrashGuard``).
///
/// One fixed-size slot per indexing worker plus one for the writer; each slot is written only
/// by its owner with one `pwrite` (the page cache keeps it when the process dies; no fsync is
/// needed because a machine crash is not a crash loop). A clean shutdown removes the file.
/// Slot layout: kind byte (`E` extraction, `W` writer, 0 free), 4-byte little-endian length,
/// the path's UTF-8 bytes.
final class InFlightLog: Sendable {
    /// Bytes per slot: a path of up to 4096 raw bytes, each escaped into at most 4 UTF-8 bytes.
    static let slotBytes = 16_400
    /// The daemon's indexer's file, and a rebuild's.
    static let fileName = "in-flight"
    static let rebuildFileName = "in-flight-rebuild"

    enum Kind: UInt8, Sendable {
        case extraction = 0x45  // E
        case writer = 0x57      // W
    }

    private let fd: Int32
    private let path: String
    /// The writer's slot; the workers have 0..<writerSlot.
    let writerSlot: Int

    /// Creates the file `name` anew (call ``leftOver(in:)`` first) with `workers` worker slots.
    init(directory: String, workers: Int, name: String = InFlightLog.fileName) throws {
        path = directory + "/" + name
        fd = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigError(file: nil, key: "index", message: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        writerSlot = workers
    }

    deinit { Glibc.close(fd) }

    /// Records that `slot` now works on `file`.
    func begin(_ slot: Int, _ kind: Kind, _ file: String) {
        var record = [kind.rawValue]
        let bytes = Array(file.utf8.prefix(Self.slotBytes - 5))
        withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { record.append(contentsOf: $0) }
        record.append(contentsOf: bytes)
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(slot * Self.slotBytes)) }
    }

    /// Records that `slot` is done with its file.
    func end(_ slot: Int) {
        var free: UInt8 = 0
        _ = pwrite(fd, &free, 1, off_t(slot * Self.slotBytes))
    }

    /// Clean shutdown: nothing is in flight.
    func remove() { unlink(path) }

    /// The paths a previous process left in flight (it did not shut down cleanly), by kind.
    static func leftOver(in directory: String) -> [(kind: Kind, path: String)] {
        var found: [(Kind, String)] = []
        for name in [fileName, rebuildFileName] {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
            found += records(in: [UInt8](data))
        }
        return found
    }

    private static func records(in bytes: [UInt8]) -> [(Kind, String)] {
        var found: [(Kind, String)] = []
        var offset = 0
        while offset + 5 <= bytes.count {
            if let kind = Kind(rawValue: bytes[offset]) {
                let length = Int(bytes[offset + 1]) | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]) << 16 | Int(bytes[offset + 4]) << 24
                if length <= slotBytes - 5, offset + 5 + length <= bytes.count {
                    found.append((kind, String(decoding: bytes[(offset + 5)..<(offset + 5 + length)], as: UTF8.self)))
                }
            }
            offset += slotBytes
        }
        return found
    }
}

/// Memory between the indexing workers and the writer, bounded in bytes: a worker reserves its
/// file's estimated footprint before reading it, and the writer returns it once the document is
/// written. Reservations are granted strictly in ticket order (the order workers took their
/// files), so a later file can never hold memory that an earlier one, which the writer needs
/// first, waits for. A file larger than the whole budget is admitted alone.
final class ByteBudget: @unchecked Sendable {
    let limit: Int
    private let condition = NSCondition()
    private var inUse = 0
    private var nextTicket = 0
    private var cancelled = false

    init(limit: Int) { self.limit = max(1, limit) }

    /// Bytes reserved now.
    var used: Int {
        condition.lock()
        defer { condition.unlock() }
        return inUse
    }

    /// Waits for `ticket`'s turn and for room, then reserves `bytes` (0 to pass the turn).
    /// Returns false when the budget was cancelled (shutdown).
    @discardableResult
    func acquire(ticket: Int, bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && (ticket != nextTicket || (bytes > 0 && inUse > 0 && inUse + bytes > limit)) {
            condition.wait()
        }
        if cancelled { return false }
        inUse += bytes
        nextTicket += 1
        condition.broadcast()
        return true
    }

    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        condition.lock()
        inUse = max(0, inUse - bytes)
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes every waiter with `false`.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// One batch's results, filled in any order by the workers and taken in order by the writer,
/// which gives up on a file whose worker has run over the time budget.
final class BatchResults: @unchecked Sendable {
    enum Slot {
        case waiting
        /// A worker started at `startedAt` (monotonic ns); `state` and `size` once it has
        /// looked at the file.
        case started(startedAt: UInt64, state: FileState?)
        case done(IndexChange?, bytes: Int)
        /// The writer gave up waiting; the worker's result is dropped.
        case abandoned
    }

    enum Taken {
        case done(IndexChange?, bytes: Int)
        /// The worker ran over the budget; `state` is the file's, when the worker saw it.
        case overBudget(state: FileState?)
    }

    private let condition = NSCondition()
    private var slots: [Slot]

    init(count: Int) { slots = Array(repeating: .waiting, count: count) }

    func start(_ k: Int, now: UInt64) {
        condition.lock()
        if case .waiting = slots[k] { slots[k] = .started(startedAt: now, state: nil) }
        condition.broadcast()
        condition.unlock()
    }

    /// The worker has seen the file's metadata.
    func noteState(_ k: Int, _ state: FileState) {
        condition.lock()
        if case .started(let at, _) = slots[k] { slots[k] = .started(startedAt: at, state: state) }
        condition.unlock()
    }

    /// Stores result `k`; false when the writer abandoned it (the caller returns its bytes).
    func put(_ k: Int, _ change: IndexChange?, bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if case .abandoned = slots[k] { return false }
        slots[k] = .done(change, bytes: bytes)
        condition.broadcast()
        return true
    }

    /// True when result `k` is being produced from a file of at least `bytes` bytes: the writer
    /// commits before waiting for it.
    func isLargeInProgress(_ k: Int, atLeast bytes: Int64) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if case .started(_, let state?) = slots[k] { return state.size >= bytes }
        return false
    }

    /// Waits for result `k`, or gives up when its worker started reading it more than `budget`
    /// ns ago. A worker still waiting for memory has not started: the wait is not its fault.
    func take(_ k: Int, budget: UInt64, now: () -> UInt64) -> Taken {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch slots[k] {
            case .done(let change, let bytes):
                slots[k] = .waiting
                return .done(change, bytes: bytes)
            case .started(let at, let state):
                let t = now()
                if t >= at &+ budget {
                    slots[k] = .abandoned
                    return .overBudget(state: state)
                }
                _ = condition.wait(until: Date(timeIntervalSinceNow: min(1, Double(at &+ budget - t) / 1e9)))
            case .waiting, .abandoned:
                condition.wait()
            }
        }
    }
}

/// The fixed pool of indexing workers: `threads` threads, started once and joined at shutdown,
/// each taking jobs in FIFO order. A job gets its worker's number (for its ``InFlightLog``
/// slot) and a ticket (for ``ByteBudget``), both assigned as it is taken.
final class WorkerPool: @unchecked Sendable {
    struct Job {
        var run: (_ worker: Int, _ ticket: Int) -> Void
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var nextTicket = 0
    private var stopping = false
    private let exited = DispatchSemaphore(value: 0)
    let threads: Int

    init(threads: Int, name: String) {
        self.threads = max(1, threads)
        for n in 0..<self.threads {
            let thread = Thread { [self] in
                defer { exited.signal() }
                Indexer.yieldToRequests()
                while let (job, ticket) = next() { job.run(n, ticket) }
            }
            thread.name = "\(name)-\(n)"
            // Deep but legal inputs (ICU, libxml2, Yams) get room; nothing we write recurses.
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    private func next() -> (Job, Int)? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !stopping { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        let ticket = nextTicket
        nextTicket += 1
        return (job, ticket)
    }

    func submit(_ new: [Job]) {
        condition.lock()
        jobs.append(contentsOf: new)
        condition.broadcast()
        condition.unlock()
    }

    /// Lets the workers finish the jobs queued, then joins them; waits at most `timeout`
    /// seconds for a worker stuck in one file (it is then left behind, and said so).
    /// Returns the number of workers that did not exit in time.
    @discardableResult
    func shutdown(timeout: Double) -> Int {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        var stuck = 0
        let deadline = DispatchTime.now() + timeout
        for _ in 0..<threads where exited.wait(timeout: deadline) == .timedOut { stuck += 1 }
        return stuck
    }
}

/// Faults the tests inject into extraction, through `JIANSUOD_TEST_FAULT`: `crash:TEXT` kills
/// the process (SIGKILL) while extracting a file whose path contains TEXT, `hang:TEXT` makes
/// its extraction sleep for an hour. Never set outside tests.
enum FaultInjection {
    static let variable = "JIANSUOD_TEST_FAULT"
    private static let fault: (kind: Substring, text: Substring)? = {
        guard let value = ProcessInfo.processInfo.environment[variable], let colon = value.firstIndex(of: ":") else { return nil }
        let text = value[value.index(after: colon)...]
        return text.isEmpty ? nil : (value[..<colon], text)
    }()

    /// Called by every extraction, in the daemon and in a ``CrashGuard`` probe.
    static func extracting(_ path: String) {
        guard let fault, path.contains(fault.text) else { return }
        switch fault.kind {
        case "crash": kill(getpid(), SIGKILL)  // as the OOM killer would
        case "hang": Thread.sleep(forTimeInterval: 3600)
        default: break
        }
    }
}
