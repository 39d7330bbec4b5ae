import CAccess
import Dispatch
import Glibc
import JiansuoPath
import Synchronization

/// Owner, group and permission bits of an indexed file, stored with its document (columns
/// `owner`, `grp`, `mode`) so that results can be filtered by who asks without a `stat(2)` per
/// hit. Kept current by the watcher's IN_ATTRIB events and by each reconcile.
public struct FileAccess: Sendable, Hashable {
    public var owner: UInt32
    public var group: UInt32
    /// `st_mode & 0o7777`, plus ``extendedACL`` when the file has an extended POSIX ACL.
    public var mode: UInt32

    /// Set in ``mode`` when the file has an extended ACL (see acl(5)): its mode bits alone do
    /// not decide, and the ACL is read when a search needs it.
    public static let extendedACL: UInt32 = 1 << 16

    public init(owner: UInt32, group: UInt32, mode: UInt32) {
        self.owner = owner
        self.group = group
        self.mode = mode
    }

    /// The permission bits, without ``extendedACL``.
    public var permissions: UInt32 { mode & 0o7777 }

    /// `stat(2)` (or `lstat(2)`) of `path` and whether it has an extended ACL; nil when it
    /// cannot be examined.
    public static func of(path: String, followingSymlinks: Bool = true) -> FileAccess? {
        var st = stat()
        let rc = RawPath.withCString(path) { followingSymlinks ? stat($0, &st) : lstat($0, &st) }
        guard rc == 0 else { return nil }
        let extended = RawPath.withCString(path) { caccess_has_extended_acl($0) } == 1
        return FileAccess(owner: st.st_uid, group: st.st_gid, mode: UInt32(st.st_mode) & 0o7777 | (extended ? extendedACL : 0))
    }
}

extension FileAccess {
    /// ``of(path:followingSymlinks:)`` for a directory a search examines (it follows symlinks):
    /// a `stat(2)` every time, and the extended-ACL probe (two `getxattr(2)` calls) only when
    /// the directory's device, inode or status change time (ctime) differ from when it was
    /// last probed. Setting or removing an ACL, like `chmod` and `chown`, sets ctime to the
    /// current time, so an unchanged ctime means an unchanged ACL flag; a probe is remembered
    /// only when ctime was already over a second old, so that a change in the same tick of the
    /// kernel's coarse clock cannot hide behind it. On the large corpus (2,226 directories) a
    /// reader answered from ``MatchCache`` spent 80% of its time examining directories, 40%
    /// of it in the ACL probe (docs/performance.md).
    static func ofDirectory(path: String) -> FileAccess? {
        var st = stat()
        guard RawPath.withCString(path, { stat($0, &st) }) == 0 else { return nil }
        let identity = DirectoryProbes.Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                                                ctimeSeconds: Int64(st.st_ctim.tv_sec), ctimeNanoseconds: Int64(st.st_ctim.tv_nsec))
        let key = PathKey(path)
        let extended: Bool
        if let known = DirectoryProbes.shared.extended(key, identity) {
            extended = known
        } else {
            extended = RawPath.withCString(path) { caccess_has_extended_acl($0) } == 1
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            if Int64(now.tv_sec) - identity.ctimeSeconds > 1 { DirectoryProbes.shared.remember(key, identity, extended) }
        }
        return FileAccess(owner: st.st_uid, group: st.st_gid, mode: UInt32(st.st_mode) & 0o7777 | (extended ? extendedACL : 0))
    }
}

/// A path as its UTF-8 bytes, hashed as bytes (a `String` key hashes its Unicode-normalized
/// form, which for CJK paths cost more than the `stat(2)` it guarded). The bytes are hashed
/// once, when the key is made: a reader's search looks each directory up in two or three
/// tables, and hashing the bytes at each lookup was 15% of its samples (large corpus).
struct PathKey: Hashable {
    let bytes: [UInt8]
    private let digest: Int
    init(_ path: String) {
        bytes = Array(path.utf8)
        var hasher = Hasher()
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        digest = hasher.finalize()
    }
    static func == (a: PathKey, b: PathKey) -> Bool { a.digest == b.digest && a.bytes == b.bytes }
    func hash(into hasher: inout Hasher) { hasher.combine(digest) }
}

/// The extended-ACL flag of directories by path, with the identity it was probed at (see
/// ``FileAccess/ofDirectory(path:)``). Thread-safe; at most ``capacity`` entries (emptied
/// when full).
final class DirectoryProbes: Sendable {
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
        var ctimeSeconds: Int64
        var ctimeNanoseconds: Int64
    }

    static let shared = DirectoryProbes()
    static let capacity = 65_536
    private let entries = Mutex<[PathKey: (identity: Identity, extended: Bool)]>([:])

    func extended(_ key: PathKey, _ identity: Identity) -> Bool? {
        entries.withLock { e in e[key].flatMap { $0.identity == identity ? $0.extended : nil } }
    }

    func remember(_ key: PathKey, _ identity: Identity, _ extended: Bool) {
        entries.withLock { e in
            if e.count >= Self.capacity { e.removeAll(keepingCapacity: true) }
            e[key] = (identity, extended)
        }
    }
}

/// Who is searching: the credentials a client connected with (SO_PEERCRED, SO_PEERGROUPS).
/// A search made for a reader returns, counts and shows only the documents that user could
/// read (see ``ReadPermission``).
public struct Reader: Sendable, Hashable {
    public var uid: UInt32
    public var gid: UInt32
    /// Supplementary groups.
    public var groups: [UInt32]

    public init(uid: UInt32, gid: UInt32, groups: [UInt32]) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }
}

/// Decides, for one request, whether a reader may read indexed files, as the kernel would
/// decide an `open(2)` for reading by that user: read permission on the file and search (x)
/// permission on every directory above it, up to `/`, from the owner, group or other bits, or
/// from the POSIX ACL where there is one (acl(5)'s access check algorithm, through libacl).
///
/// The file's bits come from the index (``FileAccess``, or a live `stat(2)` when unknown); the
/// directories are examined live, once per directory per request, so a directory made
/// private, even above a root, hides everything under it at once. Not thread-safe: one per
/// request.
public final class ReadPermission {
    public let reader: Reader
    private var directories: [PathKey: Bool] = [:]
    /// Kept directory access, when it is current for this request (see ``DirectoryAccessCache``).
    private let kept: DirectoryAccessCache?
    /// This reader's search verdicts kept by earlier requests, valid for this one (their
    /// unwatched directories examined again and found unchanged), and the cache generation
    /// they belong to.
    private var known: [PathKey: Bool] = [:]
    private var generation: UInt64 = 0
    /// Verdicts this request made, kept at its end if no change came meanwhile.
    private var fresh = DirectoryAccessCache.Verdicts()

    /// A decision maker for one request by `reader`. With `directories`, the access of watched
    /// directories, and this reader's verdicts on them, are taken from it instead of a
    /// `stat(2)` each, when it is current at this moment (``DirectoryAccessCache/isCurrent``);
    /// otherwise every directory is examined live.
    public init(_ reader: Reader, directories: DirectoryAccessCache? = nil) {
        self.reader = reader
        self.kept = directories.flatMap { $0.isCurrent() ? $0 : nil }
        guard let kept else { return }
        let (verdicts, generation) = kept.verdicts(for: reader)
        self.generation = generation
        // A kept verdict also depends on the directories above it that are not watched (above
        // a root): each is examined again now, and any change drops them all.
        if let verdicts, verdicts.unwatched.allSatisfy({ maySearch(directory: $0.value.path) == $0.value.verdict }) {
            known = verdicts.searchable
        }
    }

    deinit { kept?.keep(fresh, for: reader, generation: generation) }

    /// Whether the reader may read the file at `path` (absolute), whose stored access is
    /// `stored` (nil: unknown, examined now).
    public func mayRead(path: String, stored: FileAccess?) -> Bool {
        guard let access = stored ?? FileAccess.of(path: path) else { return false }
        guard grants(access, path: path, permission: CACCESS_READ) else { return false }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return false }
        return maySearch(directory: String(path[..<slash]))
    }

    /// Whether the reader may read a file in `directory` (its path up to the last `/`) whose
    /// stored access is `access`, which has no ``FileAccess/extendedACL``: the decision
    /// ``mayRead(path:stored:)`` makes for every such file, so that it can be made once for all
    /// of them (``MatchCache``). Nil for an access with an ACL (decided per file).
    public func mayRead(directory: String, access: FileAccess) -> Bool? {
        guard access.mode & FileAccess.extendedACL == 0 else { return nil }
        return grants(access, path: "", permission: CACCESS_READ) && maySearch(directory: directory)
    }

    /// Whether the reader may list and enter `directory` (read and search permission on it,
    /// search permission above it).
    public func mayEnter(directory: String) -> Bool {
        guard maySearch(directory: directory), let access = FileAccess.ofDirectory(path: directory) else { return false }
        return grants(access, path: directory, permission: CACCESS_READ)
    }

    /// Search permission on `directory` and every directory above it.
    private func maySearch(directory: String) -> Bool {
        if directory.isEmpty { return true }  // above "/"
        let key = PathKey(directory)
        if let decided = directories[key] ?? known[key] { return decided }
        let parent = directory.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(directory[..<$0]) } ?? ""
        let (access, watched) = kept.map { $0.access(of: directory, key: key) } ?? (FileAccess.ofDirectory(path: directory), false)
        let allowed = maySearch(directory: parent)
            && access.map { grants($0, path: directory, permission: CACCESS_EXECUTE) } == true
        directories[key] = allowed
        if kept != nil {
            fresh.searchable[key] = allowed
            if !watched { fresh.unwatched[key] = (directory, allowed) }
        }
        return allowed
    }

    /// `permission` (CACCESS_READ or CACCESS_EXECUTE) by the ACL when the file has one, else
    /// by the class of bits that applies to the reader (owner, else group, else other: a
    /// class that applies decides, as in the kernel).
    private func grants(_ access: FileAccess, path: String, permission: Int32) -> Bool {
        if access.mode & FileAccess.extendedACL != 0 {
            let verdict = reader.groups.withUnsafeBufferPointer { groups in
                RawPath.withCString(path) {
                    caccess_acl_grants($0, reader.uid, reader.gid, groups.baseAddress, Int32(groups.count),
                                       access.owner, access.group, permission)
                }
            }
            if verdict >= 0 { return verdict == 1 }
        }
        let bits = UInt32(permission)
        if reader.uid == access.owner { return access.mode & (bits << 6) != 0 }
        if reader.gid == access.group || reader.groups.contains(access.group) { return access.mode & (bits << 3) != 0 }
        return access.mode & bits != 0
    }
}

/// The access (owner, group, mode, ACL flag) of directories a watcher reports changes of, kept
/// between requests so that a reader's search does not `stat(2)` every directory its matches
/// span (2,226 on the large corpus: about 3 ms of each search by a user other than root).
///
/// Exact, not eventually right: a request uses the kept access only when ``isCurrent`` holds
/// when it starts, which the owner defines as "every change made to a watched directory before
/// this moment has been passed to ``invalidate()``" (the daemon: its inotify queue is empty and
/// no event read from it is still being handled). `chmod`, `chown` and `setfacl` queue their
/// event before they return, so a permission changed before a search began is always seen by
/// it, as with a `stat(2)` at every search. Otherwise, and for a directory that is not watched
/// (above a root, over the watch limit), the directory is examined live.
///
/// Any change invalidates everything (directory events are rare next to searches). A lookup
/// that examines a directory keeps the result only if no invalidation happened meanwhile
/// (a generation count), so a change racing the `stat(2)` is never hidden. Thread-safe; at
/// most ``capacity`` entries (emptied when full), kept at most ``maxAgeNanoseconds``.
public final class DirectoryAccessCache: Sendable {
    /// Most directories kept.
    public static let capacity = 65_536

    /// How long kept access is used at most by default, in nanoseconds of the monotonic clock: a bound
    /// for changes that make no inotify event (a `chmod` on another NFS client; NFS's own
    /// attribute cache keeps directories 30 s or more by default, see nfs(5) `acdirmin`).
    public static let defaultMaxAgeNanoseconds: UInt64 = 5_000_000_000
    public let maxAgeNanoseconds: UInt64

    /// One reader's search verdicts (search permission on a directory and everything above
    /// it), and the directories they depend on that are not watched, with their verdicts.
    struct Verdicts {
        var searchable: [PathKey: Bool] = [:]
        var unwatched: [PathKey: (path: String, verdict: Bool)] = [:]
    }

    /// Most readers whose verdicts are kept (all are dropped when a new one would exceed it).
    public static let readerCapacity = 64
    /// Most unwatched directories a reader's kept verdicts may depend on.
    public static let unwatchedCapacity = 256
    /// Most verdicts kept over all readers (about 150 bytes each: 40 MB): past it, every
    /// reader's are dropped, so that many users over a large tree cannot grow memory without
    /// bound.
    public static let verdictCapacity = 262_144

    private struct State {
        var generation: UInt64 = 0
        var entries: [PathKey: FileAccess] = [:]
        var readers: [Reader: Verdicts] = [:]
        /// Verdicts in `readers`, all readers together.
        var verdictCount = 0
        /// When the entries were first kept since the last invalidation (monotonic ns).
        var since: UInt64 = 0
    }

    private struct Source {
        var isCurrent: @Sendable () -> Bool
        var isWatched: @Sendable (String) -> Bool
    }

    private let state = Mutex(State())
    private let source = Mutex<Source?>(nil)

    /// A cache that keeps nothing until ``connect(isCurrent:isWatched:)``, then keeps each
    /// directory at most `maxAgeNanoseconds`.
    public init(maxAgeNanoseconds: UInt64 = DirectoryAccessCache.defaultMaxAgeNanoseconds) {
        self.maxAgeNanoseconds = maxAgeNanoseconds
    }

    /// Starts keeping directories, for the watcher that reports their changes.
    /// - Parameters:
    ///   - isCurrent: true when every change to a watched directory made before the call has
    ///     been reported through ``invalidate()``.
    ///   - isWatched: whether changes to `directory` (an absolute path) are reported from now on.
    public func connect(isCurrent: @escaping @Sendable () -> Bool, isWatched: @escaping @Sendable (String) -> Bool) {
        invalidate()
        source.withLock { $0 = Source(isCurrent: isCurrent, isWatched: isWatched) }
    }

    /// Stops keeping directories (the watcher stopped).
    public func disconnect() {
        source.withLock { $0 = nil }
        invalidate()
    }

    /// Whether a request starting now may use the kept access. Forgets what was kept
    /// ``maxAgeNanoseconds`` ago or earlier.
    public func isCurrent() -> Bool {
        guard source.withLock({ $0 })?.isCurrent() ?? false else { return false }
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { s in
            if !s.entries.isEmpty && now &- s.since >= maxAgeNanoseconds {
                s.generation &+= 1
                s.entries.removeAll(keepingCapacity: true)
                s.readers.removeAll()
                s.verdictCount = 0
            }
        }
        return true
    }

    /// Forgets every kept directory: call it for any change to a watched directory (its
    /// attributes, its creation, removal or rename, a watch added or removed) and when events
    /// were lost.
    public func invalidate() {
        state.withLock { s in
            s.generation &+= 1
            s.entries.removeAll(keepingCapacity: true)
            s.readers.removeAll()
            s.verdictCount = 0
        }
    }

    /// Directories kept now (for tests and logs).
    public var count: Int { state.withLock { $0.entries.count } }

    /// `reader`'s kept verdicts and the generation they (and any verdicts made from now on)
    /// belong to.
    func verdicts(for reader: Reader) -> (Verdicts?, UInt64) {
        state.withLock { s in (s.readers[reader], s.generation) }
    }

    /// Keeps `fresh` verdicts of `reader` made since ``verdicts(for:)`` returned `generation`,
    /// unless something was invalidated meanwhile.
    func keep(_ fresh: Verdicts, for reader: Reader, generation: UInt64) {
        guard !fresh.searchable.isEmpty else { return }
        state.withLock { s in
            guard s.generation == generation else { return }
            if (s.readers[reader] == nil && s.readers.count >= Self.readerCapacity)
                || s.verdictCount + fresh.searchable.count > Self.verdictCapacity {
                s.readers.removeAll()
                s.verdictCount = 0
            }
            var verdicts = s.readers.removeValue(forKey: reader) ?? Verdicts()
            s.verdictCount -= verdicts.searchable.count
            if verdicts.searchable.count + fresh.searchable.count > Self.capacity { verdicts = Verdicts() }
            verdicts.searchable.merge(fresh.searchable) { _, new in new }
            verdicts.unwatched.merge(fresh.unwatched) { _, new in new }
            // Each request examines every unwatched directory again: past this many (directories
            // over the watch limit), keeping verdicts would cost more than it saves.
            guard verdicts.unwatched.count <= Self.unwatchedCapacity else { return }
            s.readers[reader] = verdicts
            s.verdictCount += verdicts.searchable.count
        }
    }

    /// The access of `directory` (``FileAccess/ofDirectory(path:)``), kept or examined now (nil
    /// when it cannot be examined), and whether it is kept (false: not watched, or a change
    /// came while it was examined).
    func access(of directory: String, key: PathKey) -> (FileAccess?, kept: Bool) {
        let (known, generation) = state.withLock { s in (s.entries[key], s.generation) }
        if let known { return (known, true) }
        // Watched before the examination: a change after it is reported, and bumps the generation.
        let watched = source.withLock { $0 }?.isWatched(directory) ?? false
        guard let access = FileAccess.ofDirectory(path: directory) else { return (nil, false) }
        guard watched else { return (access, false) }
        let stored = state.withLock { s -> Bool in
            guard s.generation == generation else { return false }
            if s.entries.count >= Self.capacity {
                s.entries.removeAll(keepingCapacity: true)
                s.readers.removeAll()
                s.verdictCount = 0
            }
            if s.entries.isEmpty { s.since = DispatchTime.now().uptimeNanoseconds }
            s.entries[key] = access
            return true
        }
        return (access, stored)
    }
}
