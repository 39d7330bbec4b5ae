import Foundation
import Glibc
import JiansuoIndex
import Testing

/// `ReadPermission` against real files, modes and ACLs (setfacl), decided for other users as
/// the kernel would decide their `open(2)`. Needs root (chown) and setfacl.
@Suite struct ReadPermissionTests {
    static let canChown = getuid() == 0
    static let canSetACL = canChown && FileManager.default.isExecutableFile(atPath: "/usr/bin/setfacl")

    static let owner: UInt32 = 62_001, member: UInt32 = 62_002, stranger: UInt32 = 62_003
    static let group: UInt32 = 62_100, otherGroup: UInt32 = 62_101

    /// A fresh folder (0755) under /tmp, removed by `cleanup`.
    final class Folder {
        let path: String
        init() throws {
            var template = Array("/tmp/jrp-XXXXXX".utf8CString)
            guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
            path = String(cString: template)
            chmod(path, 0o755)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        @discardableResult
        func file(_ name: String, owner: UInt32, group: UInt32, mode: mode_t) -> String {
            let full = path + "/" + name
            FileManager.default.createFile(atPath: full, contents: Data("内容".utf8))
            chown(full, owner, group)
            chmod(full, mode)
            return full
        }

        @discardableResult
        func directory(_ name: String, owner: UInt32, group: UInt32, mode: mode_t) throws -> String {
            let full = path + "/" + name
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
            chown(full, owner, group)
            chmod(full, mode)
            return full
        }
    }

    static func may(_ uid: UInt32, groups: [UInt32] = [], _ path: String) -> Bool {
        ReadPermission(Reader(uid: uid, gid: uid, groups: groups)).mayRead(path: path, stored: FileAccess.of(path: path))
    }

    @Test(.enabled(if: canChown))
    func theClassThatAppliesDecidesAsInTheKernel() throws {
        let f = try Folder()
        // Owner class: the owner is refused even though group and other may read.
        let ownerDenied = f.file("a.txt", owner: Self.owner, group: Self.group, mode: 0o044)
        #expect(!Self.may(Self.owner, ownerDenied))
        #expect(Self.may(Self.member, groups: [Self.group], ownerDenied))
        #expect(Self.may(Self.stranger, ownerDenied))
        // Group class: a member is refused even though others may read.
        let groupDenied = f.file("b.txt", owner: Self.owner, group: Self.group, mode: 0o604)
        #expect(Self.may(Self.owner, groupDenied))
        #expect(!Self.may(Self.member, groups: [Self.group], groupDenied))
        #expect(Self.may(Self.stranger, groupDenied))
        // A supplementary group counts like the primary one.
        let groupOnly = f.file("c.txt", owner: Self.owner, group: Self.group, mode: 0o640)
        #expect(Self.may(Self.member, groups: [Self.otherGroup, Self.group], groupOnly))
        #expect(!Self.may(Self.member, groups: [Self.otherGroup], groupOnly))
        #expect(ReadPermission(Reader(uid: Self.member, gid: Self.group, groups: [])).mayRead(path: groupOnly, stored: nil))
        // Write or execute bits alone do not let anyone read.
        let writeOnly = f.file("d.txt", owner: Self.owner, group: Self.group, mode: 0o333)
        #expect(!Self.may(Self.owner, writeOnly) && !Self.may(Self.stranger, writeOnly))
    }

    @Test(.enabled(if: canChown))
    func everyDirectoryAboveNeedsSearchPermission() throws {
        let f = try Folder()
        try f.directory("外", owner: Self.owner, group: Self.group, mode: 0o750)
        try f.directory("外/内", owner: Self.stranger, group: Self.stranger, mode: 0o755)
        let deep = f.file("外/内/文件.txt", owner: Self.stranger, group: Self.stranger, mode: 0o644)
        #expect(!Self.may(Self.stranger, deep))  // owns the file and its folder, not the one above
        #expect(Self.may(Self.member, groups: [Self.group], deep))
        // Read without search (r--) on a directory is not enough; search without read (--x) is.
        chmod(f.path + "/外", 0o741)
        #expect(Self.may(Self.stranger, deep))
        chmod(f.path + "/外", 0o744)
        #expect(!Self.may(Self.stranger, deep))
        // A stored access that says "readable" does not override a private directory.
        let stored = FileAccess(owner: Self.stranger, group: Self.stranger, mode: 0o644)
        #expect(!ReadPermission(Reader(uid: Self.stranger, gid: Self.stranger, groups: [])).mayRead(path: deep, stored: stored))
        // A file that is gone (unknown access, nothing to examine) is not shown.
        #expect(!ReadPermission(Reader(uid: Self.owner, gid: Self.owner, groups: [])).mayRead(path: f.path + "/无.txt", stored: nil))
    }

    @Test(.enabled(if: canSetACL))
    func posixACLsGrantAndTheMaskLimits() throws {
        let f = try Folder()
        let shared = f.file("acl.txt", owner: Self.owner, group: Self.group, mode: 0o600)
        #expect(FileAccess.of(path: shared)?.mode == 0o600)  // no extended ACL yet
        #expect(!Self.may(Self.stranger, shared))
        try Self.setfacl(["-m", "u:\(Self.stranger):r", shared])
        #expect((FileAccess.of(path: shared)?.mode ?? 0) & FileAccess.extendedACL != 0)
        #expect(Self.may(Self.stranger, shared))  // a named user entry
        #expect(!Self.may(Self.member, groups: [Self.group], shared))  // the owning group: ---
        try Self.setfacl(["-m", "g:\(Self.otherGroup):r", shared])
        #expect(Self.may(Self.member, groups: [Self.otherGroup], shared))  // a named group entry
        // The mask limits named entries and the group class.
        try Self.setfacl(["-m", "m::---", shared])
        #expect(!Self.may(Self.stranger, shared))
        #expect(!Self.may(Self.member, groups: [Self.otherGroup], shared))
        #expect(Self.may(Self.owner, shared))  // the owner is not masked
        // A directory's ACL grants search permission too.
        let dir = try f.directory("私", owner: Self.owner, group: Self.group, mode: 0o700)
        let inside = f.file("私/文件.txt", owner: Self.owner, group: Self.group, mode: 0o644)
        #expect(!Self.may(Self.stranger, inside))
        try Self.setfacl(["-m", "u:\(Self.stranger):x", dir])
        #expect(Self.may(Self.stranger, inside))
        #expect(!ReadPermission(Reader(uid: Self.stranger, gid: Self.stranger, groups: [])).mayEnter(directory: dir))  // x without r
    }

    /// A directory's extended-ACL probe is remembered across requests while its ctime is
    /// unchanged: an ACL set, removed, or a chmod afterwards is seen by the next request, and
    /// so is a directory replaced by another at the same path.
    @Test(.enabled(if: canSetACL))
    func directoryProbesFollowEveryChange() throws {
        let f = try Folder()
        let dir = try f.directory("共享", owner: Self.owner, group: Self.group, mode: 0o755)
        let inside = f.file("共享/文件.txt", owner: Self.owner, group: Self.group, mode: 0o644)
        Thread.sleep(forTimeInterval: 2.2)  // ctime over a second old: the probe is remembered
        #expect(Self.may(Self.stranger, inside))
        #expect(Self.may(Self.stranger, inside))
        // A named user entry without x: the stranger may no longer search the directory.
        try Self.setfacl(["-m", "u:\(Self.stranger):r", dir])
        #expect(!Self.may(Self.stranger, inside))
        #expect(Self.may(Self.member, groups: [Self.group], inside))
        Thread.sleep(forTimeInterval: 2.2)
        #expect(!Self.may(Self.stranger, inside))
        try Self.setfacl(["-b", dir])  // every extended entry removed
        #expect(Self.may(Self.stranger, inside))
        Thread.sleep(forTimeInterval: 2.2)
        #expect(Self.may(Self.stranger, inside))
        chmod(dir, 0o750)
        #expect(!Self.may(Self.stranger, inside))
        // Another directory at the same path, with an ACL from the start.
        try FileManager.default.removeItem(atPath: dir)
        let again = try f.directory("共享", owner: Self.owner, group: Self.group, mode: 0o755)
        let file = f.file("共享/文件.txt", owner: Self.owner, group: Self.group, mode: 0o644)
        try Self.setfacl(["-m", "u:\(Self.stranger):-", again])
        #expect(!Self.may(Self.stranger, file))
    }

    static func setfacl(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setfacl")
        p.arguments = arguments
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "setfacl \(arguments)")
    }

    /// `DirectoryAccessCache`: kept access is used only while its source says it is current,
    /// only for watched directories, until invalidated; an invalidation that races a lookup's
    /// `stat(2)` keeps the lookup from storing what it read.
    @Test(.enabled(if: canChown))
    func keptDirectoryAccessIsUsedOnlyWhileCurrentAndUntilInvalidated() throws {
        let f = try Folder()
        let dir = try f.directory("目录", owner: Self.owner, group: Self.group, mode: 0o755)
        let file = f.file("目录/文件.txt", owner: Self.owner, group: Self.group, mode: 0o644)
        let stranger = Reader(uid: Self.stranger, gid: Self.stranger, groups: [])
        final class Flags: @unchecked Sendable {
            var current = true
            var watched: Set<String> = []
            var onWatchedCheck: () -> Void = {}
        }
        let flags = Flags()
        let cache = DirectoryAccessCache()
        func may() -> Bool {
            ReadPermission(stranger, directories: cache).mayRead(path: file, stored: FileAccess.of(path: file))
        }
        // Not connected: nothing kept.
        #expect(may() && cache.count == 0)
        cache.connect(isCurrent: { flags.current }, isWatched: { flags.onWatchedCheck(); return flags.watched.contains($0) })
        // Connected, but no directory watched: examined live, nothing kept.
        #expect(may() && cache.count == 0)
        flags.watched = [f.path, dir]
        #expect(may())
        #expect(cache.count == 2)  // the folder and 目录; not /tmp above them
        // A change not reported yet: the kept access answers while the source says current...
        chmod(dir, 0o750)
        #expect(may(), "kept access used")
        // ...and is not used when the source says a change may be pending.
        flags.current = false
        #expect(!may(), "examined live")
        flags.current = true
        // Reported: forgotten, and examined again.
        cache.invalidate()
        #expect(cache.count == 0)
        #expect(!may())
        #expect(cache.count == 2)
        // An invalidation between the watch check and the stat: nothing stored.
        cache.invalidate()
        chmod(dir, 0o755)
        flags.onWatchedCheck = { cache.invalidate() }
        #expect(may())
        #expect(cache.count == 0)
        flags.onWatchedCheck = {}
        // Disconnected (the watcher stopped): nothing used, nothing kept.
        #expect(may() && cache.count == 2)
        cache.disconnect()
        chmod(dir, 0o750)
        #expect(!may() && cache.count == 0)

        // A reader's verdicts are kept too, and depend on the unwatched directories above the
        // watched ones: a change there (no event: above a root) is seen by the next request.
        let deep = try f.directory("上/中/下", owner: Self.owner, group: Self.group, mode: 0o755)
        chmod(f.path + "/上", 0o755)
        chmod(f.path + "/上/中", 0o755)
        let deepFile = f.file("上/中/下/文件.txt", owner: Self.owner, group: Self.group, mode: 0o644)
        let verdictCache = DirectoryAccessCache()
        let middle = f.path + "/上/中"
        verdictCache.connect(isCurrent: { true }, isWatched: { $0 == middle || $0 == deep })
        func mayDeep() -> Bool {
            ReadPermission(stranger, directories: verdictCache).mayRead(path: deepFile, stored: FileAccess.of(path: deepFile))
        }
        #expect(mayDeep() && mayDeep())
        chmod(f.path + "/上", 0o700)  // unwatched: examined again at each request
        #expect(!mayDeep(), "a change above the watched directories")
        chmod(f.path + "/上", 0o755)
        #expect(mayDeep())
        chmod(deep, 0o700)  // watched, not reported: the kept verdict answers
        #expect(mayDeep(), "kept verdict")
        verdictCache.invalidate()
        #expect(!mayDeep(), "reported")
        // Readers are kept apart: the owner's verdicts are not the stranger's.
        #expect(ReadPermission(Reader(uid: Self.owner, gid: Self.owner, groups: []), directories: verdictCache)
            .mayRead(path: deepFile, stored: FileAccess.of(path: deepFile)))
        #expect(!mayDeep())

        // A change that makes no event (another NFS client's chmod) is seen after the maximum age.
        let aging = DirectoryAccessCache(maxAgeNanoseconds: 300_000_000)
        aging.connect(isCurrent: { true }, isWatched: { flags.watched.contains($0) })
        chmod(dir, 0o755)
        #expect(ReadPermission(stranger, directories: aging).mayRead(path: file, stored: FileAccess.of(path: file)))
        chmod(dir, 0o750)
        #expect(ReadPermission(stranger, directories: aging).mayRead(path: file, stored: FileAccess.of(path: file)), "kept")
        usleep(400_000)
        #expect(!ReadPermission(stranger, directories: aging).mayRead(path: file, stored: FileAccess.of(path: file)), "too old")
    }
}
