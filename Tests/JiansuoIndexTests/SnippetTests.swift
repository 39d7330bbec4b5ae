@testable import JiansuoIndex
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery
import Testing

/// Snippets a person can read (issue 13, items 3, 4 and 8): a phrase of any length the query
/// accepts is highlighted and shown; snippets are cut only between user-perceived characters;
/// a snippet does not repeat the title line.
@Suite struct SnippetTests {
    func index(_ docs: [(path: String, title: String, body: String)]) throws -> SearchIndex {
        let index = try SearchIndex.inMemory()
        try index.apply(docs.map { doc in
            .upsert(path: doc.path, state: FileState(size: 1, mtimeNanoseconds: 1, inode: 1),
                    document: Document(title: doc.title, body: doc.body, format: .text, encoding: "UTF-8"))
        })
        return index
    }

    func hit(_ index: SearchIndex, _ query: String) throws -> SearchHit {
        let compiled = QueryCompiler(segmenter: try Segmenter()).compile(QueryParser.parse(query))
        return try #require(try index.search(SearchRequest(match: compiled.match, filters: compiled.filters, limit: 1, offset: 0,
                                                           rankLayout: compiled.rankLayout,
                                                           highlightTerms: compiled.highlightTerms)).hits.first, "\(query)")
    }

    func marked(_ hit: SearchHit) -> [String] {
        let bytes = Array(hit.snippet.utf8)
        return hit.highlights.map { String(decoding: bytes[$0], as: UTF8.self) }
    }

    /// Real clauses of about 70 and 300 characters, and one with letters and digits.
    static let clause70 = "北京市知识产权局会同有关部门在全市范围内开展专利保险试点工作，两年来共有三百三十二家企业的三千三百六十六件专利成功投保，保障金额累计超过三十三亿元"
    static let clause300 = String(repeating: "各区县知识产权管理部门要加强对试点企业的指导和服务，及时总结推广好的做法和经验，", count: 8)
    static let mixedClause = "根据2021年第3季度的统计，iPhone15Pro和型号ABC123的设备在全国范围内的销量分别增长了百分之十二和百分之七，这一数据来自国家统计局"

    @Test(arguments: [clause70, clause300, mixedClause])
    func aLongPhraseIsHighlightedAndShown(_ clause: String) throws {
        let filler = String(repeating: "这是一段与查询无关的开头文字，用来把要找的句子推到后面去。\n", count: 40)
        for body in [filler + clause + "。后面还有别的内容。", filler + clause] {
            let found = try hit(try index([("/d.txt", "标题", body)]), String(clause.prefix(330)))
            let shown = marked(found)
            #expect(shown.count == 1, "\(found.snippet)")
            // The snippet starts at the phrase, and the highlight is the phrase's start at least.
            #expect(clause.hasPrefix(shown.first ?? "-"), "\(found.snippet)")
            #expect(!found.snippet.hasPrefix("这是一段"))
        }
    }

    @Test func aLongPhraseInALargeDocumentIsHighlighted() throws {
        // Over 256 KiB: stored in blocks, the snippet comes from around the first match.
        let filler = String(repeating: "这是一段与查询无关的开头文字，用来把要找的句子推到后面去。\n", count: 4_000)
        let found = try hit(try index([("/big.txt", "大文件", filler + Self.clause70 + "。结尾。")]), Self.clause70)
        #expect(marked(found).first.map { Self.clause70.hasPrefix($0) } == true, "\(found.snippet)")
    }

    @Test func aLongPhraseOfOneRepeatedCharacterIsHighlightedWithinABudget() throws {
        // 900 的 against 30,000 的: every position starts a match candidate; comparisons for
        // terms over 64 tokens share a bounded budget, and the first occurrence is still marked.
        let found = try hit(try index([("/d.txt", "的", String(repeating: "的", count: 30_000))]), String(repeating: "的", count: 900))
        #expect(marked(found).first?.count ?? 0 >= 80)
    }

    /// Every cut of a snippet falls between two grapheme clusters of the body.
    func expectGraphemeAligned(_ snippet: String, in body: String, sourceLocation: SourceLocation = #_sourceLocation) {
        var core = Substring(snippet)
        if core.hasPrefix("…") { core = core.dropFirst() }
        if core.hasSuffix("…") { core = core.dropLast() }
        let text = Array(body.utf8), piece = Array(core.utf8)
        var boundaries = Set<Int>([0])
        var offset = 0
        for c in body { offset += c.utf8.count; boundaries.insert(offset) }
        let starts = piece.isEmpty ? [] : (0...(text.count - piece.count)).filter { Array(text[$0..<$0 + piece.count]) == piece }
        #expect(starts.contains { boundaries.contains($0) && boundaries.contains($0 + piece.count) },
                "\(snippet.debugDescription) is not cut at character boundaries", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        "知识产" + String(repeating: "🇨🇳", count: 40),                                  // flags (regional indicator pairs)
        "知识产权" + String(repeating: "👨‍👩‍👧‍👦", count: 40),                               // emoji ZWJ sequences
        String(repeating: "e\u{301}", count: 60) + "知识" + String(repeating: "a\u{301}\u{302}", count: 90),  // combining marks
        "知识" + String(repeating: "👍🏽", count: 60),                                      // skin tone modifiers
        String(repeating: "क्षि", count: 50) + "知识" + String(repeating: "क्षि", count: 50),  // Devanagari clusters
        "知识" + String(repeating: "1️⃣", count: 60),                                      // keycaps
        String(repeating: "\u{1100}\u{1161}\u{11A8}", count: 50) + "知识" + String(repeating: "\u{1100}\u{1161}\u{11A8}", count: 50),  // Hangul jamo
    ])
    func snippetsAreCutBetweenUserPerceivedCharacters(_ body: String) throws {
        let found = try hit(try index([("/d.txt", "标题", body)]), "知识")
        #expect(marked(found).first == "知识")
        expectGraphemeAligned(found.snippet, in: body)
    }

    @Test func aSnippetCutFromALargeBodyStartsAndEndsOnWholeCharacters() throws {
        // A large body: the snippet's text is read from blocks at byte offsets.
        let unit = "e\u{301}🇨🇳👨‍👩‍👧‍👦"
        let body = String(repeating: unit, count: 30_000) + "知识产权" + String(repeating: unit, count: 200)
        let found = try hit(try index([("/big.txt", "大文件", body)]), "知识产权")
        #expect(marked(found) == ["知识产权"])
        expectGraphemeAligned(found.snippet, in: body)
    }

    @Test func aMatchInsideALongFirstLineIsShown() throws {
        // The title is the line's first 120 characters; the match is far beyond them.
        let line = String(repeating: "开头的文字", count: 400) + "独特标记词" + String(repeating: "后面的文字", count: 400)
        let found = try hit(try index([("/d.txt", String(line.prefix(120)) + "…", line + "\n\n第二段")]), "独特标记词")
        #expect(marked(found) == ["独特标记词"], "\(found.snippet)")
    }

    @Test func aDigitPrefixInALargeBodyIsHighlighted() throws {
        let filler = String(repeating: "这是一段无关的文字。\n", count: 30_000)  // over 256 KiB: stored in blocks
        let found = try hit(try index([("/big.txt", "大", filler + "编号20200101的记录" + filler)]), "2020")
        #expect(marked(found) == ["2020"], "\(found.snippet)")
    }

    @Test func digitPrefixesMarkWholeNumbersWrittenOtherwise() throws {
        for (body, shown) in [("编号２０２００１０１的记录", "２０２００１０１"), ("编号123\u{308}45的记录", "123\u{308}45")] {
            let found = try hit(try index([("/d.txt", "标题", body)]), body.hasPrefix("编号２") ? "2020" : "123")
            #expect(marked(found) == [shown])
        }
    }

    @Test func theSnippetDoesNotRepeatTheTitleLine() throws {
        let body = "北京市知识产权保险试点\n\n两年来，知识产权保险试点惠及三百多家企业。"
        let idx = try index([("/a.txt", "北京市知识产权保险试点", body)])
        // A match in both the title line and the body: the body's.
        let found = try hit(idx, "知识产权")
        #expect(found.snippet.hasPrefix("两年来"), "\(found.snippet)")
        // No terms to highlight (filters only): the text after the title line.
        #expect(try hit(idx, "ext:txt").snippet.hasPrefix("两年来"))
        // A long first line, cut for the title with …, is skipped too.
        let long = String(repeating: "很长的第一行", count: 30)
        let cut = try index([("/b.txt", String(long.prefix(120)) + "…", long + "\n正文在这里。")])
        #expect(try hit(cut, "ext:txt").snippet.hasPrefix("正文在这里"))
        // A body that is only the title line keeps it.
        let alone = try index([("/c.txt", "只有一行", "只有一行")])
        #expect(try hit(alone, "ext:txt").snippet == "只有一行")
    }
}
