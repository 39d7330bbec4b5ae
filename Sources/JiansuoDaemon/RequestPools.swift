import NIOPosix

/// The threads requests run on: two bounded pools, owned by the daemon and shut down after
/// the socket server has stopped. SQLite calls block, so requests never run on NIO's event
/// loops, which serve every connection.
/// - The fast lane (`request_threads` threads) runs every request first. A search whose
///   estimated cost (postings to read, from the index's token counts) is over
///   ``expensiveCost`` goes to the slow lane at once; any other gets
///   ``fastBudgetMilliseconds`` there, and one that needs more is stopped and moved to the slow
///   lane. The same query then goes straight there for a while (see ``ExpensiveQueries``).
///   `check` and `optimize` run in the slow lane too.
/// - The slow lane (one thread) runs them, each until `search_timeout_ms` after it arrived.
/// So however many expensive queries arrive at once, they hold one thread, and cheap
/// searches, `status` and indexing keep the others.
final class RequestPools: Sendable {
    enum Lane: Sendable { case fast, slow }

    /// A search's time in the fast lane, in milliseconds.
    static let fastBudgetMilliseconds = 250
    /// Searches whose ``JiansuoIndex/SearchIndex/estimatedCost(of:)`` (postings read) is over
    /// this go to the slow lane without running in the fast one. 500,000 postings take about
    /// 100 ms in a debug build on this project's 2-core machine.
    static let expensiveCost = 500_000

    let fast: NIOThreadPool
    let slow: NIOThreadPool

    init(threads: Int) {
        fast = NIOThreadPool(numberOfThreads: max(1, threads))
        slow = NIOThreadPool(numberOfThreads: 1)
        fast.start()
        slow.start()
    }

    /// Runs `line` through `handler`: in the fast lane, then in the slow lane when demoted.
    func respond(_ handler: RequestHandler, _ line: [UInt8], caller: Caller) async throws -> [UInt8] {
        let receivedAt = Indexer.now()
        let first = try await fast.runIfActive {
            handler.respond(to: line, caller: caller, lane: .fast, receivedAt: receivedAt)
        }
        if case .line(let bytes) = first { return bytes }
        let second = try await slow.runIfActive {
            handler.respond(to: line, caller: caller, lane: .slow, receivedAt: receivedAt)
        }
        if case .line(let bytes) = second { return bytes }
        return []
    }

    /// Lets the requests queued finish, then joins both pools' threads.
    func shutdown() async throws {
        try await fast.shutdownGracefully()
        try await slow.shutdownGracefully()
    }
}
