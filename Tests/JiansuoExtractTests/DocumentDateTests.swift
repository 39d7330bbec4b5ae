@testable import JiansuoExtract
import Testing

/// `DocumentDate.day` answers the commonest form, `YYYY-MM-DD HH:MM:SS`, without formatters:
/// the answer must be the formatters' own, for valid dates and for near misses (fields out of
/// range, a day that does not exist, other separators), which go the general way.
@Suite struct DocumentDateTests {
    @Test func theFastFormAgreesWithTheFormatters() {
        var generator = SystemRandomNumberGenerator()
        var cases = ["2021-09-15 05:50:21", "2024-02-29 23:59:59", "2023-02-29 12:00:00", "2021-13-01 00:00:00",
                     "2021-09-15 24:00:00", "2021-09-15 23:60:00", "2021-09-15 23:59:60", "0001-01-01 00:00:00",
                     "9999-12-31 23:59:59", "0600-03-01 10:00:00", "1599-12-31 10:00:00", "1600-03-01 10:00:00", "2021-09-15T05:50:21Z", "2021-09-15 05:50", "2021-09-15  05:50:21",
                     "2021-9-15 05:50:21", "２０２１-09-15 05:50:21", "2021-09-15 05:50:21Z", "2000-00-10 10:10:10"]
        for _ in 0..<300 {
            let year = Int.random(in: 1500...2100, using: &generator), month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...31, using: &generator), hour = Int.random(in: 0...23, using: &generator)
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            cases.append("\(year)-\(two(month))-\(two(day)) \(two(hour)):\(two(Int.random(in: 0...59, using: &generator))):\(two(Int.random(in: 0...59, using: &generator)))")
        }
        for text in cases {
            #expect(DocumentDate.day(text) == DocumentDate.dayByFormatters(text), "\(text)")
        }
        #expect(DocumentDate.plainDateTime("2021-09-15 05:50:21") == "2021-09-15")
        #expect(DocumentDate.plainDateTime("2023-02-29 12:00:00") == nil)
        #expect(DocumentDate.day("Wed, 15 Sep 2021 05:50:21 GMT") == "2021-09-15")
    }
}
