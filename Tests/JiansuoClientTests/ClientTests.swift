import Foundation
import Glibc
import JiansuoClient
import JiansuoProtocol
import Testing

/// The CLI's client against a real Unix socket served by a thread of the test, which answers
/// the way a daemon might: byte by byte, not at all, with an error, or by closing.
@Suite struct ClientTests {
    /// Listens on a fresh socket; `answer` gets each accepted connection's descriptor.
    final class Server: @unchecked Sendable {
        let path: String
        let fd: Int32

        init(_ answer: @escaping @Sendable (Int32) -> Void) throws {
            path = "/tmp/jsc-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            guard rc == 0, listen(fd, 4) == 0 else { throw POSIXError(.EADDRINUSE) }
            let listener = fd
            Thread.detachNewThread {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                answer(client)
                close(client)
            }
        }

        deinit {
            close(fd)
            unlink(path)
        }
    }

    /// Reads the request line a client sent.
    static func readRequest(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1, byte != 0x0A { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }

    @Test func aResponseSentByteByByteIsRead() throws {
        let server = try Server { fd in
            let request = ClientTests.readRequest(fd)
            guard request.contains("\"ping\"") else { return }
            for byte in #"{"v":1,"id":1,"ok":true,"result":{"pong":true}}"# + "\n" {
                ClientTests.send(fd, String(byte))
                usleep(1000)
            }
        }
        let pong = try Client(socketPath: server.path).send(.ping, expecting: PingResult.self)
        #expect(pong == PingResult())
    }

    @Test func anErrorResponseIsThrownWithItsCode() throws {
        let server = try Server { fd in
            _ = ClientTests.readRequest(fd)
            ClientTests.send(fd, #"{"v":1,"id":1,"ok":false,"error":{"code":"timeout","message":"too slow"}}"# + "\n")
        }
        #expect {
            _ = try Client(socketPath: server.path).send(.status, expecting: StatusResult.self)
        } throws: { error in
            guard case ClientError.server(let e) = error else { return false }
            return e.code == .timeout && e.message == "too slow"
        }
    }

    @Test func aDaemonThatClosesWithoutAnsweringIsAnIOError() throws {
        let server = try Server { fd in _ = ClientTests.readRequest(fd) }
        #expect {
            _ = try Client(socketPath: server.path).send(.ping, expecting: PingResult.self)
        } throws: { error in
            guard case ClientError.io(let message) = error else { return false }
            return message.contains("closed the connection without answering")
        }
    }

    @Test func aDaemonThatNeverAnswersTimesOut() throws {
        let server = try Server { fd in
            _ = ClientTests.readRequest(fd)
            sleep(3)
        }
        #expect {
            _ = try Client(socketPath: server.path, timeoutSeconds: 1).send(.ping, expecting: PingResult.self)
        } throws: { error in
            guard case ClientError.io(let message) = error else { return false }
            return message.contains("no response from the daemon within 1 s")
        }
    }

    @Test func aLastLineWithoutNewlineIsStillRead() throws {
        let server = try Server { fd in
            _ = ClientTests.readRequest(fd)
            ClientTests.send(fd, #"{"v":1,"id":1,"ok":true,"result":{"pong":true}}"#)
        }
        #expect(try Client(socketPath: server.path).send(.ping, expecting: PingResult.self) == PingResult())
    }

    @Test func garbageIsAProtocolViolation() throws {
        let server = try Server { fd in
            _ = ClientTests.readRequest(fd)
            ClientTests.send(fd, "<html>not the daemon</html>\n")
        }
        #expect {
            _ = try Client(socketPath: server.path).send(.ping, expecting: PingResult.self)
        } throws: { error in
            if case ClientError.protocolViolation = error { return true }
            return false
        }
    }

    @Test func nothingListeningSaysHowToStartTheDaemon() {
        let path = "/tmp/jsc-nothing-\(getpid()).sock"
        #expect {
            _ = try Client(socketPath: path).send(.ping, expecting: PingResult.self)
        } throws: { error in
            guard case ClientError.daemonNotRunning(let p) = error else { return false }
            return p == path && "\(error)".contains("jiansuod --root")
        }
    }
}
