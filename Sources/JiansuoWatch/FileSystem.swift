import Glibc
import JiansuoPath

/// What `lstat(2)` says about a path. Symbolic links are reported as such, never followed.
public struct FileInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case regular, directory, symlink, other }

    public var kind: Kind
    /// Size in bytes.
    public var size: Int64
    /// Modification time in nanoseconds since the Unix epoch.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64

    /// `lstat(2)`s `path`; nil when it does not exist or cannot be examined.
    public init?(path: String) {
        var st = stat()
        guard RawPath.withCString(path, { lstat($0, &st) }) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        size = Int64(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        inode = UInt64(st.st_ino)
    }
}

/// Directory listing without following symbolic links.
public enum DirectoryListing {
    /// An entry of a directory.
    public struct Entry: Sendable {
        public var name: String
        public var isDirectory: Bool
        public var isRegularFile: Bool
    }

    /// The included regular files under `root` (absolute paths), without adding watches.
    /// Symbolic links are not followed.
    public static func files(under root: String, rules: IndexingRules) -> [String] {
        var files: [String] = []
        var stack = [root]
        while let dir = stack.popLast() {
            for entry in entries(of: dir) {
                let path = dir == "/" ? "/" + entry.name : dir + "/" + entry.name
                if entry.isDirectory {
                    if rules.includesDirectory(named: entry.name, path: path, under: root) { stack.append(path) }
                } else if entry.isRegularFile, rules.includesFile(named: entry.name, path: path, under: root) {
                    files.append(path)
                }
            }
        }
        return files
    }

    /// The entries of `path` except `.` and `..`; empty when it cannot be read. Names that are
    /// not valid UTF-8 are escaped as ``JiansuoPath/RawPath`` says.
    public static func entries(of path: String) -> [Entry] {
        guard let dir = RawPath.withCString(path, { opendir($0) }) else { return [] }
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
            result.append(Entry(name: name, isDirectory: type == Int32(DT_DIR), isRegularFile: type == Int32(DT_REG)))
        }
        return result
    }
}
