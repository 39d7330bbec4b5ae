import Foundation
import Glibc
import Testing

/// The index converges to exactly the files on disk: renames, moves, missing roots, unwatched
/// directories, bursts, ignore rules, rebuilds, and SIGKILL at any moment.
@Suite(.serialized) struct ConvergenceTests {
    static let samples = repoRoot.appendingPathComponent("samples")

    func indexedAt(_ d: DaemonFixture, _ path: String) throws -> Int? {
        try? d.cli(["show", path, "--json"]).json()["indexedAtMilliseconds"] as? Int
    }

    @Test func renamesMoveDocumentsWithoutExtractingAgain() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        let file = d.path("归档/知识产权质押融资简介.txt")
        let before = try #require(try indexedAt(d, file))
        let extractions = try d.status()["extractions"] as? Int

        try FileManager.default.moveItem(atPath: file, toPath: d.path("归档/改名.txt"))
        try d.waitFor("the renamed file") { try d.searchPaths("纸上的权利") == [d.path("归档/改名.txt")] }
        #expect(try indexedAt(d, d.path("归档/改名.txt")) == before)

        try FileManager.default.moveItem(atPath: d.path("归档"), toPath: d.path("旧档案"))
        try d.waitFor("the renamed directory") { try d.searchPaths("纸上的权利") == [d.path("旧档案/改名.txt")] }
        #expect(try indexedAt(d, d.path("旧档案/改名.txt")) == before)
        try d.waitUntilIndexed(documents: 6)
        #expect(try d.status()["extractions"] as? Int == extractions, "a rename extracted the file again")

        // Moved out of the tree: gone; moved back in: indexed again.
        let outside = d.base.appendingPathComponent("outside").path
        try FileManager.default.moveItem(atPath: d.path("旧档案"), toPath: outside)
        try d.waitFor("the moved-out directory to disappear") { try d.searchPaths("纸上的权利").isEmpty }
        try FileManager.default.moveItem(atPath: outside, toPath: d.path("回来了"))
        try d.waitFor("the moved-in directory") { try d.searchPaths("纸上的权利") == [d.path("回来了/改名.txt")] }
        try d.waitUntilIndexed(documents: 6)
        #expect(d.stop() == 0)
    }

    @Test func aDeletedRootIsWatchedAgainWhenItComesBack() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        try FileManager.default.removeItem(at: d.root)
        try d.waitFor("the documents of the deleted root to go") {
            let s = try d.status()
            return s["documents"] as? Int == 0 && s["state"] as? String == "missing-root"
        }
        try FileManager.default.createDirectory(at: d.root, withIntermediateDirectories: true)
        try d.write("回来.txt", "回来的根目录\n\n根目录重新出现以后继续索引。")
        try d.waitFor("the recreated root to be indexed", timeout: 20) { try d.searchPaths("继续索引") == [d.path("回来.txt")] }
        try d.write("之后.txt", "之后\n\n重新出现以后的修改也能看到。")
        try d.waitFor("later changes in the recreated root") { try d.searchPaths("以后的修改") == [d.path("之后.txt")] }
        #expect(try d.status()["state"] as? String == "idle")
        #expect(d.stop() == 0)
    }

    @Test func directoriesOverTheWatchLimitArePolled() throws {
        let d = try DaemonFixture()
        for dir in ["a", "b", "c", "d"] { try d.write("\(dir)/x.txt", "文件\(dir)\n\n目录\(dir)里的文件。") }
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "max_watches: 2\n".write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])
        try d.waitFor("the first crawl") { try d.status()["documents"] as? Int == 4 }
        let s = try d.status()
        #expect(s["unwatchedDirectories"] as? Int == 3)
        #expect(s["watchedDirectories"] as? Int == 2)
        #expect(s["state"] as? String == "polling")
        // A change in an unwatched directory is found by polling.
        let unwatched = ["a", "b", "c", "d"].filter { _ in true }
        for dir in unwatched { try d.write("\(dir)/新.txt", "新文件\n\n轮询找到的新文件\(dir)。") }
        try d.waitFor("polled changes", timeout: 20) { try d.searchPaths("轮询找到").count == 4 }
        try FileManager.default.removeItem(atPath: d.path("c/x.txt"))
        try d.waitFor("a polled delete", timeout: 20) { try d.status()["documents"] as? Int == 7 }
        #expect(d.stop() == 0)
    }

    @Test func aFileThatKeepsChangingIsCoalesced() throws {
        let d = try DaemonFixture()
        try d.write("日志.txt", "日志\n\n第0行")
        try d.start()
        try d.waitUntilIndexed(documents: 1)
        let before = try #require(try d.status()["extractions"] as? Int)
        var text = "日志\n\n第0行"
        let start = Date()
        for i in 1...40 {
            text += "\n第\(i)行记录"
            try d.write("日志.txt", text)
            usleep(25_000)
        }
        let seconds = Date().timeIntervalSince(start)
        try d.waitFor("the last version") { try d.searchPaths("第40行记录") == [d.path("日志.txt")] }
        try d.waitUntilIndexed(documents: 1)
        let extractions = try #require(try d.status()["extractions"] as? Int) - before
        // 40 saves over `seconds`: at most one extraction per 500 ms, plus the first and the last.
        #expect(extractions <= Int(seconds / 0.5) + 3, "\(extractions) extractions for 40 saves in \(seconds) s")
        #expect(d.stop() == 0)
    }

    @Test func ambiguousMetadataIsVerifiedByContent() throws {
        let d = try DaemonFixture()
        try d.write("同样大小.txt", "同样大小\n\n原来的内容甲乙丙")
        try d.start()
        try d.waitUntilIndexed(documents: 1)
        #expect(d.stop() == 0)
        // Same size, same inode, same mtime: only the content tells.
        var st = stat()
        stat(d.path("同样大小.txt"), &st)
        let fd = open(d.path("同样大小.txt"), O_WRONLY)
        let replacement = Array("同样大小\n\n后来的内容丁戊己".utf8)
        _ = replacement.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        var times = [st.st_atim, st.st_mtim]
        futimens(fd, &times)
        close(fd)
        try d.start()
        try d.waitUntilIndexed(documents: 1)
        #expect(try d.searchPaths("丁戊己") == [d.path("同样大小.txt")])
        #expect(try d.searchPaths("甲乙丙").isEmpty)
        #expect(d.stop() == 0)
    }

    @Test func excludeRulesAndSymlinks() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.write("草稿/未完成.txt", "草稿\n\n还没写完的草稿内容。")
        try d.write("archive/2019/旧.txt", "旧文件\n\n归档里的旧内容。")
        try d.write("运行.log.txt", "日志文件\n\n运行日志的内容。")
        try d.write(".隐藏/秘密.txt", "隐藏\n\n隐藏目录的内容。")
        try d.write("编辑器.txt~", "备份\n\n编辑器的备份内容。")
        try FileManager.default.createSymbolicLink(atPath: d.path("链接.txt"), withDestinationPath: d.path("归档/知识产权质押融资简介.txt"))
        try FileManager.default.createSymbolicLink(atPath: d.path("链接目录"), withDestinationPath: d.path("笔记"))
        try d.start()
        try d.waitUntilIndexed(documents: 9)
        #expect(try d.searchPaths("纸上的权利") == [d.path("归档/知识产权质押融资简介.txt")], "symlinks are not followed")
        #expect(try d.searchPaths("隐藏目录").isEmpty)
        #expect(try d.searchPaths("编辑器的备份").isEmpty)
        #expect(d.stop() == 0)

        // Newly excluded paths are purged at the next start.
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "exclude: ['草稿', 'archive/*', '*.log.txt']\n".write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])
        try d.waitUntilIndexed(documents: 6)
        #expect(try d.searchPaths("草稿内容").isEmpty)
        #expect(try d.searchPaths("归档里的旧内容").isEmpty)
        #expect(try d.searchPaths("运行日志").isEmpty)
        try d.write("草稿/另一篇.txt", "草稿\n\n另一篇草稿。")
        try d.write("新文件.txt", "新文件\n\n不在排除规则里。")
        try d.waitFor("a new included file") { try d.searchPaths("不在排除规则") == [d.path("新文件.txt")] }
        #expect(try d.searchPaths("另一篇草稿").isEmpty)
        #expect(d.stop() == 0)
    }

    @Test func rebuildSwapsInAFreshIndexWhileSearchesGoOn() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        let rebuild = try d.cli(["rebuild", "--wait"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stdout.contains("rebuild: done; 6 documents"))
        // Progress, if the rebuild lasts long enough for any, is plain lines when not a terminal.
        #expect(!rebuild.stderr.contains("\r") && !rebuild.stderr.contains("\u{1B}"))
        #expect(try d.searchPaths("知识产权").count == 4)
        let status = try d.status()
        #expect((status["lastRebuild"] as? String)?.hasPrefix("finished") == true)
        let current = try String(contentsOfFile: d.indexDirectory.path + "/CURRENT", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(current.hasPrefix("jiansuo-") && status["index"] as? String == d.indexDirectory.path + "/" + current)
        #expect(try d.cli(["optimize"]).status == 0)
        try d.write("重建后.txt", "重建后\n\n重建以后新增的文件。")
        try d.waitFor("a file after the rebuild") { try d.searchPaths("重建以后新增") == [d.path("重建后.txt")] }
        #expect(d.stop() == 0)
        // Restart on the rebuilt index.
        try d.start()
        try d.waitUntilIndexed(documents: 7)
        #expect(d.stop() == 0)
    }

    @Test func statusStopsSayingRebuildingWhenTheNewIndexIsSwappedIn() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        let before = try d.status()["index"] as? String
        #expect(try d.cli(["rebuild"]).status == 0)
        // Poll until the swap (the index path changes); from then on, at most the poll that
        // raced the swap itself may still say "rebuilding" (it said so for 5 s more).
        var rebuildingAfterSwap = 0
        try d.waitFor("the swap and the end of the rebuild", timeout: 30) {
            let status = try d.status()
            guard status["index"] as? String != before else { return false }
            if status["state"] as? String == "rebuilding" { rebuildingAfterSwap += 1 }
            return status["state"] as? String == "idle"
        }
        #expect(rebuildingAfterSwap <= 1, "status said rebuilding \(rebuildingAfterSwap) times after the swap")
        #expect(d.stop() == 0)
    }
}

@Suite(.serialized) struct WatchingEdgeTests {
    @Test func followedSymlinksAreIndexedAndLoopsDetected() throws {
        let d = try DaemonFixture()
        let outside = d.base.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("外部文件\n\n链接指向的外部文件内容。".utf8).write(to: outside.appendingPathComponent("外部.txt"))
        try Data("单个文件\n\n单个链接文件的内容。".utf8).write(to: d.base.appendingPathComponent("single.txt"))
        try d.write("子目录/本地.txt", "本地\n\n本地文件。")
        try FileManager.default.createSymbolicLink(atPath: d.path("外部目录"), withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: d.path("链接.txt"), withDestinationPath: d.base.appendingPathComponent("single.txt").path)
        try FileManager.default.createSymbolicLink(atPath: d.path("子目录/回环"), withDestinationPath: d.root.path)
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "follow_symlinks: true\n".write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])
        try d.waitUntilIndexed(documents: 3)
        #expect(try d.searchPaths("外部文件内容") == [d.path("外部目录/外部.txt")])
        #expect(try d.searchPaths("单个链接文件") == [d.path("链接.txt")])
        #expect(try d.searchPaths("本地文件") == [d.path("子目录/本地.txt")], "the loop must not index files twice")
        // Changes behind a followed directory link are seen.
        try Data("新外部\n\n外部目录里新增的文件。".utf8).write(to: outside.appendingPathComponent("新增.txt"))
        try d.waitFor("a change behind a directory link") { try d.searchPaths("外部目录里新增") == [d.path("外部目录/新增.txt")] }
        #expect(d.stop() == 0)
    }

    /// Only root can shrink the kernel queue (fs.inotify.max_queued_events), and only where
    /// /proc/sys is writable (not in every container): the test is skipped, visibly, elsewhere.
    static let canShrinkInotifyQueue = getuid() == 0 && access("/proc/sys/fs/inotify/max_queued_events", W_OK) == 0

    @Test(.enabled(if: canShrinkInotifyQueue, "needs root and a writable /proc/sys"))
    func anInotifyOverflowTriggersAFullReconcile() throws {
        // The setting is restored as soon as the daemon has started.
        let sysctl = "/proc/sys/fs/inotify/max_queued_events"
        let saved = try String(contentsOfFile: sysctl, encoding: .utf8)
        let d = try DaemonFixture()
        try "8\n".write(toFile: sysctl, atomically: false, encoding: .utf8)
        defer { try? saved.write(toFile: sysctl, atomically: false, encoding: .utf8) }
        try d.start()
        try d.waitUntilIndexed(documents: 0)  // the watcher exists: its queue holds 8 events
        try saved.write(toFile: sysctl, atomically: false, encoding: .utf8)
        // Stop the daemon while a burst happens, so that its queue overflows for sure.
        Glibc.kill(d.process!.processIdentifier, SIGSTOP)
        // Files straight into the watched root: one event each, far more than the queue holds.
        for i in 0..<400 { try d.write("文件\(i).txt", "文件\(i)\n\n溢出测试。") }
        Glibc.kill(d.process!.processIdentifier, SIGCONT)
        try d.waitUntilIndexed(documents: 400, timeout: 60)
        let status = try d.status()
        #expect((status["overflows"] as? Int ?? 0) >= 1)
        #expect(d.daemonLog.contains("inotify queue overflowed"))
        // Reconcile on demand, and a full check.
        let reconcile = try d.cli(["reconcile", "--wait"])
        #expect(reconcile.status == 0)
        #expect(reconcile.stdout.contains("reconcile: done; 400 documents"))
        let check = try d.cli(["check"])
        #expect(check.status == 0)
        #expect(check.stdout.contains("the index is consistent"))
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1)"))
    func rebuildShowsAProgressBarOnATerminal() throws {
        let d = try DaemonFixture()
        // Enough files that the rebuild lasts several of the CLI's 200 ms polls.
        for i in 0..<1500 { try d.write("目录/文件\(i).txt", "文件\(i)\n\n进度条测试。" + String(repeating: "内容。", count: 300)) }
        try d.start()
        try d.waitUntilIndexed(documents: 1500, timeout: 120)
        // script(1) gives the CLI a pseudo-terminal.
        let jiansuo = productsDirectory.appendingPathComponent("jiansuo").path
        let result = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/script"),
                                           ["-qec", "\(jiansuo) --socket \(d.socket) rebuild --wait", "/dev/null"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("rebuild: done; 1500 documents"))
        #expect(result.stdout.contains("files/s") && result.stdout.contains("█"), "no progress bar: \(result.stdout)")
        #expect(d.stop() == 0)
    }
}
