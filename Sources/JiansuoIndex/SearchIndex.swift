import Foundation
import CIndex
import Synchronization
import GRDB
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery

/// The full-text index: a SQLite database with an FTS5 table, accessed through GRDB.
///
/// On disk it is a ``GRDB/DatabasePool`` in WAL mode: one writer, concurrent readers, so
/// searches never wait for indexing. Tests may use an in-memory ``GRDB/DatabaseQueue``.
/// All methods are synchronous and thread-safe.
public final class SearchIndex: Sendable {
    /// The database file name inside the index directory.
    public static let databaseFileName = "jiansuo.sqlite"

    let writer: any DatabaseWriter
    /// The analysis the index is built with.
    public let options: AnalysisOptions
    /// True when opening found an index built by another analyzer and emptied it.
    public let wasReset: Bool
    /// Segmenters for ``prepare(_:)``, one per concurrent caller.
    private let segmenters: SegmenterPool
    /// Tokens recorded by ``prepare(_:)``, replayed by this index's tokenizers (see ``TokenReplay``).
    private let replay: TokenReplay
    /// Document counts per token for ``estimatedCost(of:)``: fts5vocab counts a token's
    /// documents by reading its whole posting list, as much work as a search for it.
    let documentFrequencies = DocumentFrequencyCache()
    /// Each document's size in tokens for `jiansuo_rank`, valid between write transactions.
    let sizes: DocumentSizes
    /// The outcome of searches with many matches, for their next identical search (see ``MatchCache``).
    let matchCache: MatchCache
    /// Every document's access class at one generation, for warming and readers' searches
    /// (see ``DocumentAccessClasses``).
    let accessClasses = DocumentAccessClasses()

    /// Opens (creating if needed) the index database at `path`, analysed with `options`. An
    /// index built with other options or another analyzer version is emptied (``wasReset``).
    /// - Throws: ``IndexError/corrupt(_:)`` when SQLite finds the file damaged or not a
    ///   database (SQLITE_CORRUPT, SQLITE_NOTADB); ``IndexError/cannotOpen(path:reason:)`` for
    ///   anything else (permissions, a full disk …), which says nothing about the file's health.
    public convenience init(path: String, options: AnalysisOptions = .default) throws {
        do {
            let replay = TokenReplay()
            let sizes = DocumentSizes()
            try self.init(writer: DatabasePool(path: path, configuration: Self.configuration(replay, sizes)), options: options,
                          replay: replay, sizes: sizes)
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
                throw IndexError.corrupt("\(path): \(error.message ?? "\(error)")")
            }
            throw IndexError.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// An index in memory, for tests.
    public static func inMemory(options: AnalysisOptions = .default) throws -> SearchIndex {
        try inMemory(options: options, matchCache: MatchCache())
    }

    static func inMemory(options: AnalysisOptions = .default, matchCache: MatchCache) throws -> SearchIndex {
        let replay = TokenReplay()
        let sizes = DocumentSizes()
        return try SearchIndex(writer: DatabaseQueue(configuration: configuration(replay, sizes)), options: options, replay: replay,
                               sizes: sizes, matchCache: matchCache)
    }

    init(writer: any DatabaseWriter, options: AnalysisOptions, replay: TokenReplay, sizes: DocumentSizes,
         matchCache: MatchCache = MatchCache()) throws {
        self.matchCache = matchCache
        self.writer = writer
        self.replay = replay
        self.sizes = sizes
        self.options = options
        segmenters = SegmenterPool(options: options)
        try IndexSchema.migrator(options).migrate(writer)
        wasReset = try sizes.write { try writer.write { db in
            let reset = try IndexSchema.resetIfAnalysisChanged(db, options)
            if try Int.fetchOne(db, sql: "SELECT v FROM fts_config WHERE k = 'hashsize'") != Self.ftsHashBytes {
                try db.execute(sql: "INSERT INTO fts(fts, rank) VALUES('hashsize', ?)", arguments: [Self.ftsHashBytes])
            }
            return reset
        } }
        // After a migration or reset emptied the index, give the space back to the file system.
        try sizes.write { try writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            if free > 1024 && free * 2 > pages { try db.execute(sql: "VACUUM") }
        } }
    }

    /// FTS5's `hashsize`: the bytes of pending postings it keeps in memory before it writes them
    /// as a segment (also at every commit). FTS5's default, 1 MiB, cut each indexing transaction
    /// of a thousand documents into about a dozen segments for the merges to join again; with
    /// 4 MiB a transaction is two or three (a larger hash is slower to fill: 16 MiB made the
    /// large corpus's build 124.5 s instead of 116.4 s, its entries no longer in the CPU's
    /// caches). Stored in `fts_config`; see
    /// https://sqlite.org/fts5.html#the_hashsize_configuration_option
    static let ftsHashBytes = 4 << 20

    /// `jiansuo_fold(text)`: ``Normalizer/normalize(_:options:)`` for SQL, used by metadata filters.
    private static let foldFunction = DatabaseFunction("jiansuo_fold", argumentCount: 1, pure: true) { values in
        guard let text = String.fromDatabaseValue(values[0]) else { return nil }
        return Normalizer.normalize(text)
    }

    /// The GRDB configuration every connection needs: the `jiansuo` tokenizer and the
    /// `jiansuo_rank` function registered, `synchronous=NORMAL` (safe in WAL mode: a crash loses
    /// at most the last commits, never consistency) and a WAL truncated to 16 MiB after
    /// checkpoints (indexing transactions of a thousand documents grow it), 16 KiB pages for a
    /// new database.
    static func configuration(_ replay: TokenReplay, _ sizes: DocumentSizes) -> Configuration {
        var config = Configuration()
        config.prepareDatabase { db in
            // A new database gets 16 KiB pages (a no-op on an existing one): a compressed body
            // of a few KiB then shares a page with others instead of spilling into a mostly
            // empty overflow page (about a quarter of the documents table with 4 KiB pages).
            try db.execute(sql: "PRAGMA page_size = \(SearchIndex.pageSize)")
            // And incremental vacuum (also a no-op on an existing database), so that pages FTS5's
            // merges free can be given back to the file system (``reclaimFreePages()``).
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            TokenReplay.attach(replay, to: db)
            db.add(tokenizer: JiansuoTokenizer.self)
            db.add(function: foldFunction)
            let rank: (UnsafeMutableRawPointer?) -> Int32 = { crank_register($0, sizes.pointer) }
            for (name, register) in [("jiansuo_rank", rank), ("jiansuo_first", cfirst_register),
                                     ("jiansuo_text", cindex_register_text_function)] {
                let rc = register(UnsafeMutableRawPointer(db.sqliteConnection))
                guard rc == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "cannot register \(name)") }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Large indexing transactions grow the WAL; truncate it back after checkpoints.
            try db.execute(sql: "PRAGMA journal_size_limit = \(16 << 20)")
        }
        return config
    }

    /// Reads every document's size in tokens into the cache `jiansuo_rank` uses (see
    /// ``DocumentSizes``), so that the first searches after a write rank as fast as later
    /// ones: one pass over `fts_docsize` (100,000 documents: about 1.6 MB read, 0.8 MB kept).
    /// For the writer, when it goes idle; does nothing while a write transaction is open.
    public func cacheDocumentSizes() throws {
        let generation = sizes.generation
        try reading { db in
            _ = try Int64.fetchOne(db, sql: "SELECT max(id) FROM documents")
            let usable = DocumentSizes.usable(before: generation, after: sizes.generation)
            guard usable >= 0 else { return }
            let rc = cindex_sizes_load(UnsafeMutableRawPointer(db.sqliteConnection), sizes.pointer, usable)
            guard rc == 0 else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "reading fts_docsize") }
        }
    }

    /// Reads every document's access class into the table warming and readers' searches use
    /// (see ``DocumentAccessClasses``): one pass over the access index (100,000 documents: about
    /// 8 MB read, 0.4 MB kept plus one entry per directory). For the writer, when it goes idle;
    /// does nothing while a write transaction is open, when the table of this generation is
    /// already read, or when rowids are too sparse (``DocumentAccessClasses/maximumSparseness``).
    public func cacheAccessClasses() throws {
        let generation = sizes.generation
        guard generation >= 0, generation % 2 == 0, accessClasses.usable(at: generation) == nil else { return }
        try reading { db in
            let bounds = try Row.fetchOne(db, sql: "SELECT max(id), count(*) FROM documents")
            let usable = DocumentSizes.usable(before: generation, after: sizes.generation)
            guard usable >= 0 else { return }
            let maximum: Int64 = bounds?[0] ?? 0
            let count: Int64 = bounds?[1] ?? 0
            guard maximum <= count * Int64(DocumentAccessClasses.maximumSparseness) + Int64(DocumentAccessClasses.slack) else { return }
            var builder = DocumentAccessClasses.Builder(maximumRowid: maximum)
            let rows = try Row.fetchCursor(db, sql: "SELECT id, path, owner, grp, mode FROM documents INDEXED BY \(IndexSchema.accessIndex)")
            while let row = try rows.next() {
                let access = Self.access(row[2], row[3], row[4])
                let id: Int64 = row[0]
                try row.withUnsafeData(atIndex: 1) { data in
                    data?.withUnsafeBytes { builder.add(id: id, path: $0, access: access) }
                }
            }
            accessClasses.store(builder.table(generation: usable))
        }
    }

    /// The index's most frequent terms: each token in at least `minimumDocuments` documents,
    /// as the text a user would search for (a word or bigram token without its marker, see
    /// ``Token/wordPrefix``), most documents first, at most `limit`, with their document counts.
    /// Reads every posting list once (`fts_vocab`; 3.8 s at 100,000 documents), and returns what
    /// it has so far when `shouldStop` (asked every 1,024 tokens) says so.
    public func frequentTerms(minimumDocuments: Int, limit: Int, shouldStop: () -> Bool = { false }) throws -> [(term: String, documents: Int)] {
        Self.terms(try tokenCounts(minimumDocuments: minimumDocuments, shouldStop: shouldStop), minimumDocuments: minimumDocuments, limit: limit)
    }

    /// Every index token in at least `minimumDocuments` documents → its documents, in one pass
    /// over `fts_vocab` (see ``frequentTerms(minimumDocuments:limit:shouldStop:)``).
    func tokenCounts(minimumDocuments: Int, shouldStop: () -> Bool) throws -> [String: Int] {
        try reading { db in
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT term, doc FROM fts_vocab")
            var seen = 0
            while let row = try rows.next() {
                seen += 1
                if seen & 1023 == 0, shouldStop() { break }
                let documents: Int = row[1]
                if documents >= minimumDocuments, let token = String.fromDatabaseValue(row[0]) { counts[token] = documents }
            }
            return counts
        }
    }

    /// The terms of `counts` (tokens → documents) in at least `minimumDocuments`: markers
    /// stripped, a term's largest count kept, most documents first, at most `limit`.
    static func terms(_ counts: [String: Int], minimumDocuments: Int, limit: Int) -> [(term: String, documents: Int)] {
        var best: [String: Int] = [:]
        for (token, documents) in counts where documents >= minimumDocuments {
            let term = token.first == Token.wordPrefix || token.first == Token.bigramPrefix ? String(token.dropFirst()) : token
            if !term.isEmpty { best[term] = max(best[term] ?? 0, documents) }
        }
        return best.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(max(0, limit)).map { ($0.key, $0.value) }
    }

    /// Runs, and so caches (``MatchCache``), the search of each of the index's most frequent
    /// terms (``frequentTerms(minimumDocuments:limit:shouldStop:)``: those in at least
    /// `fraction` of the documents and in at least ``MatchCache/minimumMatches``, at most
    /// `limit`, the most frequent first): a search for one of them ranks a large share of the
    /// index (的 alone 115 ms at 100,000 documents), and is then answered from the cache until
    /// the next write. The same pass over the tokens seeds the document counts of the cost
    /// estimate. For the writer, when it goes idle after bulk work (see
    /// ``refreshMatchCache(limit:shouldStop:)`` after smaller writes), on `threads` threads (the
    /// searches are independent reads: 756 of them took 13.2 s on one thread at 100,000
    /// documents). Stops early when `shouldStop` says so. Returns the searches run.
    @discardableResult
    public func warmMatchCache(fraction: Double = 0.2, limit: Int = 1000, threads: Int = 1,
                               shouldStop: @escaping @Sendable () -> Bool = { false }) throws -> Int {
        let documents = try documentCount()
        let minimum = max(matchCache.minimumMatches, Int((Double(documents) * fraction).rounded(.up)))
        guard documents >= minimum else { return 0 }
        // One pass over every token gives the terms, and the counts of frequent tokens for
        // the cost estimate (``estimatedCost(of:uncountedUpTo:)``), which would count them again.
        let before = sizes.generation
        let counts = try tokenCounts(minimumDocuments: min(minimum, DocumentFrequencyCache.seedMinimum), shouldStop: shouldStop)
        documentFrequencies.seed(counts, generation: DocumentSizes.usable(before: before, after: sizes.generation))
        let terms = Self.terms(counts, minimumDocuments: minimum, limit: limit).map(\.term)
        // Warming counts every match by access class: looked up in the table, not joined.
        try cacheAccessClasses()
        return try runEach(terms, threads: threads, shouldStop: shouldStop) { [self] compiler, term in
            let compiled = compiler.compile(QueryParser.parse(term))
            guard compiled.isSearchable else { return false }
            _ = try search(SearchRequest(query: term, compiled: compiled, options: options, limit: matchCache.depth, snippets: false),
                           demanded: false)
            return true
        }
    }

    /// Calls `body` for each of `terms`, the most frequent first, on `threads` threads (the
    /// caller's and `threads - 1` it starts and joins before returning; a started thread
    /// inherits the caller's nice value on Linux), each with a query compiler of its own, until
    /// `shouldStop` says so. Returns the calls that returned true; rethrows the first error.
    private func runEach(_ terms: [String], threads: Int, shouldStop: @escaping @Sendable () -> Bool,
                         _ body: @escaping @Sendable (QueryCompiler, String) throws -> Bool) throws -> Int {
        let next = Mutex(0), searched = Mutex(0), failure = Mutex<(any Error)?>(nil)
        let options = options
        let work: @Sendable () -> Void = {
            let compiler: QueryCompiler
            do { compiler = QueryCompiler(segmenter: try Segmenter(options: options)) } catch {
                failure.withLock { $0 = $0 ?? error }
                return
            }
            while failure.withLock({ $0 == nil }) && !shouldStop() {
                let i = next.withLock { i in defer { i += 1 }; return i }
                guard i < terms.count else { return }
                do {
                    if try body(compiler, terms[i]) { searched.withLock { $0 += 1 } }
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
        let joined = DispatchGroup()
        for _ in 1..<max(1, min(threads, terms.count)) {
            joined.enter()
            Thread { work(); joined.leave() }.start()
        }
        work()
        joined.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return searched.withLock { $0 }
    }

    /// Runs again, and so caches for the index as it is now, the searches with many matches
    /// that users asked for since the last refresh (the most recent first, at most `limit`):
    /// every write makes the cache's entries stale. For the writer, when it goes idle after
    /// writes too few for ``warmMatchCache(fraction:limit:shouldStop:)``. Returns the searches run.
    @discardableResult
    public func refreshMatchCache(limit: Int = 64, shouldStop: () -> Bool = { false }) throws -> Int {
        var searches = 0
        for key in matchCache.refreshable(limit: limit) {
            if shouldStop() { break }
            _ = try search(SearchRequest(match: key.match, limit: matchCache.depth, offset: 0, titleKey: key.titleKey, snippets: false,
                                         order: key.order, rankLayout: key.rankLayout), demanded: false)
            searches += 1
        }
        return searches
    }

    /// Whether the match phase of `request` would be answered from the cache now (a hint: a
    /// write may begin before it runs, and a reader's page may lie beyond the hits kept).
    /// Requests with filters never are.
    public func isCached(_ request: SearchRequest) -> Bool {
        guard let match = request.match, request.filters.isEmpty else { return false }
        return matchCache.contains(MatchCache.Key(match: match, rankLayout: request.rankLayout, titleKey: request.titleKey, order: request.order),
                                   generation: sizes.generation, wanted: request.offset + request.limit, facets: request.facets,
                                   reader: request.reader != nil)
    }

    /// Searches in the cache of searches with many matches, and lookups it answered and did not
    /// answer since the index was opened.
    public var matchCacheStatistics: (entries: Int, hits: Int, misses: Int) { matchCache.statistics }

    /// Gives the database's free pages back to the file system (FTS5's segment merges free
    /// pages as they go; deletions too; the work is in proportion to the free pages): SQLite's
    /// incremental vacuum (https://sqlite.org/pragma.html#pragma_incremental_vacuum), for
    /// databases created with `auto_vacuum = INCREMENTAL` (this build's); others keep their
    /// free pages for later writes. For the writer, when it goes idle. Returns the pages freed.
    @discardableResult
    public func reclaimFreePages() throws -> Int {
        try sizes.write {
            try writer.writeWithoutTransaction { db in
                guard try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") == 2 else { return 0 }
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                guard free > 0, pages > 0 else { return 0 }
                try db.execute(sql: "PRAGMA incremental_vacuum")
                return free - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
            }
        }
    }

    /// Does one bounded step of FTS5's incremental merge, in its own transaction: FTS5 merges
    /// segments (across levels too, so that repeated steps end with one segment, as
    /// `optimize` does) until about `pages` leaf pages are written (FTS5's `pgsz`, 4,050
    /// bytes by default). Returns false when there was nothing left to merge.
    /// One segment instead of a dozen makes every token's lookup one b-tree descent: on the
    /// large corpus (100,000 documents) searches went from p50 9.6 to 7.1 ms after a full
    /// merge, which took 11.6 s (docs/performance.md). For the writer, when it goes idle
    /// after bulk work. Throws ``IndexError`` (a full disk, for one: the step is rolled back).
    /// See https://sqlite.org/fts5.html#the_merge_command
    public func mergeStep(pages: Int = 2000) throws -> Bool {
        try writing { db in
            let before = db.totalChangesCount
            try db.execute(sql: "INSERT INTO fts(fts, rank) VALUES('merge', ?)", arguments: [-max(1, pages)])
            // FTS5's documented test: fewer than 2 changed rows means no merge work was left.
            let merged = db.totalChangesCount - before >= 2
            if !merged { try db.execute(sql: "DELETE FROM meta WHERE key = 'unmerged'") }
            return merged
        }
    }

    /// Whether FTS5 merges segments as it writes (`automerge` 4, `crisismerge` 16: FTS5's
    /// defaults) or leaves them for one merge at the end of bulk work (`automerge` 0: no merging
    /// while writing; `crisismerge` 64: a level of 64 segments is still merged, which bounds
    /// what a search reads meanwhile and stays far below FTS5's 2,000 segments per level).
    /// Merging as it goes rewrites each posting once per level it climbs, and the full merge
    /// after bulk work (``mergeStep(pages:)``) rewrites it once more; off, a build of the large
    /// corpus took 106.5-110.5 s instead of 116.4-124.5 s. Stored in `fts_config`, so a bulk
    /// that a kill interrupted is still one after the next start. See
    /// https://sqlite.org/fts5.html#the_automerge_configuration_option
    public func bulkMerging() throws -> Bool {
        try reading { try Int.fetchOne($0, sql: "SELECT v FROM fts_config WHERE k = 'automerge'") == 0 }
    }

    /// Sets ``bulkMerging()``. For the writer: on before bulk work, off when it ends.
    public func setBulkMerging(_ bulk: Bool) throws {
        try writing { db in
            try db.execute(sql: "INSERT INTO fts(fts, rank) VALUES('automerge', ?)", arguments: [bulk ? 0 : 4])
            try db.execute(sql: "INSERT INTO fts(fts, rank) VALUES('crisismerge', ?)", arguments: [bulk ? 64 : 16])
        }
    }

    /// The page size of new index databases, in bytes (see https://sqlite.org/pragma.html#pragma_page_size).
    static let pageSize = 16384

    /// Checkpoints the WAL into the main database file (truncating the WAL to zero bytes) and
    /// closes every connection. The index must not be used afterwards.
    public func close() throws {
        try writer.writeWithoutTransaction { db in
            // A statement run while no other is active clears a pending sqlite3_interrupt.
            try db.execute(sql: "SELECT 1")
            _ = try db.checkpoint(.truncate)
        }
        try (writer as? DatabasePool)?.close()
    }

    // MARK: Errors

    /// `writer.read`, with SQLite's errors as ``IndexError``s (SQLITE_CORRUPT → `.corrupt`).
    private func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try writer.read(body) } catch { throw IndexError.from(error) }
    }

    /// `writer.write`, with SQLite's errors as ``IndexError``s (SQLITE_CORRUPT → `.corrupt`).
    private func writing<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try sizes.write { try writer.write(body) } } catch { throw IndexError.from(error) }
    }

    // MARK: Writing

    /// Applies `changes` in one transaction: all of them or none.
    public func apply(_ changes: [IndexChange]) throws {
        guard !changes.isEmpty else { return }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try writing { db in
            for change in changes { try apply(db, change, now: now) }
            try Self.countUnmerged(db, changes.count)
        }
    }

    /// Changes applied since FTS5's segments were last merged into one (``mergeStep(pages:)``
    /// found nothing left to merge), kept in `meta` with the changes themselves: a merge that a
    /// stop interrupted is still owed after the next start. For the writer, to decide when to
    /// merge.
    public func unmergedChanges() throws -> Int {
        try reading { db in
            Int(try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'unmerged'") ?? "0") ?? 0
        }
    }

    /// FTS5's segments now and the leaf pages it has flushed from memory since the table was
    /// created, from its structure record (`fts_data` row 10: a 4-byte cookie, in newer
    /// versions a 4-byte `ff 00 00 01` marker, then varints: levels, segments, leaves written;
    /// see `fts5StructureDecode` in SQLite's ext/fts5/fts5_index.c). The leaves are counted
    /// only while `automerge` is on. Nil for an empty table. For tests and diagnostics.
    func segmentStatistics() throws -> (segments: Int, leavesWritten: UInt64)? {
        try reading { db in
            guard let block = try Data.fetchOne(db, sql: "SELECT block FROM fts_data WHERE id = 10") else { return nil }
            let bytes = [UInt8](block)
            var i = 4
            if bytes.count >= 8, bytes[4..<8].elementsEqual([0xff, 0, 0, 1]) { i = 8 }
            func varint() -> UInt64? {  // SQLite's varint: big-endian groups of 7 bits, a 9th byte of 8
                var value: UInt64 = 0
                for k in 0..<9 {
                    guard i < bytes.count else { return nil }
                    let byte = bytes[i]
                    i += 1
                    if k == 8 { return value << 8 | UInt64(byte) }
                    value = value << 7 | UInt64(byte & 0x7f)
                    if byte & 0x80 == 0 { return value }
                }
                return value
            }
            guard varint() != nil, let segments = varint(), let leaves = varint() else { return nil }
            return (Int(clamping: segments), leaves)
        }
    }

    private static func countUnmerged(_ db: Database, _ count: Int) throws {
        guard count > 0 else { return }
        try db.execute(sql: """
            INSERT INTO meta(key, value) VALUES('unmerged', ?)
            ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + excluded.value AS TEXT)
            """, arguments: [String(count)])
    }

    /// What a change stream yields to ``apply(stream:limits:committed:)``.
    public enum StreamItem: Sendable {
        /// A change to write.
        case change(IndexChange)
        /// Commit what is written so far before waiting for the next change (the producer is
        /// about to wait on work that may take long or much memory).
        case commit
    }

    /// How ``apply(stream:limits:committed:)`` cuts the stream into transactions.
    public struct TransactionLimits: Sendable {
        /// Most changes in one transaction.
        public var changes: Int
        /// Most text (title and body, UTF-8 bytes) in one transaction: FTS5 holds a
        /// transaction's postings in memory until it commits.
        public var textBytes: Int
        /// A document with at least this much text is written in a transaction of its own, so
        /// that a large file never holds other files' commits hostage.
        public var aloneTextBytes: Int

        public init(changes: Int = 1024, textBytes: Int = 32 << 20, aloneTextBytes: Int = 1 << 20) {
            self.changes = max(1, changes)
            self.textBytes = max(1, textBytes)
            self.aloneTextBytes = max(1, aloneTextBytes)
        }
    }

    /// Applies the changes `next` yields until it returns nil, in transactions bounded by
    /// `limits`, calling `committed(n)` after each commit of `n` changes. `next` may block
    /// (indexing workers are still producing), which keeps the write transaction open
    /// meanwhile: readers are not affected (WAL), and one large transaction writes far less
    /// than many small ones (FTS5 flushes a segment per commit).
    /// - Throws: the first write error (as an ``IndexError``); the changes since the last
    ///   commit are then rolled back.
    public func apply(stream next: () -> StreamItem?, limits: TransactionLimits = TransactionLimits(),
                      committed: (Int) -> Void) throws {
        var carried: IndexChange?  // a large change that arrived while a transaction was open
        var done = false
        while !done {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            var count = 0
            var bytes = 0
            try writing { db in
                defer { if count > 0 { try? Self.countUnmerged(db, count) } }
                if let change = carried {
                    carried = nil
                    try apply(db, change, now: now)
                    count = 1
                    return  // alone in its transaction
                }
                while count < limits.changes && bytes < limits.textBytes {
                    guard let item = next() else {
                        done = true
                        return
                    }
                    guard case .change(let change) = item else {
                        if count > 0 { return } else { continue }
                    }
                    if change.textBytes >= limits.aloneTextBytes {
                        if count > 0 {
                            carried = change  // commit the others first
                            return
                        }
                        try apply(db, change, now: now)
                        count = 1
                        return
                    }
                    try apply(db, change, now: now)
                    count += 1
                    bytes += change.textBytes
                }
            }
            if count > 0 { committed(count) }
        }
    }

    private func apply(_ db: Database, _ change: IndexChange, now: Int64) throws {
        switch change {
        case .upsert(let path, let state, let document, let hash, let prepared, let access):
            try replay.with(prepared?.recordings ?? [], options: options) {
                try upsert(db, path: path, state: state, document: document, contentHash: hash,
                           fields: prepared?.fields ?? DerivedFields(document, options: options), access: access, now: now)
            }
        case .delete(let path):
            try removeFromFTS(db, "path = ?", [path])
            try db.cachedStatement(sql: "DELETE FROM documents WHERE path = ?").execute(arguments: [path])
            try db.cachedStatement(sql: "DELETE FROM errors WHERE path = ?").execute(arguments: [path])
        case .deleteTree(let path):
            let (low, high) = Self.treeBounds(path)
            try removeFromFTS(db, "path > ? AND path < ?", [low, high])
            try db.cachedStatement(sql: "DELETE FROM documents WHERE path > ? AND path < ?").execute(arguments: [low, high])
            try db.cachedStatement(sql: "DELETE FROM errors WHERE path > ? AND path < ?").execute(arguments: [low, high])
        case .rename(let from, let to):
            guard from != to, try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM documents WHERE path = ?"), arguments: [from]) == true else { return }
            try delete(db, path: to)
            try db.cachedStatement(sql: "UPDATE documents SET path = ? WHERE path = ?").execute(arguments: [to, from])
            try db.cachedStatement(sql: "UPDATE OR REPLACE errors SET path = ? WHERE path = ?").execute(arguments: [to, from])
        case .renameTree(let from, let to):
            guard from != to else { return }
            let (low, high) = Self.treeBounds(from)
            let (toLow, toHigh) = Self.treeBounds(to)
            // The destination did not exist before the rename: anything indexed there is stale.
            try removeFromFTS(db, "path > ? AND path < ?", [toLow, toHigh])
            try db.cachedStatement(sql: "DELETE FROM documents WHERE path > ? AND path < ?").execute(arguments: [toLow, toHigh])
            try db.cachedStatement(sql: "UPDATE documents SET path = ? || substr(path, ?) WHERE path > ? AND path < ?")
                           .execute(arguments: [to, from.unicodeScalars.count + 1, low, high])
            try db.cachedStatement(sql: "UPDATE OR REPLACE errors SET path = ? || substr(path, ?) WHERE path > ? AND path < ?")
                           .execute(arguments: [to, from.unicodeScalars.count + 1, low, high])
        case .failure(let path, let message, let state):
            try removeFromFTS(db, "path = ?", [path])
            try db.cachedStatement(sql: "DELETE FROM documents WHERE path = ?").execute(arguments: [path])
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO errors(path, message, at_ms, size, mtime_ns, inode) VALUES(?, ?, ?, ?, ?, ?)")
                           .execute(arguments: [path, message, now, state?.size, state?.mtimeNanoseconds, state.map { Int64(bitPattern: $0.inode) }])
        case .verified(let path, let state, let access):
            try db.cachedStatement(sql: "UPDATE documents SET size = ?, mtime_ns = ?, inode = ?, indexed_at_ms = ? WHERE path = ?")
                           .execute(arguments: [state.size, state.mtimeNanoseconds, Int64(bitPattern: state.inode), now, path])
            if let access { try record(db, access, path: path) }
        case .access(let path, let access):
            try record(db, access, path: path)
        }
    }

    private func record(_ db: Database, _ access: FileAccess, path: String) throws {
        try db.cachedStatement(sql: "UPDATE documents SET owner = ?, grp = ?, mode = ? WHERE path = ?")
                       .execute(arguments: [Int64(access.owner), Int64(access.group), Int64(access.mode), path])
    }

    /// A stored ``FileAccess`` from its three columns (any NULL: unknown).
    static func access(_ owner: Int64?, _ group: Int64?, _ mode: Int64?) -> FileAccess? {
        guard let owner, let group, let mode,
              let o = UInt32(exactly: owner), let g = UInt32(exactly: group), let m = UInt32(exactly: mode) else { return nil }
        return FileAccess(owner: o, group: g, mode: m)
    }

    /// Analyses `document` for a later ``apply(_:)``: call it from any thread (indexing workers
    /// run it in parallel), then pass the result in the document's `.upsert`. The writer then
    /// replays the tokens instead of segmenting while it holds the write lock. Texts over
    /// ``maxPreparedBytes`` are left to the writer, to bound the memory held per document.
    public func prepare(_ document: Document) -> PreparedDocument? {
        let fields = DerivedFields(document, options: options)
        guard document.body.utf8.count <= Self.maxPreparedBytes,
              let recordings = try? segmenters.with({ [try $0.record(document.title), try $0.record(document.body)] })
        else { return PreparedDocument(recordings: [], fields: fields) }
        return PreparedDocument(recordings: recordings, fields: fields)
    }

    /// Texts whose tokens this index's writer replayed from ``prepare(_:)``'s recordings.
    var replayedTexts: Int { replay.replayCount }

    /// The largest body ``prepare(_:)`` records, in UTF-8 bytes.
    public static let maxPreparedBytes = 4 << 20

    private func delete(_ db: Database, path: String) throws {
        try removeFromFTS(db, "path = ?", [path])
        try db.cachedStatement(sql: "DELETE FROM documents WHERE path = ?").execute(arguments: [path])
    }

    /// Writes the document's row (with its access, in the same statement: a row updated after
    /// its insert is written twice, compressed body and all) and its FTS5 postings.
    /// `access` nil keeps a replaced row's stored access.
    private func upsert(_ db: Database, path: String, state: FileState, document: Document, contentHash: UInt64,
                        fields: DerivedFields, access: FileAccess?, now: Int64) throws {
        let m = document.metadata
        // External content: FTS5 removes a row's postings only when given its old text.
        try removeFromFTS(db, "path = ?", [path])
        // No RETURNING: it makes the statement one that may write several rows, which opens a
        // statement savepoint, and FTS5 flushes its pending postings at every savepoint (see
        // `removeFromFTS`).
        try db.cachedStatement(sql: """
            INSERT INTO documents(path, size, mtime_ns, inode, content_hash, title, title_key, format, encoding, date, date_key,
                                  author, categories, tags, links, indexed_at_ms, body, encoding_uncertainty, owner, grp, mode)
            VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                inode = excluded.inode, content_hash = excluded.content_hash, title = excluded.title, title_key = excluded.title_key, format = excluded.format,
                encoding = excluded.encoding, date = excluded.date, date_key = excluded.date_key,
                author = excluded.author,
                categories = excluded.categories, tags = excluded.tags, links = excluded.links,
                indexed_at_ms = excluded.indexed_at_ms, body = excluded.body,
                encoding_uncertainty = excluded.encoding_uncertainty,
                owner = coalesce(excluded.owner, owner), grp = coalesce(excluded.grp, grp), mode = coalesce(excluded.mode, mode)
            """).execute(arguments: [path, state.size, state.mtimeNanoseconds, Int64(bitPattern: state.inode), Int64(bitPattern: contentHash),
                             document.title, fields.titleKey, document.format.rawValue, document.encoding, m.date,
                             fields.day ?? DocumentDate.dayString(Date(timeIntervalSince1970: Double(state.mtimeNanoseconds) / 1e9)),
                             m.author, fields.categories, fields.tags, fields.links, now, fields.storedBody,
                             document.encodingUncertainty, access.map { Int64($0.owner) }, access.map { Int64($0.group) },
                             access.map { Int64($0.mode) }])
        guard let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM documents WHERE path = ?"), arguments: [path]) else {
            throw IndexError.corrupt("the row of \(path) is missing after its insert")
        }
        _ = replay.takeBlockPositions()
        try db.cachedStatement(sql: "DELETE FROM document_positions WHERE id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "INSERT INTO fts(rowid, title, body) VALUES(?, ?, ?)")
                       .execute(arguments: [id, document.title, document.body])
        let bodyBytes = document.body.utf8.count
        if bodyBytes >= Int(CINDEX_BLOCKS_MIN), let captured = replay.takeBlockPositions(), captured.count == bodyBytes {
            let blob = captured.positions.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian on every target
            try db.cachedStatement(sql: "INSERT INTO document_positions(id, positions) VALUES(?, ?)").execute(arguments: [id, blob])
        }
        try db.cachedStatement(sql: "DELETE FROM errors WHERE path = ?").execute(arguments: [path])
    }

    /// Removes the postings of the documents matching `condition` (on `documents`) from FTS5,
    /// which with external content must be given each row's old text.
    /// See https://sqlite.org/fts5.html#external_content_tables
    ///
    /// One single-row `INSERT … VALUES` per document, never `INSERT … SELECT`: inside a
    /// transaction a statement that may write several rows opens a statement savepoint, and
    /// FTS5 flushes its pending postings to a new segment at every savepoint (`xSavepoint`,
    /// SQLite 3.40). With the `INSERT … SELECT` each document's postings became a segment of
    /// their own, and the writer spent most of its time merging them (issue 14, eighth step).
    private func removeFromFTS(_ db: Database, _ condition: String, _ arguments: StatementArguments) throws {
        let ids = try Int64.fetchAll(db.cachedStatement(sql: "SELECT id FROM documents WHERE \(condition)"), arguments: arguments)
        for id in ids {
            guard let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT title, jiansuo_text(body) FROM documents WHERE id = ?"),
                                             arguments: [id]) else { continue }
            try db.cachedStatement(sql: "INSERT INTO fts(fts, rowid, title, body) VALUES('delete', ?, ?, ?)")
                           .execute(arguments: [id, old[0] as DatabaseValue, old[1] as DatabaseValue])
        }
    }

    /// Paths strictly between these bounds are exactly those under directory `path`:
    /// `path + "/"` sorts below them and `path + "0"` (the byte after `/`) above them.
    static func treeBounds(_ path: String) -> (String, String) {
        let dir = path.hasSuffix("/") ? String(path.dropLast()) : path
        return (dir + "/", dir + "0")
    }

    // MARK: Reading

    /// The stored state of every indexed file, keyed by path.
    public func fileStates() throws -> [String: FileState] {
        try reading { db in
            var states: [String: FileState] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, inode FROM documents")
            while let row = try rows.next() {
                states[row[0]] = FileState(size: row[1], mtimeNanoseconds: row[2], inode: UInt64(bitPattern: row[3]))
            }
            return states
        }
    }

    /// What the index knows of every indexed file, keyed by path.
    public func storedStates() throws -> [String: StoredState] {
        try reading { db in
            var states: [String: StoredState] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, inode, content_hash, indexed_at_ms, owner, grp, mode FROM documents")
            while let row = try rows.next() {
                states[row[0]] = StoredState(
                    state: FileState(size: row[1], mtimeNanoseconds: row[2], inode: UInt64(bitPattern: row[3])),
                    contentHash: UInt64(bitPattern: row[4]), indexedAtMilliseconds: row[5], access: Self.access(row[6], row[7], row[8]))
            }
            return states
        }
    }

    /// What the index knows of one file, or nil when it is not indexed.
    public func storedState(path: String) throws -> StoredState? {
        try reading { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT size, mtime_ns, inode, content_hash, indexed_at_ms, owner, grp, mode FROM documents WHERE path = ?"),
                             arguments: [path])
                .map { StoredState(state: FileState(size: $0[0], mtimeNanoseconds: $0[1], inode: UInt64(bitPattern: $0[2])),
                                   contentHash: UInt64(bitPattern: $0[3]), indexedAtMilliseconds: $0[4], access: Self.access($0[5], $0[6], $0[7])) }
        }
    }

    /// The indexed paths under directory `dir`.
    public func paths(under dir: String) throws -> [String] {
        let (low, high) = Self.treeBounds(dir)
        return try reading { db in
            try String.fetchAll(db, sql: "SELECT path FROM documents WHERE path > ? AND path < ?", arguments: [low, high])
        }
    }

    /// Merges FTS5's index segments into one (after bulk work): smaller and faster to query.
    /// See https://sqlite.org/fts5.html#the_optimize_command
    public func optimize() throws {
        try writing { db in
            try db.execute(sql: "INSERT INTO fts(fts) VALUES('optimize')")
            try db.execute(sql: "DELETE FROM meta WHERE key = 'unmerged'")
        }
    }

    /// The stored state of one file, or nil when it is not indexed.
    public func fileState(path: String) throws -> FileState? {
        try reading { db in
            try Row.fetchOne(db, sql: "SELECT size, mtime_ns, inode FROM documents WHERE path = ?", arguments: [path])
                .map { FileState(size: $0[0], mtimeNanoseconds: $0[1], inode: UInt64(bitPattern: $0[2])) }
        }
    }

    /// Paths recorded as failed, with their error, newest first.
    public func failures(limit: Int = 20, offset: Int = 0) throws -> (total: Int, recent: [IndexingFailure]) {
        try reading { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM errors") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT path, message, at_ms FROM errors ORDER BY at_ms DESC, path LIMIT ? OFFSET ?",
                                        arguments: [limit, offset])
            return (total, rows.map { IndexingFailure(path: $0[0], message: $0[1], atMilliseconds: $0[2]) })
        }
    }

    /// Message prefix of a failure recorded because the file stopped the daemon.
    public static let quarantinePrefix = "quarantined: "

    /// The number of quarantined files (see ``quarantined()``).
    public func quarantinedCount() throws -> Int {
        try reading { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM errors WHERE substr(message, 1, ?) = ?",
                             arguments: [Self.quarantinePrefix.count, Self.quarantinePrefix]) ?? 0
        }
    }

    /// The files quarantined because extracting or writing them stopped the daemon.
    public func quarantined() throws -> [(path: String, message: String, state: FileState?)] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT path, message, size, mtime_ns, inode FROM errors WHERE substr(message, 1, ?) = ?",
                             arguments: [Self.quarantinePrefix.count, Self.quarantinePrefix]).map { row in
                let size: Int64? = row[2], mtime: Int64? = row[3], inode: Int64? = row[4]
                var state: FileState?
                if let size, let mtime, let inode { state = FileState(size: size, mtimeNanoseconds: mtime, inode: UInt64(bitPattern: inode)) }
                return (row[0], row[1], state)
            }
        }
    }

    /// The paths recorded as failed, each with the file state its failure belongs to (nil: the
    /// failure is retried at every reconcile; see ``IndexChange/failure(path:message:state:)``).
    public func failedStates() throws -> [String: FileState?] {
        try reading { db in
            var states: [String: FileState?] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT path, size, mtime_ns, inode FROM errors")
            while let row = try rows.next() {
                let size: Int64? = row[1], mtime: Int64? = row[2], inode: Int64? = row[3]
                if let size, let mtime, let inode {
                    states[row[0]] = FileState(size: size, mtimeNanoseconds: mtime, inode: UInt64(bitPattern: inode))
                } else {
                    states[row[0]] = .some(nil)
                }
            }
            return states
        }
    }

    /// Runs FTS5's integrity check (which re-tokenizes every stored row with the tokenizer) and
    /// checks that every document has exactly one FTS5 row.
    /// - Throws: ``IndexError/corrupt(_:)`` naming the inconsistency.
    public func integrityCheck() throws {
        try writing { db in
            do {
                try db.execute(sql: "INSERT INTO fts(fts) VALUES('integrity-check')")
            } catch let error as DatabaseError {
                throw IndexError.corrupt("FTS5 integrity-check: \(error.message ?? "\(error)")")
            }
            // FTS5 keeps one %_docsize row per indexed row.
            let orphans = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM documents WHERE id NOT IN (SELECT id FROM fts_docsize))
                     + (SELECT count(*) FROM fts_docsize WHERE id NOT IN (SELECT id FROM documents))
                """) ?? 0
            if orphans > 0 { throw IndexError.corrupt("\(orphans) documents without FTS5 rows or rows without documents") }
        }
    }

    /// The stored document at `path`, or nil when it is not indexed.
    /// - Parameter directories: see ``SearchRequest/directories``.
    public func document(path: String, reader: Reader? = nil, directories: DirectoryAccessCache? = nil) throws -> StoredDocument? {
        try reading { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT d.path, d.size, d.mtime_ns, d.inode, d.title, d.format, d.encoding, d.date, d.author,
                       d.categories, d.tags, d.indexed_at_ms, jiansuo_text(d.body), d.links, d.owner, d.grp, d.mode,
                       d.encoding_uncertainty
                FROM documents d WHERE d.path = ?
                """, arguments: [path]) else { return nil }
            if let reader, !ReadPermission(reader, directories: directories).mayRead(path: row[0], stored: Self.access(row[14], row[15], row[16])) { return nil }
            func list(_ json: String) -> [String] {
                (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
            }
            return StoredDocument(
                path: row[0], state: FileState(size: row[1], mtimeNanoseconds: row[2], inode: UInt64(bitPattern: row[3])),
                title: row[4], format: row[5], encoding: row[6], date: row[7], author: row[8],
                categories: list(row[9]), tags: list(row[10]), links: list(row[13]), indexedAtMilliseconds: row[11], body: row[12],
                encodingUncertainty: row[17])
        }
    }

    /// SQLite's `PRAGMA quick_check`: a fast structural check of the database file.
    /// - Throws: ``IndexError/corrupt(_:)`` with SQLite's findings.
    public func quickCheck() throws {
        let result: [String]
        do {
            result = try writer.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents")
                return check
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            throw IndexError.corrupt(error.message ?? "\(error)")
        }
        guard result == ["ok"] else { throw IndexError.corrupt(result.prefix(5).joined(separator: "; ")) }
    }

    /// Number of indexed documents; with `reader`, of those that user may read.
    /// `directories`: see ``SearchRequest/directories``.
    public func documentCount(reader: Reader? = nil, uncertainEncodingOnly: Bool = false,
                              directories: DirectoryAccessCache? = nil) throws -> Int {
        let condition = uncertainEncodingOnly ? " WHERE encoding_uncertainty IS NOT NULL" : ""
        return try reading { db in
            guard let reader else { return try Int.fetchOne(db, sql: "SELECT count(*) FROM documents\(condition)") ?? 0 }
            let permission = ReadPermission(reader, directories: directories)
            var count = 0
            // Without a condition, from the access columns' covering index (see `v8`).
            let rows = try Row.fetchCursor(db, sql: uncertainEncodingOnly
                ? "SELECT path, owner, grp, mode FROM documents\(condition)"
                : "SELECT path, owner, grp, mode FROM documents INDEXED BY \(IndexSchema.accessIndex)")
            while let row = try rows.next() {
                if permission.mayRead(path: row[0], stored: Self.access(row[1], row[2], row[3])) { count += 1 }
            }
            return count
        }
    }

    /// Runs `request`, best hits first.
    ///
    /// The search plan: one pass over the matches computes `jiansuo_rank` (see `cindex.h`) for
    /// each, from what FTS5 has already decoded to match it; a bounded top-k in Swift keeps the
    /// page; only the page's rows are highlighted, each by a rowid lookup. Ranking, in order:
    /// documents whose whole title equals the query (see ``titleKey(_:options:)``), then
    /// documents whose title alone matches the query, then the rest; within each group by BM25
    /// (title weighted 10× the body) with word and proximity boosts. A short title such as 设置
    /// would otherwise lose to long documents that repeat the word in their body.
    /// - Throws: ``IndexError/invalidQuery(_:)`` when FTS5 rejects the expression.
    public func search(_ request: SearchRequest) throws -> SearchResults {
        try search(request, demanded: true)
    }

    /// ``search(_:)``; `demanded` false for a search the index runs itself to warm its cache.
    private func search(_ request: SearchRequest, demanded: Bool) throws -> SearchResults {
        let (filterSQL, filterArguments) = Self.sql(request.filters)
        var timedOut = false
        let generation = sizes.generation  // before the read transaction (see DocumentSizes)
        do {
            return try writer.read { db in
                // The time budget: a progress handler on this read connection only.
                let deadline = request.timeBudgetMilliseconds.flatMap {
                    cindex_deadline_begin(UnsafeMutableRawPointer(db.sqliteConnection), Int64($0) * 1_000_000)
                }
                defer {
                    if let deadline {
                        timedOut = cindex_deadline_expired(deadline) != 0
                        cindex_deadline_end(UnsafeMutableRawPointer(db.sqliteConnection), deadline)
                    }
                }
                func checkDeadline(_ count: Int) throws {
                    if count & 255 == 0, let ms = request.timeBudgetMilliseconds, cindex_deadline_expired(deadline) != 0 {
                        throw IndexError.timeout(milliseconds: ms)
                    }
                }
                let permission = request.reader.map { ReadPermission($0, directories: request.directories) }
                guard let match = request.match else {
                    return try listFiltered(db, filterSQL, filterArguments, request, permission)
                }
                // Take the snapshot, then see whether a write began or ended meanwhile.
                _ = try Int64.fetchOne(db, sql: "SELECT max(id) FROM documents")
                let sizesGeneration = DocumentSizes.usable(before: generation, after: sizes.generation)
                let matchStart = DispatchTime.now().uptimeNanoseconds
                let wanted = request.offset + request.limit
                // Searches without a reader or filters are cached when their matches are many
                // (see MatchCache): for the snapshot's generation only.
                let keep = matchCache.keep(wanted: wanted)
                // A reader's facets are not cached (they would need counting by access class too).
                let cacheKey = filterSQL.isEmpty && sizesGeneration >= 0 && keep != nil && !(permission != nil && request.facets)
                    ? MatchCache.Key(match: match, rankLayout: request.rankLayout, titleKey: request.titleKey, order: request.order) : nil
                if let cacheKey, let permission {
                    // A reader: the stored unfiltered outcome, through the classes it may read now.
                    if let (outcome, classes) = matchCache.lookupForReader(cacheKey, generation: sizesGeneration, demanded: demanded),
                       let answer = Self.readable(outcome, classes: classes, permission: permission, wanted: wanted) {
                        return try page(db, request, match: match, ranked: answer.hits[...], total: answer.total, facets: nil, cached: true,
                                        matchStart: matchStart, deadline: deadline)
                    }
                } else if let cacheKey,
                          // Warming also counts access classes: an entry a user's search stored without them is redone.
                          demanded || matchCache.contains(cacheKey, generation: sizesGeneration, wanted: wanted, facets: false, reader: true),
                          let outcome = matchCache.lookup(cacheKey, generation: sizesGeneration, wanted: wanted, facets: request.facets, demanded: demanded) {
                    return try page(db, request, match: match, ranked: outcome.hits.prefix(wanted), total: outcome.total,
                                    facets: request.facets ? outcome.facets : nil, cached: true, matchStart: matchStart, deadline: deadline)
                }
                let exact: Set<Int64> = try request.titleKey.map {
                    Set(try Int64.fetchAll(db, sql: "SELECT id FROM documents WHERE title_key = ?", arguments: [$0]))
                } ?? []
                var top = TopHits(capacity: cacheKey != nil && permission == nil ? keep ?? wanted : wanted, order: request.order)
                var total = 0
                var facets = request.facets ? FacetCounts() : nil
                var facetReader = FacetCounts.Reader()
                // The matches by access class, for readers (see MatchCache): counted by a reader's
                // search, which reads each match's access anyway, and by warming. A reader's
                // search also keeps the unfiltered best hits (`all`) to store.
                var classes = cacheKey != nil && (permission != nil || !demanded) ? AccessClassCounts() : nil
                // A reader's search ran because the kept hits (or none) did not hold its page:
                // it keeps the deepest the cache allows, so that the next search of a reader
                // who may read fewer of the best hits finds its page among them.
                var all = classes != nil && permission != nil ? TopHits(capacity: matchCache.maximumDepth, order: request.order) : nil
                var allTotal = 0
                /// A match of access class `c` (nil: no class stands for it), when the search
                /// counts classes: its hit marked and kept among the unfiltered ones; without a
                /// class, readers cannot use this search's counts.
                func countForReaders(_ c: Int32?, _ hit: inout RankedHit) {
                    guard classes != nil else { return }
                    if let c {
                        hit.accessClass = c
                        allTotal += 1
                        all?.insert(hit)
                    } else {
                        classes = nil
                        all = nil
                    }
                }
                let documents = phraseDocuments(request, match: match, generation: sizesGeneration)
                // The snapshot's access classes (see DocumentAccessClasses): counting matches by
                // class, and a reader's permission, decided per class, without joining each
                // match's row.
                let table = (classes != nil || permission != nil) && filterSQL.isEmpty && request.order == .relevance && !request.facets
                    ? accessClasses.usable(at: sizesGeneration) : nil
                if filterSQL.isEmpty && request.order == .relevance && !request.facets && (table != nil || (permission == nil && classes == nil)) {
                    var classCounts = [Int32](repeating: 0, count: classes != nil ? table?.classes.count ?? 0 : 0)
                    // A reader's verdict per class: 0 not decided yet, 1 may read, 2 may not.
                    var verdicts = [UInt8](repeating: 0, count: permission != nil ? table?.classes.count ?? 0 : 0)
                    let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT rowid, jiansuo_rank(fts, ?, ?, ?) FROM fts WHERE fts MATCH ?"),
                                                   arguments: [request.rankLayout, sizesGeneration, documents, match])
                    var seen = 0
                    while let row = try rows.next() {
                        let id: Int64 = row[0]
                        seen += 1
                        try checkDeadline(seen)
                        var hit = RankedHit(id: id, exact: exact.contains(id), rank: row[1], key: "")
                        if let table {
                            let c = table.classOf(id)
                            if classes != nil, c >= 0 { classCounts[Int(c)] += 1 }
                            countForReaders(c >= 0 ? c : nil, &hit)
                            if let permission, !(try Self.mayRead(permission, id: id, accessClass: c, table: table, verdicts: &verdicts, db)) {
                                continue
                            }
                        }
                        total += 1
                        top.insert(hit)
                    }
                    if classes != nil, let table { classes = AccessClassCounts(classes: table.classes, counts: classCounts) }
                } else {
                    // With a reader, each matching document's path and access are read too:
                    // only those the reader may read count.
                    // With facets, each match's path, categories and day (columns 7, 8, 9).
                    // The access columns come from their covering index (`a`): in the table they
                    // follow the compressed body, and reading them there walks its overflow
                    // pages. `d` is joined only for the sort key, filters and facets, which
                    // come before the body.
                    let readAccess = permission != nil || classes != nil
                    let key = request.order == .date ? "d.date_key" : request.order == .path ? "d.path" : "''"
                    let access = readAccess ? ", a.path, a.owner, a.grp, a.mode" : ", NULL, NULL, NULL, NULL"
                    let facetColumns = facets == nil ? "" : ", d.path, d.categories, d.date_key"
                    let joinDocuments = key != "''" || !filterSQL.isEmpty || facets != nil ? " JOIN documents d ON d.id = fts.rowid" : ""
                    let joinAccess = readAccess ? " JOIN documents a INDEXED BY \(IndexSchema.accessIndex) ON a.id = fts.rowid" : ""
                    let rows = try Row.fetchCursor(db, sql: """
                        SELECT fts.rowid, jiansuo_rank(fts, ?, ?, ?), \(key)\(access)\(facetColumns) FROM fts\(joinDocuments)\(joinAccess)
                        WHERE fts MATCH ?\(filterSQL)
                        """, arguments: [request.rankLayout, sizesGeneration, documents, match] + filterArguments)
                    var seen = 0
                    while let row = try rows.next() {
                        let id: Int64 = row[0]
                        seen += 1
                        try checkDeadline(seen)
                        var hit = RankedHit(id: id, exact: exact.contains(id), rank: row[1], key: row[2])
                        let stored = readAccess ? Self.access(row[4], row[5], row[6]) : nil
                        countForReaders(classes?.add(path: row[3], access: stored), &hit)
                        if let permission, !permission.mayRead(path: row[3], stored: stored) { continue }
                        total += 1
                        top.insert(hit)
                        if facets != nil { facetReader.add(to: &facets!, path: row[7], categoriesJSON: row[8], dateKey: row[9]) }
                    }
                }
                let ranked = top.sorted()
                if let cacheKey {
                    if permission == nil {
                        matchCache.store(cacheKey, generation: sizesGeneration, outcome: MatchCache.Outcome(total: total, hits: ranked, facets: facets),
                                         classes: classes, demanded: demanded)
                    } else if let classes, let all {
                        matchCache.store(cacheKey, generation: sizesGeneration, outcome: MatchCache.Outcome(total: allTotal, hits: all.sorted(), facets: nil),
                                         classes: classes, demanded: demanded)
                    }
                }
                return try page(db, request, match: match, ranked: ranked.prefix(wanted), total: total, facets: facets, cached: false,
                                matchStart: matchStart, deadline: deadline)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_INTERRUPT, timedOut, let ms = request.timeBudgetMilliseconds {
                throw IndexError.timeout(milliseconds: ms)
            }
            if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
                throw IndexError.corrupt(error.message ?? "\(error)")
            }
            if error.resultCode == .SQLITE_ERROR {
                throw IndexError.invalidQuery(error.message ?? "\(error)")
            }
            throw IndexError.failed(error.message ?? "\(error)")
        }
    }

    /// Whether `permission`'s reader may read document `id`, whose class in `table` is
    /// `accessClass`: decided once per class per search (`verdicts`: 0 not yet, 1 yes, 2 no; the
    /// rule of ``ReadPermission/mayRead(directory:access:)``, the same as for each of its
    /// files), and file by file for a document without a class (its row read for its path and
    /// access, as a search without the table does).
    private static func mayRead(_ permission: ReadPermission, id: Int64, accessClass c: Int32, table: DocumentAccessClasses.Table,
                                verdicts: inout [UInt8], _ db: Database) throws -> Bool {
        if c >= 0, Int(c) < verdicts.count {
            if verdicts[Int(c)] != 0 { return verdicts[Int(c)] == 1 }
            let cls = table.classes[Int(c)]
            if let may = permission.mayRead(directory: cls.directory, access: cls.access) {
                verdicts[Int(c)] = may ? 1 : 2
                return may
            }
        }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT path, owner, grp, mode FROM documents INDEXED BY \(IndexSchema.accessIndex) WHERE id = ?
            """), arguments: [id]) else { return false }
        return permission.mayRead(path: row[0], stored: access(row[1], row[2], row[3]))
    }

    /// A reader's total and first `wanted` hits from an unfiltered outcome counted by access
    /// class (``MatchCache``): the classes `permission` allows now (directories examined live,
    /// as for every filtered search), their counts summed, and the kept hits of those classes.
    /// Nil when the kept hits hold fewer than `wanted` of them while more may exist (the search
    /// then runs), or when a class cannot be decided without its file (an ACL).
    static func readable(_ outcome: MatchCache.Outcome, classes: [AccessClass], permission: ReadPermission,
                         wanted: Int) -> (total: Int, hits: [RankedHit])? {
        guard let ids = outcome.classIDs, let counts = outcome.classCounts, ids.count == counts.count else { return nil }
        var allowed = [Bool](repeating: false, count: classes.count)
        var total = 0
        for (id, count) in zip(ids, counts) {
            guard Int(id) < classes.count, let may = permission.mayRead(directory: classes[Int(id)].directory,
                                                                       access: classes[Int(id)].access) else { return nil }
            allowed[Int(id)] = may
            if may { total += Int(count) }
        }
        var hits: [RankedHit] = []
        for hit in outcome.hits where hit.accessClass >= 0 && Int(hit.accessClass) < allowed.count && allowed[Int(hit.accessClass)] {
            hits.append(hit)
            if hits.count == wanted { break }
        }
        guard hits.count >= wanted || outcome.hits.count == outcome.total else { return nil }
        return (total, hits)
    }

    /// `jiansuo_rank`'s fourth argument: each FTS5 phrase's document count where it is known
    /// exactly for the snapshot (see `cindex.h`), "" when none is. With two terms or more, BM25's
    /// idf needs each term's count, and `jiansuo_rank` would otherwise count it by running the
    /// term's phrase over every row (以 alone: 90,000 rows at 100,000 documents). A term whose
    /// phrase is one index token (a character, a bigram of common characters, a word of letters
    /// or digits), not a prefix, has the count of that token in `fts_vocab`, which
    /// ``warmMatchCache(fraction:limit:shouldStop:)`` read for the tokens in 1,000 documents or
    /// more; it is used only at the generation it was read at. The layout's term phrases (`T`)
    /// are the request's highlight terms, in order (``JiansuoQuery/QueryCompiler``); a column
    /// filter (`{title}:`) changes what a phrase counts, so such a query gets none.
    func phraseDocuments(_ request: SearchRequest, match: String, generation: Int64) -> String {
        guard let counts = documentFrequencies.seeded(at: generation), !match.contains("{") else { return "" }
        var out: [String] = []
        var terms = request.highlightTerms[...]
        var known = false
        for code in request.rankLayout.split(separator: " ") {
            guard code.first == "T" else {
                out.append("-1")
                continue
            }
            guard let term = terms.popFirst() else { return "" }
            let tokens = Self.phraseTokens(term.tokens)
            if !term.prefix, !term.digitPrefix, tokens.count == 1, let count = counts[tokens[0]] {
                out.append(String(count))
                known = true
            } else {
                out.append("-1")
            }
        }
        return known && terms.isEmpty ? out.joined(separator: ",") : ""
    }

    /// The page of a search: hits `offset` up to `offset + limit` of `ranked` (the best first),
    /// each with its row, and its highlights and snippet when asked. `matchStart`: when the match
    /// phase began (DispatchTime uptime, ns), for ``SearchResults/matchNanoseconds``.
    private func page(_ db: Database, _ request: SearchRequest, match: String, ranked: ArraySlice<RankedHit>, total: Int,
                      facets: FacetCounts?, cached: Bool, matchStart: UInt64, deadline: OpaquePointer?) throws -> SearchResults {
        let page = ranked.dropFirst(request.offset)
        let pageStart = DispatchTime.now().uptimeNanoseconds
        let expired = { deadline.map { cindex_deadline_expired($0) != 0 } ?? false }
        // Large bodies (stored with positions) among the page's hits, in one lookup.
        let large = request.snippets && !page.isEmpty
            ? Set(try Int64.fetchAll(db, sql: "SELECT id FROM document_positions WHERE id IN (\(page.map { String($0.id) }.joined(separator: ",")))"))
            : []
        let hits = try page.map { hit in
            if let ms = request.timeBudgetMilliseconds, expired() { throw IndexError.timeout(milliseconds: ms) }
            return try self.hit(db, hit, large: large.contains(hit.id), match: match, layout: request.rankLayout, snippets: request.snippets,
                                terms: request.highlightTerms, expired: expired)
        }
        return SearchResults(total: total, hits: hits, matchNanoseconds: pageStart - matchStart,
                             pageNanoseconds: DispatchTime.now().uptimeNanoseconds - pageStart, facets: facets, cached: cached)
    }

    /// An estimate of what searching for `terms` costs, before running it, in (document,
    /// token) postings read. FTS5 matches a phrase by stepping through the documents of its
    /// rarest token and seeking each other token's postings there, so a term costs about its
    /// rarest token's document count (`fts_vocab`) times its tokens (a phrase of the same bigram
    /// repeated counts it each time); a prefix adds the documents of at most 1,000 tokens it
    /// expands to. Counting reads each counted token's whole posting list, so at most
    /// ``sampledTokens`` distinct tokens of a term are counted, spread over it (the rarest of them
    /// stands for the term), and counts are kept for a minute (``DocumentFrequencyCache``): an estimate may lag
    /// recent writes.
    ///
    /// When the most the terms could cost (each token in every document; a prefix's 1,000
    /// tokens each in every document) is at most `bound`, that upper bound is returned without
    /// counting: most queries are short, and counting costs as much as searching.
    public func estimatedCost(of terms: [HighlightTerm], uncountedUpTo bound: Int = 0) throws -> Int {
        // Per term: its index tokens with repeats, a prefix as its token + "*".
        let phrases = terms.map { term in
            let tokens = Self.phraseTokens(term.tokens)
            return tokens.enumerated().map { k, token in term.prefix && k == tokens.count - 1 ? token + "*" : token }
        }
        if bound > 0 {
            let documents = try documentFrequencies.documents { try self.reading { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") ?? 0 } }
            let most = phrases.joined().reduce(0) {
                $0.addingReportingOverflow(documents.multipliedReportingOverflow(by: $1.hasSuffix("*") ? 1000 : 1).partialValue).partialValue
            }
            if most <= bound { return most }
        }
        // The tokens counted per term: its prefix, and distinct tokens spread over it (its first,
        // middle and last: rare characters cluster in names, wherever they stand).
        let sampled = phrases.map { keys -> [String] in
            var seen: [String] = keys.filter { $0.hasSuffix("*") }
            let spread = (0..<Self.sampledTokens).map { keys.isEmpty ? 0 : $0 * (keys.count - 1) / max(Self.sampledTokens - 1, 1) }
            for key in spread.map({ keys[$0] }) + keys where !seen.contains(key) && seen.count < Self.sampledTokens + (seen.first?.hasSuffix("*") == true ? 1 : 0) {
                seen.append(key)
            }
            return seen
        }
        var counts = documentFrequencies.lookup(Array(sampled.joined()))
        let missing = Set(sampled.joined()).subtracting(counts.keys)
        if !missing.isEmpty {
            let counted = try reading { db in
                try missing.reduce(into: [String: Int]()) { counted, key in
                    if key.hasSuffix("*") {
                        let token = String(key.dropLast())
                        counted[key] = try Int.fetchOne(db, sql: """
                            SELECT coalesce(sum(doc), 0) FROM (SELECT doc FROM fts_vocab WHERE term >= ? AND term < ? LIMIT 1000)
                            """, arguments: [token, token + "\u{10FFFF}"]) ?? 0
                    } else {
                        counted[key] = try Int.fetchOne(db, sql: "SELECT doc FROM fts_vocab WHERE term = ?", arguments: [key]) ?? 0
                    }
                }
            }
            documentFrequencies.store(counted)
            counts.merge(counted) { $1 }
        }
        return zip(phrases, sampled).reduce(0) { total, pair in
            let (keys, sample) = pair
            let rarest = sample.filter { !$0.hasSuffix("*") }.map { counts[$0] ?? 0 }.min()
            let prefix = sample.filter { $0.hasSuffix("*") }.reduce(0) { $0 + (counts[$1] ?? 0) }
            let term = (rarest ?? 0).multipliedReportingOverflow(by: keys.count).partialValue.addingReportingOverflow(prefix).partialValue
            return total.addingReportingOverflow(term).partialValue
        }
    }

    /// How many distinct tokens of a term ``estimatedCost(of:uncountedUpTo:)`` counts.
    static let sampledTokens = 3

    /// The index tokens the phrase of a term's query `tokens` reads (see `CICU_BIGRAM_SENTINEL`):
    /// each common Han character after another becomes the bigram of the two (``Token/bigramPrefix``
    /// + both), and the term's first character is left out when it starts a bigram; every
    /// other token stays.
    static func phraseTokens(_ tokens: [String]) -> [String] {
        var out: [String] = []
        for (k, token) in tokens.enumerated() {
            if k > 0, Segmenter.isCommonHan(token), Segmenter.isCommonHan(tokens[k - 1]) {
                if k == 1 { out.removeLast() }  // the term's first character: implied by the bigram
                out.append(String(Token.bigramPrefix) + tokens[k - 1] + token)
            } else {
                out.append(token)
            }
        }
        return out
    }

    /// Path, title and (when asked) snippet of one ranked hit.
    /// `large`: the body is stored in blocks with positions (see `document_positions`).
    private func hit(_ db: Database, _ hit: RankedHit, large: Bool, match: String, layout: String, snippets: Bool, terms: [HighlightTerm],
                     expired: () -> Bool) throws -> SearchHit {
        let score = hit.rank >= Self.titleGroup ? hit.rank - Self.titleGroup : hit.rank
        // A prefix term would make `jiansuo_first`'s one-row query expand the prefix over the
        // whole index again: such a body takes the chunk-scanning path below.
        if snippets, !terms.isEmpty, large, !terms.contains(where: \.prefix),
           let positions = try Data.fetchOne(db, sql: "SELECT positions FROM document_positions WHERE id = ?", arguments: [hit.id]),
           let first = try Int64.fetchOne(db, sql: "SELECT jiansuo_first(fts, ?) FROM fts WHERE fts MATCH ? AND rowid = ?",
                                          arguments: [layout, match, hit.id]),
           let row = try Row.fetchOne(db, sql: "SELECT path, title, date_key FROM documents WHERE id = ?", arguments: [hit.id]) {
            // A large body (stored in blocks, with positions): the snippet comes from the few
            // kilobytes around its first match (jiansuo_first on this row alone), the only part
            // read, inflated and highlighted, wherever it is; with no match in the body (the
            // title matched), the opening, with nothing to scan for.
            guard first >= 0 else {
                let opening = try Self.textRange(db, id: hit.id, from: 0, limit: Self.snippetChunkBytes)
                let (snippet, highlights) = Self.parseSnippet(SnippetWindow.crop(String(Self.afterTitleLine(opening, title: row[1] ?? "")),
                                                                                 cutAfter: true))
                return SearchHit(path: row[0], title: row[1], score: score, snippet: snippet, highlights: highlights, date: row[2])
            }
            let stride = Self.stride(of: first, in: positions)
            let from = max(0, stride * Int(CINDEX_POSITION_STRIDE) - Self.snippetLeadBytes)
            let limit = Int(CINDEX_POSITION_STRIDE) + Self.snippetLeadBytes + Self.snippetTailBytes
            let text = try Self.textRange(db, id: hit.id, from: from, limit: limit)
            let ranges = (try? segmenters.with { try $0.highlights(in: text, terms: terms) }) ?? []
            let cropped = SnippetWindow.crop(Self.mark(text, ranges), cutBefore: from > 0, cutAfter: text.utf8.count >= limit - 4)
            let (snippet, highlights) = Self.parseSnippet(cropped)
            return SearchHit(path: row[0], title: row[1], score: score, snippet: snippet, highlights: highlights, date: row[2])
        }
        if snippets, !terms.isEmpty {
            // Our highlighter: no FTS5 query per hit, one pass over the body's positions.
            // Only the part of the body a snippet may come from is inflated.
            if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT path, title, jiansuo_text(body, ?), date_key FROM documents WHERE id = ?"),
                                          arguments: [Self.snippetScanBytes + Self.snippetChunkBytes + 1024, hit.id]) {
                let body: String = row[2] ?? ""
                let (snippet, highlights) = Self.parseSnippet(try snippet(of: Self.afterTitleLine(body, title: row[1] ?? "", whole: true),
                                                                          terms: terms, expired: expired))
                return SearchHit(path: row[0], title: row[1], score: score, snippet: snippet, highlights: highlights, date: row[3])
            }
        } else if snippets {
            // No terms to highlight: the opening of the body. (FTS5's highlight() would mark
            // only part of each Han phrase: a phrase of bigrams matches at its second character.)
            if let row = try Row.fetchOne(db, sql: "SELECT path, title, jiansuo_text(body, ?), date_key FROM documents WHERE id = ?",
                                          arguments: [Self.openingBytes, hit.id]) {
                let snippet = Self.opening(row[2] ?? "", title: row[1] ?? "", limit: Self.openingBytes)
                return SearchHit(path: row[0], title: row[1], score: score, snippet: snippet, highlights: [], date: row[3])
            }
        }
        let row = try Row.fetchOne(db, sql: "SELECT path, title, date_key FROM documents WHERE id = ?", arguments: [hit.id])
        return SearchHit(path: row?[0] ?? "", title: row?[1] ?? "", score: score, snippet: "", highlights: [], date: row?[2])
    }

    /// The stride (of `CINDEX_POSITION_STRIDE` bytes) of a body in which token `position`
    /// starts, from the body's positions (`document_positions`: little-endian Int32, one per
    /// stride, ascending): the last stride whose first token is at or before it.
    static func stride(of position: Int64, in positions: Data) -> Int {
        let starts = positions.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        }
        var low = 0, high = starts.count  // the answer is in [low, high)
        while high - low > 1 {
            let mid = (low + high) / 2
            if Int64(starts[mid]) <= position { low = mid } else { high = mid }
        }
        return low
    }

    /// `limit` UTF-8 bytes of document `id`'s body from byte `from` (whole characters), reading
    /// only the blocks that hold them (`cindex_read_text_range`); falls back to
    /// `jiansuo_text(body, limit, from)` for a body not stored in blocks.
    /// - Throws: ``IndexError/corrupt(_:)`` when the stored body is damaged.
    static func textRange(_ db: Database, id: Int64, from: Int, limit: Int) throws -> String {
        var count: Int32 = 0
        var rc: Int32 = 0
        if let text = cindex_read_text_range(UnsafeMutableRawPointer(db.sqliteConnection), "documents", "body", id,
                                             Int64(from), Int64(limit), &count, &rc) {
            defer { cindex_free(text) }
            return String(decoding: UnsafeRawBufferPointer(start: text, count: Int(count)), as: UTF8.self)
        }
        if rc == ResultCode.SQLITE_CORRUPT.rawValue { throw IndexError.corrupt("the stored text of document \(id) is damaged") }
        return try String.fetchOne(db, sql: "SELECT jiansuo_text(body, ?, ?) FROM documents WHERE id = ?",
                                   arguments: [limit, from, id]) ?? ""
    }

    /// Bytes of context read before a match's stride, for the snippet's lead-in.
    static let snippetLeadBytes = 512
    /// Bytes read after a match's stride: the rest of a phrase that starts at its end, and context.
    static let snippetTailBytes = 2048

    /// Bodies up to this many UTF-8 bytes are highlighted whole; larger ones chunk by chunk.
    static let snippetChunkBytes = 64 << 10
    /// How far into a large body a snippet looks for a match, in UTF-8 bytes.
    static let snippetScanBytes = 2 << 20

    /// The snippet of `body` for `terms`, marked with U+0001 … U+0002 (see ``SnippetWindow``).
    /// A large body is highlighted chunk by chunk (``snippetChunkBytes``, overlapping) until a
    /// chunk has a match, up to ``snippetScanBytes`` in, and the snippet is picked from that
    /// chunk: the cost of a hit does not grow with the size of its document.
    /// - Throws: ``IndexError/timeout(milliseconds:)`` (with 0) when `expired` says so between chunks.
    func snippet(of text: Substring, terms: [HighlightTerm], expired: () -> Bool) throws -> String {
        let body = String(text)
        let utf8 = body.utf8
        if utf8.count <= Self.snippetChunkBytes {
            let ranges = (try? segmenters.with { try $0.highlights(in: body, terms: terms) }) ?? []
            return SnippetWindow.crop(Self.mark(body, ranges))
        }
        let bytes = Array(utf8)
        /// The first byte at or after `k` that starts a character.
        func boundary(_ k: Int) -> Int {
            var k = min(k, bytes.count)
            while k < bytes.count, bytes[k] & 0xC0 == 0x80 { k += 1 }
            return k
        }
        let overlap = 1024  // a phrase that straddles two chunks is whole in the later one
        var start = 0
        while start < min(bytes.count, Self.snippetScanBytes) {
            if expired() { throw IndexError.timeout(milliseconds: 0) }
            let end = boundary(start + Self.snippetChunkBytes + overlap)
            let chunk = String(decoding: bytes[start..<end], as: UTF8.self)
            let ranges = (try? segmenters.with { try $0.highlights(in: chunk, terms: terms) }) ?? []
            if !ranges.isEmpty {
                return SnippetWindow.crop(Self.mark(chunk, ranges), cutBefore: start > 0, cutAfter: end < bytes.count)
            }
            if end >= bytes.count { break }
            start = boundary(start + Self.snippetChunkBytes)
        }
        // No match near the start (the hit matched far in, or in the title): the opening.
        let openingEnd = boundary(Self.snippetChunkBytes)
        return SnippetWindow.crop(String(decoding: bytes[0..<openingEnd], as: UTF8.self), cutAfter: openingEnd < bytes.count)
    }

    /// UTF-8 bytes of a body read for a snippet of its opening (no terms to highlight).
    static let openingBytes = 4096

    /// The snippet of a body's opening, after the title line (``afterTitleLine(_:title:)``).
    /// `body` is at most `limit` bytes read from the stored text: at that length it was cut.
    static func opening(_ body: String, title: String, limit: Int) -> String {
        let text = afterTitleLine(body, title: title)
        return parseSnippet(SnippetWindow.crop(String(text), cutAfter: body.utf8.count >= limit - 4)).0
    }

    /// `body` after its first line when that line is the title (a plain text's title is its first
    /// line), so that a snippet does not repeat the title; the whole body when nothing follows
    /// the title line. `whole`: only a line that is the whole title (a snippet with matches
    /// must keep a long first line, cut for the title, where its match may be); else also a
    /// line that a title cut with `…` starts.
    static func afterTitleLine(_ body: String, title: String, whole: Bool = false) -> Substring {
        guard !title.isEmpty else { return body[...] }
        var rest = body[...]
        while let first = rest.first, first.isWhitespace { rest = rest.dropFirst() }
        let lineEnd = rest.firstIndex(of: "\n") ?? rest.endIndex
        let line = rest[..<lineEnd].trimmingCharacters(in: .whitespaces)
        let cut = title.hasSuffix("…") ? String(title.dropLast()) : nil
        guard line == title || (!whole && cut.map { !$0.isEmpty && line.hasPrefix($0) } ?? false) else { return body[...] }
        let after = rest[lineEnd...].drop { $0.isWhitespace }
        return after.isEmpty ? body[...] : after
    }

    /// `text` with U+0001 before and U+0002 after each of `ranges` (sorted, disjoint UTF-8 byte
    /// ranges), the form FTS5's `highlight(…, char(1), char(2))` returns.
    static func mark(_ text: String, _ ranges: [Range<Int>]) -> String {
        guard !ranges.isEmpty else { return text }
        let utf8 = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 2 * ranges.count)
        var at = 0
        for r in ranges where r.lowerBound >= at && r.upperBound <= utf8.count {
            out.append(contentsOf: utf8[at..<r.lowerBound])
            out.append(1)
            out.append(contentsOf: utf8[r])
            out.append(2)
            at = r.upperBound
        }
        out.append(contentsOf: utf8[at...])
        return String(decoding: out, as: UTF8.self)
    }

    /// `CRANK_TITLE_GROUP`: what `jiansuo_rank` adds when the title alone matches.
    static let titleGroup = Double(CRANK_TITLE_GROUP)

    /// Documents passing the filters alone, newest first, with the start of the body as snippet.
    private func listFiltered(_ db: Database, _ filterSQL: String, _ arguments: StatementArguments, _ request: SearchRequest,
                              _ permission: ReadPermission?) throws -> SearchResults {
        let order = request.order == .path ? "d.path" : "d.date_key DESC, d.path"
        if permission != nil || request.facets {
            // Every document passing the filters is checked, in order; the page is cut after.
            var total = 0
            var ids: [Int64] = []
            var facets = request.facets ? FacetCounts() : nil
            var facetReader = FacetCounts.Reader()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT d.id, d.path, \(permission == nil ? "NULL, NULL, NULL" : "a.owner, a.grp, a.mode"), d.categories, d.date_key
                FROM documents d\(permission == nil ? "" : " JOIN documents a INDEXED BY \(IndexSchema.accessIndex) ON a.id = d.id")
                WHERE 1\(filterSQL) ORDER BY \(order)
                """, arguments: arguments)
            while let row = try rows.next() {
                if let permission, !permission.mayRead(path: row[1], stored: Self.access(row[2], row[3], row[4])) { continue }
                if total >= request.offset && ids.count < request.limit { ids.append(row[0]) }
                total += 1
                if facets != nil { facetReader.add(to: &facets!, path: row[1], categoriesJSON: row[5], dateKey: row[6]) }
            }
            return SearchResults(total: total, hits: try ids.map { try openingHit(db, id: $0) }, facets: facets)
        }
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents d WHERE 1\(filterSQL)", arguments: arguments) ?? 0
        // The page's ids first, sorted by their keys alone; then each hit's text. Selecting the
        // text with the sort made SQLite inflate every document's opening before sorting
        // (100,000 documents: 1.9 s for the first page, 9.2 s at offset 90,000).
        let ids = try Int64.fetchAll(db, sql: """
            SELECT d.id FROM documents d WHERE 1\(filterSQL) ORDER BY \(order) LIMIT ? OFFSET ?
            """, arguments: arguments + [request.limit, request.offset])
        return SearchResults(total: total, hits: try ids.map { try openingHit(db, id: $0) })
    }

    /// A listed document (no query terms): path, title, date and the opening of its body.
    private func openingHit(_ db: Database, id: Int64) throws -> SearchHit {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT d.path, d.title, jiansuo_text(d.body, ?), d.date_key FROM documents d WHERE d.id = ?"),
                                   arguments: [Self.openingBytes, id])
        let snippet = Self.opening(row?[2] ?? "", title: row?[1] ?? "", limit: Self.openingBytes)
        return SearchHit(path: row?[0] ?? "", title: row?[1] ?? "", score: 0, snippet: snippet, highlights: [], date: row?[3])
    }

    /// ` AND …` conditions on `documents d` for the filters, and their arguments.
    static func sql(_ filters: [DocumentFilter]) -> (String, StatementArguments) {
        var sql = ""
        var arguments: StatementArguments = []
        for f in filters {
            let condition: String
            switch f.kind {
            case .pathPrefix: condition = "instr(d.path, ?) = 1"
            case .pathContains: condition = "instr(d.path, '/' || ?) > 0"
            case .ext: condition = "lower(d.path) LIKE '%.' || ? ESCAPE '\\'"
            case .after: condition = "d.date_key >= ?"
            case .before: condition = "d.date_key < ?"
            case .category: condition = "EXISTS (SELECT 1 FROM json_each(d.categories) WHERE jiansuo_fold(value) = ?)"
            case .tag: condition = "EXISTS (SELECT 1 FROM json_each(d.tags) WHERE jiansuo_fold(value) = ?)"
            case .author: condition = "jiansuo_fold(d.author) IS ?"
            }
            sql += f.negated ? " AND NOT (\(condition))" : " AND \(condition)"
            let value = f.kind == .ext
                ? f.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                : f.value
            _ = arguments.append(contentsOf: [value])
        }
        return (sql, arguments)
    }

    /// The form in which titles are compared for exact-title ranking: normalized like tokens,
    /// with all whitespace removed (`ｉＰｈｏｎｅ 15 評測` → `iphone15评测`).
    public static func titleKey(_ title: String, options: AnalysisOptions = .default) -> String {
        String(Normalizer.normalize(title, options: options).unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }

    /// Removes the \u{1}…\u{2} highlight markers from an FTS5 snippet, puts it on one line
    /// (runs of whitespace, ideographic spaces included, become one space; none at the ends) and
    /// returns the highlighted ranges as UTF-8 byte offsets into the result.
    static func parseSnippet(_ marked: String) -> (String, [Range<Int>]) {
        var out = String.UnicodeScalarView()
        var length = 0  // UTF-8 bytes in `out`
        var ranges: [Range<Int>] = []
        var open: Int?
        var pendingSpace = false
        for scalar in marked.unicodeScalars {
            switch scalar {
            case "\u{1}":
                if pendingSpace && length > 0 { out.append(" "); length += 1 }
                pendingSpace = false
                open = length
            case "\u{2}":
                if let start = open, start < length { ranges.append(start..<length) }
                open = nil
            case " ", "\n", "\t", "\u{3000}", "\u{A0}":
                pendingSpace = true
            default:
                if pendingSpace && length > 0 { out.append(" "); length += 1 }
                pendingSpace = false
                out.append(scalar)
                length += scalar.utf8.count
            }
        }
        return (String(out), ranges)
    }
}
