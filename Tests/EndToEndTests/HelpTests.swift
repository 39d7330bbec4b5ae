import Foundation
import Testing

/// `--help` as a terminal of 80 columns shows it: every line fits (Han characters take two
/// columns, which the argument parser's wrapping does not count), so hand-made example lines are
/// never broken by the terminal; `--version` is the one version.
@Suite struct HelpTests {
    /// Display columns of `line`: East Asian wide and fullwidth characters count two.
    static func columns(_ line: Substring) -> Int {
        line.unicodeScalars.reduce(0) { n, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || v >= 0x20000
            return n + (wide ? 2 : 1)
        }
    }

    static let commands: [(String, [String])] = [
        ("jiansuod", ["--help"]), ("jiansuo", ["--help"]),
    ] + ["search", "status", "show", "errors", "segment", "reconcile", "rebuild", "optimize", "check"].map { ("jiansuo", [$0, "--help"]) }

    @Test(arguments: commands.indices)
    func helpFitsEightyColumns(_ k: Int) throws {
        let (program, arguments) = Self.commands[k]
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "80"
        let result = try DaemonFixture.run(productsDirectory.appendingPathComponent(program), arguments, environment: environment)
        #expect(result.status == 0)
        // The USAGE synopsis is one line by the parser's design; everything else must fit.
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) where !line.hasPrefix("USAGE:") {
            #expect(Self.columns(line) <= 80, "\(program) \(arguments.joined(separator: " ")): \(Self.columns(line)) columns: \(line)")
        }
    }

    @Test func bothProgramsPrintTheVersion() throws {
        for program in ["jiansuod", "jiansuo"] {
            let result = try DaemonFixture.run(productsDirectory.appendingPathComponent(program), ["--version"])
            #expect(result.status == 0)
            #expect(result.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(program): \(result.stdout)")
        }
        let text = try String(contentsOf: repoRoot.appendingPathComponent("Sources/JiansuoProtocol/Version.swift"), encoding: .utf8)
        let daemon = try DaemonFixture.run(productsDirectory.appendingPathComponent("jiansuod"), ["--version"]).stdout
        #expect(text.contains("current = \"\(daemon.trimmingCharacters(in: .whitespacesAndNewlines))\""))
    }
}
