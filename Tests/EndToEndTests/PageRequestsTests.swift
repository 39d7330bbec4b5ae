import Foundation
import JiansuoClient
import JiansuoProtocol
import Testing

/// What the search page asks of the daemon beyond `jiansuo search`: `search` with `facets`,
/// `show` with `query` (every match in the text), through the real jiansuod.
@Suite struct PageRequestsTests {
    @Test func facetsAndShowHighlights() throws {
        let d = try DaemonFixture(copying: EndToEndTests.samples)
        try d.start()
        try d.waitUntilIndexed(documents: EndToEndTests.sampleCount)
        let client = Client(socketPath: d.socket)

        let result = try client.send(.search(SearchParams(query: "知识产权", limit: 1, facets: true)), expecting: SearchResult.self)
        let facets = try #require(result.facets)
        // Every match is counted once per list, not just the page's one hit.
        #expect(facets.ext.map(\.count).reduce(0, +) == result.total)
        #expect(facets.year.map(\.count).reduce(0, +) == result.total)
        #expect(result.total > 1 && result.hits.count == 1)
        #expect(facets.year.map(\.value) == facets.year.map(\.value).sorted(by: >))
        let filtered = try client.send(.search(SearchParams(query: "知识产权 ext:txt", limit: 1, facets: true)), expecting: SearchResult.self)
        #expect(filtered.facets?.ext.map(\.value) == ["txt"])
        #expect(filtered.total == facets.ext.first { $0.value == "txt" }?.count)
        #expect(try client.send(.search(SearchParams(query: "知识产权", limit: 1)), expecting: SearchResult.self).facets == nil)

        // show with a query: every occurrence, as UTF-8 byte ranges of the body.
        let path = d.path("归档/知识产权质押融资简介.txt")
        let shown = try client.send(.show(ShowParams(path: path, query: "质押 OR \"融资\"")), expecting: ShowResult.self)
        let body = Array(shown.body.utf8)
        let marks = try #require(shown.highlights)
        #expect(shown.highlightsTruncated == false)
        let marked = marks.map { String(decoding: body[$0[0]..<$0[1]], as: UTF8.self) }
        #expect(marked.count >= 2 && marked.allSatisfy { $0.contains("质押") || $0.contains("融资") }, "\(marked)")
        let expected = shown.body.components(separatedBy: "质押").count - 1 + shown.body.components(separatedBy: "融资").count - 1
        #expect(marked.map { $0.components(separatedBy: "质押").count - 1 + $0.components(separatedBy: "融资").count - 1 }.reduce(0, +) == expected)
        #expect(zip(marks, marks.dropFirst()).allSatisfy { $0[1] <= $1[0] })
        // Traditional in the query finds simplified in the text; no query, no highlights.
        #expect(try client.send(.show(ShowParams(path: path, query: "質押")), expecting: ShowResult.self).highlights?.isEmpty == false)
        #expect(try client.send(.show(ShowParams(path: path)), expecting: ShowResult.self).highlights == nil)
        // A query that is too long is refused; one with nothing to mark marks nothing.
        #expect(throws: ClientError.self) {
            try client.send(.show(ShowParams(path: path, query: String(repeating: "长", count: 1001))), expecting: ShowResult.self)
        }
        #expect(try client.send(.show(ShowParams(path: path, query: "-质押 ext:txt ***")), expecting: ShowResult.self).highlights == [])
        #expect(d.stop() == 0)
    }
}
