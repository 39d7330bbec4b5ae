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
        if let text = mostlyUTF8(bytes) { return (text, "UTF-8") }

        // Candidates from ucsdet, best first. UTF-16/32 without a byte order mark is not
        // trusted: short CJK texts in legacy encodings are often mistaken for it.
        var failures: [String] = []
        for (charset, confidence) in candidates(bytes) where confidence >= minimumConfidence {
            if charset.hasPrefix("UTF-16") || charset.hasPrefix("UTF-32") || charset == "UTF-8" { continue }
            do {
                return try convert(bytes, from: charset)
            } catch {
                failures.append("\(charset): \(error)")
            }
        }
        throw .undecodable(reason: failures.isEmpty ? "no charset detected with confidence" : failures.joined(separator: "; "))
    }

    /// UTF-8 with a few damaged bytes (a truncated last character, one stray byte): the valid
    /// text with the invalid bytes dropped, when at most 1 byte in 1,000 is invalid and the
    /// text has multi-byte characters. Charset detection would otherwise pick a single-byte
    /// charset and turn the whole file into mojibake.
    static func mostlyUTF8(_ bytes: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var invalid = 0, multibyte = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count > 1 { multibyte += 1 }
                scalars.append(Unicode.UTF8.decode(encoded))
            case .error(let length):
                invalid += length
                if invalid * 1000 > bytes.count + 1000 { return nil }
            case .emptyInput:
                break loop
            }
        }
        guard multibyte > 0, invalid * 1000 <= max(bytes.count, 1000) else { return nil }
        return String(scalars)
    }

    /// ucsdet's candidates, best first, with their confidence 0–100.
    static func candidates(_ bytes: [UInt8]) -> [(String, Int32)] {
        let nameBytes = 40, max = 8
        var names = [CChar](repeating: 0, count: nameBytes * max)
        var confidences = [Int32](repeating: 0, count: max)
        var err: Int32 = 0
        let n = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) {
                cicu_detect_charsets($0.baseAddress, Int32($0.count), &names, Int32(nameBytes), &confidences, Int32(max), &err)
            }
        }
        guard n > 0 else { return [] }
        return (0..<Int(n)).map { k in
            let name = names[(k * nameBytes)..<((k + 1) * nameBytes)].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return (String(decoding: name, as: UTF8.self), confidences[k])
        }
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
