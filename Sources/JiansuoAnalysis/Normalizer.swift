import CICU

/// Unicode normalization used identically at index and query time, before segmentation.
public enum Normalizer {
    /// NFKC with case folding (ICU's NFKC_Casefold): full-width forms become ASCII
    /// (`ｉＰｈｏｎｅ１５` → `iphone15`), compatibility characters are unfolded (`①` → `1`) and
    /// case is folded (`Straße` → `strasse`); then, unless `options.foldScripts` is false,
    /// traditional Han characters become simplified (`知識產權` → `知识产权`). Invalid input never
    /// fails: on an ICU error the text is returned unchanged.
    public static func normalize(_ text: String, options: AnalysisOptions = .default) -> String {
        var text = text
        return text.withUTF8 { utf8 in
            var err: Int32 = 0
            var length: Int32 = 0
            guard let out = cicu_normalize(utf8.baseAddress, Int32(utf8.count), options.cicuOptions, &length, &err) else {
                return String(decoding: utf8, as: UTF8.self)
            }
            defer { cicu_free(out) }
            return String(decoding: UnsafeRawBufferPointer(start: out, count: Int(length)), as: UTF8.self)
        }
    }

    /// How many Han characters the traditional→simplified fold maps; built once per process from
    /// ICU's "Traditional-Simplified" transform (see
    /// https://unicode-org.github.io/icu/userguide/transforms/general/).
    public static var scriptFoldSize: Int { Int(cicu_script_fold_size()) }
}
