import Dispatch
import Glibc
import JiansuoProtocol
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Serves the protocol on a Unix domain socket with SwiftNIO: one task per connection, one
/// response line per request line, in order. Malformed, over-long or abandoned requests only
/// affect their own connection.
struct SocketServer: Service {
    let path: String
    /// The listening socket systemd passed (socket activation), or nil.
    let activated: Int32?
    let handler: RequestHandler
    let pools: RequestPools
    let logger: Logger
    let access: AccessPolicy
    let group: String?
    let idleTimeout: Int64
    private let clients = ClientCount()
    private let registry = ConnectionRegistry()

    init(path: String, activated: Int32?, handler: RequestHandler, pools: RequestPools, logger: Logger, access: AccessPolicy,
         group: String? = nil, idleTimeoutSeconds: Int64 = WireProtocol.idleTimeoutSeconds) {
        self.idleTimeout = idleTimeoutSeconds
        self.path = path
        self.activated = activated
        self.pools = pools
        self.handler = handler
        self.logger = logger
        self.access = access
        self.group = group
    }

    func run() async throws {
        if activated == nil { try SocketPath.prepare(path) }
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            // A client may send its last request and shut down its write side: still answered.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let initializer: @Sendable (Channel) -> EventLoopFuture<NIOAsyncChannel<LineFrame, ByteBuffer>> = { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(idleTimeout)))
                    try channel.pipeline.syncOperations.addHandler(CloseOnIdle())
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLength: WireProtocol.maxRequestBytes)))
                    return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let server: NIOAsyncChannel<NIOAsyncChannel<LineFrame, ByteBuffer>, Never>
        do {
            if let fd = activated {
                server = try await bootstrap.bind(fd, childChannelInitializer: initializer)
            } else {
                server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false, childChannelInitializer: initializer)
            }
        } catch {
            throw ConfigError(file: nil, key: "socket", message: "cannot listen on '\(path)': \(error)")
        }
        // A socket systemd passed belongs to systemd: it stays.
        defer { if activated == nil { unlink(path) } }
        if activated == nil, let group {
            // 0660 for the group's members; created 0600 (umask 077), so there is no window
            // in which others could connect.
            guard let gid = UInt32(group) ?? getgrnam(group).map({ $0.pointee.gr_gid }) else {
                throw ConfigError(file: nil, key: "socket_group", message: "unknown group '\(group)'")
            }
            guard chown(path, getuid(), gid) == 0, chmod(path, 0o660) == 0 else {
                throw ConfigError(file: nil, key: "socket_group",
                                  message: "cannot give the socket to group '\(group)': \(String(cString: strerror(errno))) (the daemon's user must be a member)")
            }
        }
        logger.info("listening", metadata: ["socket.path": "\(path)", "socket.activated": "\(activated != nil)"])
        Systemd.notify("READY=1\nSTATUS=listening; indexing")
        let listener = server.channel
        do {
            // Graceful shutdown: stop accepting, close idle connections, and let each request in
            // flight be answered before its connection closes.
            try await withGracefulShutdownHandler {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            // Full: make room by closing the connection idle the longest (a
                            // client that connects and says nothing cannot lock others out);
                            // when every connection has a request running, refuse.
                            if clients.value.add(1, ordering: .relaxed).newValue > WireProtocol.maxClients && !registry.evictIdlest() {
                                clients.value.subtract(1, ordering: .relaxed)
                                group.addTask { await refuse(connection) }
                                continue
                            }
                            group.addTask {
                                await serve(connection)
                                clients.value.subtract(1, ordering: .relaxed)
                            }
                        }
                    }
                }
            } onGracefulShutdown: {
                registry.shutDown()
                listener.close(promise: nil)
            }
            logger.info("socket server stopped")
        } catch is CancellationError {
            logger.info("socket server stopped")
        }
    }

    /// Answers one `busy` error and closes: the daemon keeps descriptors for indexing.
    private func refuse(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>) async {
        try? await connection.executeThenClose { _, outbound in
            try await outbound.write(ByteBuffer(bytes: handler.busy() + [UInt8(ascii: "\n")]))
        }
    }

    private func serve(_ connection: NIOAsyncChannel<LineFrame, ByteBuffer>) async {
        // Who is on the other end: SO_PEERCRED and SO_PEERGROUPS, read once per connection.
        let peer = await Peer.of(connection.channel as? SocketOptionProvider)
        let uid = peer.uid
        let channel = connection.channel
        registry.register(channel)
        defer { registry.unregister(channel) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                guard access.mayRead(peer) else {
                    logger.notice("refused a client", metadata: ["peer.uid": "\(uid)", "peer.pid": "\(peer.pid)"])
                    try await outbound.write(ByteBuffer(bytes: handler.forbidden("user \(uid) may not use this daemon (allowed_users)") + [UInt8(ascii: "\n")]))
                    return
                }
                if registry.isShuttingDown { return }  // accepted as the server was stopping
                for try await frame in inbound {
                    registry.setBusy(channel, true)
                    defer { registry.setBusy(channel, false) }
                    var response: [UInt8]
                    switch frame {
                    case .line(let line):
                        // SQLite calls block: they run on the request pools (see RequestPools),
                        // not on the event loops that serve every connection.
                        let bytes = Array(line.readableBytesView)
                        response = try await pools.respond(handler, bytes, caller: access.caller(peer))
                    case .tooLong: response = handler.tooLong()
                    }
                    response.append(UInt8(ascii: "\n"))
                    // Written out to the socket before anything else happens on this connection:
                    // closing it at shutdown must not drop the end of a large answer still queued.
                    try await channel.writeAndFlush(ByteBuffer(bytes: response)).get()
                    if registry.isShuttingDown { break }  // answered; now the connection closes
                }
            }
        } catch {
            // A client that vanished mid-request: nothing to answer.
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// The open connections, to close the one idle the longest when a new client needs its place.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        var channel: any Channel
        var busy: Bool
        var since: UInt64  // monotonic ns it connected, or its last request arrived
        var served = false  // it has sent a request
    }

    /// How long, from the start of the shutdown, a request in flight may take to be answered
    /// (its search has its own deadline; this bounds a client that stops reading the answer).
    static let shutdownGrace: TimeAmount = .seconds(15)

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let stopping = Atomic<Bool>(false)

    /// True once the server is shutting down: each connection closes after its answer.
    var isShuttingDown: Bool { stopping.load(ordering: .relaxed) }

    /// Starts the shutdown: closes every connection without a request running now, and the
    /// others after ``shutdownGrace`` if they are still open then.
    func shutDown() {
        stopping.store(true, ordering: .relaxed)
        let (idle, busy) = entries.withLock { map in
            (map.values.filter { !$0.busy }.map(\.channel), map.values.filter(\.busy).map(\.channel))
        }
        for channel in idle { channel.close(promise: nil) }
        for channel in busy {
            channel.eventLoop.scheduleTask(in: Self.shutdownGrace) { channel.close(promise: nil) }
        }
    }

    func register(_ channel: any Channel) {
        entries.withLock { $0[ObjectIdentifier(channel)] = Entry(channel: channel, busy: false, since: Indexer.now()) }
    }

    func unregister(_ channel: any Channel) {
        entries.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func setBusy(_ channel: any Channel, _ busy: Bool) {
        entries.withLock { map in
            map[ObjectIdentifier(channel)]?.busy = busy
            // Idle the longest = whose last request arrived the longest ago. Stamped when a
            // request arrives, not when its answer is done: the end of an answer races the
            // client's next request on another connection, and would reorder them.
            if busy {
                map[ObjectIdentifier(channel)]?.since = Indexer.now()
                map[ObjectIdentifier(channel)]?.served = true
            }
        }
    }

    /// Closes the connection without a request running that has been idle the longest,
    /// preferring one that never sent a request (a client between two requests keeps its
    /// place while 64 silent connections are open); false when there is none.
    func evictIdlest() -> Bool {
        let victim = entries.withLock { map -> (any Channel)? in
            let idle = map.filter { !$0.value.busy }
            let silent = idle.filter { !$0.value.served }
            guard let (key, entry) = (silent.isEmpty ? idle : silent).min(by: { $0.value.since < $1.value.since }) else { return nil }
            map[key] = nil
            return entry.channel
        }
        victim?.close(promise: nil)
        return victim != nil
    }
}

/// The number of connected clients.
final class ClientCount: Sendable {
    let value = Atomic<Int>(0)
}

/// Closes a connection that sent nothing for the idle timeout (IdleStateHandler's read event).
final class CloseOnIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Checks and prepares the socket's path before binding.
enum SocketPath {
    /// `sun_path` holds 108 bytes including the terminating NUL.
    static let maxBytes = 107

    /// Creates the parent directory, refuses a path that is too long or a socket another daemon
    /// answers on, and removes a stale socket file left by a killed daemon.
    static func prepare(_ path: String) throws {
        guard path.utf8.count <= maxBytes else {
            throw ConfigError(file: nil, key: "socket", message: "'\(path)' is \(path.utf8.count) bytes; a Unix socket path can have at most \(maxBytes)")
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw ConfigError(file: nil, key: "socket", message: "'\(path)' exists and is not a socket")
        }
        try refuseIfAnswering(path)
        unlink(path)
    }

    /// Throws when a daemon answers on `path`.
    static func refuseIfAnswering(_ path: String) throws {
        if isAnswering(path) {
            throw ConfigError(file: nil, key: "socket", message: "another jiansuod is already listening on '\(path)'")
        }
    }

    static func isAnswering(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}

/// `mkdir -p` with mode 0700 for the directories it creates.
func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o700) != 0 && errno != EEXIST {
            throw ConfigError(file: nil, key: nil, message: "cannot create directory '\(current)': \(String(cString: strerror(errno)))")
        }
    }
}

extension Peer {
    /// Reads the credentials of `channel`'s peer; ``unknown`` when they cannot be read.
    static func of(_ provider: (any SocketOptionProvider)?) async -> Peer {
        guard let provider,
              let credentials: PeerCredentials = try? await provider.unsafeGetSocketOption(
                  level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
        else { return .unknown }
        // SO_PEERGROUPS fills at most 1,024 gids (ERANGE beyond: then the groups stay unknown);
        // the kernel lists them ascending and the buffer starts zeroed, so the list ends at
        // the last non-zero entry (a lone group 0 is not seen).
        let listed: PeerGroups? = try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(59 /* SO_PEERGROUPS, Linux 4.13 */)).get()
        let groups = listed.map { listed in
            var all = (0..<PeerGroups.capacity).map { listed.gids[$0] }
            while let last = all.last, last == 0 { all.removeLast() }
            return all
        }
        return Peer(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups)
    }
}

/// The buffer SO_PEERGROUPS fills.
struct PeerGroups: Sendable {
    static let capacity = 1024
    var gids = InlineArray<1024, UInt32>(repeating: 0)
}

/// `struct ucred` (Glibc hides it behind _GNU_SOURCE).
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
}
