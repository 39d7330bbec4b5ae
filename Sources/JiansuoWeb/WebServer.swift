import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP/1.1 server of `jiansuo web` (SwiftNIO): listens on 127.0.0.1 and ::1 only, never on
/// another address, and hands each request to a ``WebApp`` on a thread pool (the app's calls to
/// the daemon block). It owns that pool: ``run(onReady:)`` starts it and joins it before it
/// returns.
public final class WebServer: Sendable {
    /// Largest request body (the open form is a path), in bytes; more is answered 413.
    static let maxBodyBytes = 64 * 1024
    /// A connection without a request for this long is closed.
    static let idleSeconds: Int64 = 60
    /// Most connections served at once (both listeners together).
    static let maxConnections = 128

    private let listeners: [NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>]
    /// The port both listeners share.
    public let port: Int

    /// Binds 127.0.0.1 and [::1] on `port`, or on a port free on both when `port` is 0. A machine
    /// without IPv6 gets the IPv4 listener alone.
    /// - Throws: ``WebError/cannotListen(_:)`` when the port is taken or cannot be bound.
    public static func bind(port: Int) async throws -> WebServer {
        for _ in 0..<(port == 0 ? 20 : 1) {
            let v4: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
            do {
                v4 = try await listen(host: "127.0.0.1", port: port)
            } catch {
                throw WebError.cannotListen("cannot listen on 127.0.0.1:\(port): \(error)")
            }
            let bound = v4.channel.localAddress?.port ?? port
            do {
                let v6 = try await listen(host: "::1", port: bound)
                return WebServer(listeners: [v4, v6], port: bound)
            } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL || error.errnoCode == EAFNOSUPPORT {
                return WebServer(listeners: [v4], port: bound)  // no IPv6 loopback here
            } catch {
                try? await v4.channel.close()
                if port != 0 { throw WebError.cannotListen("cannot listen on [::1]:\(port): \(error)") }
                // The port the kernel picked for IPv4 is taken on IPv6: pick another.
            }
        }
        throw WebError.cannotListen("no port was free on both 127.0.0.1 and ::1")
    }

    private init(listeners: [NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>], port: Int) {
        self.listeners = listeners
        self.port = port
    }

    private static func listen(host: String, port: Int) async throws
        -> NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: .seconds(idleSeconds)))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves until ``stop()`` (or a listener fails); then joins the request threads.
    public func run(app: WebApp) async throws {
        let open = ConnectionCount()
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for listener in listeners {
                    group.addTask {
                        try await listener.executeThenClose { connections in
                            try await withThrowingDiscardingTaskGroup { served in
                                for try await connection in connections {
                                    // Past the cap, a newcomer is closed at once: connecting
                                    // needs no token, so connections must not exhaust descriptors.
                                    guard open.value.add(1, ordering: .relaxed).newValue <= Self.maxConnections else {
                                        open.value.subtract(1, ordering: .relaxed)
                                        // Closed through the async channel (dropping it unclosed traps).
                                        served.addTask { try? await connection.executeThenClose { _, _ in } }
                                        continue
                                    }
                                    served.addTask {
                                        await Self.serve(connection, app: app, pool: pool)
                                        open.value.subtract(1, ordering: .relaxed)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        try await pool.shutdownGracefully()
    }

    /// Stops accepting connections; ``run(app:)`` returns once the open ones are done.
    public func stop() {
        for listener in listeners { listener.channel.close(promise: nil) }
    }

    private static func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, app: WebApp,
                              pool: NIOThreadPool) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body: [UInt8] = []
            var tooLarge = false
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = []
                    tooLarge = false
                case .body(var buffer):
                    if body.count + buffer.readableBytes > maxBodyBytes {
                        tooLarge = true
                    } else {
                        body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    }
                case .end:
                    guard let h = head else { continue }
                    let response: WebResponse
                    if tooLarge {
                        response = WebResponse.plain(413, "request body too large")
                    } else {
                        let request = WebRequest(method: h.method.rawValue, target: h.uri, headers: h.headers.map { ($0.name, $0.value) }, body: body)
                        response = (try? await pool.runIfActive { app.respond(request) }) ?? WebResponse.plain(503, "shutting down")
                    }
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: String(h.method == .HEAD ? 0 : response.body.count))
                    let keepAlive = h.isKeepAlive && !tooLarge
                    headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: HTTPResponseStatus(statusCode: response.status),
                                                                    headers: headers)))
                    if !response.body.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body)))) }
                    try await outbound.write(.end(nil))
                    head = nil
                    if !keepAlive { return }
                }
            }
        }
    }
}

/// Why the web server could not start.
public enum WebError: Error, CustomStringConvertible {
    case cannotListen(String)

    public var description: String {
        switch self {
        case .cannotListen(let message): message
        }
    }
}

/// Closes a connection when `IdleStateHandler` says it has been idle (no request, or a request
/// sent too slowly, for ``WebServer/idleSeconds``).
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// The connections being served, counted across listeners.
final class ConnectionCount: Sendable {
    let value = Atomic<Int>(0)
}
