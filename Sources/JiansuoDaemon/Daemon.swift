import Foundation
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch
import Logging
import ServiceLifecycle
import UnixSignals

/// The composition root: opens the index, starts the watcher and the indexer, serves the socket,
/// and stops all of it gracefully on SIGTERM or SIGINT.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT. `config` must be ``DaemonConfig/resolved()``.
    /// - Throws: ``ConfigError`` or ``JiansuoIndex/IndexError`` when start-up fails.
    /// `reload` reads the configuration again the way it was read at start (file, environment,
    /// flags), for SIGHUP.
    public static func run(config: DaemonConfig, logger: Logger, reload: (@Sendable () throws -> DaemonConfig)? = nil) async throws {
        umask(0o077)  // the index and the socket are the user's alone
        signal(SIGPIPE, SIG_IGN)
        try makeDirectories(config.indexDirectory)
        chmod(config.indexDirectory, 0o700)  // also when it already existed, e.g. index/ in a checkout
        let files = IndexFiles(directory: config.indexDirectory)
        _ = try files.lock()
        files.removeStaleDatabases()
        let index = try files.open(options: config.analysis, logger: logger)
        if index.wasReset {
            logger.notice("the analyzer changed since the index was built; re-indexing every file")
        }
        let state = DaemonState(config: config, files: files, index: index, logger: logger, reload: reload)
        let server = SocketServer(
            path: config.effectiveSocketPath,
            handler: RequestHandler(state: state, logger: logger),
            logger: logger,
            access: try AccessPolicy.from(allowedUsers: config.allowedUsers, writers: config.writers),
            group: config.socketGroup,
            idleTimeoutSeconds: Int64(config.idleTimeoutSeconds))
        logger.info("starting", metadata: ["roots": "\(config.roots)", "index.path": "\(files.currentDatabase)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WatchingService(state: state)), .init(service: server), .init(service: ReloadService(state: state))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        do {
            try state.holder.current.close()
        } catch {
            logger.warning("could not close the index cleanly", metadata: ["error": "\(error)"])
        }
        logger.info("stopped")
    }
}

/// Reloads the configuration on every SIGHUP.
struct ReloadService: Service {
    let state: DaemonState

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            state.reloadConfiguration()
        }
    }
}

/// Runs the inotify reader, the indexer and the poller on threads of their own: crawl and
/// reconcile at start, then follow changes. On graceful shutdown the batch in flight is
/// committed first.
struct WatchingService: Service {
    let state: DaemonState

    func run() async throws {
        let state = state
        let watcher = try InotifyWatcher(settings: state.settings, logger: state.logger, maxWatches: state.config.maxWatches) { event in
            state.indexer.handle(event)
            if event == .overflow { state.reconcileAll(reason: "inotify queue overflow") }
            if case .removed(let path) = event, state.settings.roots.contains(path) { state.rootGone(path) }
        }
        state.watcher.withLock { $0 = watcher }
        Thread.detachNewThread { watcher.run() }
        Thread.detachNewThread {
            state.indexer.reconcile(crawled: state.crawlRoots())
            state.indexer.run()
        }
        Thread.detachNewThread { state.poll() }
        Thread.detachNewThread { state.reportToSystemd() }
        try? await gracefulShutdown()
        Systemd.notify("STOPPING=1\nSTATUS=stopping")
        state.stopping.store(true, ordering: .relaxed)
        watcher.stop()
        state.indexer.stop()
    }
}
