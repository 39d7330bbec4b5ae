import Glibc
import JiansuoPath
import Logging
import Synchronization

/// A change seen by the watcher. Paths are absolute.
public enum WatchEvent: Sendable, Equatable {
    /// A file was written and closed, or moved into a watched directory: check it.
    case fileChanged(String)
    /// A file or directory was deleted or moved away: drop it and everything under it.
    case removed(String)
    /// A file or directory was renamed within the watched trees (IN_MOVED_FROM and IN_MOVED_TO
    /// paired by cookie): its documents move without being extracted again.
    case moved(from: String, to: String, isDirectory: Bool)
    /// The kernel queue overflowed and events were lost: reconcile everything.
    case overflow
}

/// Recursive inotify watcher: one watch per directory, added before the directory is listed so
/// no file created meanwhile is missed. Directories created or moved in later are watched and
/// listed the same way; the files found are reported as ``WatchEvent/fileChanged(_:)``.
///
/// The inotify descriptor is read continuously on a thread of its own, apart from indexing, so
/// the kernel queue does not overflow while a batch commits. See inotify(7).
public final class InotifyWatcher: Sendable {
    private let fd: Int32
    private let settings: WatchSettings
    private var rules: IndexingRules { settings.rules }
    private let logger: Logger
    private let handler: @Sendable (WatchEvent) -> Void
    /// Watch descriptor ↔ directory path, both ways (adding a watch costs O(1), not a scan).
    private let watches = Mutex<WatchMap>(WatchMap())
    /// Serializes tree walks (the reader thread's new directories, the reconcile service's crawls).
    private let walking = Mutex<Void>(())
    /// Directories that could not be listed or watched, with the reason (for `status`).
    private let unreadable = Mutex<[String: String]>([:])
    private let roots = Mutex<Set<String>>([])
    /// Device and inode of each root when it was last watched (nil: it changed during the walk).
    private let rootIdentities = Mutex<[String: RootIdentity?]>([:])
    private let stopping = Atomic<Bool>(false)
    private let warnedAboutLimit = Atomic<Bool>(false)
    /// Directories that could not be watched (watch limit): polled instead.
    private let unwatched = Mutex<Set<String>>([])
    private let overflows = Atomic<Int>(0)
    /// True while ``run()`` reads: set before each read(2) of the queue, cleared once every
    /// event read has been handled (see ``isCaughtUp``).
    private let busy = Atomic<Bool>(true)
    /// Called, on the reader thread, for every change that may change a directory's access:
    /// see ``init(settings:logger:maxWatches:directoriesChanged:handler:)``.
    private let directoriesChanged: @Sendable () -> Void
    /// IN_MOVED_FROM halves waiting for their IN_MOVED_TO, by cookie. Reader thread only.
    private let pendingMoves = Mutex<[UInt32: PendingMove]>([:])

    private struct PendingMove {
        var path: String
        var isDirectory: Bool
        var deadline: ContinuousClock.Instant
    }

    /// How long an IN_MOVED_FROM waits for its IN_MOVED_TO before it counts as a removal.
    public static let movePairingTimeout = Duration.milliseconds(100)

    /// Events watched on every directory.
    /// IN_ATTRIB: a file made readable again (chmod) is retried.
    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB
        | IN_DELETE_SELF | IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_EXCL_UNLINK)

    /// Opens an inotify instance. `handler` is called on the reader thread, in event order.
    /// - Throws: ``WatchError/inotifyUnavailable(errno:)`` when inotify_init1 fails (e.g. the
    ///   `fs.inotify.max_user_instances` limit).
    /// Most watches this watcher adds (0: only the kernel's `fs.inotify.max_user_watches`).
    private let maxWatches: Int

    /// `directoriesChanged` is called, before the event's `handler`, for every event that may
    /// change the owner, group, mode or ACL a watched path resolves to: any event on a
    /// directory, on a watched directory itself, a lost queue (IN_Q_OVERFLOW), a watch removed
    /// or renamed, and, with symbolic links followed, any entry created, deleted or moved.
    /// With ``isCaughtUp`` it lets a cache of directories' access stay exact.
    public init(settings: WatchSettings, logger: Logger, maxWatches: Int = 0,
                directoriesChanged: @escaping @Sendable () -> Void = {},
                handler: @escaping @Sendable (WatchEvent) -> Void) throws {
        self.maxWatches = maxWatches
        self.directoriesChanged = directoriesChanged
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw WatchError.inotifyUnavailable(errno: errno) }
        self.fd = fd
        self.settings = settings
        self.logger = logger
        self.handler = handler
    }

    deinit { close(fd) }

    /// Number of directories watched.
    public var watchCount: Int { watches.withLock { $0.count } }

    /// Directories that cannot be read (listed or watched), each with the reason, e.g.
    /// `Permission denied`. They are retried when their permissions change (IN_ATTRIB) and at
    /// every reconcile.
    public var unreadableDirectories: [String: String] { unreadable.withLock { $0 } }
    /// Directories that could not be watched because of the inotify watch limit.
    public var unwatchedDirectories: Set<String> { unwatched.withLock { $0 } }
    /// How often the kernel queue overflowed (IN_Q_OVERFLOW) since start.
    public var overflowCount: Int { overflows.load(ordering: .relaxed) }

    /// Watches the root directory `root` and everything below it, like ``watchTree(_:)``; a root
    /// that is deleted or moved away is reported as ``WatchEvent/removed(_:)``.
    public func watchRoot(_ root: String) -> [String] {
        roots.withLock { _ = $0.insert(root) }
        let before = FileInfo(path: root, followingSymlinks: true)
        let files = watchTree(root)
        let after = FileInfo(path: root, followingSymlinks: true)
        // The inode the root's watch is on, when nothing replaced it during the walk.
        let identity = before.flatMap { b in after.flatMap { a in
            a.device == b.device && a.inode == b.inode && a.kind == .directory ? RootIdentity(device: a.device, inode: a.inode) : nil } }
        rootIdentities.withLock { $0[root] = identity }
        return files
    }

    /// Whether every change to the access of a watched directory's path is reported through
    /// `directoriesChanged`, apart from the events still queued (``isCaughtUp``): each root's
    /// path still leads to the directory its watch is on (a directory above a root renamed,
    /// replaced or mounted over makes no event below it); no directory is over the watch
    /// limit (polled: changes under it make no event); no rename is waiting for its second
    /// half (the directory moved out may be replaced, unreported); symbolic links are not
    /// followed (a linked directory's access depends on directories outside the roots). Costs
    /// a `stat(2)` per root.
    public var reportsEveryDirectoryChange: Bool {
        guard !rules.followSymlinks, unwatched.withLock({ $0.isEmpty }), pendingMoves.withLock({ $0.isEmpty }) else { return false }
        let identities = rootIdentities.withLock { $0 }
        for root in roots.withLock({ $0 }) {
            guard let known = identities[root] ?? nil, let now = FileInfo(path: root, followingSymlinks: true),
                  now.device == known.device, now.inode == known.inode else { return false }
        }
        return true
    }

    private struct RootIdentity {
        var device: UInt64
        var inode: UInt64
    }

    /// Watches `directory` and every included directory below it, and returns the included
    /// regular files found, as absolute paths. Safe from any thread: walks are serialized.
    public func watchTree(_ directory: String) -> [String] {
        walking.withLock { _ in
            var files: [String] = []
            DirectoryListing.walk(
                directory, rules: rules, directory: { addWatch($0) }, file: { files.append($0) },
                unreadable: { dir, code in
                    let reason = String(cString: strerror(code))
                    let new = unreadable.withLock { $0.updateValue(reason, forKey: dir) == nil }
                    if new { logger.warning("cannot read directory; its files are not indexed", metadata: ["dir.path": "\(dir)", "error": "\(reason)"]) }
                },
                listed: { dir in unreadable.withLock { _ = $0.removeValue(forKey: dir) } })
            return files
        }
    }

    private func addWatch(_ dir: String) {
        let known = watches.withLock { $0.descriptor(of: dir) != nil }
        let overBudget = maxWatches > 0 && !known && watchCount >= maxWatches
        let wd = overBudget ? -1 : RawPath.withCString(dir) { inotify_add_watch(fd, $0, Self.mask) }
        if overBudget { errno = ENOSPC }
        if wd >= 0 {
            watches.withLock { $0.set(wd, dir) }
            unwatched.withLock { _ = $0.remove(dir) }
            return
        }
        let code = errno
        if code == ENOSPC {
            unwatched.withLock { _ = $0.insert(dir) }
            if !warnedAboutLimit.exchange(true, ordering: .relaxed) {
                logger.error("inotify watch limit reached: raise fs.inotify.max_user_watches (sysctl); directories over the limit are polled instead",
                             metadata: ["dir.path": "\(dir)"])
            }
        } else if code != ENOENT && code != ENOTDIR {
            let reason = "cannot watch: " + String(cString: strerror(code))
            unreadable.withLock { $0[dir] = reason }
            logger.warning("cannot watch directory", metadata: ["dir.path": "\(dir)", "error": "\(reason)"])
        }
    }

    /// Stops watching every directory at or under `dir` (it was moved away or deleted).
    private func unwatchTree(_ dir: String) {
        let prefix = dir + "/"
        let gone = watches.withLock { map -> [Int32] in map.removeTree(dir) }
        directoriesChanged()
        unwatched.withLock { $0 = $0.filter { $0 != dir && !$0.hasPrefix(prefix) } }
        unreadable.withLock { $0 = $0.filter { $0.key != dir && !$0.key.hasPrefix(prefix) } }
        for wd in gone { inotify_rm_watch(fd, wd) }
    }

    /// Renames the watched directories at or under `from` (their watches follow the inodes).
    private func rewatchTree(from: String, to: String) {
        let prefix = from + "/"
        watches.withLock { $0.renameTree(from: from, to: to) }
        directoriesChanged()
        unwatched.withLock { set in
            set = Set(set.map { $0 == from || $0.hasPrefix(prefix) ? to + $0.dropFirst(from.count) : $0 })
        }
    }

    /// IN_MOVED_FROM halves whose IN_MOVED_TO never came: the file or directory left the trees.
    private func expirePendingMoves(now: ContinuousClock.Instant) {
        let expired = pendingMoves.withLock { pending -> [PendingMove] in
            let gone = pending.filter { $0.value.deadline <= now }
            for key in gone.keys { pending[key] = nil }
            return Array(gone.values)
        }
        for move in expired {
            if move.isDirectory { unwatchTree(move.path) }
            handler(.removed(move.path))
        }
    }

    /// Whether every event queued before this call has been handled: the kernel queue is
    /// empty (FIONREAD) and no event read from it is still being handled. inotify queues an
    /// event before the system call that caused it returns, so after a `chmod(2)` has returned,
    /// this is false until ``directoriesChanged`` was called for it. False before ``run()``
    /// starts and after it returns.
    public var isCaughtUp: Bool {
        var queued: Int32 = 0
        // The queue first, then the flag: an event read after the check is still in the
        // queue at it; one read before it is being handled (busy) or was handled.
        guard withUnsafeMutablePointer(to: &queued, { ioctl(fd, UInt(FIONREAD), $0) }) == 0, queued == 0 else { return false }
        return !busy.load(ordering: .sequentiallyConsistent)
    }

    /// Whether `directory` has a watch now.
    public func isWatching(_ directory: String) -> Bool {
        watches.withLock { $0.descriptor(of: directory) != nil }
    }

    /// Reads events until ``stop()``; blocks the calling thread. Run it on a dedicated thread.
    public func run() {
        defer { busy.store(true, ordering: .sequentiallyConsistent) }
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopping.load(ordering: .relaxed) {
            busy.store(false, ordering: .sequentiallyConsistent)
            let waiting = pendingMoves.withLock { !$0.isEmpty }
            let ready = poll(&pfd, 1, waiting ? 20 : 200)
            busy.store(true, ordering: .sequentiallyConsistent)
            expirePendingMoves(now: .now)
            if ready <= 0 { continue }
            let n = read(fd, buffer, capacity)
            if n <= 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                logger.error("inotify read failed", metadata: ["errno": "\(errno)"])
                return
            }
            var offset = 0
            while offset + 16 <= n {
                let event = buffer.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let nameBytes = UnsafeRawBufferPointer(start: buffer + offset + 16, count: Int(event.len))
                let name = RawPath.string(from: nameBytes.prefix(while: { $0 != 0 }))
                offset += 16 + Int(event.len)
                handle(wd: event.wd, mask: event.mask, cookie: event.cookie, name: name)
            }
        }
    }

    /// Makes ``run()`` return within about 200 ms.
    public func stop() { stopping.store(true, ordering: .relaxed) }

    private func handle(wd: Int32, mask: UInt32, cookie: UInt32, name: String) {
        if mask & UInt32(IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 || mask & UInt32(IN_ISDIR) != 0 || name.isEmpty
            || (rules.followSymlinks && mask & UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO) != 0) {
            directoriesChanged()
        }
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            overflows.add(1, ordering: .relaxed)
            logger.warning("inotify queue overflowed; reconciling")
            handler(.overflow)
            return
        }
        guard let dir = watches.withLock({ $0.path(of: wd) }) else { return }
        if mask & UInt32(IN_IGNORED) != 0 {
            watches.withLock { $0.remove(wd) }
            return
        }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            // The parent reports other directories (IN_DELETE / IN_MOVED_FROM); only a root
            // has no watched parent.
            if roots.withLock({ $0.contains(dir) }) {
                logger.warning("watched root was deleted or moved away", metadata: ["root.path": "\(dir)"])
                unwatchTree(dir)
                handler(.removed(dir))
            }
            return
        }
        guard !name.isEmpty else { return }
        let path = dir + "/" + name
        let isDirectory = mask & UInt32(IN_ISDIR) != 0
        if mask & UInt32(IN_MOVED_FROM) != 0 {
            // Wait for the IN_MOVED_TO half; expirePendingMoves turns a lone half into a removal.
            let included = isDirectory ? rules.includesDirectory(named: name) : true
            if included {
                pendingMoves.withLock {
                    $0[cookie] = PendingMove(path: path, isDirectory: isDirectory, deadline: .now + Self.movePairingTimeout)
                }
            }
            return
        }
        if mask & UInt32(IN_MOVED_TO) != 0, let from = pendingMoves.withLock({ $0.removeValue(forKey: cookie) }) {
            if isDirectory {
                if rules.includesDirectory(named: name) {
                    rewatchTree(from: from.path, to: path)
                    handler(.moved(from: from.path, to: path, isDirectory: true))
                    // Directories created inside it since the crawl are picked up too.
                    for file in watchTree(path) { handler(.fileChanged(file)) }
                } else {
                    unwatchTree(from.path)
                    handler(.removed(from.path))
                }
            } else {
                handler(.moved(from: from.path, to: path, isDirectory: false))
            }
            return
        }
        if isDirectory {
            guard rules.includesDirectory(named: name) else { return }
            // IN_ATTRIB: a directory made readable again (chmod) is watched and listed now;
            // one the daemon may no longer list or enter takes its documents out of the index.
            if mask & UInt32(IN_ATTRIB) != 0, RawPath.withCString(path, { faccessat(AT_FDCWD, $0, R_OK | X_OK, AT_EACCESS) }) != 0 {
                let reason = String(cString: strerror(errno))
                unreadable.withLock { $0[path] = reason }
                logger.warning("cannot read directory; its files leave the index", metadata: ["dir.path": "\(path)", "error": "\(reason)"])
                handler(.removed(path))
            } else if mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB) != 0 {
                for file in watchTree(path) { handler(.fileChanged(file)) }
            } else if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
                unwatchTree(path)
                handler(.removed(path))
            }
            return
        }
        if mask & UInt32(IN_CREATE) != 0, rules.followSymlinks, FileInfo(path: path)?.kind == .symlink {
            // A new symbolic link: what it points to is indexed under its own path.
            if FileInfo(path: path, followingSymlinks: true)?.kind == .directory {
                if rules.includesDirectory(named: name) { for file in watchTree(path) { handler(.fileChanged(file)) } }
            } else if rules.includesFile(named: name) {
                handler(.fileChanged(path))
            }
            return
        }
        if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_ATTRIB) != 0 {
            if rules.includesFile(named: name) { handler(.fileChanged(path)) }
        } else if mask & UInt32(IN_MOVED_FROM | IN_DELETE) != 0 {
            handler(.removed(path))
        }
    }
}

/// Errors of the watcher.
public enum WatchError: Error, CustomStringConvertible {
    case inotifyUnavailable(errno: Int32)

    public var description: String {
        switch self {
        case .inotifyUnavailable(let e): "inotify_init1 failed: \(String(cString: strerror(e))) (check fs.inotify.max_user_instances)"
        }
    }
}

/// Watch descriptors and the directories they watch, indexed both ways. Pure data.
struct WatchMap {
    private var paths: [Int32: String] = [:]
    private var descriptors: [String: Int32] = [:]

    var count: Int { paths.count }

    func path(of wd: Int32) -> String? { paths[wd] }
    func descriptor(of path: String) -> Int32? { descriptors[path] }

    /// Records that `wd` watches `path` (inotify returns the same descriptor for a directory
    /// watched again, possibly under a new name).
    mutating func set(_ wd: Int32, _ path: String) {
        if let old = paths[wd], descriptors[old] == wd { descriptors[old] = nil }
        if let oldWD = descriptors[path], oldWD != wd { paths[oldWD] = nil }
        paths[wd] = path
        descriptors[path] = wd
    }

    mutating func remove(_ wd: Int32) {
        if let path = paths.removeValue(forKey: wd), descriptors[path] == wd { descriptors[path] = nil }
    }

    /// Forgets `dir` and every directory under it; returns their descriptors.
    mutating func removeTree(_ dir: String) -> [Int32] {
        let prefix = dir + "/"
        let gone = descriptors.filter { $0.key == dir || $0.key.hasPrefix(prefix) }
        for (path, wd) in gone {
            descriptors[path] = nil
            paths[wd] = nil
        }
        return Array(gone.values)
    }

    /// Renames `from` and every directory under it to lie under `to`.
    mutating func renameTree(from: String, to: String) {
        let prefix = from + "/"
        let moved = descriptors.filter { $0.key == from || $0.key.hasPrefix(prefix) }
        for (path, _) in moved { descriptors[path] = nil }
        for (path, wd) in moved {
            let renamed = to + path.dropFirst(from.count)
            paths[wd] = renamed
            descriptors[renamed] = wd
        }
    }
}
