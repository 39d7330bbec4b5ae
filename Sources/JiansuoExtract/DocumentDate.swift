import Foundation

/// Reads the date formats found in front matter: RFC 2822 (`Wed, 15 Sep 2021 05:50:21 GMT`),
/// ISO 8601 (`2021-09-15T05:50:21Z`, `2021-09-15 05:50:21`) and `YYYY-MM-DD`.
public enum DocumentDate {
    /// The calendar day of `text` in UTC as `YYYY-MM-DD`, or nil when it is not a date.
    public static func day(_ text: String) -> String? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let date = rfc2822(s) ?? iso8601(s) {
            return dayString(date)
        }
        // A plain day, possibly followed by a time we do not need.
        let prefix = s.prefix(10)
        if prefix.count == 10, let d = Self.plainDay.date(from: String(prefix)) { return dayString(d) }
        return nil
    }

    /// The UTC day of `date` as `YYYY-MM-DD`.
    public static func dayString(_ date: Date) -> String {
        plainDay.string(from: date)
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

    private static let plainDay: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f
    }()
}
