import GRDB
import JiansuoAnalysis

/// The FTS5 custom tokenizer `jiansuo`: ICU word segmentation with NFKC_Casefold, through
/// ``Segmenter``. Offsets handed to FTS5 are UTF-8 byte offsets into the original column text,
/// so `highlight()` and `snippet()` show the original text.
///
/// FTS5 creates one instance per table per connection and never uses one from two threads at
/// once, which matches ``Segmenter``'s threading rule.
/// See https://sqlite.org/fts5.html#custom_tokenizers
final class JiansuoTokenizer: FTS5CustomTokenizer {
    static let name = "jiansuo"

    private let segmenter: Segmenter

    init(db: Database, arguments: [String]) throws {
        segmenter = try Segmenter()
    }

    func tokenize(
        context: UnsafeMutableRawPointer?, tokenization: FTS5Tokenization,
        pText: UnsafePointer<CChar>?, nText: CInt, tokenCallback: @escaping FTS5TokenCallback
    ) -> CInt {
        let rc = segmenter.tokenize(utf8: pText, count: nText, context: context, callback: tokenCallback)
        return rc < 0 ? 1 /* SQLITE_ERROR */ : rc
    }
}
