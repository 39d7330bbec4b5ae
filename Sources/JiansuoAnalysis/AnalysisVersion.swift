import CICU

/// Identifies everything that decides which tokens a text produces. It is stored in the index;
/// when it changes the index is rebuilt instead of mixing tokens of two analyzers (FTS5
/// re-tokenizes stored text on delete, so a changed tokenizer would corrupt the index).
public enum AnalysisVersion {
    /// Bumped whenever our own token rules change.
    /// 1: ICU words. 2: normalization before segmentation, traditional→simplified fold, Han
    /// characters plus colocated words, alphanumeric runs. 3: texts over 256 KB tokenized in
    /// chunks (`CICU_CHUNK_BYTES`). 4: texts of 256 KiB or more in the large form (Han
    /// characters marked, plus colocated bigrams; `CICU_LARGE_TEXT_BYTES`). 5: runs of letters
    /// and digits cut into parts where letters and digits meet, with colocated case pieces and
    /// the whole run. 6: every document carries the bigram of each two consecutive Han
    /// characters, colocated with the second (no large form), and Han terms are matched as
    /// phrases of bigrams.
    public static let rules = 6
    /// The ICU library version, e.g. "72.1".
    public static var icu: String { String(cString: cicu_icu_version()) }
    /// The Unicode version ICU implements, e.g. "15.0".
    public static var unicode: String { String(cString: cicu_unicode_version()) }

    /// One string for all of them, e.g. "rules=3 icu=72.1 unicode=15.0 fold=ts mode=hybrid".
    public static func current(_ options: AnalysisOptions = .default) -> String {
        "rules=\(rules) icu=\(icu) unicode=\(unicode) fold=\(options.foldScripts ? "ts" : "none") mode=\(options.wordsOnly ? "words" : "hybrid")"
    }
}
