import CICU

/// Identifies everything that decides which tokens a text produces. It is stored in the index;
/// when it changes the index is rebuilt instead of mixing tokens of two analyzers (FTS5
/// re-tokenizes stored text on delete, so a changed tokenizer would corrupt the index).
public enum AnalysisVersion {
    /// Bumped whenever our own token rules change.
    public static let rules = 1
    /// The ICU library version, e.g. "72.1".
    public static var icu: String { String(cString: cicu_icu_version()) }
    /// The Unicode version ICU implements, e.g. "15.0".
    public static var unicode: String { String(cString: cicu_unicode_version()) }
    /// One string for all of them, e.g. "rules=1 icu=72.1 unicode=15.0".
    public static var current: String { "rules=\(rules) icu=\(icu) unicode=\(unicode)" }
}
