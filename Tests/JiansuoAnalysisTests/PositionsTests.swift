import Foundation
import JiansuoAnalysis
import Testing

/// The positions-only tokenization (FTS5 `highlight()`/`snippet()`) must give exactly the
/// tokens of the document tokenization without its Han words, bigrams and whole runs: same
/// texts, byte offsets and positions.
/// Otherwise highlights land on the wrong characters.
@Suite struct PositionsTests {
    let segmenter = try! Segmenter()

    struct Key: Equatable, CustomStringConvertible {
        var text: String, start: Int, end: Int, position: Int
        var description: String { "\(text)@\(position)[\(start),\(end))" }
    }

    func check(_ text: String) throws {
        // Positions keep the colocated case pieces of letters (alternatives for highlighting).
        let document = try segmenter.tokens(of: text, for: .document).filter { !$0.isColocated || $0.kind == .subword }
            .map { Key(text: $0.text, start: $0.utf8Start, end: $0.utf8End, position: $0.position) }
        let positions = try segmenter.tokens(of: text, for: .positions)
            .map { Key(text: $0.text, start: $0.utf8Start, end: $0.utf8End, position: $0.position) }
        #expect(positions == document, "\(text.debugDescription)")
    }

    @Test(arguments: [
        "北京市知识产权", "ｉＰｈｏｎｅ１５ 价格１０元", "don't e-mail 3.14 snake_case 中文abc123def中",
        "知識產權，臺灣。", "東京タワーは日本の", "ภาษาไทยง่าย", "café naïve Ａ\u{301} x\u{301}\u{302}",
        "中\u{301}文", " \u{301}a", "〇〆々 ⺀⼀ 𠀀𪚥", "한국어 텍스트", "Привет мир", "😀👍🏽 #tag @user",
        "a\u{93E}b", "क\u{93E}\u{94D}", "2021年9月15日", "", "购买了iPhone15Pro手机 XMLHttpRequest ＭｃＤｏｎａｌｄ",
        "ǄemalǅX aB\u{301}Cd 1a2B3c", String(repeating: "aB", count: 40),
    ])
    func fixedTexts(_ text: String) throws {
        try check(text)
    }

    /// Random mixtures of the scripts and marks that meet in real documents, and some that are
    /// rare, from a fixed seed.
    @Test func randomMixtures() throws {
        let pool: [String] = [
            "中", "国", "的", "知", "識", "产", "權", "〇", "々", "𠀀", "丽",  // Han, incl. ext. B, compat.
            "a", "B", "z", "0", "7", "é", "ß", "İ", "Ж", "λ", "한", "글", "ａ", "１", "①", "Ⅻ", "ª", "ǅ",
            "\u{301}", "\u{302}", "\u{93E}", "\u{94D}", "\u{200D}", "\u{AD}", "\u{FE0F}",  // marks, ZWJ, SHY
            " ", "\u{3000}", "\n", ".", ",", "'", "-", "_", "@", "#", "/", ":", "，", "。", "「", "」", "·",
            "😀", "🇨🇳", "★", "※", "$", "%",
        ]
        var rng = SplitMix(seed: 7)
        for _ in 0..<20000 {
            let length = Int(rng.next() % 16)
            let text = (0..<length).map { _ in pool[Int(rng.next() % UInt64(pool.count))] }.joined()
            try check(text)
        }
    }

    /// Every sample document: real text, where the fast path is taken.
    @Test func sampleDocuments() throws {
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../samples").standardized
        let files = FileManager.default.enumerator(at: samples, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension != "" }
        var checked = 0
        for file in files {
            // Samples in other encodings (GB18030, Big5, UTF-16) are not UTF-8 text: not for this check.
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            try check(text)
            checked += 1
        }
        #expect(checked >= 5, "only \(checked) UTF-8 samples found under \(samples.path)")
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
