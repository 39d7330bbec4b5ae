import Foundation
import Glibc
import Testing

/// The daemon as the shipped unit runs it, a service for several users: under a uid of its own
/// (like DynamicUser, with no passwd entry), its index and socket owned by that uid, and the
/// clients as root and as other real uids, each through setpriv(1). Needs root.
@Suite(.serialized) struct SharedServiceTests {
    static let setpriv = "/usr/bin/setpriv"
    static let canSwitchUser = getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv)

    // Numeric ids with no passwd or group entry, as systemd's DynamicUser gives.
    static let daemonUser: UInt32 = 61_001
    static let alice: UInt32 = 61_002
    static let bob: UInt32 = 61_003
    static let searchers: UInt32 = 61_100  // the socket's group
    static let admins: UInt32 = 61_101  // admin_group

    /// `jiansuo` as `uid` with primary group `uid` and supplementary `groups`.
    static func jiansuo(as uid: UInt32, groups: [UInt32] = [], socket: String, _ arguments: [String]) throws -> CLIResult {
        let groupOption = groups.isEmpty ? "--clear-groups" : "--groups=" + groups.map(String.init).joined(separator: ",")
        return try DaemonFixture.run(URL(fileURLWithPath: setpriv),
                                     ["--reuid=\(uid)", "--regid=\(uid)", groupOption, "--",
                                      productsDirectory.appendingPathComponent("jiansuo").path, "--socket", socket] + arguments)
    }

    /// Starts the daemon as ``daemonUser`` (member of `daemonGroups`: ``searchers``, so that it
    /// may give the socket to that group) over the fixture's root, with its index directory
    /// (0755, like /run/jiansuo) holding the socket, and waits for `documents`. Returns the
    /// socket path.
    static func startAsServiceUser(_ d: DaemonFixture, config: String, documents: Int = 6, daemonGroups: [UInt32] = [searchers]) throws -> String {
        chmod(d.base.path, 0o755)
        try FileManager.default.createDirectory(at: d.indexDirectory, withIntermediateDirectories: true)
        chown(d.indexDirectory.path, daemonUser, daemonUser)
        // The socket's directory, like /run/jiansuo (RuntimeDirectoryMode=0755).
        let run = d.base.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        chown(run.path, daemonUser, daemonUser)
        chmod(run.path, 0o755)
        let file = d.base.appendingPathComponent("jiansuod.yaml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        chmod(file.path, 0o644)
        let socket = run.appendingPathComponent("jiansuod.sock").path
        try d.start(extraArguments: ["--config", file.path], socket: socket,
                    launcher: [setpriv, "--reuid=\(daemonUser)", "--regid=\(daemonUser)",
                               "--groups=" + daemonGroups.map(String.init).joined(separator: ","), "--"])
        try d.waitFor("the daemon to index the files as its own user", timeout: 60) {
            guard let s = try? d.cli(["status", "--json"], socket: socket).json() else { return false }
            return s["state"] as? String == "idle" && s["documents"] as? Int == documents
        }
        // The index holds every document's text: no one but the daemon's user may read it.
        let indexMode = try FileManager.default.attributesOfItem(atPath: d.indexDirectory.path)[.posixPermissions] as? Int
        #expect(indexMode == 0o700)
        return socket
    }

    @Test(.enabled(if: canSwitchUser))
    func rootMayRebuildADaemonRunningAsAnotherUser() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let socket = try Self.startAsServiceUser(d, config: "# defaults: socket 0600, no writers, no admin group\n")
        let mode = try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o077 } == 0)  // the owner's only (umask 077)
        // Root, the administrator of a shared service, may run every write command.
        for command in [["rebuild", "--wait"], ["reconcile", "--wait"], ["optimize"], ["check"]] {
            let result = try d.cli(command, socket: socket)
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let status = try d.cli(["status", "--json"], socket: socket).json()
        #expect(status["documents"] as? Int == 6)
        #expect(try d.cli(["search", "知识产权", "-l"], socket: socket).stdout.split(separator: "\n").count == 4)
        // The daemon's own user too (it owns the index).
        #expect(try Self.jiansuo(as: Self.daemonUser, socket: socket, ["reconcile", "--wait"]).status == 0)
        // Another user cannot even reach the 0600 socket, and is told so.
        let other = try Self.jiansuo(as: Self.alice, socket: socket, ["search", "知识产权"])
        #expect(other.status == 3)
        #expect(other.stderr.contains("ermission denied"), "\(other.stderr)")
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: canSwitchUser))
    func membersOfTheSocketGroupSearchAndMembersOfTheAdminGroupRebuild() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        let socket = try Self.startAsServiceUser(d, config: "socket_group: \(Self.searchers)\nadmin_group: \(Self.admins)\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        #expect(attributes[.posixPermissions] as? Int == 0o660)
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value == Self.searchers)

        // alice is in the socket's group only: she may search, not rebuild.
        let search = try Self.jiansuo(as: Self.alice, groups: [Self.searchers], socket: socket, ["search", "知识产权", "-l"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.split(separator: "\n").count == 4)
        for command in [["rebuild", "--wait"], ["reconcile"], ["optimize"], ["check"]] {
            let refused = try Self.jiansuo(as: Self.alice, groups: [Self.searchers], socket: socket, command)
            #expect(refused.status == 2, "\(command)")
            #expect(refused.stderr.contains("\(command[0]) needs root, the daemon's own user, a member of admin_group"), "\(refused.stderr)")
        }
        // bob is also in the admin group (a supplementary group, seen through SO_PEERGROUPS).
        let rebuild = try Self.jiansuo(as: Self.bob, groups: [Self.searchers, Self.admins], socket: socket, ["rebuild", "--wait"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try Self.jiansuo(as: Self.bob, groups: [Self.searchers, Self.admins], socket: socket, ["check"]).status == 0)
        // Outside the socket's group: the socket's mode keeps the user out.
        #expect(try Self.jiansuo(as: Self.bob, groups: [Self.admins], socket: socket, ["status"]).status == 3)
        #expect(try d.cli(["status", "--json"], socket: socket).json()["documents"] as? Int == 6)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: canSwitchUser))
    func aSocketGroupTheDaemonIsNotInIsAClearError() throws {
        let d = try DaemonFixture(copying: repoRoot.appendingPathComponent("samples"))
        chmod(d.base.path, 0o755)
        try FileManager.default.createDirectory(at: d.indexDirectory, withIntermediateDirectories: true)
        chown(d.indexDirectory.path, Self.daemonUser, Self.daemonUser)
        let result = try DaemonFixture.run(URL(fileURLWithPath: Self.setpriv), [
            "--reuid=\(Self.daemonUser)", "--regid=\(Self.daemonUser)", "--clear-groups", "--",
            productsDirectory.appendingPathComponent("jiansuod").path, "--root", d.root.path, "--index", d.indexDirectory.path,
            "--socket", d.indexDirectory.appendingPathComponent("s.sock").path,
        ], environment: ["JIANSUOD_SOCKET_GROUP": String(Self.admins)])
        #expect(result.exited && result.status != 0)
        #expect(result.stderr.contains("socket_group") && result.stderr.contains("must be a member"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: d.indexDirectory.appendingPathComponent("s.sock").path))
    }

    // MARK: Results filtered by what the caller may read

    static let indexers: UInt32 = 61_200  // a group the daemon is in, to read files others cannot
    static let team: UInt32 = 61_300

    /// Writes `text` at `relative` under the root, owned by `owner`:`group` with `mode`.
    static func file(_ d: DaemonFixture, _ relative: String, owner: UInt32, group: UInt32, mode: mode_t, _ text: String) throws {
        try d.write(relative, text)
        chown(d.path(relative), owner, group)
        chmod(d.path(relative), mode)
    }

    static func directory(_ d: DaemonFixture, _ relative: String, owner: UInt32, group: UInt32, mode: mode_t) throws {
        try FileManager.default.createDirectory(atPath: d.path(relative), withIntermediateDirectories: true)
        chown(d.path(relative), owner, group)
        chmod(d.path(relative), mode)
    }

    /// `total` and paths (relative to the root) of `query` for a user.
    static func visible(_ d: DaemonFixture, _ socket: String, as uid: UInt32, groups: [UInt32], _ query: String) throws -> (total: Int, paths: Set<String>) {
        let result = try jiansuo(as: uid, groups: groups, socket: socket, ["search", query, "--json", "--limit", "50"])
        guard result.status == 0 || result.status == 1 else {
            Issue.record("search as \(uid) failed: \(result.status) \(result.stderr)")
            return (-1, [])
        }
        let json = try result.json()
        let paths = (json["hits"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            .map { String($0.dropFirst(d.root.path.count + 1)) }
        return (json["total"] as? Int ?? -1, Set(paths))
    }

    /// Six documents with the word 共同词, readable by different users: alice owns some, bob is
    /// in `team`, one grants bob read access through an ACL, one lies in alice's private folder, one
    /// in a folder alice shares (for now).
    static func writePermissionTree(_ d: DaemonFixture) throws {
        let word = "共同词"
        try file(d, "公开.txt", owner: alice, group: indexers, mode: 0o644, "公开\n\n人人可读的\(word)。")
        try file(d, "alice私密.txt", owner: alice, group: indexers, mode: 0o640, "私密\n\n只有爱丽丝的\(word)。")
        try file(d, "组内.txt", owner: daemonUser, group: team, mode: 0o640, "组内\n\n小组成员的\(word)。")
        try directory(d, "alice目录", owner: alice, group: indexers, mode: 0o750)
        try file(d, "alice目录/笔记.txt", owner: alice, group: alice, mode: 0o644, "笔记\n\n目录私有的\(word)。")
        try file(d, "acl.txt", owner: alice, group: indexers, mode: 0o640, "访问控制\n\n访问控制列表给鲍勃的\(word)。")
        let setfacl = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setfacl"), ["-m", "u:\(bob):r", d.path("acl.txt")])
        #expect(setfacl.status == 0, "setfacl: \(setfacl.stderr)")
        try directory(d, "共享", owner: alice, group: indexers, mode: 0o755)
        try file(d, "共享/文件.txt", owner: alice, group: alice, mode: 0o644, "共享\n\n共享目录里的\(word)。")
    }

    static let canSetACL = canSwitchUser && FileManager.default.isExecutableFile(atPath: "/usr/bin/setfacl")

    /// The charset guesses of issue 13 (`status`'s `uncertainEncodings`, `show`'s note) count
    /// and show only what the asking user may read.
    @Test(.enabled(if: canSwitchUser))
    func uncertainEncodingsCountOnlyWhatTheUserMayRead() throws {
        let d = try DaemonFixture()
        chmod(d.root.path, 0o755)
        let gbk: [UInt8] = [0x4E, 0x6F, 0x74, 0x65, 0x3A, 0x20, 0xC9, 0xE8, 0xD6, 0xC3, 0xC6, 0xF0, 0xCA, 0xBC, 0xB5, 0xD8,
                            0xD6, 0xB7, 0xBA, 0xCD, 0xB3, 0xA4, 0xB6, 0xC8, 0x0A]  // "Note: 设置起始地址和长度" in GBK
        for (name, mode) in [("公开.txt", mode_t(0o644)), ("私密.txt", mode_t(0o640))] {
            FileManager.default.createFile(atPath: d.path(name), contents: Data(gbk))
            chown(d.path(name), Self.alice, Self.indexers)
            chmod(d.path(name), mode)
        }
        let socket = try Self.startAsServiceUser(d, config: "socket_group: \(Self.searchers)\n", documents: 2,
                                                 daemonGroups: [Self.searchers, Self.indexers])
        func count(as uid: UInt32) throws -> Int? {
            try Self.jiansuo(as: uid, groups: [Self.searchers], socket: socket, ["status", "--json"]).json()["uncertainEncodings"] as? Int
        }
        #expect(try d.cli(["status", "--json"], socket: socket).json()["uncertainEncodings"] as? Int == 2)
        #expect(try count(as: Self.alice) == 2)
        #expect(try count(as: Self.bob) == 1)
        let hidden = try Self.jiansuo(as: Self.bob, groups: [Self.searchers], socket: socket, ["show", d.path("私密.txt")])
        #expect(hidden.status == 1 && !hidden.stdout.contains("uncertain"))
        #expect(try Self.jiansuo(as: Self.bob, groups: [Self.searchers], socket: socket, ["show", d.path("公开.txt")]).stdout.contains("GB18030 (uncertain:"))
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: canSetACL))
    func eachUserSeesOnlyWhatTheyMayRead() throws {
        let d = try DaemonFixture()
        chmod(d.root.path, 0o755)
        try Self.writePermissionTree(d)
        let socket = try Self.startAsServiceUser(d, config: "socket_group: \(Self.searchers)\n", documents: 6,
                                                 daemonGroups: [Self.searchers, Self.indexers])
        let aliceGroups = [Self.searchers], bobGroups = [Self.searchers, Self.team]

        // Root and the daemon's own user see everything.
        let everything: Set = ["公开.txt", "alice私密.txt", "组内.txt", "alice目录/笔记.txt", "acl.txt", "共享/文件.txt"]
        #expect(try Set(d.cli(["search", "共同词", "-l"], socket: socket).stdout.split(separator: "\n").map { String($0.dropFirst(d.root.path.count + 1)) }) == everything)
        #expect(try Self.visible(d, socket, as: Self.daemonUser, groups: [], "共同词").total == 6)
        // alice: her files and her folder; not the team's file.
        let alice = try Self.visible(d, socket, as: Self.alice, groups: aliceGroups, "共同词")
        #expect(alice.paths == ["公开.txt", "alice私密.txt", "alice目录/笔记.txt", "acl.txt", "共享/文件.txt"])
        #expect(alice.total == 5)
        // bob: the public file, the team's (a supplementary group) and the ACL's; not alice's.
        let bob = try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "共同词")
        #expect(bob.paths == ["公开.txt", "组内.txt", "acl.txt", "共享/文件.txt"])
        #expect(bob.total == 4)
        // Totals and pages never count what is hidden: the second page of 3 holds bob's fourth.
        let page = try Self.jiansuo(as: Self.bob, groups: bobGroups, socket: socket, ["search", "共同词", "--json", "--limit", "3", "--offset", "3"])
        #expect((try page.json()["hits"] as? [[String: Any]])?.count == 1)
        #expect(try page.json()["total"] as? Int == 4)
        // Sorted by path or date, and with filters, the same documents.
        let byPath = try Self.jiansuo(as: Self.bob, groups: bobGroups, socket: socket, ["search", "共同词", "--sort", "path", "--json"])
        #expect((try byPath.json()["total"] as? Int) == 4)
        // A query that matches only hidden documents: no hits, total 0.
        let hidden = try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "爱丽丝")
        #expect(hidden.total == 0 && hidden.paths.isEmpty)

        // show: a document the user may not read is "not in the index"; its text never printed.
        let show = try Self.jiansuo(as: Self.bob, groups: bobGroups, socket: socket, ["show", d.path("alice私密.txt")])
        #expect(show.status == 1)
        #expect(!show.stdout.contains("只有爱丽丝") && show.stderr.contains("is not in the index"), "\(show.stdout)\(show.stderr)")
        #expect(try Self.jiansuo(as: Self.alice, groups: aliceGroups, socket: socket, ["show", d.path("alice私密.txt")]).stdout.contains("只有爱丽丝"))
        // status counts only what the user may read.
        let status = try Self.jiansuo(as: Self.bob, groups: bobGroups, socket: socket, ["status", "--json"]).json()
        #expect(status["documents"] as? Int == 4)
        // No other count of files for a user who may not write (they could count hidden ones).
        #expect(status["lastReconcile"] == nil && status["extractions"] as? Int == 0, "\(status)")
        #expect(try d.cli(["status", "--json"], socket: socket).json()["lastReconcile"] != nil)

        // chmod takes effect at once, without reading the file again.
        let extractions = try d.cli(["status", "--json"], socket: socket).json()["extractions"] as? Int
        chmod(d.path("公开.txt"), 0o640)  // the daemon still reads it, through its group
        try d.waitFor("bob to lose 公开.txt after chmod 640") {
            try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "共同词").paths == ["组内.txt", "acl.txt", "共享/文件.txt"]
        }
        // A directory made private hides everything under it, at once (the daemon, in its
        // group, still reads it).
        chmod(d.path("共享"), 0o750)
        #expect(try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "共同词").paths == ["组内.txt", "acl.txt"])
        chown(d.path("组内.txt"), Self.daemonUser, Self.indexers)  // chown: bob leaves the file's group
        try d.waitFor("bob to lose 组内.txt after chown") {
            try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "共同词").paths == ["acl.txt"]
        }
        let setfacl = try DaemonFixture.run(URL(fileURLWithPath: "/usr/bin/setfacl"), ["-x", "u:\(Self.bob)", d.path("acl.txt")])
        #expect(setfacl.status == 0, "setfacl -x: \(setfacl.stderr)")
        try d.waitFor("bob to lose acl.txt after setfacl -x") {
            try Self.visible(d, socket, as: Self.bob, groups: bobGroups, "共同词").total == 0
        }
        #expect(try d.cli(["status", "--json"], socket: socket).json()["extractions"] as? Int == extractions)
        #expect(try Self.visible(d, socket, as: Self.alice, groups: aliceGroups, "共同词").total == 5)
        #expect(d.stop() == 0)
    }

    @Test(.enabled(if: canSwitchUser))
    func aFileOrFolderTheDaemonMayNoLongerReadLeavesTheIndex() throws {
        let d = try DaemonFixture()
        chmod(d.root.path, 0o755)
        try Self.file(d, "留下.txt", owner: Self.daemonUser, group: Self.daemonUser, mode: 0o644, "留下\n\n一直可读的文件。")
        try Self.file(d, "锁上.txt", owner: Self.daemonUser, group: Self.daemonUser, mode: 0o644, "锁上\n\n即将无法读取的文件。")
        try Self.directory(d, "别人的", owner: Self.alice, group: Self.alice, mode: 0o755)
        try Self.file(d, "别人的/文件.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "别人\n\n别人目录里的文件。")
        let socket = try Self.startAsServiceUser(d, config: "# single user\n", documents: 3)
        chmod(d.path("锁上.txt"), 0o000)
        try d.waitFor("a file set to mode 000 to leave the index") {
            try d.cli(["search", "无法读取", "-l"], socket: socket).stdout.isEmpty
        }
        #expect(try d.cli(["show", d.path("锁上.txt")], socket: socket).status == 1)
        chmod(d.path("别人的"), 0o700)  // another owner's folder made private
        try d.waitFor("a folder made private by its owner to leave the index") {
            try d.cli(["search", "别人目录", "-l"], socket: socket).stdout.isEmpty
        }
        let status = try d.cli(["status", "--json"], socket: socket).json()
        #expect(status["documents"] as? Int == 1)
        let unreadable = status["unreadableDirectories"] as? [[String: Any]] ?? []
        #expect(unreadable.contains { $0["path"] as? String == d.path("别人的") }, "\(unreadable)")
        // Readable again: back in the index.
        chmod(d.path("锁上.txt"), 0o644)
        chmod(d.path("别人的"), 0o755)
        try d.waitFor("both to come back") {
            try d.cli(["status", "--json"], socket: socket).json()["documents"] as? Int == 3
        }
        #expect(d.stop() == 0)
    }

    /// Readers' searches keep the access of watched directories between requests
    /// (`DirectoryAccessCache`), yet every change to a directory's permissions made before a
    /// search is seen by it, with no wait: a chmod of a nested folder, of the root itself (an
    /// event on the root's own watch), a chown, a folder replaced by a rename onto its name, and
    /// a folder made private again right after it was opened, each checked by the very next
    /// search after warm searches that filled the cache.
    @Test(.enabled(if: canSwitchUser))
    func directoryPermissionChangesAreSeenByTheNextSearchEveryTime() throws {
        let d = try DaemonFixture()
        chmod(d.root.path, 0o755)
        let word = "目录权限词"
        try Self.directory(d, "甲/乙", owner: Self.alice, group: Self.indexers, mode: 0o755)
        chmod(d.path("甲"), 0o755)
        chown(d.path("甲"), Self.alice, Self.indexers)
        chown(d.root.path, Self.alice, Self.indexers)
        try Self.file(d, "甲/乙/深.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "深\n\n深处的\(word)。")
        try Self.file(d, "甲/浅.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "浅\n\n浅处的\(word)。")
        try Self.directory(d, "丙", owner: Self.alice, group: Self.indexers, mode: 0o755)
        try Self.file(d, "丙/文件.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "丙\n\n丙里的\(word)。")
        try Self.file(d, "顶层.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "顶层\n\n顶层的\(word)。")
        // The daemon reads everything through the group `indexers`, so no change below takes a
        // document out of the index: only what bob may see changes.
        let socket = try Self.startAsServiceUser(d, config: "socket_group: \(Self.searchers)\n", documents: 4,
                                                 daemonGroups: [Self.searchers, Self.indexers])
        func bob() throws -> Set<String> {
            try Self.visible(d, socket, as: Self.bob, groups: [Self.searchers], word).paths
        }
        let all: Set = ["甲/乙/深.txt", "甲/浅.txt", "丙/文件.txt", "顶层.txt"]
        for _ in 0..<2 { #expect(try bob() == all) }
        // The directories are kept now (root sees how many).
        let kept = try d.cli(["status", "--json"], socket: socket).json()["keptDirectories"] as? Int ?? 0
        #expect(kept >= 4, "root, 甲, 甲/乙 and 丙 kept: \(kept)")
        #expect(try Self.jiansuo(as: Self.bob, groups: [Self.searchers], socket: socket, ["status", "--json"]).json()["keptDirectories"] == nil)
        for round in 0..<5 {
            chmod(d.path("甲/乙"), 0o750)
            #expect(try bob() == all.subtracting(["甲/乙/深.txt"]), "round \(round): nested folder made private")
            chmod(d.path("甲/乙"), 0o755)
            #expect(try bob() == all, "round \(round): nested folder opened again")
            chmod(d.path("甲"), 0o750)
            #expect(try bob() == ["丙/文件.txt", "顶层.txt"], "round \(round): a folder above it made private")
            chmod(d.path("甲"), 0o755)
            #expect(try bob() == all, "round \(round): opened again")
        }
        // The root itself: its own watch reports it.
        chmod(d.root.path, 0o751)
        #expect(try bob() == all, "search permission alone suffices")
        chmod(d.root.path, 0o750)
        #expect(try bob().isEmpty, "the root made private")
        chmod(d.root.path, 0o755)
        #expect(try bob() == all)
        // chown: bob becomes the owner of a folder whose owner may not search it.
        chmod(d.path("丙"), 0o075)
        #expect(try bob() == all, "others may search 丙")
        chown(d.path("丙"), Self.bob, Self.indexers)
        #expect(try bob() == all.subtracting(["丙/文件.txt"]), "bob owns 丙 now, and the owner class may not search it")
        chown(d.path("丙"), Self.alice, Self.indexers)
        chmod(d.path("丙"), 0o755)
        #expect(try bob() == all)
        // A private folder renamed onto the name of an open one: the path now resolves to it.
        try Self.directory(d, "丁", owner: Self.alice, group: Self.indexers, mode: 0o750)
        #expect(rename(d.path("丁"), d.path("甲/乙")) == -1)  // not empty: rename(2) refuses
        try FileManager.default.removeItem(atPath: d.path("甲/乙/深.txt"))
        try d.waitFor("the deleted file to leave the index") { try bob() == all.subtracting(["甲/乙/深.txt"]) }
        try Self.file(d, "丁/新.txt", owner: Self.alice, group: Self.alice, mode: 0o644, "新\n\n新来的\(word)。")
        try d.waitFor("the new file to be indexed") {
            try d.cli(["search", word, "-l"], socket: socket).stdout.contains("新.txt")
        }
        #expect(try bob() == all.subtracting(["甲/乙/深.txt"]))
        #expect(rename(d.path("丁"), d.path("甲/乙")) == 0)  // replaces the empty, open 甲/乙
        #expect(try !bob().contains { $0.hasPrefix("甲/乙/") }, "甲/乙 is now the private folder")
        #expect(d.stop() == 0)
    }
}
