import Foundation
import Glibc
import JiansuoClient
import JiansuoProtocol
import Testing

/// SIGKILL at any moment, a damaged database, a stale socket or a second daemon never cost a
/// document or a start.
@Suite(.serialized) struct CrashTests {
    /// Every indexed path, through a filter-only query.
    func indexedPaths(_ d: DaemonFixture) throws -> Set<String> {
        let result = try Client(socketPath: d.socket).send(.search(SearchParams(query: "ext:txt", limit: 1000, snippets: false)), expecting: SearchResult.self)
        return Set(result.hits.map(\.path))
    }

    func filesOnDisk(_ d: DaemonFixture) -> Set<String> {
        Set(FileManager.default.enumerator(atPath: d.root.path)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".txt") }.map { d.path($0) })
    }

    @Test func sigkillDuringABulkImportLosesNothing() throws {
        let d = try DaemonFixture()
        try d.start()
        var written = 0
        var generator = SystemRandomNumberGenerator()
        for cycle in 0..<4 {
            // A burst of files, a kill -9 somewhere in the middle of indexing it, a restart.
            for i in 0..<150 {
                let n = written + i
                try d.write("批量/\(cycle)/\(n % 7)/文件\(n).txt", "文件\(n)\n\n批量导入的第\(n)个文件，编号\(n)。" + String(repeating: "正文内容。", count: 20))
            }
            written += 150
            usleep(UInt32.random(in: 20_000...300_000, using: &generator))
            d.kill()
            // Some files change while the daemon is down, too.
            try d.write("批量/\(cycle)/停机时.txt", "停机时\n\n停机期间写入的文件\(cycle)。")
            try? FileManager.default.removeItem(atPath: d.path("批量/\(cycle)/0/文件\(cycle * 150 + 7).txt"))
            try d.start()
        }
        let files = filesOnDisk(d)
        try d.waitUntilIndexed(documents: files.count, timeout: 120)
        #expect(try indexedPaths(d) == files, "index and disk differ after SIGKILLs")
        #expect(try d.status()["errors"] as? Int == 0)
        #expect(d.stop() == 0)
    }

    @Test func sigkillDuringARebuildKeepsTheOldIndex() throws {
        let d = try DaemonFixture()
        for i in 0..<300 { try d.write("目录\(i % 10)/文件\(i).txt", "文件\(i)\n\n重建测试的第\(i)个文件。" + String(repeating: "内容。", count: 50)) }
        try d.start()
        try d.waitUntilIndexed(documents: 300, timeout: 60)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3 {
            #expect(try d.cli(["rebuild"]).status == 0)
            usleep(UInt32.random(in: 10_000...400_000, using: &generator))
            d.kill()
            try d.start()
            try d.waitUntilIndexed(documents: 300, timeout: 60)
        }
        #expect(try indexedPaths(d) == filesOnDisk(d))
        let current = (try? String(contentsOfFile: d.indexDirectory.path + "/CURRENT", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "jiansuo.sqlite"
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: d.indexDirectory.path)
            .filter { $0.hasPrefix("jiansuo-") && !$0.hasPrefix(current) }
        #expect(leftovers.isEmpty, "an unfinished rebuild left \(leftovers)")
        #expect(d.stop() == 0)
    }

    @Test func aDamagedDatabaseIsMovedAsideAndRebuilt() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        #expect(d.stop() == 0)
        // Overwrite the database after its first page (whatever the page size) with garbage.
        let db = d.indexDirectory.path + "/jiansuo.sqlite"
        let fd = open(db, O_WRONLY)
        let garbage = [UInt8](repeating: 0xA5, count: 65536)
        _ = garbage.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 65536) }
        close(fd)
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        #expect(try d.searchPaths("知识产权").count == 4)
        #expect(d.daemonLog.contains("the index is damaged; moved it aside"))
        let aside = try FileManager.default.contentsOfDirectory(atPath: d.indexDirectory.path).filter { $0.contains(".damaged-") }
        #expect(!aside.isEmpty)
        #expect(d.stop() == 0)
    }

    @Test func aStaleSocketIsReplacedAndASecondDaemonIsRefused() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        // Same index, other socket: refused by the index lock.
        let second = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuod"),
            ["--root", d.root.path, "--index", d.indexDirectory.path, "--socket", d.base.appendingPathComponent("other.sock").path])
        #expect(second.status != 0)
        #expect(second.stderr.contains("another jiansuod is using the index"))
        // Same socket, other index: refused, and the first keeps serving.
        let third = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuod"),
            ["--root", d.root.path, "--index", d.base.appendingPathComponent("idx2").path, "--socket", d.socket])
        #expect(third.status != 0)
        #expect(third.stderr.contains("already listening"))
        #expect(try d.searchPaths("知识产权").count == 4)
        // A killed daemon leaves its socket file behind; the next start replaces it.
        d.kill()
        #expect(FileManager.default.fileExists(atPath: d.socket))
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        #expect(d.stop() == 0)
    }
}
