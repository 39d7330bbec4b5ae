import Foundation
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

    /// The RFC 2822 form of hexo front matter is answered without formatters too, exactly as
    /// they answer it: random real dates with their weekday, and near misses (a wrong weekday,
    /// another zone, lower-case names, a day that does not exist, fields out of range).
    @Test func theRFC2822FormAgreesWithTheFormatters() {
        var generator = SystemRandomNumberGenerator()
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var cases = ["Wed, 15 Sep 2021 05:50:21 GMT", "Thu, 15 Sep 2021 05:50:21 GMT", "Wed, 15 Sep 2021 05:50:21 +0000",
                     "Wed, 15 Sep 2021 05:50:21 +0800", "Wed, 15 Sep 2021 23:50:21 -0800", "Wed, 15 Sep 2021 05:50:21 UTC",
                     "wed, 15 sep 2021 05:50:21 GMT", "Thu, 29 Feb 2024 12:00:00 GMT", "Wed, 29 Feb 2023 12:00:00 GMT",
                     "Wed, 15 Sep 2021 24:00:00 GMT", "Wed, 15 Sep 2021 05:60:21 GMT", "Wed, 5 Sep 2021 05:50:21 GMT",
                     "Sat, 01 Jan 1600 00:00:00 GMT", "Fri, 31 Dec 1599 00:00:00 GMT", "Sun, 00 Sep 2021 05:50:21 GMT",
                     "Wed, 15 Spt 2021 05:50:21 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]
        for _ in 0..<300 {
            let year = Int.random(in: 1600...2200, using: &generator), month = Int.random(in: 1...12, using: &generator)
            let day = Int.random(in: 1...28, using: &generator)
            func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
            let days = Int(CivilDays.days(year: year, month: month, day: day))
            let weekday = weekdays[((days % 7) + 11) % 7]
            let other = weekdays[Int.random(in: 0...6, using: &generator)]
            let time = "\(two(Int.random(in: 0...23, using: &generator))):\(two(Int.random(in: 0...59, using: &generator))):\(two(Int.random(in: 0...59, using: &generator)))"
            cases.append("\(weekday), \(two(day)) \(months[month - 1]) \(year) \(time) GMT")
            cases.append("\(other), \(two(day)) \(months[month - 1]) \(year) \(time) +0000")
        }
        var fast = 0
        for text in cases {
            #expect(DocumentDate.day(text) == DocumentDate.dayByFormatters(text), "\(text)")
            if DocumentDate.plainRFC2822(text) != nil { fast += 1 }
        }
        #expect(fast >= 300, "the fast form answered \(fast) of \(cases.count)")
    }
}

/// Days since 1970-01-01 of a civil date, by Foundation's calendar (the tests' reference).
enum CivilDays {
    static func days(year: Int, month: Int, day: Int) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day))!
        return Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }
}
