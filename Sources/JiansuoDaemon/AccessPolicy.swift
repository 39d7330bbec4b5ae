import Glibc

/// Who may talk to the daemon, decided per connection from the peer's credentials
/// (SO_PEERCRED, see unix(7)). Pure: no I/O once built.
struct AccessPolicy: Sendable, Equatable {
    /// Users (uids) allowed to connect at all; nil means anyone the socket's file mode lets in.
    var readers: Set<UInt32>?
    /// Users allowed to run write commands (reconcile, rebuild, optimize, check).
    var writers: Set<UInt32>

    func mayRead(uid: UInt32) -> Bool { readers.map { $0.contains(uid) || writers.contains(uid) } ?? true }
    func mayWrite(uid: UInt32) -> Bool { writers.contains(uid) }

    /// Builds the policy from config entries (user names or numeric uids). Writers default to
    /// the daemon's own user.
    /// - Throws: ``ConfigError`` for an unknown user name.
    static func from(allowedUsers: [String]?, writers: [String]?) throws -> AccessPolicy {
        func uids(_ names: [String], key: String) throws -> Set<UInt32> {
            Set(try names.map { name in
                if let uid = UInt32(name) { return uid }
                guard let entry = getpwnam(name) else {
                    throw ConfigError(file: nil, key: key, message: "unknown user '\(name)'")
                }
                return entry.pointee.pw_uid
            })
        }
        return AccessPolicy(
            readers: try allowedUsers.map { try uids($0, key: "allowed_users") },
            writers: try writers.map { try uids($0, key: "writers") } ?? [getuid()])
    }
}

/// `struct ucred` (Glibc hides it behind _GNU_SOURCE).
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}
