import Foundation
import Glibc
import Testing

/// Readiness notification (sd_notify) and socket activation, tested with a NOTIFY_SOCKET
/// listener of our own and with systemd-socket-activate(1); neither needs systemd as PID 1.
@Suite(.serialized) struct SystemdTests {
    /// A datagram socket collecting sd_notify messages.
    final class NotifyListener {
        let path: String
        let fd: Int32

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            try #require(rc == 0)
            var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd) }

        /// Messages received so far (waits up to 100 ms for each).
        func drain() -> [String] {
            var messages: [String] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return messages }
                messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        }
    }

    @Test func notifiesReadinessStatusWatchdogAndStopping() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let listener = try NotifyListener(path: d.base.appendingPathComponent("notify.sock").path)
        try d.start(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000"])
        try d.waitUntilIndexed(documents: 6)
        var messages: [String] = []
        try d.waitFor("READY, an idle STATUS and WATCHDOG") {
            messages += listener.drain()
            let all = messages.joined(separator: "\n")
            return all.contains("READY=1") && all.contains("STATUS=idle, 6 documents") && all.contains("WATCHDOG=1")
        }
        #expect(d.stop() == 0)
        messages += listener.drain()
        #expect(messages.joined(separator: "\n").contains("STOPPING=1"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-socket-activate")))
    func usesTheSocketSystemdPasses() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        // systemd-socket-activate binds the socket and starts the daemon on the first connection.
        // It closes inherited descriptors, which confuses Foundation's Process, so it is started
        // detached through sh and followed by pid.
        let daemon = productsDirectory.appendingPathComponent("jiansuod").path
        let command = "/usr/bin/systemd-socket-activate -l '\(d.socket)' -- '\(daemon)' --root '\(d.root.path)' "
            + "--index '\(d.indexDirectory.path)' --socket '\(d.socket)' >'\(d.log.path)' 2>&1 </dev/null & echo $!"
        let spawned = try DaemonFixture.run(URL(fileURLWithPath: "/bin/sh"), ["-c", command])
        let pid = try #require(Int32(spawned.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { Glibc.kill(pid, SIGKILL) }
        try d.waitFor("the socket") { FileManager.default.fileExists(atPath: d.socket) }
        try d.waitUntilIndexed(documents: 6)
        #expect(try d.searchPaths("知识产权").count == 4)
        #expect(d.daemonLog.contains("socket.activated=true"))
        Glibc.kill(pid, SIGTERM)
        try d.waitFor("the daemon to exit") { Glibc.kill(pid, 0) != 0 }
        // The socket belongs to whoever passed it: the daemon leaves it in place.
        #expect(FileManager.default.fileExists(atPath: d.socket))
    }
}

@Suite(.serialized) struct ServiceConventionsTests {
    @Test func journaldLinesCarrySyslogPrioritiesAndNoTimestamps() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start(environment: ["JOURNAL_STREAM": "8:12345"])
        try d.waitUntilIndexed(documents: 6)
        #expect(d.stop() == 0)
        let lines = d.daemonLog.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<6>starting") })
        #expect(lines.contains { $0.hasPrefix("<7>") })  // debug
        #expect(!lines.contains { $0.contains("+0000") || $0.contains("T2") && $0.contains("Z ") })
    }

    @Test func environmentSitsBetweenTheConfigFileAndTheFlags() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "extensions: [txt]\nlog_level: info\n".write(to: config, atomically: true, encoding: .utf8)
        // The environment overrides the file (md files too); the flag overrides the environment.
        try d.start(extraArguments: ["--config", config.path],
                    environment: ["JIANSUOD_EXTENSIONS": "txt,md", "JIANSUOD_LOG_LEVEL": "error"])
        try d.waitUntilIndexed(documents: 5)
        #expect(d.stop() == 0)
        #expect(d.daemonLog.contains("debug jiansuod"))  // --log-level debug from the fixture wins over JIANSUOD_LOG_LEVEL
        let bad = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuod"),
                                        ["--root", d.root.path, "--socket", d.socket, "--index", d.indexDirectory.path],
                                        environment: ["JIANSUOD_BATCH_SIZE": "many", "PATH": "/usr/bin:/bin"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("JIANSUOD_BATCH_SIZE"))
    }

    @Test func helpShowsExamplesInChineseAndEnglish() throws {
        let help = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuo"), ["search", "--help"])
        #expect(help.stdout.contains("Examples / 示例"))
        #expect(help.stdout.contains("繁简互通"))
    }
}

@Suite(.serialized) struct ReloadTests {
    @Test func sighupReloadsRootsRulesAndLogLevel() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let second = d.base.appendingPathComponent("second")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        try Data("第二个根\n\n新加入的根目录里的文件。".utf8).write(to: second.appendingPathComponent("新根.txt"))
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "roots: ['\(d.root.path)']\nlog_level: debug\n".write(to: config, atomically: true, encoding: .utf8)
        let daemon = productsDirectory.appendingPathComponent("jiansuod").path
        // Started with the config alone (no --root flag), so that the reloaded roots apply.
        try d.start(launcher: ["/bin/sh", "-c", "exec \"$0\" --config '\(config.path)' --index '\(d.indexDirectory.path)' --socket '\(d.socket)'", daemon])
        try d.waitUntilIndexed(documents: 6)

        try "roots: ['\(d.root.path)', '\(second.path)']\nexclude: ['*.html']\nlog_level: warning\n".write(to: config, atomically: true, encoding: .utf8)
        Glibc.kill(d.process!.processIdentifier, SIGHUP)
        try d.waitFor("the reload to apply") {
            try d.searchPaths("新加入的根目录") == [second.appendingPathComponent("新根.txt").path]
                && d.searchPaths("借阅规则").isEmpty
        }
        try d.waitUntilIndexed(documents: 6)  // +1 new root file, -1 excluded html
        #expect(d.daemonLog.contains("configuration reloaded"))
        let before = d.daemonLog.count
        try d.write("之后.txt", "之后\n\n重新加载以后的文件。")
        try d.waitFor("a later change") { try d.searchPaths("重新加载以后") == [d.path("之后.txt")] }
        #expect(!d.daemonLog.dropFirst(before).contains("debug"), "log level is warning now")

        // A broken config on reload keeps the running one.
        try "roots: [\n".write(to: config, atomically: true, encoding: .utf8)
        Glibc.kill(d.process!.processIdentifier, SIGHUP)
        try d.waitFor("the refusal to be logged") { d.daemonLog.contains("configuration not reloaded") }
        #expect(try d.searchPaths("知识产权").count == 3)  // the .html sample stays excluded
        #expect(d.stop() == 0)
    }
}

@Suite(.serialized) struct ConventionsTests {
    func rawConnect(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        return fd
    }

    /// What one read of `fd` gives within 5 s: bytes, the end of the stream (the daemon closed
    /// it), or nothing (a timeout). The three are told apart, so a test cannot mistake a
    /// connection left open for one that was closed.
    enum Read: Equatable {
        case data(String)
        case closed
        case timedOut
    }

    func read(_ fd: Int32, seconds: Int = 5) -> Read {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 { return .data(String(decoding: buffer[0..<n], as: UTF8.self)) }
        return n == 0 || errno == ECONNRESET ? .closed : .timedOut
    }

    func readLine(_ fd: Int32) -> String {
        if case .data(let text) = read(fd) { return text }
        return ""
    }

    @Test func configErrorsNameTheKeyAndTheLine() throws {
        let d = try DaemonFixture()
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "roots: [\(d.root.path)]\nlog_level: info\nbatch_size: many\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuod"), ["--config", config.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("key 'batch_size'") && result.stderr.contains("line 3"), "\(result.stderr)")
    }

    @Test func idleConnectionsAreClosedAndClientsAreLimited() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "idle_timeout_s: 1\n".write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])
        try d.waitUntilIndexed(documents: 6)
        // An idle client is disconnected after the timeout.
        let idle = rawConnect(d.socket)
        usleep(2_500_000)
        #expect(read(idle, seconds: 1) == .closed)
        close(idle)
        #expect(d.stop() == 0)
    }

    @Test func aNewClientTakesThePlaceOfTheConnectionIdleTheLongest() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        // 64 clients at once are served. A 65th takes the place of the one idle the longest,
        // so that clients that connect and say nothing cannot lock everybody out.
        let held = (0..<64).map { _ in rawConnect(d.socket) }
        for fd in held {
            _ = "{\"method\":\"ping\"}\n".withCString { send(fd, $0, strlen($0), 0) }
            #expect(readLine(fd).contains("pong"))
        }
        let extra = rawConnect(d.socket)
        _ = "{\"method\":\"ping\"}\n".withCString { send(extra, $0, strlen($0), 0) }
        #expect(readLine(extra).contains("pong"))
        #expect(read(held[0]) == .closed, "the connection idle the longest was closed")
        #expect(read(held[63], seconds: 1) == .timedOut, "the others stay open")
        close(extra)
        for fd in held { close(fd) }
        usleep(200_000)
        #expect(try d.searchPaths("知识产权").count == 4)
        #expect(d.stop() == 0)
    }

    @Test func indexFilesAre0600WhateverTheUmask() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start(launcher: ["/bin/sh", "-c", "umask 000; exec \"$@\"", "sh"])
        try d.waitUntilIndexed(documents: 6)
        for name in try FileManager.default.contentsOfDirectory(atPath: d.indexDirectory.path) {
            let mode = try FileManager.default.attributesOfItem(atPath: d.indexDirectory.path + "/" + name)[.posixPermissions] as? Int
            #expect(mode.map { $0 & 0o077 } == 0, "\(name) is \(String(mode ?? 0, radix: 8))")
        }
        let socketMode = try FileManager.default.attributesOfItem(atPath: d.socket)[.posixPermissions] as? Int
        #expect(socketMode.map { $0 & 0o077 } == 0)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func colorsOnlyOnATerminalAndNeverWithNoColor() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try d.start()
        try d.waitUntilIndexed(documents: 6)
        let jiansuo = productsDirectory.appendingPathComponent("jiansuo").path
        // env -u: the test runner's own environment may carry NO_COLOR.
        let tty = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", "env -u NO_COLOR \(jiansuo) --socket \(d.socket) search 知识产权", "/dev/null"])
        #expect(tty.stdout.contains("\u{1B}[1;31m知识产权\u{1B}[0m"))
        let noColor = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", "NO_COLOR=1 \(jiansuo) --socket \(d.socket) search 知识产权", "/dev/null"])
        #expect(!noColor.stdout.contains("\u{1B}["))
        #expect(noColor.stdout.contains("[知识产权]"))
        let piped = try d.cli(["search", "知识产权"])
        #expect(!piped.stdout.contains("\u{1B}["))
        // --sort path
        let sorted = try d.cli(["search", "知识产权", "--sort", "path", "-l"]).stdout.split(separator: "\n").map(String.init)
        #expect(sorted == sorted.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(d.stop() == 0)
    }
}

@Suite(.serialized) struct HugeDocumentTests {
    /// FTS5's snippet() costs time quadratic in the matches of one document: a one-line file
    /// full of the query took minutes. Our highlighter is one linear pass, and the snippet window
    /// stays short even when every character is part of a match.
    @Test func aHugeOneLineDocumentIsSearchedQuickly() throws {
        let d = try DaemonFixture()
        try d.write("单行.txt", "单行\n\n开头" + String(repeating: "汉字无空格", count: 60_000))
        try d.write("普通.txt", "普通\n\n普通的文件。")
        try d.start()
        try d.waitUntilIndexed(documents: 2, timeout: 60)
        let start = Date()
        let json = try d.cli(["search", "汉字无空格", "--json"]).json()
        #expect(Date().timeIntervalSince(start) < 10)
        let hit = try #require((json["hits"] as? [[String: Any]])?.first)
        let snippet = Array((hit["snippet"] as? String ?? "").utf8)
        #expect(snippet.count < 1000)
        let ranges = hit["highlights"] as? [[Int]] ?? []
        #expect(!ranges.isEmpty)
        for r in ranges { #expect(String(decoding: snippet[r[0]..<r[1]], as: UTF8.self).contains("汉字无空格")) }
        #expect(try d.searchPaths("普通的文件") == [d.path("普通.txt")])
        #expect(d.stop() == 0)
    }
}
