import Foundation
import JiansuoPath
import Testing

/// The fixture documents through the real daemon: each is indexed with the right fields and
/// found by its queries; broken files are reported in `status`, never indexed; unusual file
/// names are indexed and returned exactly.
@Suite(.serialized) struct FixtureSearchTests {
    struct Case: Decodable {
        var path: String
        var error: String?
        var title: String?
        var encoding: String?
        var search: [String]?
        var search_none: [String]?
    }

    static let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")

    @Test func fixturesAreIndexedSearchableAndReported() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("expected.json")))
        let d = try DaemonFixture(copying: Self.fixtures.appendingPathComponent("documents"))

        // Names users have: Chinese with spaces, a newline, bytes that are not UTF-8.
        try d.write("名字 有 空格.txt", "带空格的文件名\n\n文件名里有空格也能找到。")
        try d.write("换行\n文件名.txt", "换行文件名\n\n文件名里有换行符。")
        let latin1Name: [UInt8] = Array("旧系统".utf8) + [0xC9, 0xE9] + Array(".txt".utf8)   // not UTF-8
        let latin1Path = Array(d.root.path.utf8) + [UInt8(ascii: "/")] + latin1Name
        let fd = RawPath.withCString(RawPath.string(from: latin1Path)) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
        try #require(fd >= 0)
        let text = Array("非UTF8文件名\n\n文件名不是合法的编码。".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        // Over max_file_size: reported, not read.
        try d.write("过大.txt", String(repeating: "大文件内容。", count: 20_000))
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try "max_file_size: 100000\n".write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])

        let indexedCount = cases.filter { $0.error == nil }.count + 3
        try d.waitUntilIndexed(documents: indexedCount)

        for c in cases {
            let path = d.path(c.path)
            if let error = c.error {
                let status = try d.status()
                let errors = status["recentErrors"] as? [[String: Any]] ?? []
                #expect(errors.contains { $0["path"] as? String == path && ($0["message"] as? String)?.contains(error) == true },
                        "\(c.path) not reported with \(error): \(errors)")
                #expect(try d.cli(["show", path]).status == 1)
                continue
            }
            let show = try d.cli(["show", path, "--json"]).json()
            #expect(show["title"] as? String == c.title, "\(c.path)")
            #expect(show["encoding"] as? String == c.encoding, "\(c.path)")
            for query in c.search ?? [] {
                #expect(try d.searchPaths(query, limit: 100).contains(path), "\(query) does not find \(c.path)")
            }
            for query in c.search_none ?? [] {
                #expect(try !d.searchPaths(query, limit: 100).contains(path), "\(query) finds \(c.path)")
            }
        }
        #expect(try d.searchPaths("文件名里有空格") == [d.path("名字 有 空格.txt")])
        #expect(try d.searchPaths("文件名里有换行符") == [d.path("换行\n文件名.txt")])
        // The non-UTF-8 name: escaped in `path`, exact in `pathBytes` and in `search -l`.
        let hit = try #require((try d.cli(["search", "文件名不是合法", "--json"]).json()["hits"] as? [[String: Any]])?.first)
        #expect(hit["pathBytes"] as? String == Data(latin1Path).base64EncodedString())
        let listed = try DaemonFixture.runBytes(productsDirectory.appendingPathComponent("jiansuo"), ["--socket", d.socket, "search", "-l", "文件名不是合法"])
        #expect(listed == latin1Path + [0x0A])
        #expect(try d.cli(["show", d.path("过大.txt")]).status == 1)
        let errors = try d.status()["recentErrors"] as? [[String: Any]] ?? []
        #expect(errors.contains { ($0["message"] as? String)?.contains("over the limit") == true })
        #expect(try d.status()["errors"] as? Int == cases.filter { $0.error != nil }.count + 1)
        #expect(d.stop() == 0)
    }
}
