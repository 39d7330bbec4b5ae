import ArgumentParser
import Foundation
import JiansuoClient
import JiansuoWeb
import UnixSignals

/// `jiansuo web`: the local search page. `jiansuo web` runs this executable (the CLI itself stays
/// free of the HTTP stack); it can also be run directly.
@main
struct JiansuoWebCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jiansuo-web",
        abstract: "Serve a search page on 127.0.0.1 and ::1 that asks jiansuod as you.",
        discussion: """
            Prints the page's address, with its access token, as the first line of standard
            output, and opens it with xdg-open when there is a display (--no-open: never).
            The page sees what you may read: it talks to jiansuod over its socket with your
            own credentials. Stop it with Ctrl-C.
            """)

    @Option(name: .long, help: "The port (default: a free one).")
    var port: Int = 0

    @Flag(name: .long, help: "Do not open the page in a browser.")
    var noOpen = false

    @Option(name: .long, help: "The daemon's socket (default: $JIANSUO_SOCKET, else index/jiansuod.sock if it exists, else /run/jiansuo/jiansuod.sock).")
    var socket: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let socketPath = Client.socketPath(explicit: socket, environment: environment)
        let absoluteSocket = socketPath.hasPrefix("/") ? socketPath : FileManager.default.currentDirectoryPath + "/" + socketPath
        let server: WebServer
        do {
            server = try await WebServer.bind(port: port)
        } catch {
            FileHandle.standardError.write(Data("jiansuo web: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let opener = FileOpener.desktop(environment: environment)
        let app = WebApp(token: WebApp.makeToken(), port: server.port, socketPath: absoluteSocket, opener: opener)
        // The first line of standard output, written at once (a pipe would buffer print's).
        FileHandle.standardOutput.write(Data((app.url + "\n").utf8))
        FileHandle.standardError.write(Data("jiansuo web: serving \(absoluteSocket)'s index on 127.0.0.1 and ::1, port \(server.port); Ctrl-C stops it\n".utf8))
        if !noOpen, let opener {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opener.program)
            process.arguments = [app.url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run(app: app) }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                    server.stop()
                    return
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
