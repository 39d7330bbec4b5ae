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
        Indexer.configureAllocator()
        signal(SIGPIPE, SIG_IGN)
        // A daemon already answering on the socket: refuse before touching anything (the
        // index directory, its lock, a crawl).
        let activated = Systemd.activatedSocket()
        if activated == nil { try SocketPath.refuseIfAnswering(config.effectiveSocketPath) }
        try makeDirectories(config.indexDirectory)
        chmod(config.indexDirectory, 0o700)  // also when it already existed, e.g. index/ in a checkout
        let files = IndexFiles(directory: config.indexDirectory)
        _ = try files.lock()
        files.removeStaleDatabases()
        let index = try files.open(options: config.analysis, logger: logger)
        if index.wasReset {
            logger.notice("the analyzer changed since the index was built; re-indexing every file")
        }
        CrashGuard.recover(directory: files.directory, index: index, config: config, logger: logger)
        let inFlight = try InFlightLog(directory: files.directory, workers: Indexer.workerCount(config.indexingThreads))
        let state = DaemonState(config: config, files: files, index: index, inFlight: inFlight, logger: logger, reload: reload)
        let requests = RequestPools(threads: config.requestThreads)
        let server = SocketServer(
            path: config.effectiveSocketPath,
            activated: activated,
            handler: RequestHandler(state: state, logger: logger),
            pools: requests,
            logger: logger,
            access: try AccessPolicy.from(allowedUsers: config.allowedUsers, writers: config.writers, adminGroup: config.adminGroup),
            group: config.socketGroup,
            idleTimeoutSeconds: Int64(config.idleTimeoutSeconds))
        logger.info("starting", metadata: ["roots": "\(config.roots)", "index.path": "\(files.currentDatabase)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WatchingService(state: state)), .init(service: server), .init(service: ReloadService(state: state))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        // Every service has returned: the requests in flight were answered, the indexer and its
        // workers joined. The request pools go last.
        try? await requests.shutdown()
        state.rebuildThread.withLock { $0 }?.join()
        inFlight.remove()  // a clean stop: nothing was left half done
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

/// Runs the inotify reader, the writer, the reconcile service and the systemd reporter on
/// threads it owns (the indexing workers belong to the indexer): crawl and reconcile at start,
/// then follow changes. On graceful shutdown the batch in flight is committed first, and every
/// thread is joined.
struct WatchingService: Service {
    let state: DaemonState

    func run() async throws {
        let state = state
        let watcher = try InotifyWatcher(settings: state.settings, logger: state.logger, maxWatches: state.config.maxWatches,
                                         directoriesChanged: { state.directories.invalidate() }) { event in
            state.indexer.handle(event)
            if event == .overflow { state.reconcileAll(reason: "inotify queue overflow") }
            if case .removed(let path) = event, state.settings.roots.contains(path) { state.rootGone(path) }
        }
        state.watcher.withLock { $0 = watcher }
        state.directories.connect(isCurrent: { watcher.isCaughtUp && watcher.reportsEveryDirectoryChange },
                                  isWatched: { watcher.isWatching($0) })
        defer { state.directories.disconnect() }
        let threads = [
            OwnedThread(name: "inotify") { watcher.run() },
            OwnedThread(name: "reconcile") { state.runReconciles() },
            OwnedThread(name: "systemd") { state.reportToSystemd() },
        ]
        let writer = OwnedThread(name: "writer") { state.indexer.run() }
        try? await gracefulShutdown()
        Systemd.notify("STOPPING=1\nSTATUS=stopping")
        state.stopping.store(true, ordering: .relaxed)
        watcher.stop()
        state.reconciler.wakeUp()
        state.indexer.stop()  // finishes and commits the batch in flight, joins the workers
        writer.join()
        for thread in threads { thread.join() }
    }
}
