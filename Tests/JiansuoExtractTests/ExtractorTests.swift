import Foundation
import JiansuoExtract
import Testing

/// The repository root, found from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func bytes(_ relativePath: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: repoRoot.appendingPathComponent(relativePath)))
}

@Suite struct ExtractorTests {
    let extractor = Extractor()

    /// The real news article users have: blank line, front matter, then an HTML body with
    /// comments, an inline <style> with &#123; entities and a QR block.
    static let sharedSample = repoRoot.appendingPathComponent("../shared/samples/000_c8152e8213d3d8d0.txt").standardizedFileURL

    @Test(.enabled(if: FileManager.default.fileExists(atPath: sharedSample.path)))
    func realSinaArticle() throws {
        let doc = try extractor.extract([UInt8](try Data(contentsOf: Self.sharedSample)), fileName: "000_c8152e8213d3d8d0.txt")
        #expect(doc.title == "北京市知识产权保险试点两年来，3366件专利成功投保")
        #expect(doc.format == .html)
        #expect(doc.metadata.author == "新浪财经")
        #expect(doc.metadata.categories == ["金融", "新浪财经", "新浪财经－国內"])
        #expect(doc.metadata.date == "Wed, 15 Sep 2021 05:50:21 GMT")
        for junk in ["<", ">", "{", "}", "&#", "font-size", "appendQr", "title:", "---", "news_keyword"] {
            #expect(!doc.body.contains(junk), "body contains \(junk)")
        }
        #expect(doc.body.contains("已有332家企业的3366件专利成功投保"))
        #expect(doc.body.contains("海量资讯、精准解读，尽在新浪财经APP"))
        #expect(doc.body.contains("责任编辑：王珊珊"))
    }

    @Test func bundledNewsSampleHasFrontMatterTitleAndNoMarkup() throws {
        let doc = try extractor.extract(try bytes("samples/新闻/2023/2023-04-26 知识产权宣传周在本市启动.txt"), fileName: "x.txt")
        #expect(doc.title == "知识产权宣传周在本市启动，中小企业专利申请量同比增长18%")
        #expect(doc.format == .html)
        #expect(doc.metadata.categories == ["科技", "本地新闻"])
        #expect(!doc.body.contains("qr_box") && !doc.body.contains("&#123;") && !doc.body.contains("<p"))
        #expect(doc.body.contains("世界知识产权日"))
    }

    @Test func gb18030FileWithCRLF() throws {
        let doc = try extractor.extract(try bytes("samples/归档/知识产权质押融资简介.txt"), fileName: "知识产权质押融资简介.txt")
        #expect(doc.encoding == "GB18030")
        #expect(doc.title == "知识产权质押融资简介")
        #expect(!doc.body.contains("\r"))
        #expect(doc.body.contains("纸上的权利"))
    }

    @Test func gb18030OutsideGBK() throws {
        // 中文测试 䶮 in GB18030: the last character needs GB18030's 4-byte or extended area.
        let raw: [UInt8] = [0xd6, 0xd0, 0xce, 0xc4, 0xb2, 0xe2, 0xca, 0xd4, 0x20, 0xfe, 0x9f]
        let doc = try extractor.extract(raw + Array(repeating: 0x0a, count: 1), fileName: "a.txt")
        #expect(doc.body.contains("中文测试"))
    }

    @Test func htmlPage() throws {
        let doc = try extractor.extract(try bytes("samples/网页/城市图书馆开放时间.html"), fileName: "城市图书馆开放时间.html")
        #expect(doc.title == "城市图书馆开放时间与借阅规则")
        #expect(!doc.body.contains("visitCounter") && !doc.body.contains("font-family") && !doc.body.contains("页面顶部导航"))
        #expect(!doc.body.contains("请启用脚本"))
        #expect(doc.body.contains("9:00–21:00"))
        #expect(doc.body.contains("仅限馆内阅览\u{A0}&\u{A0}不外借"))
        // Block elements never glue two paragraphs together.
        #expect(doc.body.contains("借阅规则\n\n读者凭身份证"))
    }

    @Test func htmlTitleFallsBackToFirstHeadingThenFirstLineThenFileName() throws {
        let h = try extractor.extract(Array("<html><body><h2>二级标题</h2><p>正文</p></body></html>".utf8), fileName: "a.html")
        #expect(h.title == "二级标题")
        let line = try extractor.extract(Array("<p>只有正文</p>".utf8), fileName: "无题.html")
        #expect(line.title == "只有正文")
        let long = try extractor.extract(Array(("<p>" + String(repeating: "很长的一段正文", count: 30) + "</p>").utf8), fileName: "无题.html")
        // A first line over 120 characters is cut, not replaced by the file name (see TitleTests).
        #expect(long.title == String(String(repeating: "很长的一段正文", count: 30).prefix(120)) + "…")
    }

    @Test func markdownTitleFromFrontMatterElseHeading() throws {
        let fm = try extractor.extract(try bytes("samples/笔记/读书笔记 专利与创新.md"), fileName: "a.md")
        #expect(fm.title == "读书笔记：专利制度如何影响创新")
        #expect(fm.metadata.tags == ["专利", "创新", "经济学"])
        #expect(fm.metadata.date == "2022-11-05")
        #expect(!fm.body.contains("tags:"))
        let heading = try extractor.extract(Array("\n# 标题一\n\n正文".utf8), fileName: "a.md")
        #expect(heading.title == "标题一")
    }

    /// Found by fuzz/FuzzExtract: Ink 0.6 never returns (and eats gigabytes) on an unclosed tag.
    @Test(arguments: ["数:学<phras^e且 b 7", "a<p^e b", ":<p", "x:<p a", "<p", "a < b 且 c <d", "<b>粗</b> and <br>"])
    func markdownWithUnclosedTagsDoesNotHang(text: String) throws {
        let doc = try extractor.extract(Array(text.utf8), fileName: "a.md")
        #expect(!doc.body.isEmpty)
        #expect(!doc.body.contains("&lt;"))
    }

    /// Every input a fuzzer found crashing or hanging extraction (Tests/Fixtures/fuzz-crashes)
    /// now extracts, as each kind of file.
    @Test func fuzzerFindingsExtract() throws {
        let dir = repoRoot.appendingPathComponent("Tests/Fixtures/fuzz-crashes")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.count >= 2)
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            for file in ["a.txt", "a.md", "a.html"] { _ = try? extractor.extract(bytes, fileName: file) }
        }
    }

    /// Found by bench/recall: "24~26日" must keep 24 and 26 apart, as the text does.
    @Test func markdownMarkersBetweenDigitsSeparateWords() throws {
        let doc = try extractor.extract(Array("订了24~26日，5*8=40，**加粗**和`code`，Chapter 31``Extending SQL''。".utf8), fileName: "a.md")
        #expect(doc.body == "订了24 26日，5 8=40，加粗和code，Chapter 31 Extending SQL''。")
    }

    /// Found by bench/recall on the large corpus: "> 11. 可选的安装选项" must keep its 11 (a
    /// reader and a renderer show it), in a quote or not, with `.` or `)`; bullets still go.
    @Test func orderedListItemsKeepTheirNumbers() throws {
        let text = "说明\n\n> 11. 可选的安装选项\n\n1. 有序一\n2) 有序二\n123456789. 很长的编号\n- 无序\n* 星号\n10.不是列表"
        let doc = try extractor.extract(Array(text.utf8), fileName: "a.md")
        #expect(doc.body == "说明\n\n11. 可选的安装选项\n\n1. 有序一\n2) 有序二\n123456789. 很长的编号\n无序\n星号\n10.不是列表")
    }

    @Test func plainTextTitleIsTheFirstLine() throws {
        let doc = try extractor.extract(Array("\u{FEFF}全文检索工具安装说明\r\n\r\n　　正文第一段。\r\n".utf8), fileName: "a.txt")
        #expect(doc.title == "全文检索工具安装说明")
        #expect(doc.encoding == "UTF-8")
        #expect(doc.body == "全文检索工具安装说明\n\n　　正文第一段。")
    }

    @Test func malformedFrontMatterKeepsTheTextAndWarns() throws {
        let text = "---\ntitle: [unclosed\n---\n正文内容"
        let doc = try extractor.extract(Array(text.utf8), fileName: "坏的.md")
        #expect(!doc.warnings.isEmpty)
        #expect(doc.body.contains("正文内容"))
    }

    @Test func binaryAndUndecodableFilesAreRefused() {
        #expect(throws: ExtractionError.binary) { try extractor.extract([0x89, 0x50, 0x4E, 0x47, 0, 0, 1, 2], fileName: "a.txt") }
        #expect(throws: ExtractionError.self) { try Extractor(maxFileBytes: 4).extract(Array("12345".utf8), fileName: "a.txt") }
    }

    @Test func emptyFileHasEmptyBody() throws {
        let doc = try extractor.extract([], fileName: "空.txt")
        #expect(doc.body.isEmpty)
        #expect(doc.title == "空")
    }

    @Test func controlCharactersAreRemoved() throws {
        let doc = try extractor.extract(Array("标题\n正\u{1}文\u{2}内\u{7}容".utf8), fileName: "a.txt")
        #expect(doc.body == "标题\n正文内容")
    }
}

@Suite struct EncodingTests {
    let extractor = Extractor()
    static let text = "臺灣的高山茶香氣清雅，適合用熱水沖泡。梨山茶產量少、價格高，購買時要注意產地標示。"

    @Test func big5() throws {
        // Encoded with ICU's own Big5 converter; detection must find it again.
        let doc = try extractor.extract(try encode(Self.text, "Big5"), fileName: "a.txt")
        #expect(doc.encoding == "Big5")
        #expect(doc.body == Self.text)
    }

    @Test(arguments: ["UTF-16LE", "UTF-16BE"])
    func utf16WithByteOrderMark(charset: String) throws {
        let doc = try extractor.extract(try encode("\u{FEFF}" + Self.text, charset), fileName: "a.txt")
        #expect(doc.encoding == charset)
        #expect(doc.body == Self.text)
    }

    func encode(_ s: String, _ charset: String) throws -> [UInt8] {
        let r = Process()
        r.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        r.arguments = ["-f", "UTF-8", "-t", charset == "Big5" ? "BIG5" : charset]
        let input = Pipe(), output = Pipe()
        r.standardInput = input
        r.standardOutput = output
        try r.run()
        input.fileHandleForWriting.write(Data(s.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        r.waitUntilExit()
        return [UInt8](data)
    }
}
