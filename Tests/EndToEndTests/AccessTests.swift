import Foundation
import Glibc
import Testing

/// Who may connect and who may write, decided from each peer's uid (SO_PEERCRED). The CLI runs
/// as `nobody` through setpriv(1), so these tests need root.
@Suite(.serialized) struct AccessTests {
    static let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")

    func asNobody(_ d: DaemonFixture, _ arguments: [String]) throws -> CLIResult {
        try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
                              ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
                               productsDirectory.appendingPathComponent("jiansuo").path, "--socket", d.socket] + arguments)
    }

    func start(_ d: DaemonFixture, _ yaml: String) throws {
        chmod(d.base.path, 0o755)  // nobody must reach the socket file
        let config = d.base.appendingPathComponent("jiansuod.yaml")
        try (yaml + "socket_group: nogroup\n").write(to: config, atomically: true, encoding: .utf8)
        try d.start(extraArguments: ["--config", config.path])
        try d.waitUntilIndexed(documents: 6)
        let mode = try FileManager.default.attributesOfItem(atPath: d.socket)[.posixPermissions] as? Int
        #expect(mode == 0o660)
    }

    @Test(.enabled(if: canSwitchUser))
    func usersNotAllowedAreRefused() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try start(d, "allowed_users: [root]\n")
        // nobody reaches the socket through its group (nogroup), and is refused by uid.
        let refused = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=65534", "--regid=65534", "--init-groups", "--",
             productsDirectory.appendingPathComponent("jiansuo").path, "--socket", d.socket, "search", "知识产权"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("user 65534 may not use this daemon"), "\(refused.stderr)")
        #expect(try d.searchPaths("知识产权").count == 4)  // root is allowed
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: canSwitchUser))
    func readersMaySearchButOnlyWritersMayRebuild() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        try start(d, "allowed_users: [root, nobody]\nwriters: [root]\n")
        let search = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=65534", "--regid=65534", "--groups=65534", "--",
             productsDirectory.appendingPathComponent("jiansuo").path, "--socket", d.socket, "search", "知识产权", "-l"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.split(separator: "\n").count == 4)
        let rebuild = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setpriv"),
            ["--reuid=65534", "--regid=65534", "--groups=65534", "--",
             productsDirectory.appendingPathComponent("jiansuo").path, "--socket", d.socket, "rebuild"])
        #expect(rebuild.status == 2)
        #expect(rebuild.stderr.contains("rebuild needs root, the daemon's own user, a member of admin_group or a user listed in writers"))
        #expect(try d.cli(["reconcile"]).status == 0)  // root is a writer
        #expect(d.stop() == 0)
    }
}
