import Foundation
import GRDB
import Glibc
import Testing

/// The daemon caches the searches of its most frequent terms when it goes idle after bulk work,
/// answers them from the cache until a write, and runs again the ones users asked for after
/// one (see `MatchCache`). Through the real `jiansuod` and `jiansuo`.
@Suite struct SearchCacheTests {
    /// `jiansuo search QUERY --json --timings`: the total, the paths and whether the cache answered.
    static func search(_ f: DaemonFixture, _ query: String, extra: [String] = []) throws -> (total: Int, paths: [String], cached: Bool) {
        let json = try f.cli(["search", query, "--json", "--timings", "--limit", "10"] + extra).json()
        let timings = json["timings"] as? [String: Any] ?? [:]
        return (json["total"] as? Int ?? -1, (json["hits"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String },
                timings["cached"] as? Bool ?? false)
    }

    @Test func frequentTermsAreCachedAtIdleAndRefreshedAfterAWrite() throws {
        let f = try DaemonFixture()
        // 1,100 documents (the cache keeps searches from 1,000 matches): 的 in every one, 故事 in
        // every other, a number word in one each.
        for k in 0..<1100 {
            try "第\(k)篇\n我们的\(k % 2 == 0 ? "故事" : "生活")，编号\(k)号。".write(to: f.root.appendingPathComponent("\(k).txt"), atomically: false, encoding: .utf8)
        }
        try f.start()
        // `idle` only once what follows the bulk of work is done too: the merge of FTS5's
        // segments and the warming (never for a moment between the last batch and the merge,
        // nor at start before the warming). Every status until then says something else.
        var states: [String] = []
        try f.waitFor("indexing, merging and warming to finish", timeout: 180) {
            guard let s = try? f.status(), let state = s["state"] as? String else { return false }
            if states.last != state { states.append(state) }
            guard state == "idle" else { return false }
            #expect(s["documents"] as? Int == 1100 && s["pending"] as? Int == 0)
            return true
        }
        #expect(f.daemonLog.contains("index segments merged"), "states seen: \(states)")
        #expect(f.daemonLog.contains("searches of the most frequent terms cached"), "states seen: \(states)")
        let first = try Self.search(f, "的")
        #expect(first.cached)
        #expect(first.total == 1100 && first.paths.count == 10)
        // The same answer as a search that cannot be cached (a deeper page than the cache keeps
        // is computed by FTS5), and the same order.
        let deep = try f.cli(["search", "的", "--json", "--timings", "--limit", "1000", "--offset", "10"]).json()
        #expect((deep["timings"] as? [String: Any])?["cached"] == nil && deep["total"] as? Int == 1100)
        // 故事 is in half the documents (550: fewer than the cache keeps); its search is not cached.
        let story = try Self.search(f, "故事")
        #expect(story.total == 550 && !story.cached)
        #expect(try !Self.search(f, "故事").cached)
        // Sorted by date: not warmed; cached by the first such search.
        let byDate = try Self.search(f, "的", extra: ["--sort", "date"])
        #expect(byDate.total == 1100 && !byDate.cached)
        #expect(try Self.search(f, "的", extra: ["--sort", "date"]).cached)

        // A write makes every entry stale: the next answers count the new document, and the
        // searches users asked for are run again once the writer is idle.
        try "新的一篇".write(to: f.root.appendingPathComponent("new.txt"), atomically: false, encoding: .utf8)
        try f.waitUntilIndexed(documents: 1101, timeout: 60)
        var after = try Self.search(f, "的")
        #expect(after.total == 1101)
        _ = try f.waitFor("the search of 的 to be cached again", timeout: 30) {
            after = try Self.search(f, "的")
            #expect(after.total == 1101)
            return after.cached
        }
        // Deleted: counted out at once.
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("new.txt"))
        try f.waitUntilIndexed(documents: 1100, timeout: 60)
        #expect(try Self.search(f, "的").total == 1100)
        #expect(try Self.search(f, "的", extra: ["--sort", "date"]).total == 1100)

        // A rebuild: its own writer neither merges nor warms (the rebuild optimizes the new
        // index); the daemon's writer warms the new index once it is swapped in, before `idle`,
        // which `rebuild --wait` waits for.
        let warmings = f.daemonLog.components(separatedBy: "searches of the most frequent terms cached").count
        let rebuild = try f.cli(["rebuild", "--wait"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(f.daemonLog.components(separatedBy: "searches of the most frequent terms cached").count == warmings + 1)
        let rebuilt = try Self.search(f, "的")
        #expect(rebuilt.total == 1100 && rebuilt.cached)
    }

    /// A merge owed when the daemon stopped (the index counts the changes since its last full
    /// merge) is done after the next start, before `idle`; one not owed is not.
    @Test func aMergeOwedAtAStopIsDoneAfterTheNextStart() throws {
        let f = try DaemonFixture()
        for k in 0..<40 {
            try "第\(k)篇\n我们的故事，编号\(k)号。".write(to: f.root.appendingPathComponent("\(k).txt"), atomically: false, encoding: .utf8)
        }
        try f.start()
        try f.waitUntilIndexed(documents: 40, timeout: 120)
        #expect(f.daemonLog.contains("index segments merged"))
        let database = try #require(try f.status()["index"] as? String)
        #expect(f.stop() == 0)
        func unmerged() throws -> String? {
            try DatabaseQueue(path: database).read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'unmerged'") }
        }
        #expect(try unmerged() == nil)  // merged after the bulk work: nothing owed
        // Not owed (fewer changes than a tenth of the index): no merge after a start.
        try DatabaseQueue(path: database).write { try $0.execute(sql: "INSERT INTO meta(key, value) VALUES('unmerged', '2')") }
        try f.start()  // (the fixture starts a new log)
        try f.waitUntilIndexed(documents: 40, timeout: 60)
        #expect(!f.daemonLog.contains("index segments merged"))
        #expect(f.stop() == 0)
        #expect(try unmerged() == "2")
        // Owed (as when a stop interrupted the merge after bulk work): merged before `idle`.
        try DatabaseQueue(path: database).write { try $0.execute(sql: "UPDATE meta SET value = '40' WHERE key = 'unmerged'") }
        try f.start()
        try f.waitUntilIndexed(documents: 40, timeout: 60)
        #expect(f.daemonLog.contains("index segments merged"))
        #expect(f.stop() == 0)
        #expect(try unmerged() == nil)
    }

    /// Bulk work (full batches) leaves FTS5's segments to one merge at its end instead of
    /// merging as it writes (``SearchIndex/setBulkMerging(_:)``); its end turns merging back
    /// on, also when a kill interrupted the bulk work (the setting is stored in the index).
    @Test func bulkWorkIsMergedOnceAtItsEnd() throws {
        let f = try DaemonFixture()
        for k in 0..<60 {
            try "第\(k)篇\n我们的故事，编号\(k)号。".write(to: f.root.appendingPathComponent("\(k).txt"), atomically: false, encoding: .utf8)
        }
        let config = f.base.appendingPathComponent("bulk.yaml")
        try "batch_size: 10\n".write(to: config, atomically: true, encoding: .utf8)
        try f.start(extraArguments: ["--config", config.path])
        try f.waitUntilIndexed(documents: 60, timeout: 120)
        #expect(f.daemonLog.contains("bulk work: FTS5 merges its segments once at the end"))
        #expect(f.daemonLog.contains("bulk work ended: FTS5 merges as it writes again"))
        #expect(f.daemonLog.contains("index segments merged"))
        let database = try #require(try f.status()["index"] as? String)
        #expect(f.stop() == 0)
        func automerge() throws -> Int? {
            try DatabaseQueue(path: database).read { try Int.fetchOne($0, sql: "SELECT v FROM fts_config WHERE k = 'automerge'") }
        }
        #expect(try automerge() == 4)
        // Killed during bulk work: merging stays off in the index, and a merge is owed.
        try DatabaseQueue(path: database).write { db in
            try db.execute(sql: "UPDATE fts_config SET v = 0 WHERE k = 'automerge'")
            try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES('unmerged', '60')")
        }
        try f.start(extraArguments: ["--config", config.path])
        try f.waitUntilIndexed(documents: 60, timeout: 60)
        #expect(f.daemonLog.contains("bulk work ended: FTS5 merges as it writes again"))
        #expect(f.stop() == 0)
        #expect(try automerge() == 4)
        #expect(try DatabaseQueue(path: database).read { try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'unmerged'") } == nil)
    }

    /// Another user (nobody, through setpriv) with the cache warmed: its own total, never a
    /// private file, and a directory opened without any write to the index counts at once.
    @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func anotherUserGetsOnlyWhatItMayReadFromTheCache() throws {
        let f = try DaemonFixture()
        chmod(f.base.path, 0o755)  // nobody must reach the socket file
        let open = f.root.appendingPathComponent("open"), closed = f.root.appendingPathComponent("closed")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true)
        chmod(f.root.path, 0o755)
        chmod(closed.path, 0o700)
        for k in 0..<1100 {
            let url = (k < 600 ? open : closed).appendingPathComponent("\(k).txt")
            try "第\(k)篇\n我们的故事，编号\(k)号。".write(to: url, atomically: false, encoding: .utf8)
            chmod(url.path, 0o644)
        }
        let config = f.base.appendingPathComponent("jiansuod.yaml")
        try "socket_group: nogroup\n".write(to: config, atomically: true, encoding: .utf8)
        try f.start(extraArguments: ["--config", config.path])
        try f.waitUntilIndexed(documents: 1100, timeout: 180)
        func asNobody() throws -> (total: Int, paths: [String], cached: Bool) {
            let r = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                                          ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                           productsDirectory.appendingPathComponent("jiansuo").path, "--socket", f.socket,
                                           "search", "的", "--json", "--timings", "--limit", "10"])
            let json = try r.json()
            return (json["total"] as? Int ?? -1, (json["hits"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String },
                    (json["timings"] as? [String: Any])?["cached"] as? Bool ?? false)
        }
        var root = try Self.search(f, "的")
        _ = try f.waitFor("the search of 的 to be warmed", timeout: 60) {
            root = try Self.search(f, "的")
            return root.cached
        }
        #expect(root.total == 1100)
        let nobody = try asNobody()
        #expect(nobody.total == 600 && nobody.paths.count == 10)
        // Nobody's searches come to be answered from the access classes (the warming, or
        // nobody's own search, counted them; the writer may still be merging and warming).
        // The 100 best hits the warming keeps are all in the closed folder (equal scores, and
        // the later documents first), so nobody's own search, which keeps 1,000, is the one
        // that makes the next answer possible.
        _ = try f.waitFor("nobody's search to be answered from the cache", timeout: 60) {
            let again = try asNobody()
            #expect(again.total == 600 && again.paths == nobody.paths)
            return again.cached
        }
        #expect(nobody.paths.allSatisfy { $0.hasPrefix(open.path + "/") })
        // The closed directory opened: no write to the index, the next answer counts it.
        chmod(closed.path, 0o755)
        let opened = try asNobody()
        #expect(opened.total == 1100 && opened.cached)
        #expect(opened.paths == root.paths)
        chmod(closed.path, 0o700)
        #expect(try asNobody().total == 600)
    }
}
