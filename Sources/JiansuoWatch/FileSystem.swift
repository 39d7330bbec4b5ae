import Glibc
import JiansuoPath

/// What `lstat(2)` (or, following symbolic links, `stat(2)`) says about a path.
public struct FileInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case regular, directory, symlink, other }

    public var kind: Kind
    /// Size in bytes.
    public var size: Int64
    /// Modification time in nanoseconds since the Unix epoch.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    public var device: UInt64
    /// Owner and group ids, and the permission bits (`st_mode & 0o7777`).
    public var owner: UInt32
    public var group: UInt32
    public var permissions: UInt32

    /// `lstat(2)`s `path` (`stat(2)` with `followingSymlinks`); nil when it does not exist,
    /// cannot be examined, or is a dangling link.
    public init?(path: String, followingSymlinks: Bool = false) {
        var st = stat()
        let rc = RawPath.withCString(path) { followingSymlinks ? stat($0, &st) : lstat($0, &st) }
        guard rc == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
        device = UInt64(st.st_dev)
        owner = st.st_uid
        group = st.st_gid
        permissions = UInt32(st.st_mode) & 0o7777
    }
}

/// Directory listing without following symbolic links.
public enum DirectoryListing {
    /// An entry of a directory.
    public struct Entry: Sendable {
        public var name: String
        public var isDirectory: Bool
        public var isRegularFile: Bool
        public var isSymlink: Bool
    }

    /// The included regular files under `root` (absolute paths), without adding watches.
    /// Symbolic links are not followed.
    public static func files(under root: String, rules: IndexingRules) -> [String] {
        var files: [String] = []
        walk(root, rules: rules, directory: { _ in }, file: { files.append($0) })
        return files
    }

    /// Walks the included tree under `root`: `directory` is called for each directory (the root
    /// first) before it is listed, `file` for each included regular file. Symbolic links are
    /// followed only when `rules.followSymlinks`, and then a directory reached twice (a loop, or
    /// two links to one place) is entered once.
    /// `unreadable` is called for each directory that cannot be listed, with errno; `listed` for
    /// each one that was.
    public static func walk(_ root: String, rules: IndexingRules, directory: (String) -> Void, file: (String) -> Void,
                            unreadable: (String, Int32) -> Void = { _, _ in }, listed: (String) -> Void = { _ in }) {
        var visited = Set<[UInt64]>()
        if let info = FileInfo(path: root, followingSymlinks: true) { visited.insert([info.device, info.inode]) }
        var stack = [root]
        while let dir = stack.popLast() {
            directory(dir)
            let list: [Entry]
            do {
                list = try readEntries(of: dir)
                listed(dir)
            } catch {
                if error.errno != ENOENT && error.errno != ENOTDIR { unreadable(dir, error.errno) }
                continue
            }
            for entry in list {
                let path = dir == "/" ? "/" + entry.name : dir + "/" + entry.name
                var isDirectory = entry.isDirectory, isFile = entry.isRegularFile
                if entry.isSymlink {
                    guard rules.followSymlinks, let target = FileInfo(path: path, followingSymlinks: true) else { continue }
                    isDirectory = target.kind == .directory
                    isFile = target.kind == .regular
                }
                if isDirectory {
                    guard rules.includesDirectory(named: entry.name, path: path, under: root) else { continue }
                    if rules.followSymlinks, let info = FileInfo(path: path, followingSymlinks: true),
                       !visited.insert([info.device, info.inode]).inserted {
                        continue  // a loop, or a directory already reached another way
                    }
                    stack.append(path)
                } else if isFile, rules.includesFile(named: entry.name, path: path, under: root) {
                    file(path)
                }
            }
        }
    }

    /// The entries of `path` except `.` and `..`; empty when it cannot be read. Names that are
    /// not valid UTF-8 are escaped as ``JiansuoPath/RawPath`` says.
    public static func entries(of path: String) -> [Entry] {
        (try? readEntries(of: path)) ?? []
    }

    /// The entries of `path` except `.` and `..`.
    /// - Throws: ``ListingError`` with `opendir`'s errno when the directory cannot be read.
    public static func readEntries(of path: String) throws(ListingError) -> [Entry] {
        guard let dir = RawPath.withCString(path, { opendir($0) }) else { throw ListingError(errno: errno) }
        defer { closedir(dir) }
        var result: [Entry] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { raw in
                RawPath.string(from: raw.prefix(while: { $0 != 0 }))
            }
            if name == "." || name == ".." { continue }
            var type = Int32(ent.pointee.d_type)
            if type == Int32(DT_UNKNOWN) {
                switch FileInfo(path: path + "/" + name)?.kind {
                case .regular: type = Int32(DT_REG)
                case .directory: type = Int32(DT_DIR)
                default: type = Int32(DT_LNK)
                }
            }
            result.append(Entry(name: name, isDirectory: type == Int32(DT_DIR), isRegularFile: type == Int32(DT_REG),
                                isSymlink: type == Int32(DT_LNK)))
        }
        return result
    }
}

/// A directory that could not be listed.
public struct ListingError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { String(cString: strerror(errno)) }
}
