import Foundation
import Glibc
import JiansuoExtract
import JiansuoIndex
import JiansuoWatch
import Logging

/// Keeps one file from stopping the daemon again and again (with `Restart=on-failure`, a crash
/// loop). The indexer records in an ``InFlightLog`` which files its workers are extracting and
/// which large document its writer is writing; a clean shutdown removes that record. At the next
/// start, what is left names the files the daemon died on:
/// - the writer's document was alone in its transaction, so it is the one: quarantined;
/// - a worker's file may have been innocent (the workers run in parallel), so it is extracted
///   once more in a separate process (`jiansuod --probe-extraction PATH`) under the extraction
///   time budget. If that process dies on a signal or runs over the budget, the file is
///   quarantined; if it succeeds, the file is indexed as usual.
/// A quarantined file is recorded as a failure (in `status`, with the reason) that belongs to
/// its current size, modification time and inode: it is tried again only when it changes.
enum CrashGuard {
    /// Checks the files a previous process left in flight and quarantines those it died on.
    /// Call at start, before a new ``InFlightLog`` replaces the old one.
    static func recover(directory: String, index: SearchIndex, config: DaemonConfig, logger: Logger) {
        var seen = Set<String>()
        let left = InFlightLog.leftOver(in: directory).filter { seen.insert($0.path).inserted }
        guard !left.isEmpty else { return }
        logger.error("the daemon did not stop cleanly while indexing; checking the files it was working on",
                     metadata: ["files.count": "\(left.count)"])
        var quarantine: [IndexChange] = []
        for (kind, path) in left {
            guard let info = FileInfo(path: path, followingSymlinks: config.followSymlinks), info.kind == .regular else { continue }
            let verdict: String?
            switch kind {
            case .writer: verdict = "writing it to the index stopped the daemon"
            case .extraction: verdict = probe(path, config: config)
            }
            guard let verdict else {
                logger.notice("file extracted fine on its own; indexing it", metadata: ["doc.path": "\(path)"])
                continue
            }
            let message = SearchIndex.quarantinePrefix + verdict + "; tried again when the file changes"
            logger.error("file quarantined", metadata: ["doc.path": "\(path)", "reason": "\(verdict)"])
            quarantine.append(.failure(path: path, message: message, state: Indexer.state(info)))
        }
        do {
            try index.apply(quarantine)
        } catch {
            logger.error("cannot record quarantined files", metadata: ["error": "\(error)"])
        }
    }

    /// Extracts `path` in a child process; returns why the file must be quarantined, or nil
    /// when the child finished (successfully or with an ordinary extraction error).
    static func probe(_ path: String, config: DaemonConfig) -> String? {
        let budget = Double(config.extractionTimeoutMilliseconds) / 1000
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath())
        process.arguments = ["--probe-extraction", path, "--probe-max-bytes", String(config.maxFileBytes)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return "the daemon stopped while extracting it, and it could not be checked on its own (\(error))"
        }
        let deadline = Date().addingTimeInterval(budget + 1)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return "extracting it took longer than \(budget) s (extraction_timeout_ms) after the daemon stopped on it"
        }
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            return "extracting it stopped the daemon (\(name), signal \(signal))"
        }
        return nil
    }

    /// This executable, for the probe.
    private static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
    }
}

extension Daemon {
    /// `jiansuod --probe-extraction PATH`: reads, extracts and analyses one file the way the
    /// indexer does, then exits 0 (or 1 when the file cannot be read or extracted: an ordinary
    /// failure). Dying here is what ``CrashGuard`` looks for.
    public static func probeExtraction(path: String, maxFileBytes: Int) -> Int32 {
        do {
            let bytes = try Indexer.read(path, limit: maxFileBytes + 1)
            FaultInjection.extracting(path)
            let name = path.split(separator: "/").last.map(String.init) ?? path
            let document = try Extractor(maxFileBytes: maxFileBytes).extract(bytes, fileName: name)
            _ = try SearchIndex.inMemory().prepare(document)
            return 0
        } catch {
            return 1
        }
    }
}
