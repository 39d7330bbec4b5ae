import Glibc

/// Which files and directories are indexed: a pure policy, no I/O.
///
/// Skipped always: hidden names (starting with `.`), files and directories alike, and editor
/// temporaries (`*~`, `*.swp`, `*.swx`, `.#*`, vim's probe file `4913`). Files are indexed when
/// their extension (case-insensitive) is in ``extensions`` and no pattern of ``excludes``
/// matches. An exclude pattern without `/` is matched against every file and directory name
/// (`*.log`, `node_modules`, `草稿`); a pattern with `/` against the path relative to the root
/// (`archive/2019/*`, `*/tmp`). Patterns are fnmatch(3) globs: `*`, `?`, `[…]`; `*` also
/// matches `/` in relative-path patterns.
public struct IndexingRules: Sendable, Equatable {
    /// File name extensions to index, lower case, without the dot.
    public var extensions: Set<String>
    /// Exclude globs.
    public var excludes: [String]
    /// Follow symbolic links to files and directories (loops are detected); off by default.
    public var followSymlinks: Bool

    public init(extensions: Set<String>, excludes: [String] = [], followSymlinks: Bool = false) {
        self.extensions = Set(extensions.map { $0.lowercased() })
        self.excludes = excludes
        self.followSymlinks = followSymlinks
    }

    /// Whether a directory named `name` is descended into (name rules only).
    public func includesDirectory(named name: String) -> Bool {
        !name.hasPrefix(".") && !excludes.contains { !$0.contains("/") && Self.matches($0, name) }
    }

    /// Whether the directory at `path` under `root` is descended into.
    public func includesDirectory(named name: String, path: String, under root: String) -> Bool {
        includesDirectory(named: name) && !excludedByPath(path, under: root)
    }

    /// Whether a regular file named `name` is indexed (name rules only).
    public func includesFile(named name: String) -> Bool {
        if name.hasPrefix(".") || name.hasSuffix("~") || name == "4913" { return false }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        if ext == "swp" || ext == "swx" { return false }
        return extensions.contains(ext) && !excludes.contains { !$0.contains("/") && Self.matches($0, name) }
    }

    /// Whether the file at `path` under `root` is indexed.
    public func includesFile(named name: String, path: String, under root: String) -> Bool {
        includesFile(named: name) && !excludedByPath(path, under: root)
    }

    /// Whether `path` (absolute) is indexed under `root`: every directory between them is
    /// included and the file itself is.
    public func includes(path: String, under root: String) -> Bool {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return false }
        let parts = path.dropFirst(prefix.count).split(separator: "/")
        guard let file = parts.last else { return false }
        var relative = ""
        for part in parts.dropLast() {
            relative += (relative.isEmpty ? "" : "/") + part
            if !includesDirectory(named: String(part)) || excludedRelative(relative) { return false }
        }
        return includesFile(named: String(file)) && !excludedRelative(String(path.dropFirst(prefix.count)))
    }

    private func excludedByPath(_ path: String, under root: String) -> Bool {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return false }
        return excludedRelative(String(path.dropFirst(prefix.count)))
    }

    private func excludedRelative(_ relative: String) -> Bool {
        excludes.contains { $0.contains("/") && Self.matches($0, relative) }
    }

    static func matches(_ pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}

import Synchronization

/// The roots and rules in force, shared by the watcher, the indexer and the daemon, and replaced
/// as a whole when the configuration is reloaded (SIGHUP).
public final class WatchSettings: Sendable {
    private let value: Mutex<(roots: [String], rules: IndexingRules)>

    public init(roots: [String], rules: IndexingRules) {
        value = Mutex((roots, rules))
    }

    public var roots: [String] { value.withLock { $0.roots } }
    public var rules: IndexingRules { value.withLock { $0.rules } }

    public func replace(roots: [String], rules: IndexingRules) {
        value.withLock { $0 = (roots, rules) }
    }
}
