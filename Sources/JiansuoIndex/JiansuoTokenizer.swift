import CIndex
import GRDB
import JiansuoAnalysis

/// The FTS5 custom tokenizer `jiansuo`, an adapter over ``Segmenter``: Han characters plus
/// colocated Han words, normalized and script-folded. Offsets handed to FTS5 are UTF-8 byte
/// offsets into the original column text, so `highlight()` and `snippet()` show the original text.
///
/// Arguments (from `tokenize='jiansuo fold_ts hybrid'`; FTS5 barewords cannot hold `=`):
/// `fold_ts` or `fold_none`, `hybrid` or `words`; see ``AnalysisOptions``.
///
/// FTS5 creates one instance per table per connection and never uses one from two threads at
/// once, which matches ``Segmenter``'s threading rule.
/// See https://sqlite.org/fts5.html#custom_tokenizers
final class JiansuoTokenizer: FTS5CustomTokenizer {
    static let name = "jiansuo"

    private let segmenter: Segmenter
    private let options: AnalysisOptions

    /// The replay of this connection's index (see ``TokenReplay``).
    private let replay: TokenReplay?

    init(db: Database, arguments: [String]) throws {
        options = Self.options(arguments)
        replay = TokenReplay.attached(to: db)
        segmenter = try Segmenter(options: options)
    }

    /// The tokenizer arguments that select `options`.
    static func arguments(_ options: AnalysisOptions) -> [String] {
        [options.foldScripts ? "fold_ts" : "fold_none", options.wordsOnly ? "words" : "hybrid"]
    }

    static func options(_ arguments: [String]) -> AnalysisOptions {
        AnalysisOptions(foldScripts: !arguments.contains("fold_none"), wordsOnly: arguments.contains("words"))
    }

    func tokenize(
        context: UnsafeMutableRawPointer?, tokenization: FTS5Tokenization,
        pText: UnsafePointer<CChar>?, nText: CInt, tokenCallback: @escaping FTS5TokenCallback
    ) -> CInt {
        // FTS5_TOKENIZE_AUX (highlight, snippet) only needs positions; DOCUMENT (inserts,
        // deletes, integrity-check) needs every token.
        let purpose: TokenPurpose = tokenization.contains(.query) ? .match : tokenization.contains(.aux) ? .positions : .document
        // A large text of a document: note its token positions (see cindex_block_positions,
        // every 4 KiB), so that a snippet is read around the first match (see SearchIndex.hit).
        if purpose == .document, nText >= CINDEX_BLOCKS_MIN, let replay {
            let blocks = (Int(nText) + Int(CINDEX_POSITION_STRIDE) - 1) / Int(CINDEX_POSITION_STRIDE)
            var positions = [Int32](repeating: 0, count: blocks)
            let rc = positions.withUnsafeMutableBufferPointer { table in
                var counter = cindex_block_positions(context: context, callback: tokenCallback, positions: table.baseAddress,
                                                     count: Int32(blocks), filled: 0, position: -1)
                let rc = withUnsafeMutablePointer(to: &counter) { counterPointer in
                    tokenize(purpose: purpose, pText: pText, nText: nText, context: UnsafeMutableRawPointer(counterPointer),
                             callback: cindex_block_positions_token)
                }
                cindex_block_positions_finish(&counter)
                return rc
            }
            if rc == 0 { replay.captureBlockPositions(count: Int(nText), positions: positions) }
            return rc
        }
        return tokenize(purpose: purpose, pText: pText, nText: nText, context: context, callback: tokenCallback)
    }

    private func tokenize(purpose: TokenPurpose, pText: UnsafePointer<CChar>?, nText: CInt, context: UnsafeMutableRawPointer?,
                          callback: @escaping FTS5TokenCallback) -> CInt {
        // A document analysed ahead by an indexing worker: replay its tokens (see TokenReplay).
        if purpose == .document, let recording = replay?.recording(for: pText, count: nText, options: options) {
            return recording.replay(context: context, callback: callback)
        }
        let rc = segmenter.tokenize(utf8: pText, count: nText, purpose: purpose, context: context, callback: callback)
        return rc < 0 ? 1 /* SQLITE_ERROR */ : rc
    }
}
