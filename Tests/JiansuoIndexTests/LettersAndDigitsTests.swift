@testable import JiansuoIndex
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery
import Testing

/// Letters and digits inside longer runs (issue 13, item 1), through the real index: a term is
/// found where a reader sees a part of a run (where letters and digits meet, at a case change,
/// as the start of a number), the whole run ranks first, and highlights mark the part.
@Suite struct LettersAndDigitsTests {
    static let docs = [
        ("date", "20200101新闻联播回顾"),
        ("model", "型号ABC123规格说明"),
        ("phone", "购买了iPhone15Pro手机"),
        ("ubuntu", "ubuntu9.04 发布"),
        ("xhr", "用 XMLHttpRequest 发请求"),
        ("js", "学习JavaScript和HTMLParser"),
        ("wide", "ＭｃＤｏｎａｌｄ的１３８００１３８０００"),
        ("plain", "abc 和 2020 和 phone 和 pro"),
    ]

    func makeIndex() throws -> SearchIndex {
        let index = try SearchIndex.inMemory()
        try index.apply(Self.docs.map { path, body in
            .upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "", body: body, format: .text, encoding: "UTF-8"))
        })
        return index
    }

    func search(_ index: SearchIndex, _ query: String) throws -> [SearchHit] {
        let compiler = QueryCompiler(segmenter: try Segmenter())
        let compiled = compiler.compile(QueryParser.parse(query))
        let match = try #require(compiled.match, "'\(query)' compiled to no match: \(compiled.hints)")
        return try index.search(SearchRequest(match: match, limit: 100, offset: 0, rankLayout: compiled.rankLayout,
                                              highlightTerms: compiled.highlightTerms)).hits
    }

    @Test(arguments: [
        // The examples.
        ("2020", ["date", "plain"]), ("abc", ["model", "plain"]), ("型号ABC", ["model"]), ("iphone", ["phone"]),
        ("ubuntu", ["ubuntu"]),
        // More members: digits after letters, case pieces, joins of pieces, a phrase across parts,
        // the start of a longer number, full-width text, a phrase with Han on both sides.
        ("123", ["model"]), ("123规格", ["model"]), ("phone", ["phone", "plain"]), ("pro", ["phone", "plain"]),
        ("15", ["phone"]), ("iphone15", ["phone"]), ("phone15pro", ["phone"]), ("了iPhone15Pro手机", ["phone"]),
        ("request", ["xhr"]), ("http", ["xhr"]), ("xmlhttp", ["xhr"]), ("HttpRequest", ["xhr"]),
        ("script", ["js"]), ("parser", ["js"]), ("html", ["js"]), ("donald", ["wide"]), ("138", ["wide"]),
        ("的13800", ["wide"]), ("202001", ["date"]), ("ubuntu9", ["ubuntu"]), ("9.04", ["ubuntu"]),
    ])
    func partsOfARunAreFound(query: String, expected: [String]) throws {
        #expect(Set(try search(try makeIndex(), query).map(\.path)) == Set(expected), "\(query)")
    }

    @Test(arguments: [
        "hone",      // inside a piece
        "0101",      // the end of a number, not its start
        "2020新闻",  // a number's start followed by what does not follow it
        "ab", "bc",  // inside a letter part with no case change
        "15pr",      // a letter part cut short
        "scriptx",
        "20",        // fewer than 3 digits: a whole number only (there is no 20 alone)
        "型号abc12", // abc12 is not abc123
    ])
    func notAPartIsNotFound(query: String) throws {
        #expect(try search(try makeIndex(), query).isEmpty, "\(query)")
    }

    @Test func theWholeRunRanksFirst() throws {
        let index = try SearchIndex.inMemory()
        try index.apply([("spaced", "iPhone 15 Pro 的评测 iPhone 15 Pro"), ("whole", "iPhone15Pro"),
                         ("exact", "2020"), ("longer", "20201231 和 20200101")].map { path, body in
            .upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "", body: body, format: .text, encoding: "UTF-8"))
        })
        #expect(try search(index, "iPhone15Pro").map(\.path) == ["whole", "spaced"])
        #expect(try search(index, "2020").map(\.path) == ["exact", "longer"])
    }

    @Test(arguments: [
        ("2020", "20200101新闻联播回顾", ["2020"]),
        ("abc", "型号ABC123规格说明", ["ABC"]),
        ("phone", "购买了iPhone15Pro手机", ["Phone"]),
        ("iphone15", "购买了iPhone15Pro手机", ["iPhone15"]),
        ("phone15pro", "购买了iPhone15Pro手机", ["Phone15Pro"]),
        ("httprequest", "用 XMLHttpRequest 发请求", ["HttpRequest"]),
        ("138", "ＭｃＤｏｎａｌｄ的１３８００１３８０００", ["１３８００１３８０００"]),  // full width: the whole number
        ("了iPhone", "购买了iPhone15Pro手机", ["了iPhone"]),
    ])
    func highlightsMarkThePart(query: String, body: String, marked: [String]) throws {
        let index = try SearchIndex.inMemory()
        try index.apply([.upsert(path: "d", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                 document: Document(title: "", body: body, format: .text, encoding: "UTF-8"))])
        let hit = try #require(try search(index, query).first)
        let bytes = Array(hit.snippet.utf8)
        #expect(hit.highlights.map { String(decoding: bytes[$0], as: UTF8.self) } == marked)
    }
}
