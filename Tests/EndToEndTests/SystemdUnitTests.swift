import Foundation
import Testing

/// `systemd/jiansuod.service` must load cleanly. `systemd-analyze verify` only warns on unknown
/// keys, so any output at all is a failure. It needs the ExecStart binary to exist, so a copy of
/// the unit points at the freshly built one.
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
    func serviceUnitVerifies() throws {
        let unit = try String(contentsOf: repoRoot.appendingPathComponent("systemd/jiansuod.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/jiansuod "))
        let d = try DaemonFixture()
        let copy = d.base.appendingPathComponent("jiansuod.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/jiansuod", with: productsDirectory.appendingPathComponent("jiansuod").path)
            .write(to: copy, atomically: true, encoding: .utf8)
        let result = try DaemonFixture.run(URL(fileURLWithPath: Self.analyze), ["verify", "--man=no", copy.path])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty, "systemd-analyze verify said: \(result.stdout)\(result.stderr)")
    }
}
