import Foundation
import Glibc
import JiansuoClient
import JiansuoProtocol
import Testing

/// The real `jiansuod` binary on a copy of `samples/`, driven by the real `jiansuo` binary.
@Suite(.serialized) struct EndToEndTests {
    static let samples = repoRoot.appendingPathComponent("samples")
    static let sampleCount = 6

    @Test func indexesTheSamplesAndSearchesWithHighlights() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: Self.sampleCount)

        let result = try d.cli(["search", "知识产权", "--json"])
        #expect(result.status == 0)
        let json = try result.json()
        let hits = try #require(json["hits"] as? [[String: Any]])
        #expect(json["total"] as? Int == 4)
        #expect(hits.count == 4)
        for hit in hits {
            #expect((hit["path"] as? String)?.hasPrefix(d.root.path + "/") == true)
            let snippet = Array((hit["snippet"] as? String ?? "").utf8)
            let ranges = hit["highlights"] as? [[Int]] ?? []
            #expect(!ranges.isEmpty)
            for r in ranges { #expect(String(decoding: snippet[r[0]..<r[1]], as: UTF8.self) == "知识产权") }
            #expect(hit["score"] is Double)
        }
        // The GB18030 file, whose title is the query's subject, ranks first.
        #expect(hits.first?["title"] as? String == "知识产权质押融资简介")

        // Human output: rank, title, path, snippet with [highlight]; exit 0.
        let human = try d.cli(["search", "知识产权"])
        #expect(human.stdout.contains("1. 知识产权质押融资简介"))
        #expect(human.stdout.contains("[知识产权]"))
        #expect(human.stdout.contains(d.root.path))

        // No hits: exit 1. Exact title: first.
        #expect(try d.cli(["search", "不存在的词语组合xyz"]).status == 1)
        #expect(try d.searchPaths("城市图书馆开放时间与借阅规则").first == d.path("网页/城市图书馆开放时间.html"))
        #expect(try d.searchPaths("臺灣高山茶筆記").first == d.path("Notes/繁體筆記 茶葉.md"))

        let status = try d.cli(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("documents: \(Self.sampleCount)"))

        // show: stored fields and extracted text.
        let show = try d.cli(["show", d.path("归档/知识产权质押融资简介.txt"), "--json"]).json()
        #expect(show["encoding"] as? String == "GB18030")
        #expect(show["title"] as? String == "知识产权质押融资简介")
        #expect((show["body"] as? String)?.contains("纸上的权利") == true)
        let news = try d.cli(["show", d.path("新闻/2023/2023-04-26 知识产权宣传周在本市启动.txt")])
        #expect(news.stdout.contains("author:     城市晨报"))
        #expect(news.stdout.contains("categories: 科技, 本地新闻"))
        #expect(try d.cli(["show", d.path("nope.txt")]).status == 1)

        // segment: how a text is normalized and tokenized.
        let seg = try d.cli(["segment", "北京市知識產權", "--json"]).json()
        #expect(seg["normalized"] as? String == "北京市知识产权")
        let tokens = try #require(seg["tokens"] as? [[String: Any]])
        #expect(tokens.map { $0["text"] as? String } == ["北", "北京市", "京", "市", "知", "知识", "识", "产", "产权", "权"])
        #expect(tokens.map { $0["kind"] as? String }.filter { $0 == "hanWord" }.count == 3)
        #expect(try d.cli(["segment", "--query", "北京市"]).stdout.contains("hanWord") == false)

        #expect(d.stop() == 0)
        // A clean stop checkpoints the WAL and removes the socket; the index is the user's alone.
        let wal = try? FileManager.default.attributesOfItem(atPath: d.indexDirectory.path + "/jiansuo.sqlite-wal")[.size] as? Int
        #expect(wal == nil || wal == 0)
        #expect(!FileManager.default.fileExists(atPath: d.socket))
        let mode = try FileManager.default.attributesOfItem(atPath: d.indexDirectory.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }

    @Test func followsCreateEditRenameAndDelete() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: Self.sampleCount)
        var seconds: [String: Double] = [:]

        try d.write("新文件.txt", "新文件\n\n今天讨论了量子计算的进展。")
        seconds["create"] = try d.waitFor("a new file to be found") { try d.searchPaths("量子计算") == [d.path("新文件.txt")] }

        try d.write("新文件.txt", "新文件\n\n今天讨论了区块链的应用。")
        seconds["edit"] = try d.waitFor("an edit to show") {
            try d.searchPaths("区块链") == [d.path("新文件.txt")] && d.searchPaths("量子计算").isEmpty
        }

        try FileManager.default.moveItem(atPath: d.path("新文件.txt"), toPath: d.path("改名 后.txt"))
        seconds["rename"] = try d.waitFor("a rename to show") { try d.searchPaths("区块链") == [d.path("改名 后.txt")] }

        try FileManager.default.removeItem(atPath: d.path("改名 后.txt"))
        seconds["delete"] = try d.waitFor("a delete to show") { try d.searchPaths("区块链").isEmpty }

        // A directory created later is watched; renaming and deleting it moves its documents.
        try FileManager.default.createDirectory(atPath: d.path("新目录/子目录"), withIntermediateDirectories: true)
        try d.write("新目录/子目录/笔记.md", "# 笔记\n\n天文望远镜的口径越大越好。")
        seconds["new directory"] = try d.waitFor("a file in a new directory") { try d.searchPaths("天文望远镜") == [d.path("新目录/子目录/笔记.md")] }
        try d.write("新目录/子目录/第二篇.md", "# 第二篇\n\n天文望远镜需要赤道仪。")
        seconds["second file in new directory"] = try d.waitFor("a later file in the new directory") { try d.searchPaths("赤道仪") == [d.path("新目录/子目录/第二篇.md")] }
        try FileManager.default.moveItem(atPath: d.path("新目录"), toPath: d.path("改名目录"))
        seconds["directory rename"] = try d.waitFor("a directory rename") {
            Set(try d.searchPaths("天文望远镜")) == [d.path("改名目录/子目录/笔记.md"), d.path("改名目录/子目录/第二篇.md")]
        }
        try d.write("改名目录/子目录/第三篇.md", "# 第三篇\n\n天文台在山顶。")
        seconds["file in renamed directory"] = try d.waitFor("a file in the renamed directory") { try d.searchPaths("天文台") == [d.path("改名目录/子目录/第三篇.md")] }
        try FileManager.default.removeItem(atPath: d.path("改名目录"))
        seconds["directory delete"] = try d.waitFor("a directory delete") { try d.searchPaths("天文").isEmpty }

        try d.waitUntilIndexed(documents: Self.sampleCount)
        print("freshness (s, including CLI polling):", seconds.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.3f", $0.value))" }.joined(separator: " "))
        #expect(d.stop() == 0)
    }

    @Test func changesWhileStoppedArePickedUpAtStart() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: Self.sampleCount)
        #expect(d.stop() == 0)

        try FileManager.default.removeItem(atPath: d.path("网页/城市图书馆开放时间.html"))
        try d.write("文档/全文检索工具安装说明.txt", "全文检索工具安装说明\n\n已经改写为关于向日葵的内容。")
        try d.write("离线新增.txt", "离线新增\n\n停机期间新增的蒲公英文档。")
        try d.start()
        try d.waitUntilIndexed(documents: Self.sampleCount)
        #expect(try d.searchPaths("借阅规则").isEmpty)
        #expect(try d.searchPaths("向日葵") == [d.path("文档/全文检索工具安装说明.txt")])
        #expect(try d.searchPaths("蒲公英") == [d.path("离线新增.txt")])
        #expect(try d.searchPaths("安装依赖").isEmpty)
    }

    @Test func hostileClientsDoNotStopTheDaemon() throws {
        let d = try DaemonFixture(copying: Self.samples)
        try d.start()
        try d.waitUntilIndexed(documents: Self.sampleCount)
        let client = Client(socketPath: d.socket)

        func response(_ bytes: [UInt8]) throws -> [String: Any] {
            let line = try client.exchange(bytes)
            return try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        }
        func errorCode(_ r: [String: Any]) -> String? { (r["error"] as? [String: Any])?["code"] as? String }

        #expect(errorCode(try response(Array("this is not json\n".utf8))) == "bad_request")
        #expect(errorCode(try response(Array("{\"method\":\"format_disk\"}\n".utf8))) == "unknown_method")
        #expect(errorCode(try response([0xFF, 0xFE, 0x00, 0x81, 0x0A])) == "bad_request")
        #expect(errorCode(try response(Array(#"{"method":"search","params":{"query":"x","limit":-1}}"#.utf8) + [0x0A])) == "invalid_params")
        // An over-long line is answered with an error, not buffered without bound.
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: WireProtocol.maxRequestBytes + 4096) + [0x0A]
        #expect(errorCode(try response(long)) == "request_too_large")
        // Hostile queries get results, or a usage error that says why there is nothing to
        // search for (exit 2, like an empty query), never an FTS5 error.
        for query in ["\"", "*", "AND", "OR", "NEAR(知识 产权)", "title:", "中文:", "-", "{title}:x", "知识产权\" OR \"x", String(repeating: "(", count: 500), "-上海", " "] {
            let r = try d.cli(["search", query, "--json"])
            #expect(r.status == 0 || r.status == 1 || (r.status == 2 && r.stderr.contains("nothing to search for")), "query \(query): \(r.status) \(r.stderr)")
            #expect(!r.stderr.contains("fts5") && !r.stderr.contains("syntax error"), "query \(query): \(r.stderr)")
        }
        for empty in ["*", "AND", "", "-上海"] {
            let r = try d.cli(["search", empty])
            #expect(r.status == 2 && r.stderr.contains("nothing to search for"), "query \(empty): \(r.status) \(r.stderr)")
        }
        // -word excludes a word without quoting; a misspelt option is named.
        let excluded = try d.cli(["search", "知识产权", "-质押", "-l"])
        #expect(excluded.status == 0 && !excluded.stdout.isEmpty, "\(excluded.stderr)")
        #expect(try d.cli(["search", "知识产权", "-l"]).stdout.split(separator: "\n").count > excluded.stdout.split(separator: "\n").count)
        let misspelt = try d.cli(["search", "--limt", "5", "知识产权"])
        #expect(misspelt.status == 2 && misspelt.stderr.contains("unknown option '--limt'"), "\(misspelt.stderr)")
        // Syntax typed with a Chinese input method: the same hits as its ASCII form, and a note.
        let ascii = try d.searchPaths(#""知识产权 质押""#)
        #expect(!ascii.isEmpty)
        for query in ["“知识产权 质押”", "「知识产权 质押」", "＂知识产权 质押＂"] {
            #expect(try d.searchPaths(query) == ascii, "\(query)")
        }
        #expect(try d.searchPaths("知识产权 －质押") == d.searchPaths("知识产权 -质押"))
        let noted = try d.cli(["search", "「知识产权 质押」"])
        #expect(noted.stderr.contains("note: read '「' as '\"' (a phrase quote)"), "\(noted.stderr)")
        // Sorted by date, each hit shows its date.
        let byDate = try d.cli(["search", "知识产权", "--sort", "date"])
        let titles = byDate.stdout.split(separator: "\n").filter { $0.first?.isNumber == true && $0.contains(". ") }
        #expect(titles.count == 4 && titles.allSatisfy { $0.range(of: #"  \d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil }, "\(byDate.stdout)")

        // Clients that vanish mid-request or connect and say nothing.
        for partial in ["{\"method\":\"sea", ""] {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in d.socket.utf8.enumerated() { raw[i] = b } }
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            #expect(rc == 0)
            _ = partial.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(fd)
        }

        // Several requests on one connection are answered in order.
        let pair = try client.exchange(Array("{\"id\":1,\"method\":\"ping\"}\n{\"id\":2,\"method\":\"ping\"}\n".utf8))
        #expect(String(decoding: pair, as: UTF8.self).contains("\"id\":1"))

        // Still up and still right.
        #expect(try d.searchPaths("知识产权").count == 4)
        #expect(d.process?.isRunning == true)
        #expect(d.stop() == 0)
    }

    @Test func wordsTypedWithoutSpacesFallBackToTheirAND() throws {
        let d = try DaemonFixture()
        try d.write("周报.txt", "周报\n\n如何写周报？请告诉我。")
        try d.write("天气.txt", "天气\n\n怎么样才能查到北京明天的天气？")
        try d.write("精确.txt", "精确\n\n告诉我如何写周报的那本书。")
        try d.start()
        try d.waitUntilIndexed(documents: 3)
        // Exact matches exist: only they are shown, with no note.
        let exact = try d.cli(["search", "告诉我如何写周报"])
        #expect(exact.stdout.contains("精确") && !exact.stdout.contains("周报.txt") && !exact.stderr.contains("no exact match"), "\(exact.stdout)\(exact.stderr)")
        try FileManager.default.removeItem(atPath: d.path("精确.txt"))
        try d.waitUntilIndexed(documents: 2)
        // None as typed: the AND of its words, and a note that says so.
        for (query, file) in [("告诉我如何写周报", "周报.txt"), ("北京天气怎么样", "天气.txt")] {
            let loose = try d.cli(["search", query, "--json"])
            let json = try loose.json()
            let paths = (json["hits"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(paths == [d.path(file)], "\(query): \(paths)")
            #expect((json["hints"] as? [String] ?? []).contains { $0.hasPrefix("no exact match; showing documents with all of these words:") }, "\(json)")
        }
        // A quoted phrase is taken as typed.
        #expect(try d.cli(["search", "\"告诉我如何写周报\""]).status == 1)
        #expect(d.stop() == 0)
    }

    /// Issue 13 through the real binaries: parts of letter and digit runs, a line break between
    /// Han characters, a short GBK file, a long first line.
    @Test func lettersDigitsLineBreaksCharsetsAndTitles() throws {
        let d = try DaemonFixture()
        try d.write("机型.txt", "机型\n\n购买了iPhone15Pro手机，型号ABC123规格说明，20200101新闻联播回顾。")
        try d.write("增长.html", "<html><head><title>比去年\n同期</title></head><body><p>比去年同\n期增长百分之十</p></body></html>")
        let gbk: [UInt8] = [0x4E, 0x6F, 0x74, 0x65, 0x3A, 0x20, 0xC9, 0xE8, 0xD6, 0xC3, 0xC6, 0xF0, 0xCA, 0xBC, 0xB5, 0xD8,
                            0xD6, 0xB7, 0xBA, 0xCD, 0xB3, 0xA4, 0xB6, 0xC8, 0x0A]  // "Note: 设置起始地址和长度" in GBK
        FileManager.default.createFile(atPath: d.path("note.txt"), contents: Data(gbk))
        let longLine = String(repeating: "这是一个很长的第一行没有换行", count: 12)
        try d.write("长行.txt", longLine + "\n正文从这里开始。")
        try d.start()
        try d.waitUntilIndexed(documents: 4)
        for query in ["iphone", "phone15", "abc", "型号ABC", "2020", "202001"] {
            #expect(try d.searchPaths(query) == [d.path("机型.txt")], "\(query)")
        }
        // The stored text, the title, the snippet and its highlight read without a space.
        let hit = try d.cli(["search", "同期增长", "--json"]).json()
        let first = (hit["hits"] as? [[String: Any]])?.first
        #expect(first?["title"] as? String == "比去年同期")
        #expect((first?["snippet"] as? String)?.contains("比去年同期增长") == true)
        // The GBK file is read as GB18030 and the guess is shown and counted.
        #expect(try d.searchPaths("地址") == [d.path("note.txt")])
        let show = try d.cli(["show", d.path("note.txt")])
        #expect(show.stdout.contains("title:      Note: 设置起始地址和长度") && show.stdout.contains("GB18030 (uncertain:"), "\(show.stdout)")
        #expect(try d.status()["uncertainEncodings"] as? Int == 1)
        #expect(try d.cli(["status"]).stdout.contains("uncertain encodings: 1 documents"))
        // A first line over 120 characters is the title, cut with …; the snippet shows the match
        // after it, from the start of its line.
        let long = try d.cli(["search", "正文从这里", "--json"]).json()
        let longHit = (long["hits"] as? [[String: Any]])?.first
        #expect(longHit?["title"] as? String == String(longLine.prefix(120)) + "…")
        let snippet = longHit?["snippet"] as? String ?? ""
        #expect(snippet.contains("正文从这里开始") && !snippet.contains("很长的第一行"), "\(snippet)")
        #expect(d.stop() == 0)
    }

    /// Where a search's time went: the daemon's parts on request, and the CLI's summary.
    @Test func searchTimingsSayWhereTheTimeWent() throws {
        let d = try DaemonFixture()
        try d.write("a.txt", "标题\n\n知识产权质押融资。")
        try d.start()
        try d.waitUntilIndexed(documents: 1)
        let json = try d.cli(["search", "知识产权", "--json", "--timings"])
        let timings = try #require(try json.json()["timings"] as? [String: Double], "\(json.stdout)")
        #expect(Set(timings.keys) == ["wait", "plan", "match", "page", "total"])
        #expect(timings.values.allSatisfy { $0 >= 0 } && timings["total"]! >= timings["match"]!)
        #expect(json.stderr.contains("timings (ms): wait ") && json.stderr.contains("socket and JSON"))
        // Not asked: not sent.
        #expect(try d.cli(["search", "知识产权", "--json"]).json()["timings"] == nil)
        #expect(d.stop() == 0)
    }

    @Test func cliSaysHowToStartTheDaemonWhenItIsNotRunning() throws {
        let d = try DaemonFixture()
        let result = try d.cli(["search", "知识产权"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("jiansuod is not running"))
        #expect(result.stderr.contains("jiansuod --root"))
        let env = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuo"), ["status"],
                                        environment: ["JIANSUO_SOCKET": d.socket, "PATH": "/usr/bin:/bin"])
        #expect(env.status == 3)
        #expect(env.stderr.contains(d.socket))
    }

    @Test func daemonRefusesBadStartArguments() throws {
        let daemon = productsDirectory.appendingPathComponent("jiansuod")
        let noRoot = try DaemonFixture.run(daemon, ["--index", "/tmp/jse-none", "--socket", "/tmp/jse-none.sock"])
        #expect(noRoot.status != 0)
        #expect(noRoot.stderr.contains("--root"))
        let missing = try DaemonFixture.run(daemon, ["--root", "/nonexistent/folder", "--socket", "/tmp/jse-none.sock"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("does not exist"))
    }
}
