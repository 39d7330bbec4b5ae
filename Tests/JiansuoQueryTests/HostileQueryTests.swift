import Glibc
import JiansuoAnalysis
import JiansuoQuery
import TestSupport
import Testing

/// The query parser bounds a query's size and never recurses in proportion to its input.
@Suite struct HostileQueryTests {
    @Test func thousandsOfNotsParseWithoutRecursion() {
        let parsed = QueryParser.parse(String(repeating: "NOT ", count: 100_000) + "广告 知识")
        #expect(parsed.root == .and([.not(.term("广告", field: nil, prefix: false)), .term("知识", field: nil, prefix: false)]))
        #expect(QueryParser.parse("NOT NOT x") == QueryParser.parse("NOT x"))
        #expect(QueryParser.parse("a NOT").hints.contains("ignored NOT without a term after it"))
        // NOT before OR is ignored with a hint, and the rest of the query is kept.
        let or = QueryParser.parse("a NOT OR b c")
        #expect(or.hints.contains("ignored NOT without a term after it"))
        #expect(or.root != nil)
    }

    @Test func atMost64DistinctTermsAreKept() {
        let many = (0..<500).map { "词\($0)" }.joined(separator: " OR ")
        let parsed = QueryParser.parse(many)
        guard case .or(let terms) = parsed.root else {
            Issue.record("not an OR: \(String(describing: parsed.root))")
            return
        }
        #expect(terms.count == QueryParser.maxTerms)
        #expect(parsed.hints.contains("used the first 64 terms; the rest were ignored"))
    }

    @Test func repeatedTermsCountOnce() {
        let parsed = QueryParser.parse(String(repeating: "的 ", count: 1000) + "知识")
        #expect(parsed.root == .and([.term("的", field: nil, prefix: false), .term("知识", field: nil, prefix: false)]))
        #expect(parsed.hints.isEmpty)
        #expect(QueryParser.parse("a OR a").root == .term("a", field: nil, prefix: false))
    }

    @Test func pathologicalPunctuationCompilesToSafeFTS5() throws {
        let compiler = QueryCompiler(segmenter: try Segmenter())
        for query in [String(repeating: "(", count: 10_000), String(repeating: "\"", count: 10_001), String(repeating: "*", count: 5000),
                      String(repeating: "-", count: 5000), String(repeating: "title:", count: 2000), String(repeating: "a OR ", count: 3000)] {
            let compiled = compiler.compile(QueryParser.parse(query))
            if let match = compiled.match { #expect(match.count < 100_000) }
        }
    }


    /// Parsing, the input-method folding included, is linear: quadrupling a pathological query
    /// at most about quadruples the time (a quadratic step would multiply it by 16).
    @Test(arguments: [
        "title" + String(repeating: "：", count: 1), "：", "「", "－", "＊", "ＯＲ ", "title：x ", "‘a", "a’b ",
    ])
    func parsingIsLinear(_ unit: String) {
        var n = 5_000
        var small = 0.0
        while true {
            let query = String(repeating: unit, count: n)
            small = CPUTime.best { _ = QueryParser.parse(query) }
            if small >= 0.02 || n >= 1_280_000 { break }
            n *= 2
        }
        let large = String(repeating: unit, count: n * 4)
        let time = CPUTime.best { _ = QueryParser.parse(large) }
        #expect(time <= 8 * max(small, 0.002), "\(unit): \(n) → \(small) s, \(n * 4) → \(time) s")
    }
}
