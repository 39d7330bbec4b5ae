import Foundation

/// Reads the date formats found in front matter: RFC 2822 (`Wed, 15 Sep 2021 05:50:21 GMT`),
/// ISO 8601 (`2021-09-15T05:50:21Z`, `2021-09-15 05:50:21`) and `YYYY-MM-DD`.
public enum DocumentDate {
    /// The calendar day of `text` in UTC as `YYYY-MM-DD`, or nil when it is not a date.
    public static func day(_ text: String) -> String? {
        let s = text.trimmingCharacters(in: .whitespaces)
        // The commonest form, `YYYY-MM-DD HH:MM:SS` with every field in range, is its own day
        // in UTC: no formatter (creating the five the general path may try cost 5% of a build).
        if let day = plainDateTime(s) ?? plainRFC2822(s) { return day }
        return dayByFormatters(s)
    }

    /// The day of `s` when it is exactly `Www, DD Mon YYYY HH:MM:SS GMT` (or `+0000`), the
    /// RFC 2822 form hexo-style front matter writes, with English names as written there, a
    /// real calendar day from 1600 on whose weekday is `Www`, hours 00–23, minutes and seconds
    /// 00–59; else nil (the formatters decide). Creating the formatters for it was about 3% of
    /// a build's CPU (issue 14).
    static func plainRFC2822(_ s: String) -> String? {
        let b = Array(s.utf8)
        guard b.count == 29 || b.count == 31, b[3] == UInt8(ascii: ","), b[4] == UInt8(ascii: " "), b[7] == UInt8(ascii: " "),
              b[11] == UInt8(ascii: " "), b[16] == UInt8(ascii: " "), b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"),
              b[25] == UInt8(ascii: " ") else { return nil }
        let zone = String(decoding: b[26...], as: UTF8.self)
        guard zone == "GMT" || zone == "+0000" else { return nil }
        func number(_ r: Range<Int>) -> Int? { digits(b, r) }
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let weekday = weekdays.firstIndex(of: String(decoding: b[0..<3], as: UTF8.self)),
              let month0 = months.firstIndex(of: String(decoding: b[8..<11], as: UTF8.self)),
              let day = number(5..<7), let year = number(12..<16), let hour = number(17..<19),
              let minute = number(20..<22), let second = number(23..<25),
              year >= 1600, hour <= 23, minute <= 59, second <= 59, day >= 1 else { return nil }
        let month = month0 + 1
        guard day <= daysIn(month: month, year: year) else { return nil }
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil); that day was a Thursday.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        guard ((days % 7) + 11) % 7 == weekday else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// ``day(_:)`` by the formatters alone (its reference in tests).
    static func dayByFormatters(_ s: String) -> String? {
        if let date = rfc2822(s) ?? iso8601(s) {
            return dayString(date)
        }
        // A plain day, possibly followed by a time we do not need.
        return plainDay(s)
    }

    /// The day of `s` when it is exactly `YYYY-MM-DD HH:MM:SS` (ASCII digits, a real calendar
    /// day from 1600 on, hours 00–23, minutes and seconds 00–59), else nil. (Before the
    /// Gregorian reform of 1582 the formatters count Julian days: such dates go their way.)
    static func plainDateTime(_ s: String) -> String? {
        let b = Array(s.utf8)
        guard b.count == 19, b[10] == UInt8(ascii: " "), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return nil }
        func field(_ at: Int, max: Int) -> Bool {
            guard (48...57).contains(b[at]), (48...57).contains(b[at + 1]) else { return false }
            return Int(b[at] - 48) * 10 + Int(b[at + 1] - 48) <= max
        }
        guard field(11, max: 23), field(14, max: 59), field(17, max: 59), field(0, max: 99),
              b[0] > UInt8(ascii: "1") || (b[0] == UInt8(ascii: "1") && b[1] >= UInt8(ascii: "6"))
        else { return nil }
        return plainDay(s)
    }

    /// The UTC day of `date` as `YYYY-MM-DD` (proleptic Gregorian, years 0001–9999; others
    /// are clamped), computed without a formatter: the indexer asks for one per document.
    public static func dayString(_ date: Date) -> String {
        let days = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
        // Days since 1970-01-01 to a civil date (Howard Hinnant's days_from_civil, inverted).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = min(9999, max(1, yoe + era * 400 + (month <= 2 ? 1 : 0)))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let y = String(year)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + two(month) + "-" + two(day)
    }

    private static func rfc2822(_ s: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, d MMM yyyy HH:mm:ss Z", "dd MMM yyyy HH:mm:ss zzz"] {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }

    private static func iso8601(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            f.formatOptions = options
            if let d = f.date(from: s) { return d }
        }
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone(identifier: "UTC")
        local.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return local.date(from: s)
    }

    /// `YYYY-MM-DD` at the start of `s` when it is a real calendar day.
    static func plainDay(_ s: String) -> String? {
        let b = Array(s.utf8.prefix(10))
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? { digits(b, r) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1 else { return nil }
        guard day <= daysIn(month: month, year: year) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// The number written in ASCII digits at `range` of `bytes`, or nil when one is not a digit.
    private static func digits(_ bytes: [UInt8], _ range: Range<Int>) -> Int? {
        var n = 0
        for i in range {
            guard bytes[i] >= 48, bytes[i] <= 57 else { return nil }
            n = n * 10 + Int(bytes[i] - 48)
        }
        return n
    }

    /// Days in `month` (1–12) of `year` in the proleptic Gregorian calendar.
    private static func daysIn(month: Int, year: Int) -> Int {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }
}
