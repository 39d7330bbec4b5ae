import CICU
import Testing

/// `cicu_normalize` (NFKC_Casefold chunk by chunk, with per-process tables of ICU's answers for
/// BMP code points alone) gives exactly what ICU's `unorm2_normalize` gives for the whole text:
/// every BMP code point, alone, between letters, and followed by combining marks (which join
/// its chunk and take ICU's own path).
@Suite struct NormalizationTests {
    static func call(_ text: String, _ f: (UnsafePointer<CChar>, Int32, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> UnsafeMutablePointer<CChar>?) -> String? {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                var count: Int32 = 0, err: Int32 = 0
                guard let out = f(chars.baseAddress!, Int32(chars.count), &count, &err) else { return nil }
                defer { cicu_free(out) }
                return String(decoding: UnsafeRawBufferPointer(start: out, count: Int(count)), as: UTF8.self)
            }
        }
    }

    static func chunked(_ text: String) -> String? {
        call(text) { cicu_normalize($0, $1, Int32(CICU_OPTION_NO_SCRIPT_FOLD), $2, $3) }
    }

    static func reference(_ text: String) -> String? {
        call(text) { cicu_normalize_reference($0, $1, $2, $3) }
    }

    @Test(arguments: [0, 1, 2, 3])
    func everyBMPCodePointAsICUNormalizesIt(context: Int) {
        var mismatches: [String] = []
        var scalars: [Unicode.Scalar] = []
        for value in UInt32(1)...0xFFFF {
            if let s = Unicode.Scalar(value) { scalars.append(s) }
        }
        // 128 code points per text, each in the context: alone in a row, between letters,
        // before a combining acute, before a kana voicing mark.
        for start in stride(from: 0, to: scalars.count, by: 128) {
            var text = ""
            for (k, s) in scalars[start..<min(start + 128, scalars.count)].enumerated() {
                // Runs of combining marks stay short: a chunk over 64 UTF-16 units is cut on
                // purpose (a bound on the work per chunk), which ICU alone does not do.
                if k % 16 == 0 { text += "|" }
                switch context {
                case 0: text.unicodeScalars.append(s)
                case 1: text += "a"; text.unicodeScalars.append(s); text += "Z"
                case 2: text.unicodeScalars.append(s); text += "\u{301}"
                default: text.unicodeScalars.append(s); text += "\u{3099}。"
                }
            }
            let got = Self.chunked(text), want = Self.reference(text)
            if got != want { mismatches.append("U+\(String(scalars[start].value, radix: 16)) block: \(got ?? "nil") != \(want ?? "nil")") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(3))")
    }

    @Test func fullWidthPunctuationAndSpaces() {
        #expect(Self.chunked("Ａｂｃ，１２３：（测试）\u{3000}！") == "abc,123:(测试) !")
        #expect(Self.chunked("Ａ\u{301}") == Self.reference("Ａ\u{301}"))
    }
}
