@testable import JiansuoExtract
import Testing

/// Short, mostly-ASCII Chinese files (issue 13, item 6): when the charset detector proposes a
/// single-byte charset but the bytes read cleanly as GB18030 or Big5 Han text, the Chinese
/// charset is chosen, and the guess is recorded; every supported encoding is tried short.
@Suite struct CharsetGuessTests {
    static let gbkNote: [UInt8] = [0x4E, 0x6F, 0x74, 0x65, 0x3A, 0x20, 0xC9, 0xE8, 0xD6, 0xC3, 0xC6, 0xF0, 0xCA, 0xBC, 0xB5, 0xD8,
                                   0xD6, 0xB7, 0xBA, 0xCD, 0xB3, 0xA4, 0xB6, 0xC8, 0x0A]  // "Note: 设置起始地址和长度\n", 25 bytes

    @Test(arguments: [
        (gbkNote, "Note: 设置起始地址和长度", "GB18030"),
        ([0x65, 0x64, 0x69, 0x74, 0x20, 0x62, 0x75, 0x69, 0x6C, 0x64, 0x2E, 0x6D, 0x6B, 0x3A, 0x20, 0xC9, 0xE8, 0xD6, 0xC3,
          0xC6, 0xF0, 0xCA, 0xBC, 0xB5, 0xD8, 0xD6, 0xB7], "edit build.mk: 设置起始地址", "GB18030"),
        ([0x52, 0x45, 0x41, 0x44, 0x4D, 0x45, 0x20, 0x76, 0x32, 0x3A, 0x20, 0xD6, 0xD0, 0xCE, 0xC4, 0xCB, 0xB5, 0xC3, 0xF7],
         "README v2: 中文说明", "GB18030"),
        ([0x69, 0x64, 0x20, 0x95, 0x32, 0x82, 0x36, 0x20, 0x6F, 0x6B, 0x3A, 0x20, 0xB5, 0xD8, 0xD6, 0xB7],
         "id 𠀀 ok: 地址", "GB18030"),                                       // a four-byte GB18030 character
        ([0x4E, 0x6F, 0x74, 0x65, 0x3A, 0x20, 0xB3, 0x5D, 0xA9, 0x77, 0xB0, 0x5F, 0xA9, 0x6C, 0xA6, 0xEC, 0xA7, 0x7D],
         "Note: 設定起始位址", "Big5"),
        ([0x6D, 0x61, 0x6B, 0x65, 0x3A, 0x20, 0xBD, 0x73, 0xC4, 0xB6, 0xB3, 0x5D, 0xA9, 0x77, 0xC0, 0xC9, 0x20, 0x63, 0x6F,
          0x6E, 0x66, 0x69, 0x67, 0x2E, 0x6D, 0x6B], "make: 編譯設定檔 config.mk", "Big5"),
    ] as [([UInt8], String, String)])
    func shortMostlyASCIIChineseIsReadAsChinese(bytes: [UInt8], text: String, charset: String) throws {
        let decoded = try CharsetDecoder.decode(bytes)
        #expect(decoded.encoding == charset)
        #expect(decoded.text.trimmingCharacters(in: .newlines) == text)
    }

    @Test func theGuessIsRecorded() throws {
        let doc = try Extractor().extract(Self.gbkNote, fileName: "note.txt")
        #expect(doc.title == "Note: 设置起始地址和长度")
        let why = try #require(doc.encodingUncertainty)
        #expect(why.contains("GB18030"))
    }

    @Test(arguments: [
        (Array("Note: 设置起始地址和长度\n".utf8), "UTF-8"),
        ([0xEF, 0xBB, 0xBF] + Array("Note: 设置起始地址".utf8), "UTF-8"),
        ([0xFF, 0xFE, 0x4E, 0x00, 0x6F, 0x00, 0x74, 0x00, 0x65, 0x00, 0x3A, 0x00, 0x20, 0x00, 0xBE, 0x8B, 0x6E, 0x7F, 0x77, 0x8D,
          0xCB, 0x59, 0x30, 0x57, 0x40, 0x57], "UTF-16LE"),
        ([0xFE, 0xFF, 0x00, 0x4E, 0x00, 0x6F, 0x8B, 0xBE, 0x7F, 0x6E], "UTF-16BE"),
    ] as [([UInt8], String)])
    func certainEncodingsAreNotGuesses(bytes: [UInt8], charset: String) throws {
        let decoded = try CharsetDecoder.decode(bytes)
        #expect(decoded.encoding == charset)
        #expect(decoded.uncertainty == nil)
    }

    @Test func realLatinTextStaysLatin() throws {
        // Café résumé naïve, déjà vu: not valid GB18030 or Big5 Han text.
        let latin: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x20, 0x72, 0xE9, 0x73, 0x75, 0x6D, 0xE9, 0x20, 0x6E, 0x61, 0xEF, 0x76, 0x65, 0x2C,
                              0x20, 0x64, 0xE9, 0x6A, 0xE0, 0x20, 0x76, 0x75]
        let decoded = try CharsetDecoder.decode(latin)
        #expect(decoded.text == "Café résumé naïve, déjà vu")
        #expect(CharsetDecoder.isSingleByte(decoded.encoding))
    }

    @Test func aLongGBKFileIsNotAGuess() throws {
        // Many characters: the detector is confident, nothing is recorded.
        let gbk: [UInt8] = Array(Self.gbkNote.dropFirst(6).dropLast())  // 设置起始地址和长度
        let comma: [UInt8] = [0xA3, 0xAC]  // ，
        let long: [UInt8] = (0..<200).flatMap { _ in gbk + comma }
        let decoded = try CharsetDecoder.decode(long)
        #expect(decoded.encoding == "GB18030")
        #expect(decoded.uncertainty == nil)
    }

    /// Latin-1 words with accented letters read as rare or lone Hanzi in GB18030: they stay Latin.
    @Test(arguments: ["Müller Straße\n", "Zürich", "Grüße aus München", "Ação e informação", "São Paulo", "Señor Köln", "naïve"])
    func latinTextIsNotTakenForChinese(_ text: String) throws {
        let latin = text.unicodeScalars.map { UInt8($0.value) }
        let decoded = try CharsetDecoder.decode(latin)
        #expect(decoded.text == text, "\(decoded.encoding)")
    }

    /// Chinese UTF-8 damaged a little, in a small file: still UTF-8, not windows-1252 mojibake.
    @Test func slightlyDamagedSmallUTF8StaysUTF8() throws {
        let text = String(repeating: "中文内容截断测试", count: 10)
        let utf8 = Array(text.utf8)
        for damaged in [Array(utf8.dropLast()), Array(utf8.dropLast(2)),
                        Array(utf8.prefix(30)) + [0xC0, 0xAF] + Array(utf8.dropFirst(30)),       // an overlong sequence
                        Array(utf8.prefix(30)) + [0xED, 0xA0, 0x80] + Array(utf8.dropFirst(30))] {  // a surrogate
            let decoded = try CharsetDecoder.decode(damaged)
            #expect(decoded.encoding == "UTF-8")
            #expect(decoded.text.hasPrefix("中文内容截断测试中文"))
        }
    }

    @Test func aUTF8ByteOrderMarkBeforeGBKIsNotBelieved() throws {
        let decoded = try CharsetDecoder.decode([0xEF, 0xBB, 0xBF] + Self.gbkNote)
        #expect(decoded.encoding == "GB18030")
        #expect(decoded.text.hasPrefix("Note: 设置起始地址和长度"))
        #expect(decoded.uncertainty != nil)
    }

    @Test func longMostlyASCIIGBKIsNotShiftJIS() throws {
        // 中文 in GBK reads as half-width katakana in Shift_JIS.
        let bytes = Array(String(repeating: "A", count: 5000).utf8) + [0x20, 0xD6, 0xD0, 0xCE, 0xC4, 0x20]
        let decoded = try CharsetDecoder.decode(bytes)
        #expect(decoded.text.hasSuffix(" 中文 "), "\(decoded.encoding)")
    }
}
