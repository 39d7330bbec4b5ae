import JiansuoExtract
import Testing

/// Titles from a long first line (issue 13, item 8): the first line, cut at a grapheme cluster
/// boundary near 120 characters with `…`, not the file name.
@Suite struct TitleTests {
    let extractor = Extractor()

    func title(_ text: String, _ name: String = "笔记.txt") throws -> String {
        try extractor.extract(Array(text.utf8), fileName: name).title
    }

    @Test func aFirstLineOver120CharactersIsCutWithAnEllipsis() throws {
        let line = String(repeating: "北京市知识产权保险试点两年来成效显著", count: 10)  // 180 characters
        let t = try title(line + "\n\n正文。")
        #expect(t.count == 121 && t.hasSuffix("…") && line.hasPrefix(String(t.dropLast())))
    }

    @Test(arguments: [
        ("txt", String(repeating: "a", count: 121)),              // just over
        ("md", String(repeating: "北京 ", count: 200)),          // markdown without a heading, spaces to cut at
        ("html", "<p>" + String(repeating: "知识产权，", count: 60) + "</p>"),  // HTML without a title or heading
    ])
    func otherFormatsAndLengths(ext: String, text: String) throws {
        let t = try title(text + "\n\n正文。", "文件.\(ext)")
        #expect(t != "文件" && t.hasSuffix("…") && t.count <= 121, "\(t)")
    }

    @Test func aTitleIsCutBetweenUserPerceivedCharacters() throws {
        for unit in ["🇨🇳", "👨‍👩‍👧‍👦", "e\u{301}", "क्षि"] {
            let t = try title(String(repeating: unit, count: 200))
            #expect(t.dropLast().allSatisfy { String($0) == unit }, "\(unit): \(t.unicodeScalars.count) scalars")
            #expect(t.count == 121)
        }
    }

    @Test func aHugeFirstLineIsReadOnlyAtItsStart() throws {
        let t = try title(String(repeating: "很长的一行", count: 400_000))  // 2,000,000 characters, 6 MB
        #expect(t.count == 121)
    }

    @Test func shortLinesAndBlankStartsAreUnchanged() throws {
        #expect(try title("\n\n　　北京市知识产权保险试点  \n正文") == "北京市知识产权保险试点")
        #expect(try title(String(repeating: "字", count: 120)) == String(repeating: "字", count: 120))
        #expect(try title("   \n\t\n", "空白.txt") == "空白")
    }

    @Test func everyTitleIsBounded() throws {
        // A <title>, a heading and a front matter title of any length; a first line that is one
        // character with 500,000 combining marks.
        let long = String(repeating: "很长的标题", count: 300_000)
        for (text, name) in [("<html><head><title>\(long)</title></head><body><p>正文</p></body></html>", "a.html"),
                             ("# \(long)\n\n正文", "b.md"),
                             ("---\ntitle: \(String(repeating: "长", count: 300))\n---\n正文", "c.md"),
                             ("a" + String(repeating: "\u{301}", count: 500_000) + "\n正文", "d.txt")] {
            let t = try title(text, name)
            #expect(t.count <= 121 && t.utf8.count <= Extractor.maxTitleBytes + 3 && t.hasSuffix("…"), "\(name): \(t.utf8.count) bytes")
        }
    }
}
