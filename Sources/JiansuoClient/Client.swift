#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: the CLI starts faster without ICU's data
#else
import Foundation
#endif
import Glibc
import JiansuoProtocol

/// A blocking client for the daemon's socket: connect, send one request line, read one response
/// line. Deliberately plain (no event loop): the CLI is a short-lived process and its start-up
/// is part of every search a user feels.
public struct Client: Sendable {
    /// The socket path.
    public var socketPath: String
    /// How long to wait for a response, in seconds.
    public var timeoutSeconds: Int

    /// The sockets tried when none is given, in order: the checkout's daemon (`./run-demo`),
    /// then the system service's.
    public static let defaultSocketPaths = ["index/jiansuod.sock", "/run/jiansuo/jiansuod.sock"]

    /// The socket to use: `explicit` (a `--socket` flag), else `$JIANSUO_SOCKET`, else the first
    /// of ``defaultSocketPaths`` that exists, else the first of them. Empty values count as unset.
    public static func socketPath(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = explicit ?? environment["JIANSUO_SOCKET"], !path.isEmpty { return path }
        return defaultSocketPaths.first { access($0, F_OK) == 0 } ?? defaultSocketPaths[0]
    }

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends `request` and decodes the result as `Result`.
    /// - Throws: ``ClientError``: `.daemonNotRunning` when nothing listens on the socket,
    ///   `.server` for an error response, `.protocolViolation` for an unreadable response.
    public func send<Result: Codable & Sendable>(_ request: Request, expecting: Result.Type) throws(ClientError) -> Result {
        let line: Data
        do {
            line = try JSONEncoder().encode(RequestEnvelope(id: 1, request: request))
        } catch {
            throw .protocolViolation("cannot encode the request: \(error)")
        }
        let response = try exchange(Array(line) + [UInt8(ascii: "\n")])
        let envelope: ResponseEnvelope<Result>
        do {
            envelope = try JSONDecoder().decode(ResponseEnvelope<Result>.self, from: Data(response))
        } catch {
            if let failure = try? JSONDecoder().decode(ResponseEnvelope<EmptyResult>.self, from: Data(response)),
               let error = failure.error {
                throw .server(error)
            }
            throw .protocolViolation("unreadable response: \(error)")
        }
        if let error = envelope.error { throw .server(error) }
        guard let result = envelope.result else { throw .protocolViolation("response has neither result nor error") }
        return result
    }

    /// Sends raw bytes and returns the first response line, without its newline.
    public func exchange(_ bytes: [UInt8]) throws(ClientError) -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .io("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard socketPath.utf8.count < 108 else { throw .io("socket path is longer than 107 bytes: \(socketPath)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() { raw[i] = b }
        }
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            if code == ENOENT || code == ECONNREFUSED { throw .daemonNotRunning(socketPath: socketPath) }
            throw .io("cannot connect to \(socketPath): \(String(cString: strerror(code)))")
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                // The daemon may have answered and closed already (a refusal, `busy`): read it.
                if errno == EPIPE || errno == ECONNRESET { break }
                throw .io("cannot send the request: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { throw .io("no response from the daemon within \(timeoutSeconds) s") }
                throw .io("cannot read the response: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            if let newline = chunk[0..<n].firstIndex(of: UInt8(ascii: "\n")) {
                response.append(contentsOf: chunk[0..<newline])
                return response
            }
            response.append(contentsOf: chunk[0..<n])
        }
        guard !response.isEmpty else { throw .io("the daemon closed the connection without answering") }
        return response
    }
}

/// Why a request failed, in words a user can act on.
public enum ClientError: Error, CustomStringConvertible {
    case daemonNotRunning(socketPath: String)
    case server(ProtocolError)
    case protocolViolation(String)
    case io(String)

    public var description: String {
        switch self {
        case .daemonNotRunning(let path):
            """
            jiansuod is not running (nothing is listening on \(path)).
            Start it with:  jiansuod --root DIR --index DIR --socket \(path)
            or, in a checkout:  ./run-demo
            or point this command at another socket with --socket PATH or $JIANSUO_SOCKET.
            """
        case .server(let error): "the daemon refused the request: \(error.message) [\(error.code.rawValue)]"
        case .protocolViolation(let m): "unexpected answer from the daemon: \(m)"
        case .io(let m): m
        }
    }
}
