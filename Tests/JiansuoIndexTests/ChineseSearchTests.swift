@testable import JiansuoIndex
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery
import Testing

/// The behaviour of issue 3 through the real index: recall of every occurrence, word-aware
/// ranking, normalization, mixed text.
@Suite struct ChineseSearchTests {
    func makeIndex(_ docs: [(String, String)], options: AnalysisOptions = .default) throws -> SearchIndex {
        let index = try SearchIndex.inMemory(options: options)
        try index.apply(docs.map { path, body in
            .upsert(path: path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "", body: body, format: .text, encoding: "UTF-8"))
        })
        return index
    }

    func paths(_ index: SearchIndex, _ query: String) throws -> [String] {
        let compiler = QueryCompiler(segmenter: try Segmenter(options: index.options))
        let compiled = compiler.compile(QueryParser.parse(query))
        // A query that compiles to nothing would make every "finds nothing" check pass.
        let match = try #require(compiled.match, "'\(query)' compiled to no match: \(compiled.hints)")
        return try index.search(SearchRequest(match: match, limit: 100, offset: 0, rankLayout: compiled.rankLayout)).hits.map(\.path)
    }

    static let recallDocs = [
        ("简单", "安装简单，没有复杂的配置"),
        ("订单", "待处理的订单"),
        ("农行", "中国农业银行"),
        ("农发行", "中国农业发展银行"),
        ("人行", "中国人民银行"),
        ("清华", "清华大学计算机系"),
        ("北京", "我住在北京市"),
        ("开会", "张三和李四开会"),
        ("到场", "李某第四次到场"),
    ]

    @Test(arguments: [
        ("简单", ["简单"]),
        ("处理", ["订单"]),
        ("农业", ["农行", "农发行"]),
        ("银行", ["农行", "农发行", "人行"]),
        ("清华", ["清华"]),
        ("北京", ["北京"]),
        ("李四", ["开会"]),
        ("计算机", ["清华"]),
        ("业银", ["农行"]),
    ])
    func findsEveryOccurrence(query: String, expected: [String]) throws {
        let index = try makeIndex(Self.recallDocs)
        #expect(Set(try paths(index, query)) == Set(expected))
    }

    @Test func wholeWordsOnlyBaselineMissesThem() throws {
        let index = try makeIndex(Self.recallDocs, options: AnalysisOptions(wordsOnly: true))
        #expect(try paths(index, "北京").isEmpty)
        #expect(try paths(index, "清华").isEmpty)
    }

    @Test func aWholeWordRanksAboveCharactersAcrossWordBoundaries() throws {
        let index = try makeIndex([
            ("大桥", "南京市长江大桥是一座公路铁路两用桥。"),
            ("市长", "这位市长今天视察了一座公路铁路两用桥。"),
        ])
        #expect(try paths(index, "市长") == ["市长", "大桥"])
    }

    @Test func termsCloseTogetherRankHigher() throws {
        let filler = String(repeating: "今天天气很好，我们去公园散步。", count: 4)
        let index = try makeIndex([
            ("远", "苹果" + filler + "香蕉"),
            ("近", filler + "苹果香蕉"),
        ])
        #expect(try paths(index, "苹果 香蕉") == ["近", "远"])
    }

    @Test func titleMatchesOutrankBodyMatches() throws {
        let index = try SearchIndex.inMemory()
        try index.apply([
            .upsert(path: "body", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "杂记", body: "茶叶茶叶茶叶茶叶，都是好茶叶。", format: .text, encoding: "UTF-8")),
            .upsert(path: "title", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: "茶叶", body: "今天买了一些。", format: .text, encoding: "UTF-8")),
        ])
        #expect(try paths(index, "茶叶") == ["title", "body"])
    }

    @Test(arguments: [
        ("ｉＰｈｏｎｅ１５", ["a"]), ("iPhone15", ["a"]), ("iphone15", ["a"]), ("10", ["b"]), ("１０", ["b"]),
        ("知識產權", ["c", "d"]), ("知识产权", ["c", "d"]), ("臺灣", ["e"]), ("台湾", ["e"]),
    ])
    func normalizationAndScriptFolding(query: String, expected: [String]) throws {
        let index = try makeIndex([
            ("a", "新款ｉＰｈｏｎｅ１５上市"), ("b", "价格１０元"), ("c", "知识产权保护"), ("d", "知識產權保護"), ("e", "臺灣高山茶"),
        ])
        #expect(Set(try paths(index, query)) == Set(expected))
    }

    @Test func snippetsShowTheOriginalText() throws {
        let index = try makeIndex([("d", "這是知識產權的文件，ＡＢＣ公司")])
        let compiler = QueryCompiler(segmenter: try Segmenter())
        for (query, shown) in [("知识产权", "知識產權"), ("abc", "ＡＢＣ")] {
            let compiled = compiler.compile(QueryParser.parse(query))
            let hit = try #require(try index.search(SearchRequest(match: compiled.match!, limit: 1, offset: 0,
                                                                  highlightTerms: compiled.highlightTerms)).hits.first)
            let bytes = Array(hit.snippet.utf8)
            #expect(hit.highlights.map { String(decoding: bytes[$0], as: UTF8.self) } == [shown])
        }
    }

    @Test(arguments: [
        ("3366件", ["n"]), ("3366", ["n"]), ("2021年9月15日", ["n"]), ("33亿元", ["n"]), ("33亿", ["n"]),
        ("example.com", ["u"]), ("user@example.com", ["u"]), ("swif*", ["l"]), ("swift", ["l"]), ("SWIFT", ["l"]),
        ("カタカナ", ["j"]), ("한국어", ["k"]), ("知识*", ["c"]), ("91.7", ["n"]),
    ])
    func mixedText(query: String, expected: [String]) throws {
        let index = try makeIndex([
            ("n", "已有3366件专利投保，2021年9月15日发布，保障33亿元，完成率91.7%。"),
            ("u", "邮件 user@example.com 网址 https://example.com/a?b=1 😀"),
            ("l", "Swift and SQLite"),
            ("j", "東京都のカタカナ"),
            ("k", "한국어 텍스트"),
            ("c", "知识产权"),
        ])
        #expect(Set(try paths(index, query)) == Set(expected))
    }

    @Test func veryLongRunsAndOverLongTokensIndexFine() throws {
        let run = String(repeating: "知识产权保险试点工作开展以来共支持企业", count: 2000)
        let latin = String(repeating: "x", count: 50_000)
        let index = try makeIndex([("long", run + latin + "结尾")])
        #expect(try paths(index, "结尾") == ["long"])
        #expect(try paths(index, "试点工作") == ["long"])
        try index.integrityCheck()
    }

    @Test func changedAnalysisEmptiesTheIndexForARebuild() throws {
        let path = "/tmp/jiansuo-analysis-\(UInt32.random(in: 0...UInt32.max)).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        do {
            let index = try SearchIndex(path: path)
            #expect(!index.wasReset)
            try index.apply([.upsert(path: "a", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                                     document: Document(title: "t", body: "臺灣", format: .text, encoding: "UTF-8"))])
        }
        let same = try SearchIndex(path: path)
        #expect(!same.wasReset)
        #expect(try same.documentCount() == 1)
        let other = try SearchIndex(path: path, options: AnalysisOptions(foldScripts: false))
        #expect(other.wasReset)
        #expect(try other.documentCount() == 0)
        try other.integrityCheck()
    }
}

import Foundation
