import Foundation
import Glibc
import JiansuoAnalysis
import JiansuoIndex
import Logging

/// The files of the index directory:
/// - `CURRENT` names the database in use (`jiansuo.sqlite` when absent); a rebuild writes a new
///   database under a new name and replaces `CURRENT` atomically (rename), so the old and new
///   databases never share a WAL file name;
/// - `jiansuod.lock` is held with flock(2) while a daemon uses the directory.
struct IndexFiles {
    let directory: String

    var pointer: String { directory + "/CURRENT" }

    /// The path of the database in use.
    var currentDatabase: String {
        let name = (try? String(contentsOfFile: pointer, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return directory + "/" + (name.flatMap { $0.isEmpty || $0.contains("/") ? nil : $0 } ?? SearchIndex.databaseFileName)
    }

    /// A fresh database path for a rebuild.
    func newDatabase() -> String {
        directory + "/jiansuo-\(Int(Date().timeIntervalSince1970 * 1000)).sqlite"
    }

    /// Makes `database` (in this directory) the one in use, atomically.
    func makeCurrent(_ database: String) throws {
        let name = (database as NSString).lastPathComponent
        let temporary = pointer + ".tmp"
        try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
        let fd = Glibc.open(temporary, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(temporary, pointer) == 0 else {
            throw ConfigError(file: nil, key: "index", message: "cannot update \(pointer): \(String(cString: strerror(errno)))")
        }
        let dir = Glibc.open(directory, O_RDONLY)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Removes databases left by a rebuild that never finished (the daemon was killed): every
    /// `jiansuo*.sqlite` other than the current one.
    func removeStaleDatabases() {
        let current = (currentDatabase as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix("jiansuo") && name.hasSuffix(".sqlite") && name != current {
            Self.remove(directory + "/" + name)
        }
    }

    /// Removes a database and its -wal and -shm files.
    static func remove(_ database: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(database + suffix) }
    }

    /// Moves a damaged database and its -wal and -shm files aside; returns the new name.
    static func moveAside(_ database: String) -> String {
        let aside = database + ".damaged-\(Int(Date().timeIntervalSince1970))"
        for suffix in ["", "-wal", "-shm"] { rename(database + suffix, aside + suffix) }
        return aside
    }

    /// Takes the directory's lock, or throws when another daemon holds it. The descriptor stays
    /// open (and the lock held) until the process exits.
    func lock() throws -> Int32 {
        let path = directory + "/jiansuod.lock"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ConfigError(file: nil, key: "index", message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ConfigError(file: nil, key: "index", message: "another jiansuod is using the index in \(directory)")
        }
        return fd
    }

    /// Opens the database in use. A database SQLite finds damaged (on open or in its
    /// quick_check) is moved aside with a log line and replaced by an empty one, which the
    /// start-up reconcile fills from the files: a damaged index never stops the daemon. Other
    /// failures (permissions, a full disk) are thrown: they say nothing about the file, which is
    /// left alone.
    func open(options: AnalysisOptions, logger: Logger) throws -> SearchIndex {
        let path = currentDatabase
        do {
            let index = try SearchIndex(path: path, options: options)
            try index.quickCheck()
            return index
        } catch let error as IndexError {
            guard case .corrupt = error else { throw error }
            let aside = Self.moveAside(path)
            logger.error("the index is damaged; moved it aside and rebuilding from the files",
                         metadata: ["index.path": "\(path)", "moved.to": "\(aside)", "error": "\(error)"])
            return try SearchIndex(path: path, options: options)
        }
    }
}

