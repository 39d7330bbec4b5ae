import Foundation
import Glibc
import Logging
import Synchronization
import Testing
@testable import JiansuoWatch

/// The watch descriptor ↔ path map: pure data.
@Suite struct WatchMapTests {
    @Test func bothDirectionsStayInStep() {
        var map = WatchMap()
        map.set(1, "/r")
        map.set(2, "/r/a")
        map.set(3, "/r/a/b")
        map.set(4, "/r/ab")
        #expect(map.count == 4)
        #expect(map.descriptor(of: "/r/a") == 2)
        #expect(map.path(of: 3) == "/r/a/b")
        // Renaming a tree moves its subdirectories, not a sibling sharing the prefix.
        map.renameTree(from: "/r/a", to: "/r/z")
        #expect(map.path(of: 2) == "/r/z" && map.path(of: 3) == "/r/z/b" && map.path(of: 4) == "/r/ab")
        #expect(map.descriptor(of: "/r/a") == nil && map.descriptor(of: "/r/z/b") == 3)
        // The kernel gives an inode watched again its old descriptor, under the new name.
        map.set(4, "/r/moved")
        #expect(map.descriptor(of: "/r/ab") == nil && map.descriptor(of: "/r/moved") == 4)
        #expect(Set(map.removeTree("/r/z")) == [2, 3])
        #expect(map.count == 2)
        map.remove(1)
        #expect(map.descriptor(of: "/r") == nil && map.path(of: 1) == nil)
    }
}

/// The real inotify watcher on a temporary tree.
@Suite(.serialized) struct InotifyWatcherTests {
    final class Events: Sendable {
        let list = Mutex<[WatchEvent]>([])
        func contains(_ e: WatchEvent) -> Bool { list.withLock { $0.contains(e) } }
    }

    func waitFor(_ what: String, _ condition: () -> Bool) {
        for _ in 0..<250 where !condition() { usleep(20_000) }
        #expect(condition(), "timed out waiting for \(what)")
    }

    /// `isCaughtUp` and `directoriesChanged`, which keep readers' cached directory access exact:
    /// every change to a directory is reported, and the watcher is not caught up from the
    /// moment a change is queued until its report has returned; file writes report nothing.
    @Test func directoryChangesAreReportedBeforeTheWatcherIsCaughtUp() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/甲/乙", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        final class Reports: @unchecked Sendable {
            let count = Atomic<Int>(0)
            let hold = Atomic<Bool>(false)
            let held = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
        }
        let reports = Reports()
        let settings = WatchSettings(roots: [root], rules: IndexingRules(extensions: ["txt"]))
        let watcher = try InotifyWatcher(settings: settings, logger: Logger(label: "test"), directoriesChanged: {
            reports.count.add(1, ordering: .sequentiallyConsistent)
            if reports.hold.load(ordering: .sequentiallyConsistent) {
                reports.held.signal()
                reports.release.wait()
            }
        }) { _ in }
        _ = watcher.watchRoot(root)
        #expect(watcher.isWatching(root + "/甲/乙") && !watcher.isWatching(root + "/丙"))
        #expect(!watcher.isCaughtUp, "not running yet")
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { watcher.run(); done.signal() }
        waitFor("the watcher to catch up") { watcher.isCaughtUp }

        // A file written: no report.
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/甲/文件.txt"))
        waitFor("the write to be read") { watcher.isCaughtUp }
        usleep(50_000)
        #expect(reports.count.load(ordering: .sequentiallyConsistent) == 0)

        // A chmod two levels down, held in its report: not caught up until the report returns,
        // and a second change queued meanwhile keeps it so.
        reports.hold.store(true, ordering: .sequentiallyConsistent)
        chmod(root + "/甲/乙", 0o700)
        #expect(reports.held.wait(timeout: .now() + 5) == .success)
        #expect(!watcher.isCaughtUp, "a report is being made")
        reports.hold.store(false, ordering: .sequentiallyConsistent)
        chmod(root + "/甲", 0o700)
        #expect(!watcher.isCaughtUp, "a change is queued or being reported")
        reports.release.signal()
        waitFor("the watcher to catch up again") { watcher.isCaughtUp }
        let afterChmods = reports.count.load(ordering: .sequentiallyConsistent)
        #expect(afterChmods >= 2)
        // The root's own attributes, a directory created, renamed and removed: each reported.
        for change in [{ chmod(root, 0o750) }, { mkdir(root + "/丙", 0o755) }, { rename(root + "/丙", root + "/丁") },
                       { rmdir(root + "/丁") }] {
            let before = reports.count.load(ordering: .sequentiallyConsistent)
            _ = change()
            waitFor("a report") { reports.count.load(ordering: .sequentiallyConsistent) > before && watcher.isCaughtUp }
        }
        watcher.stop()
        #expect(done.wait(timeout: .now() + 2) == .success)
        #expect(!watcher.isCaughtUp, "stopped")
    }

    /// `reportsEveryDirectoryChange`: false whenever a watched path may change its access with
    /// no event below the roots: a directory above a root renamed and replaced, a directory over
    /// the watch limit, symbolic links followed.
    @Test func directoryChangesWithoutEventsTurnOffExactReporting() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        let root = base + "/上/根"
        try FileManager.default.createDirectory(atPath: root + "/子/孙", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let settings = WatchSettings(roots: [root], rules: IndexingRules(extensions: ["txt"]))
        let watcher = try InotifyWatcher(settings: settings, logger: Logger(label: "test")) { _ in }
        _ = watcher.watchRoot(root)
        #expect(watcher.reportsEveryDirectoryChange)
        // The directory above the root renamed, and a new one made at its path: the root's path
        // now leads to another directory, and no watch saw it.
        #expect(rename(base + "/上", base + "/旧") == 0)
        try FileManager.default.createDirectory(atPath: root + "/子/孙", withIntermediateDirectories: true)
        #expect(!watcher.reportsEveryDirectoryChange, "the root's path leads elsewhere")
        _ = watcher.watchRoot(root)  // watched again (the daemon's reconcile does this)
        #expect(watcher.reportsEveryDirectoryChange)
        try FileManager.default.removeItem(atPath: root)
        #expect(!watcher.reportsEveryDirectoryChange, "the root is gone")

        // Over the watch limit: polled directories make no events.
        try FileManager.default.createDirectory(atPath: root + "/子/孙", withIntermediateDirectories: true)
        let limited = try InotifyWatcher(settings: settings, logger: Logger(label: "test"), maxWatches: 2) { _ in }
        _ = limited.watchRoot(root)
        #expect(!limited.unwatchedDirectories.isEmpty)
        #expect(!limited.reportsEveryDirectoryChange, "a directory is polled")

        // Symbolic links followed.
        let following = WatchSettings(roots: [root], rules: IndexingRules(extensions: ["txt"], followSymlinks: true))
        let linked = try InotifyWatcher(settings: following, logger: Logger(label: "test")) { _ in }
        _ = linked.watchRoot(root)
        #expect(!linked.reportsEveryDirectoryChange, "symbolic links followed")
    }

    @Test func createsRenamesAndDeletesAreReported() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/子目录", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Data("旧".utf8).write(to: URL(fileURLWithPath: root + "/子目录/旧.txt"))
        let events = Events()
        let settings = WatchSettings(roots: [root], rules: IndexingRules(extensions: ["txt"]))
        let watcher = try InotifyWatcher(settings: settings, logger: Logger(label: "test")) { e in events.list.withLock { $0.append(e) } }
        #expect(watcher.watchRoot(root) == [root + "/子目录/旧.txt"])
        #expect(watcher.watchCount == 2)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { watcher.run(); done.signal() }

        try Data("新".utf8).write(to: URL(fileURLWithPath: root + "/新.txt"))
        waitFor("a new file") { events.contains(.fileChanged(root + "/新.txt")) }
        // A directory created with a file in it: watched, and its file reported.
        try FileManager.default.createDirectory(atPath: root + "/新目录", withIntermediateDirectories: false)
        try Data("里面".utf8).write(to: URL(fileURLWithPath: root + "/新目录/里面.txt"))
        waitFor("the new directory's file") { events.contains(.fileChanged(root + "/新目录/里面.txt")) }
        #expect(watcher.watchCount == 3)
        rename(root + "/新.txt", root + "/改名.txt")
        waitFor("a rename") { events.contains(.moved(from: root + "/新.txt", to: root + "/改名.txt", isDirectory: false)) }
        rename(root + "/子目录", root + "/别的目录")
        waitFor("a directory rename") { events.contains(.moved(from: root + "/子目录", to: root + "/别的目录", isDirectory: true)) }
        unlink(root + "/改名.txt")
        waitFor("a deletion") { events.contains(.removed(root + "/改名.txt")) }
        // Hidden and excluded names are not reported.
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/.hidden.txt"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/image.png"))
        usleep(300_000)
        #expect(!events.contains(.fileChanged(root + "/.hidden.txt")))
        #expect(!events.contains(.fileChanged(root + "/image.png")))
        watcher.stop()
        #expect(done.wait(timeout: .now() + 2) == .success)
    }

    @Test(.enabled(if: getuid() != 0, "root reads every directory"))
    func unreadableDirectoriesAreReportedWithTheirReason() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/私人", withIntermediateDirectories: true)
        defer { chmod(root + "/私人", 0o755); try? FileManager.default.removeItem(atPath: root) }
        chmod(root + "/私人", 0o000)
        let settings = WatchSettings(roots: [root], rules: IndexingRules(extensions: ["txt"]))
        let watcher = try InotifyWatcher(settings: settings, logger: Logger(label: "test")) { _ in }
        _ = watcher.watchRoot(root)
        #expect(watcher.unreadableDirectories[root + "/私人"]?.contains("Permission denied") == true)
        chmod(root + "/私人", 0o755)
        _ = watcher.watchTree(root)
        #expect(watcher.unreadableDirectories.isEmpty)
    }

    @Test func aListingErrorIsReportedNotSwallowed() throws {
        var unreadable: [String: Int32] = [:]
        var files: [String] = []
        DirectoryListing.walk("/proc/self/fd/nonexistent-\(getpid())", rules: IndexingRules(extensions: ["txt"]),
                              directory: { _ in }, file: { files.append($0) }, unreadable: { unreadable[$0] = $1 })
        #expect(files.isEmpty)
        #expect(unreadable.isEmpty)  // a directory that is gone is not an error
        #expect(throws: ListingError.self) { try DirectoryListing.readEntries(of: "/proc/self/fd/nonexistent-\(getpid())") }
    }
}
