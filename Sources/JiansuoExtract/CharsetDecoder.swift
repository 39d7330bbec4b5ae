import CICU

/// Turns file bytes into text: byte order marks first, then strict UTF-8, then ICU's charset
/// detector (ucsdet) and converters (ucnv) for GB18030/GBK/GB2312, Big5 and the rest.
/// See https://unicode-org.github.io/icu/userguide/conversion/detection.html
public enum CharsetDecoder {
    /// The lowest ucsdet confidence (0–100) accepted for a non-UTF-8 charset.
    public static let minimumConfidence: Int32 = 10
    /// The largest share of U+FFFD substitutions accepted after conversion.
    public static let maximumSubstitutionRatio = 0.01

    /// Decodes `bytes`, returning the text and the charset name.
    /// - Throws: ``ExtractionError/binary`` for NUL bytes outside UTF-16 text,
    ///   ``ExtractionError/undecodable(reason:)`` when no charset fits.
    public static func decode(_ bytes: [UInt8]) throws(ExtractionError) -> (text: String, encoding: String) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (String(decoding: bytes.dropFirst(3), as: UTF8.self), "UTF-8")
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return try convert(bytes, from: "UTF-16LE") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try convert(bytes, from: "UTF-16BE") }
        if bytes.contains(0) { throw .binary }
        if let text = String(validating: bytes, as: UTF8.self) { return (text, "UTF-8") }

        var name = [CChar](repeating: 0, count: 64)
        var err: Int32 = 0
        let confidence = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) {
                cicu_detect_charset($0.baseAddress, Int32($0.count), &name, Int32(name.count), &err)
            }
        }
        let charset = String(cString: name)
        guard confidence >= minimumConfidence, !charset.isEmpty else {
            throw .undecodable(reason: "no charset detected with confidence (best: \(charset.isEmpty ? "none" : charset) at \(confidence))")
        }
        // ucsdet reports GBK and GB2312 as GB18030, which is their superset.
        return try convert(bytes, from: charset)
    }

    private static func convert(_ bytes: [UInt8], from charset: String) throws(ExtractionError) -> (text: String, encoding: String) {
        var err: Int32 = 0
        var length: Int32 = 0
        var substitutions: Int32 = 0
        let out = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) {
                cicu_convert_to_utf8(charset, $0.baseAddress, Int32($0.count), &length, &substitutions, &err)
            }
        }
        guard let out else {
            throw .undecodable(reason: "\(charset) conversion failed: \(String(cString: cicu_error_name(err)))")
        }
        defer { cicu_free(out) }
        var text = String(decoding: UnsafeRawBufferPointer(start: out, count: Int(length)), as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let characters = max(1, text.unicodeScalars.count)
        if Double(substitutions) / Double(characters) > maximumSubstitutionRatio {
            throw .undecodable(reason: "\(substitutions) of \(characters) characters are not valid \(charset)")
        }
        return (text, charset)
    }
}
