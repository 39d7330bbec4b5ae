/// Which files and directories are indexed: a pure policy, no I/O.
///
/// Hidden names (starting with `.`) are skipped, files and directories alike, as are editor
/// temporaries (`*~`, `*.swp`, `*.swx`, `.#*`, vim's probe file `4913`). Files are indexed
/// when their extension (case-insensitive) is in ``extensions``.
public struct IndexingRules: Sendable, Equatable {
    /// File name extensions to index, lower case, without the dot.
    public var extensions: Set<String>

    public init(extensions: Set<String>) {
        self.extensions = Set(extensions.map { $0.lowercased() })
    }

    /// Whether a directory named `name` is descended into.
    public func includesDirectory(named name: String) -> Bool {
        !name.hasPrefix(".")
    }

    /// Whether a regular file named `name` is indexed.
    public func includesFile(named name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix("~") || name == "4913" { return false }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        if ext == "swp" || ext == "swx" { return false }
        return extensions.contains(ext)
    }

    /// Whether `path` (absolute) is indexed under `root`: every directory between them is
    /// included and the file itself is.
    public func includes(path: String, under root: String) -> Bool {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return false }
        let parts = path.dropFirst(prefix.count).split(separator: "/")
        guard let file = parts.last else { return false }
        return parts.dropLast().allSatisfy { includesDirectory(named: String($0)) } && includesFile(named: String(file))
    }
}
