import JiansuoAnalysis
import Testing

@Suite struct SegmenterTests {
    let segmenter = try! Segmenter()

    func texts(_ s: String) throws -> [String] { try segmenter.tokens(of: s).map(\.text) }

    @Test func segmentsHanWithTheCJKDictionary() throws {
        #expect(try texts("北京市知识产权保险试点") .starts(with: ["北京市", "知识", "产权", "保险"]))
    }

    @Test func dropsSpacesAndPunctuation() throws {
        #expect(try texts("你好，世界！ Hello, world.") == ["你好", "世界", "hello", "world"])
    }

    @Test(arguments: [
        ("ｉＰｈｏｎｅ１５", ["iphone15"]),
        ("iPhone15", ["iphone15"]),
        ("价格１０元", ["价格", "10", "元"]),
        ("Straße", ["strasse"]),
    ])
    func normalizesWithNFKCCasefold(input: String, expected: [String]) throws {
        #expect(try texts(input) == expected)
    }

    @Test func offsetsAreUTF8ByteOffsetsIntoTheOriginalText() throws {
        let text = "　　原标题：ＡＢＣ知识产权 3366件"
        let bytes = Array(text.utf8)
        for token in try segmenter.tokens(of: text) {
            let original = String(decoding: bytes[token.utf8Start..<token.utf8End], as: UTF8.self)
            #expect(Normalizer.nfkcCasefold(original) == token.text, "token \(token.text) maps to \(original)")
        }
        #expect(try segmenter.tokens(of: text).first { $0.text == "abc" }.map { [$0.utf8Start, $0.utf8End] } == [18, 27])
    }

    @Test func positionsAndKinds() throws {
        let tokens = try segmenter.tokens(of: "专利3366件 Swift")
        #expect(tokens.map(\.position) == Array(0..<tokens.count))
        #expect(tokens.map(\.kind).contains(.number))
        #expect(tokens.last?.kind == .letter)
        #expect(tokens.first?.kind == .ideographic)
    }

    @Test func capsOverLongTokens() throws {
        let long = String(repeating: "a", count: 10_000)
        let tokens = try segmenter.tokens(of: long)
        #expect(tokens.count == 1)
        #expect(tokens[0].text.utf8.count == Segmenter.maxTokenBytes)
    }

    @Test func longHanRunsWithoutSeparators() throws {
        let run = String(repeating: "知识产权保险试点工作开展以来", count: 3000)
        let tokens = try segmenter.tokens(of: run)
        #expect(tokens.count > 3000 * 4)
        #expect(tokens.last?.utf8End == run.utf8.count)
    }

    @Test func mixedScriptsDoNotFail() throws {
        let text = "邮件 a.b@example.com 网址 https://example.com/a?b=1 😀 東京都のカタカナ 한국어 텍스트 2021年9月15日 33亿元"
        let tokens = try segmenter.tokens(of: text)
        #expect(tokens.contains { $0.text == "한국어" })
        #expect(tokens.contains { $0.text == "33" })
    }

    @Test func emptyAndSymbolOnlyTextHaveNoTokens() throws {
        #expect(try texts("").isEmpty)
        #expect(try texts("，。！？ *** ---").isEmpty)
    }

    @Test func analysisVersionNamesICU() {
        #expect(AnalysisVersion.current.contains("icu=\(AnalysisVersion.icu)"))
        #expect(AnalysisVersion.icu.split(separator: ".").count >= 2)
    }
}
