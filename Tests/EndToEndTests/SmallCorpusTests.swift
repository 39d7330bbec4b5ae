import Foundation
import JiansuoAnalysis
import JiansuoClient
import JiansuoProtocol
import Testing

/// `../shared/corpus/make-corpus --size small`: 300 real Chinese documents in the shapes users
/// have (hexo front matter + HTML in .txt, markdown, plain text, HTML pages; UTF-8, UTF-8 with
/// BOM, GB18030, GBK; CRLF). Runs when the corpus generator is beside the repository.
@Suite(.serialized) struct SmallCorpusTests {
    static let makeCorpus = repoRoot.appendingPathComponent("../shared/corpus/make-corpus").standardizedFileURL

    @Test(.enabled(if: FileManager.default.fileExists(atPath: makeCorpus.path)))
    func everyFileIsIndexedAndEveryTitleRanksFirst() throws {
        let d = try DaemonFixture()
        let gen = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/env"),
                                        ["python3", Self.makeCorpus.path, "--size", "small", "--out", d.root.path, "--force"])
        try #require(gen.status == 0, "make-corpus failed: \(gen.stderr)")
        let manifest = try String(contentsOfFile: d.root.path + ".manifest.tsv", encoding: .utf8)
        let rows = manifest.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        let files = FileManager.default.enumerator(atPath: d.root.path)!.compactMap { $0 as? String }
            .filter { !((try? FileManager.default.attributesOfItem(atPath: d.path($0))[.type] as? FileAttributeType) == .typeDirectory) }
        try #require(rows.count == files.count && rows.count >= 300)

        try d.start()
        try d.waitUntilIndexed(documents: files.count, timeout: 120)
        let status = try d.status()
        #expect(status["documents"] as? Int == files.count)
        #expect(status["errors"] as? Int == 0)

        // Searching a document's exact title returns it first (among documents sharing that title
        // once normalized and folded to simplified script).
        let client = Client(socketPath: d.socket)
        func key(_ s: String) -> String { Normalizer.normalize(s).filter { !$0.isWhitespace } }
        var sharing: [String: Int] = [:]
        for row in rows { sharing[key(row[3]), default: 0] += 1 }
        var misses: [String] = []
        for row in rows {
            let (path, title) = (d.path(row[0]), row[3])
            let result = try client.send(.search(SearchParams(query: title, limit: 20)), expecting: SearchResult.self)
            if !result.hits.prefix(sharing[key(title)]!).contains(where: { $0.path == path }) { misses.append(title) }
        }
        #expect(misses.isEmpty, "titles not ranked first: \(misses)")

        // 知识产权 finds documents containing it, highlighted, through the real CLI.
        let search = try d.cli(["search", "知识产权", "--json", "--limit", "100"]).json()
        let hits = try #require(search["hits"] as? [[String: Any]])
        #expect(!hits.isEmpty)
        for hit in hits {
            let snippet = Array((hit["snippet"] as? String ?? "").utf8)
            let ranges = hit["highlights"] as? [[Int]] ?? []
            #expect(ranges.contains { String(decoding: snippet[$0[0]..<$0[1]], as: UTF8.self).contains("知识产权") })
        }
        #expect(d.stop() == 0)
    }
}
