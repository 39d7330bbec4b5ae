import Foundation
import Glibc
import JiansuoClient
import JiansuoProtocol
import Testing

/// The repository root, found from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The folder holding the built `jiansuod` and `jiansuo` (next to the test bundle), or
/// `$JIANSUO_TEST_BINARIES` to run the end-to-end tests against other builds (a release build,
/// or an older commit's, to see a test fail on the code it was written against).
let productsDirectory: URL = {
    if let dir = ProcessInfo.processInfo.environment["JIANSUO_TEST_BINARIES"], !dir.isEmpty {
        return URL(fileURLWithPath: dir)
    }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    for dir in [exe, exe.deletingLastPathComponent(), repoRoot.appendingPathComponent(".build/debug")]
    where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("jiansuod").path) {
        return dir
    }
    return repoRoot.appendingPathComponent(".build/debug")
}()

/// The output of one `jiansuo` run.
struct CLIResult {
    var status: Int32
    /// False when the process was killed by a signal (`status` is then the signal number).
    var exited = true
    var stdout: String
    var stderr: String

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "not JSON: \(stdout) \(stderr)")
    }
}

/// A real `jiansuod` on a temporary folder and socket, driven through the real `jiansuo`.
final class DaemonFixture {
    let base: URL
    let root: URL
    let indexDirectory: URL
    let socket: String
    private(set) var process: Process?
    let log: URL

    /// Makes a temporary folder (short, so that the socket path fits in 107 bytes) and copies
    /// `source`'s contents into its root, if given.
    init(copying source: URL? = nil) throws {
        let template = "/tmp/jse-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard mkdtemp(&bytes) != nil else { throw POSIXError(.EIO) }
        base = URL(fileURLWithPath: String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        root = base.appendingPathComponent("docs")
        indexDirectory = base.appendingPathComponent("index")
        socket = base.appendingPathComponent("s.sock").path
        log = base.appendingPathComponent("daemon.log")
        if let source {
            try FileManager.default.copyItem(at: source, to: root)
        } else {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: base)
    }

    /// Starts the daemon and waits until its socket answers `ping`.
    /// `launcher` runs the daemon through another program, e.g. setpriv to drop privileges.
    func start(extraArguments: [String] = [], socket: String? = nil, launcher: [String] = [], environment: [String: String] = [:]) throws {
        let socket = socket ?? self.socket
        let daemon = [productsDirectory.appendingPathComponent("jiansuod").path] + extraArguments
            + ["--root", root.path, "--index", indexDirectory.path, "--socket", socket, "--log-level", "debug"]
        let command = launcher + daemon
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        process = p
        try waitFor("the daemon to answer ping") { (try? Client(socketPath: socket).send(.ping, expecting: PingResult.self)) != nil }
    }

    /// SIGTERM, then waits for exit. Returns the exit status.
    @discardableResult
    func stop() -> Int32? {
        guard let p = process, p.isRunning else { return process?.terminationStatus }
        p.terminate()
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// SIGKILL, then waits for the process to be gone.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    var daemonLog: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Runs the real `jiansuo` with `--socket` and `arguments`.
    func cli(_ arguments: [String], socket: String? = nil) throws -> CLIResult {
        try Self.run(productsDirectory.appendingPathComponent("jiansuo"), ["--socket", socket ?? self.socket] + arguments)
    }

    static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, exited: p.terminationReason == .exit,
                         stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs `executable` and returns its standard output as bytes.
    static func runBytes(_ executable: URL, _ arguments: [String]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    func status() throws -> [String: Any] { try cli(["status", "--json"]).json() }

    /// Waits until the daemon reports `pending == 0` and, if given, `documents` documents.
    func waitUntilIndexed(documents: Int? = nil, timeout: Double = 60) throws {
        try waitFor("indexing to finish (documents \(documents.map(String.init) ?? "any"))", timeout: timeout) {
            guard let s = try? status() else { return false }
            return s["pending"] as? Int == 0 && s["state"] as? String == "idle"
                && (documents == nil || s["documents"] as? Int == documents)
        }
    }

    /// The paths of the hits of `query` (JSON output of `jiansuo search`).
    func searchPaths(_ query: String, limit: Int = 50) throws -> [String] {
        let result = try cli(["search", query, "--json", "--limit", String(limit)])
        let hits = try result.json()["hits"] as? [[String: Any]] ?? []
        return hits.compactMap { $0["path"] as? String }
    }

    /// Polls `condition` every 20 ms until it holds; fails after `timeout` seconds.
    /// Returns the seconds it took.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 15, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        while true {
            if try condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) > timeout {
                Issue.record("timed out after \(timeout) s waiting for \(what)\n--- daemon log ---\n\(daemonLog)")
                throw CancellationError()
            }
            usleep(20_000)
        }
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
