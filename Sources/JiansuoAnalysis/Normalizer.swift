import CICU

/// Unicode normalization used identically at index and query time.
public enum Normalizer {
    /// NFKC with case folding (ICU's NFKC_Casefold): full-width forms become ASCII
    /// (`ｉＰｈｏｎｅ１５` → `iphone15`), compatibility characters are unfolded (`①` → `1`) and
    /// case is folded (`Straße` → `strasse`). Invalid input never fails: on an ICU error the
    /// text is returned unchanged.
    public static func nfkcCasefold(_ text: String) -> String {
        var text = text
        return text.withUTF8 { utf8 in
            var err: Int32 = 0
            var length: Int32 = 0
            guard let out = cicu_normalize(utf8.baseAddress, Int32(utf8.count), &length, &err) else {
                return String(decoding: utf8, as: UTF8.self)
            }
            defer { cicu_free(out) }
            return String(decoding: UnsafeRawBufferPointer(start: out, count: Int(length)), as: UTF8.self)
        }
    }
}
