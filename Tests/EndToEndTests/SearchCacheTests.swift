import Foundation
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
        try f.waitUntilIndexed(documents: 1100, timeout: 180)
        let first = try Self.search(f, "的")
        #expect(first.total == 1100 && first.paths.count == 10)
        #expect(first.cached, "warmed when the writer went idle")
        #expect(f.daemonLog.contains("searches of the most frequent terms cached"))
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
    }
}
