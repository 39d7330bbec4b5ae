import CICU

/// Turns file bytes into text: byte order marks first, then strict UTF-8, then ICU's charset
/// detector (ucsdet) and converters (ucnv) for GB18030/GBK/GB2312, Big5 and the rest.
/// See https://unicode-org.github.io/icu/userguide/conversion/detection.html
public enum CharsetDecoder {
    /// The lowest ucsdet confidence (0–100) accepted for a non-UTF-8 charset.
    public static let minimumConfidence: Int32 = 10
    /// The largest share of U+FFFD substitutions accepted after conversion.
    public static let maximumSubstitutionRatio = 0.01
    /// A detected charset chosen with a ucsdet confidence below this is recorded as uncertain.
    public static let certainConfidence: Int32 = 50

    /// Decoded text: the text, the charset it was decoded from, and why that choice is
    /// uncertain (nil when it is not: a byte order mark, valid UTF-8, or a confident detection).
    public struct Decoded: Sendable, Equatable {
        public var text: String
        public var encoding: String
        public var uncertainty: String?
    }

    /// Decodes `bytes`: the text, the charset name, and a note when the charset was a guess.
    ///
    /// Short files with little non-ASCII text give ucsdet too little to go on, and it often
    /// proposes a single-byte charset (ISO-8859-1, windows-1252 …) for GBK or Big5 Chinese. So
    /// when it proposes one but the bytes decode cleanly, with no substitution, as GB18030 or
    /// Big5 into Han text (``chineseReading(of:)``), the Chinese charset is chosen, and the
    /// choice is recorded as uncertain, like any detection with confidence below
    /// ``certainConfidence``.
    /// - Throws: ``ExtractionError/binary`` for NUL bytes outside UTF-16 text,
    ///   ``ExtractionError/undecodable(reason:)`` when no charset fits.
    public static func decode(_ bytes: [UInt8]) throws(ExtractionError) -> Decoded {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            let rest = Array(bytes.dropFirst(3))
            if let text = String(validating: rest, as: UTF8.self) ?? mostlyUTF8(rest) { return Decoded(text: text, encoding: "UTF-8") }
            // A UTF-8 byte order mark before text in another charset (an editor added it).
            if !rest.contains(0), var decoded = try? decode(rest) {
                decoded.uncertainty = "a UTF-8 byte order mark, but the text is not UTF-8; " + (decoded.uncertainty ?? "detected as \(decoded.encoding)")
                return decoded
            }
            return Decoded(text: String(decoding: rest, as: UTF8.self), encoding: "UTF-8")
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return try convert(bytes, from: "UTF-16LE") }
        if bytes.starts(with: [0xFE, 0xFF]) { return try convert(bytes, from: "UTF-16BE") }
        if bytes.contains(0) { throw .binary }
        if let text = String(validating: bytes, as: UTF8.self) { return Decoded(text: text, encoding: "UTF-8") }
        if let text = mostlyUTF8(bytes) { return Decoded(text: text, encoding: "UTF-8") }

        // Candidates from ucsdet, best first. UTF-16/32 without a byte order mark is not
        // trusted: short CJK texts in legacy encodings are often mistaken for it.
        var failures: [String] = []
        for (charset, confidence) in candidates(bytes) where confidence >= minimumConfidence {
            if charset.hasPrefix("UTF-16") || charset.hasPrefix("UTF-32") || charset == "UTF-8" { continue }
            if isSingleByte(charset) || (charset == "Shift_JIS" && readsAsHalfwidthKatakana(bytes)), let chinese = chineseReading(of: bytes) {
                return Decoded(text: chinese.text, encoding: chinese.encoding, uncertainty: """
                    detected as \(charset) (confidence \(confidence) of 100), but the bytes read cleanly as \(chinese.encoding) \
                    Chinese, which was chosen
                    """)
            }
            do {
                var decoded = try convert(bytes, from: charset)
                if confidence < certainConfidence {
                    decoded.uncertainty = "detected as \(charset) with low confidence (\(confidence) of 100)"
                }
                return decoded
            } catch {
                failures.append("\(charset): \(error)")
            }
        }
        if let chinese = chineseReading(of: bytes) {
            return Decoded(text: chinese.text, encoding: chinese.encoding,
                           uncertainty: "no charset detected with confidence; the bytes read cleanly as \(chinese.encoding) Chinese")
        }
        throw .undecodable(reason: failures.isEmpty ? "no charset detected with confidence" : failures.joined(separator: "; "))
    }

    /// True for the charsets ucsdet names that have one byte per character (ISO-8859-*,
    /// windows-125*, KOI8-R, IBM42x); false for UTF-*, GB18030, Big5, EUC-*, Shift_JIS, ISO-2022-*.
    static func isSingleByte(_ charset: String) -> Bool {
        !(charset.hasPrefix("UTF") || charset.hasPrefix("ISO-2022") || charset.hasPrefix("EUC")
            || ["GB18030", "Big5", "Shift_JIS"].contains(charset))
    }

    /// The bytes as Chinese text, when they read cleanly as GB18030 or Big5 into Han text: no
    /// substitution, no private-use or control character; every character that is not ASCII
    /// a Han character or CJK punctuation; at least two Han characters side by side; and at
    /// least 90% of the two-byte characters in the charset's common Han area (GB2312's Hanzi,
    /// lead bytes B0–F7; Big5's, A4–C6 and C9–F9). Accented Latin-1 letters (`Müller`,
    /// `Ação`) read as rare or lone Hanzi and fail. When both charsets read so, the one with the
    /// larger common share wins; GB18030 on a tie.
    static func chineseReading(of bytes: [UInt8]) -> (text: String, encoding: String)? {
        guard bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        func clean(_ charset: String, big5: Bool) -> (text: String, share: Double)? {
            let share = commonShare(bytes, big5: big5)
            guard share >= 0.9, let decoded = try? convert(bytes, from: charset, strict: true) else { return nil }
            var run = 0, longest = 0
            for s in decoded.text.unicodeScalars {
                if s.properties.isIdeographic && !s.isASCII {
                    run += 1
                    longest = max(longest, run)
                    continue
                }
                run = 0
                if !s.isASCII && !(0x3000...0x303F).contains(s.value) && !(0xFF00...0xFFEF).contains(s.value)
                    && !(0x2010...0x2027).contains(s.value) && s.value != 0xB7 {
                    return nil
                }
            }
            return longest >= 2 ? (decoded.text, share) : nil
        }
        let gb = clean("GB18030", big5: false), big5 = clean("Big5", big5: true)
        switch (gb, big5) {
        case (let gb?, let big5?): return big5.share > gb.share ? (big5.text, "Big5") : (gb.text, "GB18030")
        case (let gb?, nil): return (gb.text, "GB18030")
        case (nil, let big5?): return (big5.text, "Big5")
        case (nil, nil): return nil
        }
    }

    /// The share of two-byte characters in the common Han area of GB2312 or Big5 (see
    /// ``chineseReading(of:)``), reading `bytes` by that charset's lead and trail bytes.
    private static func commonShare(_ bytes: [UInt8], big5: Bool) -> Double {
        var pairs = 0, common = 0, k = 0
        while k < bytes.count {
            let lead = bytes[k]
            guard lead >= 0x81, k + 1 < bytes.count else { k += 1; continue }
            let trail = bytes[k + 1]
            if !big5, (0x30...0x39).contains(trail) { k += 4; continue }  // a GB18030 four-byte character: not counted
            pairs += 1
            if big5 {
                if ((0xA4...0xC6).contains(lead) || (0xC9...0xF9).contains(lead)) && ((0x40...0x7E).contains(trail) || (0xA1...0xFE).contains(trail)) { common += 1 }
            } else if (0xB0...0xF7).contains(lead) && (0xA1...0xFE).contains(trail) {
                common += 1
            }
            k += 2
        }
        return pairs == 0 ? 0 : Double(common) / Double(pairs)
    }

    /// UTF-8 with a few damaged sequences (a truncated last character, a stray byte, an overlong
    /// or surrogate sequence): the valid text with the invalid bytes dropped, when the text has
    /// multi-byte characters, at least twice as many as damaged sequences, and at most one
    /// damaged sequence per 1,000 bytes (three at least; a truncated last character is not
    /// counted).
    /// Charset detection would otherwise pick a single-byte charset and turn the whole file
    /// into mojibake.
    static func mostlyUTF8(_ bytes: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var invalid = 0, multibyte = 0, consumed = 0
        let allowed = max(3, bytes.count / 1000)
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count > 1 { multibyte += 1 }
                consumed += encoded.count
                scalars.append(Unicode.UTF8.decode(encoded))
            case .error(let length):
                consumed += length
                if consumed < bytes.count { invalid += 1 }  // not a last character cut short
                if invalid > allowed { return nil }
            case .emptyInput:
                break loop
            }
        }
        guard multibyte > 0, multibyte >= 2 * invalid, invalid <= allowed else { return nil }
        return String(scalars)
    }

    /// True when `bytes` read as Shift_JIS give half-width katakana (U+FF61–U+FF9F), which
    /// Japanese text today rarely uses but GBK's Hanzi bytes produce.
    static func readsAsHalfwidthKatakana(_ bytes: [UInt8]) -> Bool {
        guard let decoded = try? convert(bytes, from: "Shift_JIS") else { return false }
        return decoded.text.unicodeScalars.contains { (0xFF61...0xFF9F).contains($0.value) }
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

    /// `strict`: any substitution fails the conversion (else up to ``maximumSubstitutionRatio``).
    private static func convert(_ bytes: [UInt8], from charset: String, strict: Bool = false) throws(ExtractionError) -> Decoded {
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
        if Double(substitutions) / Double(characters) > (strict ? 0 : maximumSubstitutionRatio) {
            throw .undecodable(reason: "\(substitutions) of \(characters) characters are not valid \(charset)")
        }
        return Decoded(text: text, encoding: charset)
    }
}
