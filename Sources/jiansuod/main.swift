import ArgumentParser
import Foundation
import JiansuoDaemon
import JiansuoProtocol
import Logging

@main
struct Jiansuod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jiansuod",
        abstract: "Index folders of Chinese documents and answer searches on a Unix socket.",
        discussion: """
            Settings come from the built-in defaults, then the --config file, then
            JIANSUOD_* environment variables (JIANSUOD_ROOTS=dir1:dir2,
            JIANSUOD_LOG_LEVEL=debug …), then these flags. The keys are described in
            etc/jiansuod.yaml (installed as /etc/jiansuo/jiansuod.yaml) and the README.

            Examples / 示例:
              jiansuod --root ~/文档 --index ~/.local/share/jiansuo
                                    index ~/文档; socket in the index folder
                                    索引 ~/文档，套接字在索引目录中
              jiansuod --config /etc/jiansuo/jiansuod.yaml
            """,
        version: JiansuoVersion.current)

    @Option(name: .long, help: "A YAML config file (see etc/jiansuod.yaml).")
    var config: String?

    @Option(name: .long, help: "A directory to index and watch; repeat for several.")
    var root: [String] = []

    @Option(name: .long, help: "The directory holding the index database (default: index).")
    var index: String?

    @Option(name: .long, help: "The Unix socket to listen on (default: <index>/jiansuod.sock).")
    var socket: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default: info).")
    var logLevel: String?

    // Used by the daemon itself (CrashGuard): extract one file in a separate process.
    @Option(name: .customLong("probe-extraction"), help: ArgumentHelp(visibility: .private))
    var probeExtraction: String?

    @Option(name: .customLong("probe-max-bytes"), help: ArgumentHelp(visibility: .private))
    var probeMaxBytes: Int = 16 << 20

    /// The configuration as the command line asks for it: defaults < file < environment < flags.
    func settings() throws -> DaemonConfig {
        var settings = DaemonConfig()
        do {
            if let config { try settings.load(file: config) }
            try settings.load(environment: ProcessInfo.processInfo.environment)
            if !root.isEmpty { settings.roots = root }
            if let index { settings.indexDirectory = index }
            if let socket { settings.socketPath = socket }
            if let logLevel {
                guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
                    throw ValidationError("unknown --log-level '\(logLevel)'")
                }
                settings.logLevel = level
            }
            return try settings.resolved()
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }

    mutating func run() async throws {
        if let probeExtraction {
            throw ExitCode(Daemon.probeExtraction(path: probeExtraction, maxFileBytes: min(max(1, probeMaxBytes), 256 << 20)))
        }
        let settings = try settings()
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let logger = Logger(label: "jiansuod")
        let command = self
        do {
            try await Daemon.run(config: settings, logger: logger, reload: { try command.settings() })
        } catch {
            logger.critical("cannot run: \(error)")
            throw ExitCode(1)
        }
    }
}
