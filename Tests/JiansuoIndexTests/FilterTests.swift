@testable import JiansuoIndex
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery
import Testing

@Suite struct FilterTests {
    let index: SearchIndex

    init() throws {
        index = try SearchIndex.inMemory()
        func doc(_ path: String, _ body: String, date: String?, author: String? = nil, categories: [String] = [], tags: [String] = [],
                 mtime: Int64 = 1_600_000_000_000_000_000) -> IndexChange {
            .upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: mtime, inode: 1),
                    document: Document(title: "", body: body, format: .text, encoding: "UTF-8",
                                       metadata: Metadata(date: date, author: author, categories: categories, tags: tags)))
        }
        try index.apply([
            doc("/r/新闻/财经/a.txt", "知识产权保险", date: "Wed, 15 Sep 2021 05:50:21 GMT", author: "新浪财经", categories: ["金融", "新浪財經"]),
            doc("/r/笔记/b.md", "知识产权笔记", date: "2022-11-05", tags: ["专利", "Swift"]),
            doc("/r/笔记/c.MD", "无关内容", date: "2019-03-04T10:00:00Z"),
            doc("/r/d.html", "知识产权网页", date: nil, mtime: 1_700_000_000_000_000_000),  // 2023-11-14
        ])
    }

    func paths(_ query: String) throws -> Set<String> {
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse(query))
        #expect(compiled.isSearchable, "\(query): \(compiled.hints)")
        return Set(try index.search(SearchRequest(match: compiled.match, filters: compiled.filters, limit: 100, offset: 0, rankLayout: compiled.rankLayout)).hits.map(\.path))
    }

    @Test(arguments: [
        ("知识产权 ext:md", ["/r/笔记/b.md"]),
        ("ext:md", ["/r/笔记/b.md", "/r/笔记/c.MD"]),
        ("ext:.html", ["/r/d.html"]),
        ("知识产权 -ext:md", ["/r/新闻/财经/a.txt", "/r/d.html"]),
        ("path:笔记", ["/r/笔记/b.md", "/r/笔记/c.MD"]),
        ("path:/r/新闻", ["/r/新闻/财经/a.txt"]),
        ("path:\"新闻/财经\" 知识产权", ["/r/新闻/财经/a.txt"]),
        ("after:2022", ["/r/笔记/b.md", "/r/d.html"]),
        ("before:2021-09-16", ["/r/新闻/财经/a.txt", "/r/笔记/c.MD"]),
        ("after:2021-09 before:2022-12 知识产权", ["/r/新闻/财经/a.txt", "/r/笔记/b.md"]),
        ("category:金融", ["/r/新闻/财经/a.txt"]),
        ("category:新浪财经", ["/r/新闻/财经/a.txt"]),
        ("tag:swift", ["/r/笔记/b.md"]),
        ("tag:专利 知识产权", ["/r/笔记/b.md"]),
        ("author:新浪财经", ["/r/新闻/财经/a.txt"]),
        ("-author:新浪财经 知识产权", ["/r/笔记/b.md", "/r/d.html"]),
    ])
    func filters(query: String, expected: [String]) throws {
        #expect(try paths(query) == Set(expected))
    }

    func facets(_ query: String, reader: Reader? = nil) throws -> (Int, FacetCounts) {
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse(query))
        let results = try index.search(SearchRequest(match: compiled.match, filters: compiled.filters, limit: 1, offset: 0,
                                                     rankLayout: compiled.rankLayout, reader: reader, facets: true))
        return (results.total, try #require(results.facets))
    }

    /// Facets count every match (all pages, not the page), with the query's filters, in both
    /// plans: terms (the FTS5 pass) and filters alone (the listing).
    @Test func facetsCountEveryMatch() throws {
        let (total, all) = try facets("知识产权")
        #expect(total == 3)
        #expect(all.extensions == ["txt": 1, "md": 1, "html": 1])
        #expect(all.categories == ["金融": 1, "新浪財經": 1])
        #expect(all.years == ["2021": 1, "2022": 1, "2023": 1])
        let (_, notes) = try facets("path:笔记")  // no terms: the listing
        #expect(notes.extensions == ["md": 2])  // c.MD counts as md
        #expect(notes.years == ["2022": 1, "2019": 1])
        let (filtered, recent) = try facets("知识产权 after:2022")
        #expect(filtered == 2 && recent.years == ["2022": 1, "2023": 1] && recent.categories.isEmpty)
        // Without facets asked, none are computed.
        let plain = try index.search(SearchRequest(match: "\"知\"", limit: 1, offset: 0))
        #expect(plain.facets == nil)
    }

    @Test func facetExtensions() {
        #expect(FacetCounts.fileExtension(of: "/a/b.TXT") == "txt")
        #expect(FacetCounts.fileExtension(of: "/a/.profile") == "")
        #expect(FacetCounts.fileExtension(of: "/a.d/README") == "")
        #expect(FacetCounts.fileExtension(of: "/a/b.tar.gz") == "gz")
        #expect(FacetCounts.fileExtension(of: "/a/b.") == "")
        #expect(FacetCounts.fileExtension(of: "/a/b." + String(repeating: "x", count: 17)) == "")
        #expect(FacetCounts.fileExtension(of: "/a/文档.网页") == "网页")
    }

    @Test func badDatesAndFiltersInsideORAreExplained() {
        let compiler = QueryCompiler(segmenter: try! Segmenter())
        let bad = compiler.compile(QueryParser.parse("知识产权 after:yesterday"))
        #expect(bad.filters.isEmpty)
        #expect(bad.hints.contains { $0.contains("not a date") })
        let or = compiler.compile(QueryParser.parse("知识产权 OR ext:md"))
        #expect(or.hints.contains { $0.contains("inside OR") })
    }

    @Test(arguments: [
        ("Wed, 15 Sep 2021 05:50:21 GMT", "2021-09-15"), ("2022-11-05", "2022-11-05"), ("2019-03-04T10:00:00Z", "2019-03-04"),
        ("2019-03-04 23:10:00", "2019-03-04"), ("2020-01-02T03:04:05.678+08:00", "2020-01-01"), ("not a date", nil),
    ])
    func frontMatterDates(text: String, day: String?) {
        #expect(DocumentDate.day(text) == day)
    }
}

import Foundation
