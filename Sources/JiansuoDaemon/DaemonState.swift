import Foundation
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch
import Logging
import Synchronization

/// What the daemon's services share: the index, the indexer, the watcher, and the state of
/// reconciles and rebuilds, for `status` and the write commands.
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
    let stopping = Atomic<Bool>(false)
    /// Roots that were deleted or moved away; watched again when they come back.
    let missingRoots = Mutex<Set<String>>([])
    let rebuild = Mutex<RebuildProgress?>(nil)
    /// Why the index in use is known to be damaged (SQLite reported corruption), or nil. Set by
    /// ``indexDamaged(_:)``; cleared when a rebuild swaps in a new index.
    let damage = Mutex<String?>(nil)
    let lastRebuild = Mutex<String?>(nil)

    /// How often directories over the inotify watch limit are polled, and missing roots looked for.
    static let pollInterval: Double = 2

    init(config: DaemonConfig, files: IndexFiles, index: SearchIndex, logger: Logger,
         reload: (@Sendable () throws -> DaemonConfig)? = nil) {
        self.config = config
        self.files = files
        self.holder = IndexHolder(index)
        self.logger = logger
        self.reload = reload
        settings = WatchSettings(roots: config.roots, rules: Self.rules(config))
        indexer = Indexer(
            index: holder, extractor: Extractor(maxFileBytes: config.maxFileBytes), settings: settings,
            logger: logger, debounce: .milliseconds(config.debounceMilliseconds),
            reindexInterval: .milliseconds(config.reindexIntervalMilliseconds), batchSize: config.batchSize,
            threads: config.indexingThreads)
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

    /// Crawls every root again and applies the differences, on a thread of its own.
    func reconcileAll(reason: String) {
        indexer.beginScan()
        logger.info("reconciling", metadata: ["reason": "\(reason)"])
        Thread.detachNewThread { [self] in indexer.reconcile(crawled: crawlRoots()) }
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
            if let r = rebuild.withLock({ $0 }) {
                status = "rebuilding \(r.done)/\(r.total)"
            } else if phase == .idle {
                status = "idle, \(documents) documents"
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
    func poll() {
        while !stopping.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: Self.pollInterval)
            guard let watcher = watcher.withLock({ $0 }) else { continue }
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
}

/// Progress of a rebuild, for `status` and `rebuild --wait`.
struct RebuildProgress: Sendable {
    var total: Int
    var done: Int
    var startedAt: Date
}
