import Foundation
import Testing

/// A file the daemon cannot read is recorded as an error, visible in `status`, and indexed once
/// it becomes readable. Root reads everything, so when the tests run as root the daemon is
/// started as `nobody` with setpriv(1).
@Suite(.serialized) struct UnreadableFileTests {
    static let setpriv = "/usr/bin/setpriv"
    static let canDropPrivileges = getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv)

    @Test(.enabled(if: canDropPrivileges || getuid() != 0))
    func unreadableFilesAreReportedAndRetried() throws {
        let d = try DaemonFixture()
        try d.write("可读.txt", "可读文件\n\n这个文件可以读取。")
        try d.write("不可读.txt", "不可读文件\n\n权限修好以后才能找到这段文字。")
        chmod(d.path("不可读.txt"), 0o000)
        if getuid() == 0 {
            // nobody must be able to traverse the fixture and own the index directory.
            chmod(d.base.path, 0o755)
            chmod(d.root.path, 0o755)
            try FileManager.default.createDirectory(at: d.indexDirectory, withIntermediateDirectories: true)
            chown(d.indexDirectory.path, 65534, 65534)
        }
        let socket = d.indexDirectory.appendingPathComponent("s.sock").path
        let launcher = getuid() == 0 ? [Self.setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"] : []
        try d.start(socket: socket, launcher: launcher)
        try d.waitFor("the unreadable file to be reported") {
            guard let s = try? d.cli(["status", "--json"], socket: socket).json() else { return false }
            let errors = s["recentErrors"] as? [[String: Any]] ?? []
            return s["state"] as? String == "idle" && s["documents"] as? Int == 1
                && errors.contains { $0["path"] as? String == d.path("不可读.txt") && ($0["message"] as? String)?.contains("Permission denied") == true }
        }
        let human = try d.cli(["status"], socket: socket)
        #expect(human.stdout.contains("errors:    1"))
        #expect(human.stdout.contains("不可读.txt: cannot read: Permission denied"))

        chmod(d.path("不可读.txt"), 0o644)  // IN_ATTRIB: retried now
        try d.waitFor("the file to be indexed once readable") {
            (try? d.cli(["search", "权限修好", "-l"], socket: socket).stdout) == d.path("不可读.txt") + "\n"
        }
        #expect(try d.cli(["status", "--json"], socket: socket).json()["errors"] as? Int == 0)
        #expect(d.stop() == 0)
    }
}
