import Foundation
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch
import Logging
import ServiceLifecycle

/// The composition root: opens the index, starts the watcher and the indexer, serves the socket,
/// and stops all of it gracefully on SIGTERM or SIGINT.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT. `config` must be ``DaemonConfig/resolved()``.
    /// - Throws: ``ConfigError`` or ``JiansuoIndex/IndexError`` when start-up fails.
    public static func run(config: DaemonConfig, logger: Logger) async throws {
        umask(0o077)  // the index and the socket are the user's alone
        try makeDirectories(config.indexDirectory)
        chmod(config.indexDirectory, 0o700)  // also when it already existed, e.g. index/ in a checkout
        let databasePath = config.indexDirectory + "/" + SearchIndex.databaseFileName
        let index = try SearchIndex(path: databasePath, options: config.analysis)
        if index.wasReset {
            logger.notice("the analyzer changed since the index was built; re-indexing every file")
        }
        let rules = IndexingRules(extensions: Set(config.extensions))
        let indexer = Indexer(
            index: index, extractor: Extractor(maxFileBytes: config.maxFileBytes), rules: rules,
            roots: config.roots, logger: logger, debounce: .milliseconds(config.debounceMilliseconds),
            batchSize: config.batchSize)
        let watching = WatchingService(indexer: indexer, roots: config.roots, rules: rules, logger: logger)
        let server = SocketServer(
            path: config.effectiveSocketPath,
            handler: RequestHandler(index: index, indexer: indexer, config: config, databasePath: databasePath, logger: logger),
            logger: logger)
        logger.info("starting", metadata: ["roots": "\(config.roots)", "index.path": "\(databasePath)"])
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: watching), .init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        do {
            try index.close()
        } catch {
            logger.warning("could not close the index cleanly", metadata: ["error": "\(error)"])
        }
        logger.info("stopped")
    }
}

/// Runs the inotify reader and the indexer on threads of their own: crawl and reconcile at
/// start, then follow changes. On graceful shutdown the batch in flight is committed first.
struct WatchingService: Service {
    let indexer: Indexer
    let roots: [String]
    let rules: IndexingRules
    let logger: Logger

    func run() async throws {
        let indexer = indexer
        let roots = roots
        let watcherBox = WatcherBox()
        let watcher = try InotifyWatcher(rules: rules, logger: logger) { event in
            indexer.handle(event)
            if event == .overflow, let watcher = watcherBox.watcher {
                // Events were lost: crawl again and reconcile against the index.
                indexer.beginScan()
                indexer.reconcile(crawled: roots.flatMap { watcher.watchRoot($0) })
            }
        }
        watcherBox.watcher = watcher
        Thread.detachNewThread { watcher.run() }
        Thread.detachNewThread {
            indexer.reconcile(crawled: roots.flatMap { watcher.watchRoot($0) })
            indexer.run()
        }
        try? await gracefulShutdown()
        watcher.stop()
        indexer.stop()
    }
}

/// Lets the watcher's event handler reach the watcher, which exists only after the handler.
private final class WatcherBox: @unchecked Sendable {
    // Written once before the reader thread starts; read only on that thread afterwards.
    var watcher: InotifyWatcher?
}
