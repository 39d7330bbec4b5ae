import Foundation
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch

extension DaemonState {
    /// Starts a rebuild on a thread of its own; false when one is already running.
    ///
    /// A rebuild indexes every file on disk into a new database (never copying from the old
    /// index) while the old one keeps answering searches and following changes; then it makes
    /// the new database current (an atomic rename of `CURRENT`), swaps it in between two
    /// indexing batches, and reconciles once more to pick up changes made meanwhile.
    func startRebuild() -> Bool {
        let started = rebuild.withLock { progress -> Bool in
            guard progress == nil else { return false }
            progress = RebuildProgress(total: 0, done: 0, startedAt: Date())
            return true
        }
        if started {
            let previous = rebuildThread.withLock { $0 }
            previous?.join()  // the last rebuild's thread has finished its work; reap it
            rebuildThread.withLock { $0 = OwnedThread(name: "rebuild") { [self] in runRebuild() } }
        }
        return started
    }

    private func runRebuild() {
        // Progress is this rebuild's until it is cleared: after the swap, or when it ends
        // otherwise. A rebuild requested meanwhile has progress of its own, left alone.
        let startedAt = rebuild.withLock { $0?.startedAt }
        func finished() { rebuild.withLock { if $0?.startedAt == startedAt { $0 = nil } } }
        defer { finished() }
        let path = files.newDatabase()
        logger.notice("rebuild started", metadata: ["index.path": "\(path)"])
        do {
            let fresh = try SearchIndex(path: path, options: config.analysis)
            // All of it is bulk work: one merge at the end (the optimize below).
            try fresh.setBulkMerging(true)
            // Quarantined files stay quarantined: the rebuild must not die on them either.
            try fresh.apply(try holder.current.quarantined().map { .failure(path: $0.path, message: $0.message, state: $0.state) })
            let inFlight = try InFlightLog(directory: files.directory, workers: Indexer.workerCount(config.indexingThreads), name: InFlightLog.rebuildFileName)
            defer { inFlight.remove() }
            let builder = Indexer(
                index: IndexHolder(fresh), extractor: Extractor(maxFileBytes: config.maxFileBytes), settings: settings,
                logger: logger, debounce: .zero, reindexInterval: .zero, batchSize: config.batchSize,
                threads: config.indexingThreads, memoryBudget: config.indexingMemoryBytes,
                extractionTimeout: .milliseconds(config.extractionTimeoutMilliseconds), inFlight: inFlight, settles: false)
            let rules = settings.rules
            let list = settings.roots.flatMap { DirectoryListing.files(under: $0, rules: rules) }
            rebuild.withLock { $0?.total = list.count }
            builder.reconcile(crawled: list)
            let writer = OwnedThread(name: "rebuild-writer") { builder.run() }
            defer { writer.join() }
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                let (phase, pending) = builder.progress
                rebuild.withLock { $0?.done = max(0, list.count - pending) }
                if stopping.load(ordering: .relaxed) {
                    builder.stop()
                    IndexFiles.remove(path)
                    logger.notice("rebuild abandoned at shutdown")
                    return
                }
                if phase == .idle { break }
            }
            builder.stop()
            rebuild.withLock { $0?.phase = .finishing }
            try fresh.setBulkMerging(false)
            try fresh.optimize()
            let old = files.currentDatabase
            try indexer.batchLock.withLock { _ in
                try files.makeCurrent(path)
                _ = holder.swap(fresh)
                damage.withLock { $0 = nil }
            }
            indexer.indexReplaced()
            let seconds = Int(Date().timeIntervalSince(rebuild.withLock { $0?.startedAt } ?? Date()))
            lastRebuild.withLock { $0 = "finished \(ISO8601DateFormatter().string(from: Date())): \(list.count) files in \(seconds) s" }
            finished()  // status says so at once, not after the old index is removed
            logger.notice("rebuild finished; the new index is in use", metadata: ["files.count": "\(list.count)", "index.path": "\(path)"])
            reconcileAll(reason: "changes made during the rebuild")
            // Searches still running on the old index keep their open files; then it goes.
            for _ in 0..<50 where !stopping.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.1) }
            IndexFiles.remove(old)
        } catch {
            logger.error("rebuild failed; the old index stays in use", metadata: ["error": "\(error)"])
            lastRebuild.withLock { $0 = "failed: \(error)" }
            IndexFiles.remove(path)
        }
    }
}
