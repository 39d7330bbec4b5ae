import Glibc
import JiansuoIndex

/// Who may talk to the daemon and who may run the write commands, decided per connection
/// from the peer's credentials (SO_PEERCRED and SO_PEERGROUPS, see unix(7)). Pure: no I/O once
/// built.
///
/// Root and the daemon's own user may always do everything; so may the members of the admin
/// group (`admin_group`), for the job a shared service exists for: `sudo jiansuo rebuild` after a
/// bulk import. `allowed_users` limits who else may connect at all; `writers` names more users
/// who may write.
struct AccessPolicy: Sendable, Equatable {
    /// Users (uids) allowed to connect at all besides the administrators; nil means anyone the
    /// socket's file mode lets in.
    var readers: Set<UInt32>?
    /// Users allowed to run write commands (reconcile, rebuild, optimize, check), besides root,
    /// ``daemonUser`` and the admin group.
    var writers: Set<UInt32>
    /// Members of this group (primary or supplementary) are administrators.
    var adminGroup: UInt32?
    /// The daemon's own uid.
    var daemonUser: UInt32 = getuid()

    func isAdministrator(_ peer: Peer) -> Bool {
        peer.uid == 0 || peer.uid == daemonUser || adminGroup.map { peer.isMember(of: $0) } ?? false
    }

    func mayRead(_ peer: Peer) -> Bool {
        isAdministrator(peer) || readers.map { $0.contains(peer.uid) || writers.contains(peer.uid) } ?? true
    }

    func mayWrite(_ peer: Peer) -> Bool { isAdministrator(peer) || writers.contains(peer.uid) }

    /// What `peer` may do with each request: write if ``mayWrite(_:)``; results filtered by
    /// what the peer's user may read, except for root and the daemon's own user, who see
    /// every document (administrators in `admin_group` rebuild, but read as themselves).
    func caller(_ peer: Peer) -> Caller {
        let everything = peer.uid == 0 || peer.uid == daemonUser
        return Caller(mayWrite: mayWrite(peer),
                      reader: everything ? nil : Reader(uid: peer.uid, gid: peer.gid, groups: peer.groups ?? []))
    }

    /// Builds the policy from config entries (user and group names, or numeric ids).
    /// - Throws: ``ConfigError`` for an unknown user or group name.
    static func from(allowedUsers: [String]?, writers: [String]?, adminGroup: String? = nil) throws -> AccessPolicy {
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
            writers: try writers.map { try uids($0, key: "writers") } ?? [],
            adminGroup: try adminGroup.map { name in
                if let gid = UInt32(name) { return gid }
                guard let entry = getgrnam(name) else {
                    throw ConfigError(file: nil, key: "admin_group", message: "unknown group '\(name)'")
                }
                return entry.pointee.gr_gid
            })
    }
}

/// Who is on the other end of a connection: uid, primary gid and supplementary groups, as the
/// kernel reported them when the client connected (SO_PEERCRED, SO_PEERGROUPS).
struct Peer: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
    /// Supplementary groups, ascending; nil when the kernel could not report them.
    var groups: [UInt32]?

    /// Nobody: what a connection whose credentials cannot be read is treated as.
    static let unknown = Peer(pid: -1, uid: UInt32.max, gid: UInt32.max, groups: [])

    func isMember(of gid: UInt32) -> Bool { self.gid == gid || (groups?.contains(gid) ?? false) }
}

/// What one connection's requests may do.
struct Caller: Sendable {
    /// May run reconcile, rebuild, optimize and check.
    var mayWrite: Bool
    /// Whose permissions filter results, `show`, counts and error lists; nil: none.
    var reader: Reader?

    /// Everything: the daemon's own user (and in-process callers such as tests).
    static let administrator = Caller(mayWrite: true, reader: nil)
}
