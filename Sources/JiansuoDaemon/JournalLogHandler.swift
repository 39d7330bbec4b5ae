import Foundation
import JiansuoPath
import Logging

/// A swift-log handler writing one line per message to stderr in the form journald reads:
/// under systemd (`$JOURNAL_STREAM` set) each line starts with its syslog priority (`<6>` for
/// info, see sd-daemon(3)) and carries no timestamp, since the journal adds its own; elsewhere
/// it starts with an ISO 8601 time and the level name. Metadata follows as `key=value`.
public struct JournalLogHandler: LogHandler {
    /// The level in force, shared by every logger and changed at run time (SIGHUP reload).
    public var logLevel: Logger.Level {
        get { LogLevel.shared.get() }
        set { LogLevel.shared.set(newValue) }
    }
    public var metadata: Logger.Metadata = [:]
    let label: String
    let journal: Bool

    public init(label: String, level: Logger.Level, journal: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil) {
        self.label = label
        self.journal = journal
        LogLevel.shared.set(level)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a level (RFC 5424 severity).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // One entry is one line: control characters from file names or requests are escaped,
        // so nothing can forge a second entry or drive the terminal.
        let message = PrintableText.escape("\(event.message)" + (fields.isEmpty ? "" : " " + fields))
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(message)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(label): \(message)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}

import Synchronization

/// The daemon's log level, one value for every logger, changeable while running.
public final class LogLevel: Sendable {
    public static let shared = LogLevel()
    private let raw = Atomic<Int>(2)

    public func get() -> Logger.Level { Logger.Level.allCases[min(raw.load(ordering: .relaxed), Logger.Level.allCases.count - 1)] }
    public func set(_ level: Logger.Level) { raw.store(Logger.Level.allCases.firstIndex(of: level) ?? 2, ordering: .relaxed) }
}
