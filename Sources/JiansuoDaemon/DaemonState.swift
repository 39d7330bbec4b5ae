import Foundation
import JiansuoExtract
import JiansuoIndex
import JiansuoProtocol
import JiansuoWatch
import Logging
import Synchronization

/// What the daemon's services share: the index, the indexer, the watcher, and the state of
/// reconciles and rebuilds, for `status` and the write commands. See ARCHITECTURE.md for the
/// threads that use it.
final class DaemonState: Sendable {
    let config: DaemonConfig
    let files: IndexFiles
    let holder: IndexHolder
    let indexer: Indexer
    let settings: WatchSettings
    var rules: IndexingRules { settings.rules }
    let logger: Logger
    /// How the daemon was started, to read the configuration again on SIGHUP.
    let reload: (@Sendable () throws -> DaemonConfig)?
    let watcher = Mutex<InotifyWatcher?>(nil)
    /// The access of watched directories, kept for readers' searches while the watcher is
    /// caught up (connected in ``Daemon/run()``).
    let directories = DirectoryAccessCache()
    let stopping = Atomic<Bool>(false)
    /// Roots that were deleted or moved away; watched again when they come back.
    let missingRoots = Mutex<Set<String>>([])
    let rebuild = Mutex<RebuildProgress?>(nil)
    let lastRebuild = Mutex<String?>(nil)
    /// The rebuild thread, joined at shutdown.
    let rebuildThread = Mutex<OwnedThread?>(nil)
    /// Why the index in use is known to be damaged (SQLite reported corruption), or nil. Set by
    /// ``indexDamaged(_:)``; cleared when a rebuild swaps in a new index.
    let damage = Mutex<String?>(nil)
    /// The serial crawl and reconcile service.
    let reconciler: ReconcileService

    /// How often directories over the inotify watch limit are polled, and missing roots looked for.
    static let pollInterval: Double = 2

    init(config: DaemonConfig, files: IndexFiles, index: SearchIndex, inFlight: InFlightLog?, logger: Logger,
         reload: (@Sendable () throws -> DaemonConfig)? = nil) {
        self.config = config
        self.files = files
        self.holder = IndexHolder(index)
        self.logger = logger
        self.reload = reload
        settings = WatchSettings(roots: config.roots, rules: Self.rules(config))
        let damaged = Mutex<(@Sendable (String) -> Void)?>(nil)
        indexer = Indexer(
            index: holder, extractor: Extractor(maxFileBytes: config.maxFileBytes), settings: settings,
            logger: logger, debounce: .milliseconds(config.debounceMilliseconds),
            reindexInterval: .milliseconds(config.reindexIntervalMilliseconds), batchSize: config.batchSize,
            threads: config.indexingThreads, memoryBudget: config.indexingMemoryBytes,
            extractionTimeout: .milliseconds(config.extractionTimeoutMilliseconds), inFlight: inFlight,
            onCorrupt: { message in damaged.withLock { $0 }?(message) })
        reconciler = ReconcileService(logger: logger)
        damaged.withLock { $0 = { [weak self] message in self?.indexDamaged(message) } }
    }

    static func rules(_ config: DaemonConfig) -> IndexingRules {
        IndexingRules(extensions: Set(config.extensions), excludes: config.excludes, followSymlinks: config.followSymlinks)
    }

    /// Reads the configuration again (SIGHUP) and applies what can change at run time: roots,
    /// extensions, excludes, symlink following and the log level; then reconciles, which indexes
    /// new roots and purges what is no longer included. Other keys need a restart.
    func reloadConfiguration() {
        guard let reload else { return }
        do {
            let fresh = try reload()
            settings.replace(roots: fresh.roots, rules: Self.rules(fresh))
            directories.invalidate()  // roots, excludes and symlink following decide what is watched
            logger.notice("configuration reloaded", metadata: ["roots": "\(fresh.roots)", "log.level": "\(fresh.logLevel)"])
            LogLevel.shared.set(fresh.logLevel)
            reconcileAll(reason: "configuration reloaded")
        } catch {
            logger.error("configuration not reloaded; keeping the current one", metadata: ["error": "\(error)"])
        }
    }

    /// Watches every root that exists and returns the files found.
    func crawlRoots() -> [String] {
        guard let watcher = watcher.withLock({ $0 }) else { return [] }
        var files: [String] = []
        for root in settings.roots {
            if FileInfo(path: root)?.kind == .directory {
                files += watcher.watchRoot(root)
            } else {
                rootGone(root)
            }
        }
        return files
    }

    func rootGone(_ root: String) {
        let inserted = missingRoots.withLock { $0.insert(root).inserted }
        if inserted { logger.warning("root directory is missing; watching for it to come back", metadata: ["root.path": "\(root)"]) }
    }

    /// Asks the reconcile service for a crawl of every root (coalesced with any other request
    /// waiting). `status` is not idle until it is done.
    func reconcileAll(reason: String) {
        // The scan begins before the request can be taken, so that the crawl's end never comes
        // first; a request that joined one already waiting takes its scan back.
        indexer.beginScan()
        if !reconciler.request(reason: reason) { indexer.endScan() }
    }

    /// Records that SQLite found the index damaged (from a search, a write, a check: wherever it
    /// was met) and starts a rebuild from the files, once. `status` shows it until the rebuilt
    /// index is in use.
    func indexDamaged(_ message: String) {
        let first = damage.withLock { damage -> Bool in
            guard damage == nil else { return false }
            damage = message
            return true
        }
        guard first else { return }
        logger.critical("the index is damaged; rebuilding it from the files", metadata: ["error": "\(message)", "index.path": "\(files.currentDatabase)"])
        if !startRebuild() { logger.notice("a rebuild is already running; its index replaces the damaged one") }
    }

    /// The reconcile service's work: the start-up crawl, requested reconciles, and every
    /// ``pollInterval`` the directories inotify cannot watch and the missing roots.
    func runReconciles() {
        reconciler.run(
            stopping: { [self] in stopping.load(ordering: .relaxed) },
            crawl: { [self] in indexer.reconcile(crawled: crawlRoots()) },
            poll: { [self] in poll() })
    }

    /// Tells systemd what the daemon is doing (STATUS=) every second, and pets the watchdog
    /// when one is configured (WatchdogSec=).
    func reportToSystemd() {
        guard ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil else { return }
        let watchdog = Systemd.watchdogPeriod
        var last = ""
        var lastPet = Date.distantPast
        while !stopping.load(ordering: .relaxed) {
            let (phase, pending) = indexer.progress
            let documents = (try? holder.current.documentCount()) ?? 0
            var status: String
            if damage.withLock({ $0 }) != nil {
                status = "index damaged; rebuilding"
            } else if let r = rebuild.withLock({ $0 }) {
                status = "rebuilding \(r.done)/\(r.total)"
            } else if phase == .idle {
                status = "idle, \(documents) documents"
            } else if phase == .merging {
                status = "merging index segments, \(documents) documents"
            } else {
                status = "\(phase.rawValue) \(pending) pending, \(documents) documents"
            }
            if status != last {
                Systemd.notify("STATUS=" + status)
                last = status
            }
            if let watchdog, Date().timeIntervalSince(lastPet) >= watchdog {
                Systemd.notify("WATCHDOG=1")
                lastPet = Date()
            }
            Thread.sleep(forTimeInterval: min(1, watchdog ?? 1))
        }
    }

    /// Polls what inotify cannot watch: directories over the watch limit, and missing roots.
    private func poll() {
        guard let watcher = watcher.withLock({ $0 }) else { return }
        for root in missingRoots.withLock({ $0 }) where FileInfo(path: root)?.kind == .directory {
            missingRoots.withLock { _ = $0.remove(root) }
            logger.notice("root directory is back; indexing it", metadata: ["root.path": "\(root)"])
            indexer.reconcile(tree: root, crawled: watcher.watchRoot(root))
        }
        for dir in watcher.unwatchedDirectories {
            // watchTree retries the watch (the limit may have been raised) and lists the files.
            indexer.reconcile(tree: dir, crawled: watcher.watchTree(dir))
        }
    }
}

/// Progress of a rebuild, for `status` and `rebuild --wait`.
struct RebuildProgress: Sendable {
    var total: Int
    var done: Int
    var startedAt: Date
    var phase: RebuildStatus.Phase = .indexing
}

/// The one thread that crawls the roots: the start-up crawl, then reconciles on request
/// (`jiansuo reconcile`, SIGHUP, an inotify overflow, the end of a rebuild) and the periodic
/// poll. Requests that arrive while a crawl runs are coalesced into one more crawl after it,
/// so however many arrive, at most one crawl runs and one waits.
final class ReconcileService: Sendable {
    private struct State {
        var pending = true  // the start-up crawl
        var reasons: [String] = ["start"]
        var last: LastReconcile?
    }

    /// The last finished reconcile, for `status`.
    struct LastReconcile: Sendable {
        var reason: String
        var report: Indexer.ReconcileReport
        var finishedAt: Date
        var seconds: Double
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    var last: LastReconcile? { state.withLock { $0.last } }

    /// Queues a crawl; returns true when none was waiting yet (a new scan begins), false
    /// when this request joined the one waiting.
    func request(reason: String) -> Bool {
        let new = state.withLock { s -> Bool in
            if !s.reasons.contains(reason) { s.reasons.append(reason) }
            defer { s.pending = true }
            return !s.pending
        }
        wake.signal()
        return new
    }

    /// Wakes ``run(stopping:crawl:poll:)`` so that it sees `stopping`.
    func wakeUp() { wake.signal() }

    /// Runs crawls as requested and `poll` every ``DaemonState/pollInterval`` seconds, until
    /// `stopping`; blocks the calling thread.
    func run(stopping: () -> Bool, crawl: () -> Indexer.ReconcileReport, poll: () -> Void) {
        var lastPoll = Date()
        while !stopping() {
            let request = state.withLock { s -> [String]? in
                guard s.pending else { return nil }
                s.pending = false
                defer { s.reasons = [] }
                return s.reasons
            }
            if let reasons = request {
                let started = Date()
                let report = crawl()
                let reason = reasons.joined(separator: ", ")
                state.withLock { $0.last = LastReconcile(reason: reason, report: report, finishedAt: Date(), seconds: Date().timeIntervalSince(started)) }
                continue
            }
            if Date().timeIntervalSince(lastPoll) >= DaemonState.pollInterval {
                poll()
                lastPoll = Date()
            }
            _ = wake.wait(timeout: .now() + DaemonState.pollInterval)
        }
    }
}

/// A thread with an owner who joins it.
final class OwnedThread: Sendable {
    private let exited = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread named `name`.
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let exited = exited
        let thread = Thread {
            body()
            exited.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the thread's body has returned.
    func join() {
        exited.wait()
        exited.signal()  // joining twice is harmless
    }
}
