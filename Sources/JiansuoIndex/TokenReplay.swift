import GRDB
import JiansuoAnalysis
import Synchronization

/// Recorded tokens waiting for the FTS5 insert of their text.
///
/// Indexing workers analyse documents in parallel (``SearchIndex/prepare(_:)``); the writer
/// registers a document's recordings around its `INSERT INTO fts`, and ``JiansuoTokenizer``,
/// asked by FTS5 to tokenize a text for the document, replays the recording made from the same
/// bytes instead of segmenting again. Lookups are by hash and verified byte for byte, so a
/// replay is exactly the tokenization it replaces: deletes and FTS5's integrity-check, which
/// tokenize again, stay consistent. Only the index's writer registers, so at most one
/// document's recordings are here at a time.
///
/// Each ``SearchIndex`` has its own (a rebuild writes a second index while the first one goes
/// on indexing). Its connections are tied to it when they open (``attach(_:to:)``), and the
/// tokenizer FTS5 creates on a connection finds it with ``attached(to:)``.
final class TokenReplay: Sendable {
    /// Replays by connection (`sqlite3 *`), weakly held: a connection's index outlives it.
    private static let byConnection = Mutex<[UInt: Weak]>([:])

    private struct Weak: @unchecked Sendable {
        weak var replay: TokenReplay?
    }

    /// Ties `db`'s connection to `replay`, for the tokenizers FTS5 creates on it.
    static func attach(_ replay: TokenReplay, to db: Database) {
        let key = UInt(bitPattern: db.sqliteConnection)
        byConnection.withLock { map in
            if map.count > 64 { map = map.filter { $0.value.replay != nil } }
            map[key] = Weak(replay: replay)
        }
    }

    /// The replay of the index `db` belongs to, if any.
    static func attached(to db: Database) -> TokenReplay? {
        byConnection.withLock { $0[UInt(bitPattern: db.sqliteConnection)]?.replay }
    }

    private struct Key: Hashable {
        var hash: UInt64
        var count: Int
        var options: String
    }

    private let pending = Mutex<[Key: TokenRecording]>([:])
    private let registered = Atomic<Int>(0)
    private let replayed = Atomic<Int>(0)

    /// Texts whose tokens were replayed since start (for tests and profiling).
    var replayCount: Int { replayed.load(ordering: .relaxed) }

    /// Makes `recordings` available to tokenizers with `options` while `body` runs.
    func with<T>(_ recordings: [TokenRecording], options: AnalysisOptions, _ body: () throws -> T) rethrows -> T {
        guard !recordings.isEmpty else { return try body() }
        let code = Self.code(options)
        pending.withLock { p in for r in recordings { p[Key(hash: r.hash, count: r.count, options: code)] = r } }
        registered.add(recordings.count, ordering: .relaxed)
        defer {
            pending.withLock { p in for r in recordings { p[Key(hash: r.hash, count: r.count, options: code)] = nil } }
            registered.subtract(recordings.count, ordering: .relaxed)
        }
        return try body()
    }

    /// The recording of exactly this text for `options`, if one is registered.
    func recording(for text: UnsafePointer<CChar>?, count: Int32, options: AnalysisOptions) -> TokenRecording? {
        guard registered.load(ordering: .relaxed) > 0 else { return nil }
        let key = Key(hash: TokenRecording.textHash(text, count: count), count: Int(count), options: Self.code(options))
        guard let recording = pending.withLock({ $0[key] }), recording.matches(utf8: text, count: count) else { return nil }
        replayed.add(1, ordering: .relaxed)
        return recording
    }

    /// The block positions of the last large text tokenized for a document on this index's
    /// connections (see ``JiansuoTokenizer``): its length in UTF-8 bytes and one position per
    /// `CINDEX_BLOCK_BYTES` block.
    private let blockPositions = Mutex<(count: Int, positions: [Int32])?>(nil)

    func captureBlockPositions(count: Int, positions: [Int32]) {
        blockPositions.withLock { $0 = (count, positions) }
    }

    /// Returns and forgets the last captured block positions.
    func takeBlockPositions() -> (count: Int, positions: [Int32])? {
        blockPositions.withLock { p in
            defer { p = nil }
            return p
        }
    }

    private static func code(_ options: AnalysisOptions) -> String {
        "\(options.foldScripts ? 1 : 0)\(options.wordsOnly ? 1 : 0)"
    }
}
