import JiansuoAnalysis
import JiansuoQuery
import Testing

@Suite struct QueryParserTests {
    @Test func termsAreANDed() {
        #expect(QueryParser.parse("知识 产权").root == .and([.term("知识", field: nil, prefix: false), .term("产权", field: nil, prefix: false)]))
    }

    @Test func phrasesOrExclusionPrefixAndFields() {
        let parsed = QueryParser.parse(#""知识产权 保险" 证券 OR 银行 -广告 swif* title:专利"#)
        #expect(parsed.root == .and([
            .phrase("知识产权 保险", field: nil),
            .or([.term("证券", field: nil, prefix: false), .term("银行", field: nil, prefix: false)]),
            .not(.term("广告", field: nil, prefix: false)),
            .term("swif", field: nil, prefix: true),
            .term("专利", field: .title, prefix: false),
        ]))
        #expect(parsed.hints.isEmpty)
    }

    @Test func emptyQuery() {
        #expect(QueryParser.parse("   ").root == nil)
    }
}

@Suite struct QueryCompilerTests {
    let compiler = QueryCompiler(segmenter: try! Segmenter())

    func compile(_ q: String) -> CompiledQuery { compiler.compile(QueryParser.parse(q)) }

    @Test func userTextOnlyAppearsInsideStringLiterals() {
        #expect(compile(#"a"b"#).match == #""a""b""#)
        #expect(compile("swif*").match == #""swif" *"#)
        #expect(compile("NEAR(a b) AND c").match == #"("NEAR(a" AND "b)" AND "c")"#)
        #expect(compile("知识\u{0}产权").match == compile("知识 产权").match)
        #expect(compile("ｘ -y").match == #"("ｘ" NOT "y")"#)
    }

    /// A Han term matches as the phrase of its bigrams `C` (its bigram literal); the same text
    /// as a phrase of its dictionary words `W`, with bigrams between them, is OR-ed in. Every
    /// match of `W` is a match of `C`, so the boost changes the ranking and never the matches.
    /// Characters before the first word, and those a word implies at the end, are left out of
    /// `W`; in the middle a bigram stands for them (an FTS5 phrase has no gaps).
    @Test func hanTermsGetWordBoosts() {
        let w = "\u{E000}", l = "\u{E002}"
        #expect(compile("市长").match == "(\"\(l)市长\" OR \"\(w)市长\")")
        #expect(compile("经济发展").match == "(\"\(l)经济发展\" OR \"\(w)经济\" + \"\(l)经济\" + \"\(w)发展\")")
        #expect(compile("经济发展").rankLayout == "T0 B")
        // Between words of characters that are not common, the character itself.
        #expect(compile("知识产权").match == "(\"\(l)知识产权\" OR \"\(w)知识\" + \"识\" + \"\(w)产权\")")
        // A common first character before a word is implied by a bigram, never read alone;
        // when no word is left, there is no boost.
        #expect(compile("的经济").match == "\"\(l)的经济\"")
        #expect(compile("a\u{E002}b").match == #""ab""#)  // sentinels typed by a user are dropped
        #expect(compile("title:市长").match == "{title} : ((\"\(l)市长\" OR \"\(w)市长\"))")
        #expect(compile("市*").match == "\"\(l)市\" *")
        #expect(compile("的").match == "\"\(l)的\"")
        #expect(compile("apple").match == #""apple""#)
    }

    /// `jiansuo_rank` learns each phrase's role from the layout: term (with its top-level
    /// conjunct), word boost, excluded. Proximity is scored by `jiansuo_rank` from the terms'
    /// positions, so the expression has no NEAR.
    @Test func rankLayoutNamesEveryPhrase() {
        #expect(compile("市长").rankLayout == "T0 B")  // the term, its word boost
        #expect(compile("apple pie").rankLayout == "T0 T1")
        #expect(compile("apple pie").match == #"("apple" AND "pie")"#)
        // An excluded term keeps what matches, not its boosts.
        #expect(compile("知识产权 -广告 apple").rankLayout == "T0 B T1 X")
        #expect(compile("apple OR 市长 pie").rankLayout == "T0 T0 B T1")
        #expect(compile("title:市长 ext:md").rankLayout == "T0 B")
        #expect(compile("").rankLayout == "")
    }

    /// Found by fuzz/FuzzQuery: a quote followed by a combining mark is one Character, and
    /// escaping by Character left it undoubled, ending the FTS5 literal early.
    @Test func quotesWithCombiningMarksAreEscaped() {
        for query in ["a\"\u{308} OR b", "\u{FFFD}\"\u{5BD}\u{FFFD}ｿ", "x\"\u{301}\"\u{301}y"] {
            let match = compile(query).match ?? ""
            #expect(match.unicodeScalars.filter { $0 == "\"" }.count % 2 == 0, "\(match)")
        }
    }

    @Test func sentinelInUserInputIsIgnored() {
        #expect(compile("\u{E000}abc").match == #""abc""#)
    }

    /// Ordinary input never fails: each gives an expression or a clear hint.
    @Test(arguments: ["C#", "ubuntu 20.04", "a-b-c", "\"", "*", "AND", "中文:", "", "-", "OR", "OR OR", "-广告", "title:", "（）", "\"\"", "a OR", "^", "{title}:x", "col:x"])
    func hostileInputIsLenient(query: String) {
        let result = compile(query)
        if result.match == nil { #expect(!result.hints.isEmpty, "no match and no hint for \(query)") }
    }

    @Test func andAndNotKeywords() {
        #expect(compile("apple AND pie").match == compile("apple pie").match)
        #expect(compile("apple NOT pie").match == compile("apple -pie").match)
        #expect(compile("ext:").hints.contains { $0.contains("empty ext:") })
    }

    @Test func manyExclusionsDoNotNest() {
        let query = "apple " + (0..<100).map { "-x\($0)" }.joined(separator: " ")
        let match = compile(query).match!
        #expect(match.filter { $0 == "(" }.count <= 3)
    }

    @Test func exclusionsAloneAreExplained() {
        let result = compile("-广告")
        #expect(result.match == nil)
        #expect(result.hints.contains { $0.contains("not excluded") })
    }

    @Test func punctuationTermsAreDroppedWithAHint() {
        let result = compile("apple ，。")
        #expect(result.match == #""apple""#)
        #expect(result.hints.contains { $0.contains("，。") })
    }
}

/// Query syntax as a Chinese input method types it (full-width and CJK punctuation) means what
/// its ASCII form means, and a hint says so.
@Suite struct InputMethodSyntaxTests {
    static let phrase = QueryNode.phrase("知识产权 质押", field: nil)

    @Test(arguments: ["“知识产权 质押”", "「知识产权 质押」", "＂知识产权 质押＂", "『知识产权 质押』", "‘知识产权 质押’", "“知识产权 质押\""])
    func cjkQuotesMakeAPhrase(_ query: String) {
        let parsed = QueryParser.parse(query)
        #expect(parsed.root == Self.phrase, "\(query)")
        #expect(parsed.hints.contains { $0.contains("a phrase quote") }, "\(parsed.hints)")
    }

    @Test func fullWidthMinusExcludes() {
        let parsed = QueryParser.parse("专利 －银行")
        #expect(parsed.root == .and([.term("专利", field: nil, prefix: false), .not(.term("银行", field: nil, prefix: false))]))
        #expect(parsed.hints == ["read '－' as '-' (exclude the word after it)"])
        // Inside a word it is text: 2019－2020 is a range, not an exclusion.
        #expect(QueryParser.parse("2019－2020").root == .term("2019－2020", field: nil, prefix: false))
    }

    @Test func fullWidthColonAfterAFieldOrFilterName() {
        #expect(QueryParser.parse("title：专利").root == .term("专利", field: .title, prefix: false))
        #expect(QueryParser.parse("after：2021 专利").root == .and([.filter(.after("2021")), .term("专利", field: nil, prefix: false)]))
        #expect(QueryParser.parse("－title：广告 专利").root == .and([.not(.term("广告", field: .title, prefix: false)), .term("专利", field: nil, prefix: false)]))
        // After other words it is text, and no hint claims otherwise.
        let text = QueryParser.parse("比分：3比1")
        #expect(text.root == .term("比分：3比1", field: nil, prefix: false))
        #expect(text.hints.isEmpty)
    }

    @Test func fullWidthOperatorsAndPrefix() {
        #expect(QueryParser.parse("转让 ＯＲ 审批").root == .or([.term("转让", field: nil, prefix: false), .term("审批", field: nil, prefix: false)]))
        #expect(QueryParser.parse("专利 ＮＯＴ 银行").root == .and([.term("专利", field: nil, prefix: false), .not(.term("银行", field: nil, prefix: false))]))
        #expect(QueryParser.parse("专利 ＡＮＤ 银行").root == .and([.term("专利", field: nil, prefix: false), .term("银行", field: nil, prefix: false)]))
        #expect(QueryParser.parse("swif＊").root == .term("swif", field: nil, prefix: true))
        // Part of a longer word, ＯＲ is text.
        #expect(QueryParser.parse("ＯＲＡＣＬＥ").root == .term("ＯＲＡＣＬＥ", field: nil, prefix: false))
    }

    @Test func anApostropheBetweenLettersStaysText() {
        let parsed = QueryParser.parse("don’t panic")
        #expect(parsed.root == .and([.term("don’t", field: nil, prefix: false), .term("panic", field: nil, prefix: false)]))
        #expect(parsed.hints.isEmpty)
    }
}

/// A term of several words typed without spaces is matched as a phrase; when that finds
/// nothing, the daemon runs `wordsFallback`: the AND of its words.
@Suite struct WordsFallbackTests {
    let segmenter = try! Segmenter()

    func fallback(_ query: String) -> (query: ParsedQuery, words: [String])? {
        QueryCompiler.wordsFallback(QueryParser.parse(query), words: segmenter.words(of:))
    }

    @Test(arguments: ["告诉我如何写周报", "北京天气怎么样", "如何申请专利保护"])
    func aTermOfSeveralWordsBecomesTheirAND(_ query: String) throws {
        let result = try #require(fallback(query))
        #expect(result.words.count > 1)
        #expect(result.words.joined() == query)
        #expect(result.query.root == .and(result.words.map { .term($0, field: nil, prefix: false) }))
    }

    @Test func phrasesPrefixesExclusionsAndFiltersStay() throws {
        #expect(fallback(#""告诉我如何写周报""#) == nil)
        #expect(fallback("周报") == nil)  // one word
        let mixed = try #require(fallback("告诉我如何写周报 -草稿 ext:md"))
        guard case .and(let children) = mixed.query.root else { Issue.record("not an AND: \(String(describing: mixed.query.root))"); return }
        #expect(children.contains(.not(.term("草稿", field: nil, prefix: false))))
        #expect(children.contains(.filter(.ext("md"))))
        #expect(children.count == mixed.words.count + 2)
    }
}
