import Foundation
import Synchronization
import JiansuoAnalysis
import JiansuoIndex
import JiansuoProtocol
import JiansuoQuery
import Logging

/// Answers protocol requests. Transport-free: it maps one request line to one response line,
/// and every failure to an error response, so nothing a client sends can stop the daemon.
struct RequestHandler: Sendable {
    let state: DaemonState
    let logger: Logger

    /// Searches that ran over the fast lane's budget, by query: sent to the slow lane at once.
    let expensive = ExpensiveQueries()

    private var index: SearchIndex { state.holder.current }

    /// What the handler made of a request in a lane.
    enum Outcome: Sendable {
        /// The response line (without `\n`).
        case line([UInt8])
        /// Run it again in the slow lane: a search over the fast lane's budget, or a command
        /// (`check`, `optimize`) that takes long by nature.
        case demote
    }

    /// The response line (without `\n`) for one request line, run to completion (tests, and
    /// requests that never leave one lane).
    func respond(to line: [UInt8], caller: Caller = .administrator) -> [UInt8] {
        if case .line(let bytes) = respond(to: line, caller: caller, lane: .slow, receivedAt: Indexer.now()) { return bytes }
        return []
    }

    /// The outcome of one request line in `lane`. A search may run until
    /// `search_timeout_ms` after `receivedAt` (monotonic ns); in the fast lane only for
    /// ``RequestPools/fastBudgetMilliseconds`` of that.
    func respond(to line: [UInt8], caller: Caller, lane: RequestPools.Lane, receivedAt: UInt64) -> Outcome {
        do {
            return .line(try respondLine(line, caller: caller, lane: lane, receivedAt: receivedAt))
        } catch {
            return .demote
        }
    }

    /// Thrown inside a fast-lane request that must move to the slow lane.
    private struct Demote: Error {}

    private func respondLine(_ line: [UInt8], caller: Caller, lane: RequestPools.Lane, receivedAt: UInt64) throws(Demote) -> [UInt8] {
        let envelope: RequestEnvelope
        do {
            envelope = try JSONDecoder().decode(RequestEnvelope.self, from: Data(line))
        } catch let error as ProtocolError {
            return encode(ResponseEnvelope<EmptyResult>(id: Self.peekID(line), error: error))
        } catch let error as DecodingError {
            return encode(ResponseEnvelope<EmptyResult>(id: Self.peekID(line), error: ProtocolError(.badRequest, ProtocolError.describe(error))))
        } catch {
            return encode(ResponseEnvelope<EmptyResult>(id: nil, error: ProtocolError(.badRequest, "\(error)")))
        }
        let id = envelope.id
        if !caller.mayWrite, [Request.reconcile, .rebuild, .optimize, .check].contains(envelope.request) {
            return encode(ResponseEnvelope<EmptyResult>(id: id, error: ProtocolError(
                .forbidden, "\(envelope.request.method) needs root, the daemon's own user, a member of admin_group or a user listed in writers")))
        }
        do {
            switch envelope.request {
            case .ping: return encode(ResponseEnvelope(id: id, result: PingResult()))
            case .version:
                return encode(ResponseEnvelope(id: id, result: VersionResult(
                    daemon: JiansuoVersion.current, protocol: WireProtocol.version,
                    icu: AnalysisVersion.icu, analysis: AnalysisVersion.current(index.options))))
            case .status: return encode(ResponseEnvelope(id: id, result: try status(caller)))
            case .search(let params):
                return encode(ResponseEnvelope(id: id, result: try search(params, reader: caller.reader, lane: lane, receivedAt: receivedAt)))
            case .segment(let params): return encode(ResponseEnvelope(id: id, result: try segment(params)))
            case .show(let params): return encode(ResponseEnvelope(id: id, result: try show(params, reader: caller.reader)))
            case .errors(let params):
                let failures = try self.failures(limit: params.limit ?? 100, offset: params.offset ?? 0, reader: caller.reader)
                return encode(ResponseEnvelope(id: id, result: ErrorsResult(
                    total: failures.total, errors: failures.recent.map { FileErrorMessage(path: $0.path, message: $0.message) })))
            case .reconcile:
                state.reconcileAll(reason: "requested")
                return encode(ResponseEnvelope(id: id, result: ActionResult(started: true, message: "reconciling the index with the files on disk")))
            case .rebuild:
                let started = state.startRebuild()
                return encode(ResponseEnvelope(id: id, result: ActionResult(
                    started: started, message: started ? "rebuilding the index from the files on disk" : "a rebuild is already running")))
            case .check:
                if lane == .fast { throw Demote() }
                try index.quickCheck()
                try index.integrityCheck()
                return encode(ResponseEnvelope(id: id, result: ActionResult(
                    started: true, message: "the index is consistent: quick_check and FTS5 integrity-check passed, \(try index.documentCount()) documents")))
            case .optimize:
                if lane == .fast { throw Demote() }
                try index.optimize()
                return encode(ResponseEnvelope(id: id, result: ActionResult(started: true, message: "index segments merged")))
            }
        } catch let error as Demote {
            throw error
        } catch let error as ProtocolError {
            return encode(ResponseEnvelope<EmptyResult>(id: id, error: error))
        } catch let error as IndexError {
            return encode(ResponseEnvelope<EmptyResult>(id: id, error: protocolError(error, method: envelope.request.method)))
        } catch {
            logger.error("request failed", metadata: ["request.method": "\(envelope.request.method)", "error": "\(error)"])
            return encode(ResponseEnvelope<EmptyResult>(id: id, error: ProtocolError(.internal, "\(error)")))
        }
    }

    /// The one place where index errors become protocol errors. A damaged index, met by any
    /// request, is reported to the daemon, which rebuilds it from the files.
    private func protocolError(_ error: IndexError, method: String) -> ProtocolError {
        switch error {
        case .corrupt(let message):
            state.indexDamaged(message)
            return ProtocolError(.corrupt, "the index is damaged (\(message)); it is being rebuilt from the files, try again when `jiansuo status` shows it done")
        case .timeout(let ms):
            return ProtocolError(.timeout, "the search took longer than \(ms) ms and was stopped; try a more specific query, or -l (no snippets)")
        case .invalidQuery(let message):
            return ProtocolError(.invalidParams, "the query could not be run: \(message)")
        case .failed, .cannotOpen:
            logger.error("request failed", metadata: ["request.method": "\(method)", "error": "\(error)"])
            return ProtocolError(.internal, error.description)
        }
    }

    /// The response to a client whose user is not allowed.
    func forbidden(_ message: String) -> [UInt8] {
        encode(ResponseEnvelope<EmptyResult>(id: nil, error: ProtocolError(.forbidden, message)))
    }

    /// The response to a client over ``WireProtocol/maxClients``.
    func busy() -> [UInt8] {
        encode(ResponseEnvelope<EmptyResult>(id: nil, error: ProtocolError(
            .busy, "too many clients (\(WireProtocol.maxClients)) are connected; try again")))
    }

    /// The response to a line longer than ``WireProtocol/maxRequestBytes``.
    func tooLong() -> [UInt8] {
        encode(ResponseEnvelope<EmptyResult>(id: nil, error: ProtocolError(
            .requestTooLarge, "request line exceeds \(WireProtocol.maxRequestBytes) bytes")))
    }

    /// Indexing failures, most recent first; a reader sees only those of files it may read
    /// (examined now).
    private func failures(limit: Int, offset: Int = 0, reader: Reader?) throws -> (total: Int, recent: [IndexingFailure]) {
        guard let reader else { return try index.failures(limit: limit, offset: offset) }
        let permission = ReadPermission(reader)
        let visible = try index.failures(limit: Self.maxFailuresShownToReaders, offset: 0).recent
            .filter { permission.mayRead(path: $0.path, stored: nil) }
        return (visible.count, Array(visible.dropFirst(offset).prefix(limit)))
    }

    /// The most failures examined for a reader's `status` and `errors`.
    static let maxFailuresShownToReaders = 10_000

    /// The daemon's state. A caller whose results are filtered and who may not write gets no
    /// count of files it might not be allowed to know of: `lastReconcile`, `extractions` and a
    /// rebuild's file counts are left out (its `documents` and `errors` count what it may read).
    private func status(_ caller: Caller) throws -> StatusResult {
        let reader = caller.reader
        let counts = reader == nil || caller.mayWrite
        let (phase, pending) = state.indexer.progress
        let failures = try self.failures(limit: 10, reader: reader)
        let watcher = state.watcher.withLock { $0 }
        let unwatched = watcher?.unwatchedDirectories.count ?? 0
        let missing = state.missingRoots.withLock { $0 }.sorted()
        var unreadable = watcher?.unreadableDirectories ?? [:]
        if let reader {
            // What a reader may not enter is not named to it.
            let permission = ReadPermission(reader)
            unreadable = unreadable.filter { permission.mayEnter(directory: $0.key) }
        }
        let quarantined = reader == nil
            ? try index.quarantinedCount()
            : try self.failures(limit: Self.maxFailuresShownToReaders, reader: reader).recent.count { $0.message.hasPrefix(SearchIndex.quarantinePrefix) }
        // Never "idle" while the index may be stale: directories are being polled, a root is gone.
        var phaseName = phase.rawValue
        if phase == .idle, unwatched > 0 { phaseName = "polling" }
        if phase == .idle, !missing.isEmpty { phaseName = "missing-root" }
        let rebuild = state.rebuild.withLock { $0 }.map {
            RebuildStatus(done: counts ? $0.done : 0, total: counts ? $0.total : 0,
                          elapsedSeconds: Date().timeIntervalSince($0.startedAt), phase: $0.phase)
        }
        if rebuild != nil { phaseName = "rebuilding" }
        let damage = state.damage.withLock { $0 }
        if damage != nil { phaseName = "damaged" }
        return StatusResult(
            state: phaseName, documents: try index.documentCount(reader: reader, directories: state.directories), pending: pending,
            roots: state.settings.roots, index: state.files.currentDatabase, errors: failures.total,
            recentErrors: failures.recent.map { FileErrorMessage(path: $0.path, message: $0.message) },
            version: JiansuoVersion.current, watchedDirectories: watcher?.watchCount ?? 0,
            unwatchedDirectories: unwatched, overflows: watcher?.overflowCount ?? 0, missingRoots: missing,
            rebuild: rebuild, lastRebuild: counts ? state.lastRebuild.withLock { $0 } : nil, extractions: counts ? state.indexer.extractionCount : 0,
            damage: damage, quarantined: quarantined,
            unreadableDirectories: unreadable.sorted { $0.key < $1.key }.prefix(10).map { FileErrorMessage(path: $0.key, message: $0.value) },
            unreadableDirectoryCount: unreadable.count,
            lastReconcile: !counts ? nil : state.reconciler.last.map {
                ReconcileStatus(reason: $0.reason, files: $0.report.files, changes: $0.report.changes, verified: $0.report.verified,
                                seconds: $0.seconds, finishedAtMilliseconds: Int64($0.finishedAt.timeIntervalSince1970 * 1000))
            },
            uncertainEncodings: try index.documentCount(reader: reader, uncertainEncodingOnly: true, directories: state.directories),
            keptDirectories: counts ? state.directories.count : nil)
    }

    private func search(_ params: SearchParams, reader: Reader?, lane: RequestPools.Lane, receivedAt: UInt64) throws -> SearchResult {
        let started = Indexer.now()
        let limit = params.limit ?? SearchParams.defaultLimit
        let offset = params.offset ?? 0
        guard (1...SearchParams.maxLimit).contains(limit), (0...SearchParams.maxOffset).contains(offset) else {
            throw ProtocolError(.invalidParams, "limit must be between 1 and \(SearchParams.maxLimit), offset between 0 and \(SearchParams.maxOffset)")
        }
        guard params.query.count <= SearchParams.maxQueryCharacters else {
            throw ProtocolError(.invalidParams, "query is longer than \(SearchParams.maxQueryCharacters) characters")
        }
        let segmenter = try Segmenter(options: index.options)
        let compiler = QueryCompiler(segmenter: segmenter)
        let parsed = QueryParser.parse(params.query)
        let compiled = compiler.compile(parsed)
        // Nothing left to search for (only operators, punctuation, excluded words or ignored
        // filters): a usage error, like an empty query, with the reasons.
        guard compiled.isSearchable else {
            throw ProtocolError(.invalidParams, "nothing to search for: " + compiled.hints.joined(separator: "; "))
        }
        // The time left of the request's budget, counted from when it arrived (waiting in a
        // lane counts too).
        let total = state.config.searchTimeoutMilliseconds
        let elapsed = Int((Indexer.now() &- receivedAt) / 1_000_000)
        let left = total - elapsed
        guard left > 0 else { throw IndexError.timeout(milliseconds: total) }
        let key = params.query
        var budget = left
        func request(_ query: String, _ compiled: CompiledQuery) -> SearchRequest {
            SearchRequest(query: query, compiled: compiled, options: index.options, limit: limit, offset: offset,
                          snippets: params.snippets ?? true, order: ResultOrder(rawValue: (params.sort ?? .relevance).rawValue) ?? .relevance,
                          timeBudgetMilliseconds: budget, reader: reader, directories: state.directories, facets: params.facets == true)
        }
        // A search the index has cached (many matches, no change since) costs no more than a
        // rare one: no estimate, no slow lane.
        if lane == .fast {
            if !index.isCached(request(params.query, compiled)) {
                if expensive.contains(key) { throw Demote() }
                // Known to be expensive before it runs: straight to the slow lane.
                if let cost = try? index.estimatedCost(of: compiled.highlightTerms, uncountedUpTo: RequestPools.expensiveCost),
                   cost > RequestPools.expensiveCost {
                    expensive.insert(key)
                    throw Demote()
                }
            }
            budget = min(left, RequestPools.fastBudgetMilliseconds)
        }
        let planned = Indexer.now()
        var matchNanoseconds: UInt64 = 0, pageNanoseconds: UInt64 = 0
        func run(_ compiled: CompiledQuery) throws -> SearchResults {
            do {
                return try index.search(request(params.query, compiled))
            } catch IndexError.timeout where budget < left {
                expensive.insert(key)
                throw Demote()
            } catch IndexError.timeout {
                throw IndexError.timeout(milliseconds: total)
            }
        }
        var results = try run(compiled)
        matchNanoseconds += results.matchNanoseconds
        pageNanoseconds += results.pageNanoseconds
        var hints = compiled.hints
        // Nothing as typed: a term is matched as a phrase, so words typed without spaces
        // (告诉我如何写周报) must stand together. Try the AND of its words, and say so. Exact
        // matches, when there are any, are all that is shown.
        if results.total == 0, let fallback = QueryCompiler.wordsFallback(parsed, words: segmenter.words(of:)) {
            let loose = compiler.compile(fallback.query)
            if loose.isSearchable {
                let found = try run(loose)
                matchNanoseconds += found.matchNanoseconds
                pageNanoseconds += found.pageNanoseconds
                if found.total > 0 {
                    results = found
                    let shown = fallback.words.prefix(20).joined(separator: " ") + (fallback.words.count > 20 ? " …" : "")
                    hints.append("no exact match; showing documents with all of these words: \(shown)")
                }
            }
        }
        return SearchResult(
            total: results.total,
            hits: results.hits.map {
                SearchHitMessage(path: $0.path, title: $0.title, score: $0.score, snippet: $0.snippet,
                                 highlights: $0.highlights.map { [$0.lowerBound, $0.upperBound] }, date: $0.date)
            },
            hints: hints,
            timings: params.timings == true ? SearchTimings(
                wait: Self.milliseconds(started &- receivedAt), plan: Self.milliseconds(planned &- started),
                match: Self.milliseconds(matchNanoseconds), page: Self.milliseconds(pageNanoseconds),
                total: Self.milliseconds(Indexer.now() &- receivedAt), cached: results.cached ? true : nil) : nil,
            facets: results.facets.map(Self.facets))
    }

    /// The protocol's facet lists: by count (years by year, newest first), at most
    /// ``SearchFacets/maxValues`` each.
    static func facets(_ counts: FacetCounts) -> SearchFacets {
        func byCount(_ map: [String: Int]) -> [FacetValue] {
            map.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(SearchFacets.maxValues).map { FacetValue(value: $0.key, count: $0.value) }
        }
        return SearchFacets(
            ext: byCount(counts.extensions), category: byCount(counts.categories),
            year: counts.years.sorted { $0.key > $1.key }.prefix(SearchFacets.maxValues).map { FacetValue(value: $0.key, count: $0.value) })
    }

    private static func milliseconds(_ nanoseconds: UInt64) -> Double { (Double(nanoseconds) / 1e4).rounded() / 100 }

    private func segment(_ params: SegmentParams) throws -> SegmentResult {
        guard params.text.count <= SegmentParams.maxTextCharacters else {
            throw ProtocolError(.invalidParams, "text is longer than \(SegmentParams.maxTextCharacters) characters")
        }
        let purpose: TokenPurpose
        switch params.purpose ?? "document" {
        case "document": purpose = .document
        case "query": purpose = .query
        case let other: throw ProtocolError(.invalidParams, "purpose must be \"document\" or \"query\", not \"\(other)\"")
        }
        let tokens = try Segmenter(options: index.options).tokens(of: params.text, for: purpose)
        return SegmentResult(
            normalized: Normalizer.normalize(params.text, options: index.options),
            tokens: tokens.map {
                TokenMessage(text: $0.displayText, kind: $0.kind.rawValue, start: $0.utf8Start, end: $0.utf8End, position: $0.position)
            })
    }

    private func show(_ params: ShowParams, reader: Reader?) throws -> ShowResult {
        // A document the reader may not read is answered as if it were not indexed.
        guard let d = try index.document(path: params.path, reader: reader, directories: state.directories) else {
            throw ProtocolError(.notFound, "'\(params.path)' is not in the index")
        }
        // Every occurrence of the query's terms (the terms a search for it highlights).
        var marks: [Range<Int>]?
        if let query = params.query {
            let segmenter = try Segmenter(options: index.options)
            let terms = QueryCompiler(segmenter: segmenter).compile(QueryParser.parse(query)).highlightTerms
            marks = try segmenter.highlights(in: d.body, terms: terms)
        }
        return ShowResult(
            path: d.path, title: d.title, format: d.format, encoding: d.encoding, size: d.state.size,
            mtimeNanoseconds: d.state.mtimeNanoseconds, indexedAtMilliseconds: d.indexedAtMilliseconds,
            date: d.date, author: d.author, categories: d.categories, tags: d.tags, links: d.links, body: d.body,
            encodingUncertainty: d.encodingUncertainty, highlights: marks.map { $0.prefix(ShowResult.maxHighlights).map { [$0.lowerBound, $0.upperBound] } },
            highlightsTruncated: marks.map { $0.count > ShowResult.maxHighlights })
    }

    private func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            return Array(#"{"v":1,"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
        }
    }

    /// The `id` of a request that failed to decode, when the line is at least a JSON object.
    private static func peekID(_ line: [UInt8]) -> Int? {
        guard let id = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])?["id"] as? Int,
              (-RequestEnvelope.maxID...RequestEnvelope.maxID).contains(id) else { return nil }
        return id
    }
}

/// Queries that ran over the fast lane's budget recently (at most 256, each for 10 minutes):
/// the same query goes straight to the slow lane, so a client repeating an expensive query
/// cannot occupy the fast lane.
final class ExpensiveQueries: Sendable {
    private let seen = Mutex<[String: UInt64]>([:])
    static let capacity = 256
    static let lifetimeNanoseconds: UInt64 = 600_000_000_000

    func contains(_ query: String) -> Bool {
        let now = Indexer.now()
        return seen.withLock { map in
            guard let at = map[query] else { return false }
            if now &- at > Self.lifetimeNanoseconds {
                map[query] = nil
                return false
            }
            return true
        }
    }

    func insert(_ query: String) {
        let now = Indexer.now()
        seen.withLock { map in
            if map.count >= Self.capacity { map = map.filter { now &- $0.value <= Self.lifetimeNanoseconds } }
            if map.count >= Self.capacity, let oldest = map.min(by: { $0.value < $1.value }) { map[oldest.key] = nil }
            map[query] = now
        }
    }
}
