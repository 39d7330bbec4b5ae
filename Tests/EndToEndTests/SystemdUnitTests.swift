import Foundation
import Testing

/// `systemd/jiansuod.service` must load cleanly. `systemd-analyze verify` only warns on unknown
/// keys, so any output at all is a failure. It needs the ExecStart binary to exist, so a copy of
/// the unit points at the freshly built one.
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze)))
    func unitsVerifyAndAreHardened() throws {
        let unit = try String(contentsOf: repoRoot.appendingPathComponent("systemd/jiansuod.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/jiansuod "))
        #expect(unit.contains("Type=notify"))
        let d = try DaemonFixture()
        let copy = d.base.appendingPathComponent("jiansuod.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/jiansuod", with: productsDirectory.appendingPathComponent("jiansuod").path)
            .write(to: copy, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: repoRoot.appendingPathComponent("systemd/jiansuod.socket"),
                                         to: d.base.appendingPathComponent("jiansuod.socket"))
        let verify = try DaemonFixture.run(URL(fileURLWithPath: Self.analyze),
                                           ["verify", "--man=no", copy.path, d.base.appendingPathComponent("jiansuod.socket").path])
        #expect(verify.status == 0)
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "systemd-analyze verify said: \(verify.stdout)\(verify.stderr)")
        let security = try DaemonFixture.run(URL(fileURLWithPath: Self.analyze), ["security", "--offline=yes", copy.path])
        let line = (security.stdout + security.stderr).split(separator: "\n").first { $0.contains("Overall exposure level") } ?? ""
        print("systemd-analyze security: \(line)")
        let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
        #expect(score != nil && score! <= 1.0, "exposure: \(line)")
    }
}

/// The hardened unit gives the daemon read-only roots (ProtectHome=read-only,
/// ProtectSystem=strict) and a writable state directory. Without systemd as PID 1 here, the same
/// restriction is made with a private mount namespace: the roots are bind-mounted read-only.
@Suite(.serialized) struct ReadOnlyRootsTests {
    static let canUnshare: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
        let probe = try? DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/unshare"), ["--mount", "true"])
        return probe?.status == 0
    }()

    @Test(.enabled(if: canUnshare))
    func theDaemonWorksWithReadOnlyRoots() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let root = d.root.path
        try d.start(launcher: ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                               "mount --bind '\(root)' '\(root)' && mount -o remount,bind,ro '\(root)' && exec \"$@\"", "sh"])
        try d.waitUntilIndexed(documents: 6)
        #expect(try d.searchPaths("知识产权").count == 4)
        // Changes made outside the namespace are still seen through the read-only mount.
        try d.write("新.txt", "新文件\n\n只读挂载下也能看到的修改。")
        try d.waitFor("a change under the read-only root") { try d.searchPaths("只读挂载") == [d.path("新.txt")] }
        #expect(try d.cli(["rebuild", "--wait"]).status == 0)
        #expect(d.stop() == 0)
    }
}
