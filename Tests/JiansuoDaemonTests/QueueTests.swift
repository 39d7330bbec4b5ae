import Dispatch
import Foundation
import JiansuoIndex
import Synchronization
import Testing
@testable import JiansuoDaemon

/// The indexer's queues and bounds: pure data and small synchronization types, tested on their
/// own with real threads.
@Suite struct WorkQueueTests {
    @Test func workIsDistinctAndInArrivalOrder() {
        var q = WorkQueue(minimumIntervalNanoseconds: 0)
        q.push(.check("/a"), now: 0)
        q.push(.check("/b"), now: 0)
        q.push(.check("/a"), now: 0)
        #expect(q.count == 2)
        #expect(q.pop(max: 10, now: 0) == [.check("/a"), .check("/b")])
        #expect(q.pop(max: 10, now: 0).isEmpty)
    }

    @Test func aFileIndexedAMomentAgoIsHeldBackWithoutHoldingOthers() {
        var q = WorkQueue(minimumIntervalNanoseconds: 500)
        q.push(.check("/log"), now: 0)
        #expect(q.pop(max: 10, now: 0) == [.check("/log")])
        q.push(.check("/log"), now: 100)   // written again 100 ns later: held back until 500
        q.push(.check("/other"), now: 100)
        #expect(q.pop(max: 10, now: 100) == [.check("/other")])
        #expect(q.nextDue(now: 100) == 400)
        #expect(q.pop(max: 10, now: 499).isEmpty)
        #expect(q.pop(max: 10, now: 500) == [.check("/log")])
    }

    @Test func delayedRetriesWaitTheirTurn() {
        var q = WorkQueue(minimumIntervalNanoseconds: 0)
        q.delay(.check("/busy"), until: 1000)
        #expect(q.count == 1)
        #expect(!q.hasReady)
        #expect(q.pop(max: 10, now: 999).isEmpty)
        #expect(q.pop(max: 10, now: 1000) == [.check("/busy")])
    }
}

@Suite struct ByteBudgetTests {
    @Test func reservationsAreGrantedInTicketOrder() {
        let budget = ByteBudget(limit: 100)
        let order = Mutex<[Int]>([])
        let group = DispatchGroup()
        // Tickets 3, 2, 1 start first; 0 last: none may pass before 0.
        for ticket in [3, 2, 1] {
            DispatchQueue.global().async(group: group) {
                budget.acquire(ticket: ticket, bytes: 10)
                order.withLock { $0.append(ticket) }
            }
        }
        usleep(50_000)
        #expect(order.withLock { $0 }.isEmpty)
        budget.acquire(ticket: 0, bytes: 10)
        order.withLock { $0.append(0) }
        group.wait()
        // Grants are in ticket order; the appends after them race, so only the first is fixed.
        #expect(order.withLock { $0 }.first == 0)
        #expect(Set(order.withLock { $0 }) == [0, 1, 2, 3])
        #expect(budget.used == 40)
    }

    @Test func aReservationWaitsForRoomAndAHugeOneRunsAlone() {
        let budget = ByteBudget(limit: 100)
        budget.acquire(ticket: 0, bytes: 80)
        let granted = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            budget.acquire(ticket: 1, bytes: 1000)  // larger than the budget: alone
            granted.store(true, ordering: .relaxed)
            done.signal()
        }
        usleep(50_000)
        let early = granted.load(ordering: .relaxed)
        #expect(!early)
        budget.release(80)
        done.wait()
        let late = granted.load(ordering: .relaxed)
        #expect(late)
        #expect(budget.used == 1000)
    }

    @Test func cancelWakesEveryWaiter() {
        let budget = ByteBudget(limit: 10)
        let result = Mutex<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let r = budget.acquire(ticket: 5, bytes: 1)
            result.withLock { $0 = r }
            done.signal()
        }
        usleep(20_000)
        budget.cancel()
        done.wait()
        #expect(result.withLock { $0 } == false)
    }
}

@Suite struct BatchResultsTests {
    let state = FileState(size: 1, mtimeNanoseconds: 2, inode: 3)

    @Test func resultsAreTakenInOrderWhateverOrderTheyArriveIn() {
        let results = BatchResults(count: 3)
        DispatchQueue.global().async {
            for k in [2, 0, 1] {
                results.start(k, now: Indexer.now())
                _ = results.put(k, .delete(path: "/\(k)"), bytes: k)
            }
        }
        for k in 0..<3 {
            guard case .done(let change, let bytes) = results.take(k, budget: 10_000_000_000, now: Indexer.now) else {
                Issue.record("result \(k) not done")
                continue
            }
            #expect(change?.path == "/\(k)")
            #expect(bytes == k)
        }
    }

    @Test func aWorkerOverTheBudgetIsAbandonedAndItsLateResultRefused() {
        let results = BatchResults(count: 1)
        results.start(0, now: Indexer.now())
        results.noteState(0, state)
        #expect(results.isLargeInProgress(0, atLeast: 1))
        #expect(!results.isLargeInProgress(0, atLeast: 2))
        let taken = results.take(0, budget: 50_000_000, now: Indexer.now)  // 50 ms
        guard case .overBudget(let seen) = taken else {
            Issue.record("expected overBudget, got \(taken)")
            return
        }
        #expect(seen == state)
        #expect(!results.put(0, nil, bytes: 7))  // the caller returns its bytes
    }
}

@Suite struct InFlightLogTests {
    @Test func whatIsInFlightSurvivesTheProcessAndACleanStopRemovesIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inflight-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try InFlightLog(directory: dir, workers: 2)
        log.begin(0, .extraction, "/docs/a.txt")
        log.begin(1, .extraction, "/docs/坏\n文件.html")
        log.begin(log.writerSlot, .writer, "/docs/大.txt")
        log.end(0)
        let left = InFlightLog.leftOver(in: dir)
        #expect(left.map(\.path) == ["/docs/坏\n文件.html", "/docs/大.txt"])
        #expect(left.map(\.kind) == [.extraction, .writer])
        log.remove()
        #expect(InFlightLog.leftOver(in: dir).isEmpty)
        // A new log starts empty.
        let again = try InFlightLog(directory: dir, workers: 2)
        again.begin(0, .extraction, "/x")
        let fresh = try InFlightLog(directory: dir, workers: 2)
        #expect(InFlightLog.leftOver(in: dir).isEmpty)
        _ = fresh
    }
}

@Suite struct ReconcileServiceTests {
    @Test func requestsDuringACrawlAreCoalescedIntoOneMore() {
        let service = ReconcileService(logger: .init(label: "test"))
        let crawls = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let inCrawl = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            service.run(stopping: { stop.load(ordering: .relaxed) }, crawl: {
                let n = crawls.add(1, ordering: .relaxed).newValue
                if n == 1 {
                    inCrawl.signal()
                    release.wait()
                }
                return Indexer.ReconcileReport(files: 0, changes: 0, verified: 0)
            }, poll: {})
            finished.signal()
        }
        inCrawl.wait()  // the start-up crawl is running
        #expect(service.request(reason: "a") == true)
        #expect(service.request(reason: "b") == false)
        #expect(service.request(reason: "c") == false)
        release.signal()
        for _ in 0..<100 where service.last?.reason != "a, b, c" { usleep(10_000) }
        #expect(crawls.load(ordering: .relaxed) == 2)
        #expect(service.last?.reason == "a, b, c")
        stop.store(true, ordering: .relaxed)
        service.wakeUp()
        finished.wait()
    }
}

@Suite struct ExpensiveQueriesTests {
    @Test func remembersQueriesUpToItsCapacity() {
        let q = ExpensiveQueries()
        for i in 0..<(ExpensiveQueries.capacity + 10) { q.insert("q\(i)") }
        #expect(q.contains("q\(ExpensiveQueries.capacity + 9)"))
        #expect(!q.contains("never"))
        let remembered = (0..<(ExpensiveQueries.capacity + 10)).filter { q.contains("q\($0)") }.count
        #expect(remembered == ExpensiveQueries.capacity)
    }
}
