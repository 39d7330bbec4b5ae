import Foundation
import Glibc
import JiansuoExtract
import TestSupport
import Testing

/// Every extractor is linear in its input: for each pathological input of the kinds that made
/// extraction quadratic or recursive (issue 11), quadrupling the input at most about quadruples
/// the time. A quadratic step would multiply it by 16; the bound is 8, on the CPU time of the
/// best of three runs, so scheduling noise cannot fail it, and the smaller input is sized to
/// take milliseconds, not microseconds.
@Suite struct LinearTimeTests {

    /// (name, file name, input of size n)
    static let inputs: [(String, String, @Sendable (Int) -> String)] = [
        ("markdown [x]( repeated", "a.md", { String(repeating: "[x](", count: $0) }),
        ("markdown ![ repeated", "a.md", { String(repeating: "![a]", count: $0) }),
        ("markdown ] and ( alternating", "a.md", { "[" + String(repeating: "](", count: $0) }),
        ("markdown emphasis runs", "a.md", { String(repeating: "a*`~", count: $0) }),
        ("markdown nested quotes", "a.md", { String(repeating: ">", count: $0 * 4) + " 引用" }),
        ("markdown nested lists", "a.md", { n in (0..<(n / 64)).map { String(repeating: " ", count: $0 % 200) + "- 项" }.joined(separator: "\n") }),
        ("markdown setext underlines", "a.md", { String(repeating: "标题\n===\n", count: $0 / 2) }),
        ("html nested div", "a.html", { String(repeating: "<div>", count: $0) + "文本" + String(repeating: "</div>", count: $0) }),
        ("html unclosed div", "a.html", { String(repeating: "<div>x", count: $0) }),
        ("html nested headings", "a.html", { String(repeating: "<h2><span>", count: $0 / 2) + "标题" }),
        ("html <a repeated", "a.html", { "<p>" + String(repeating: "<a", count: $0) }),
        // libxml2 searches its stack of open elements for each end tag, and a tag's attributes
        // for each attribute: bounded by a pre-pass (chtml.c, bound_markup).
        ("html stray end tags under unknown elements", "a.html", { n in
            "<html><body>" + String(repeating: "<dvi>", count: n / 8) + "文本" + String(repeating: "</div>", count: n / 8) }),
        ("html attributes of one tag", "a.html", { n in "<p " + (0..<(n / 8)).map { "a\($0)" }.joined(separator: " ") + ">文本" }),
        ("html end tags that close nothing", "a.html", { n in String(repeating: "<a></b>", count: n / 8) + "文本" }),
        ("html <body> under deep nesting", "a.html", { n in String(repeating: "<div>", count: 300) + String(repeating: "<body>", count: n / 8) + "文本" }),
        ("html unclosed paragraphs, then stray end tags", "a.html", { n in
            String(repeating: "<p>段", count: n / 8) + String(repeating: "</span>", count: n / 8) }),
        ("html entities", "a.html", { "<p>" + String(repeating: "&amp;&#x4e2d;", count: $0 / 2) }),
        ("html comments", "a.html", { "<p>" + String(repeating: "<!--", count: $0) }),
        ("front matter flow nesting", "a.md", { "---\nt: " + String(repeating: "[", count: $0) + "\n---\n正文" }),
        ("front matter block nesting", "a.md", { n in "---\n" + (0..<(n / 32)).map { String(repeating: " ", count: $0 % 200) + "k:" }.joined(separator: "\n") + "\n---\n正文" }),
        ("text tiny lines", "a.txt", { String(repeating: "字\n", count: $0) }),
        ("text blank lines", "a.txt", { String(repeating: " \n", count: $0) }),
        ("text one Han run", "a.txt", { String(repeating: "汉", count: $0) }),
        ("text control characters", "a.txt", { String(repeating: "\r\u{0}字", count: $0) }),
        // Line breaks between Han characters are removed (SegmentBreak): one paragraph grows.
        ("markdown soft line breaks between Han", "a.md", { String(repeating: "中\n", count: $0) }),
        ("html line breaks between Han", "a.html", { "<p>" + String(repeating: "中\n", count: $0) }),
        ("text hard-wrapped at 30 characters", "a.txt", { n in
            String(repeating: String(repeating: "汉", count: 30) + "\n", count: max(1, n / 31)) }),
        ("text one line of letters and digits", "a.txt", { String(repeating: "aB1", count: $0) }),
    ]

    @Test(arguments: inputs.indices)
    func extractionIsLinear(_ k: Int) throws {
        let (name, file, make) = Self.inputs[k]
        let extractor = Extractor(maxFileBytes: 64 << 20)
        var n = 20_000
        var small = 0.0
        // Grow the small input until it takes at least 20 ms, so the ratio is not noise.
        while true {
            let bytes = Array(make(n).utf8)
            small = CPUTime.best { _ = try? extractor.extract(bytes, fileName: file) }
            if small >= 0.02 || n >= 1_280_000 { break }
            n *= 2
        }
        let large = Array(make(n * 4).utf8)
        let time = CPUTime.best { _ = try? extractor.extract(large, fileName: file) }
        #expect(time <= 8 * max(small, 0.002), "\(name): \(n) → \(small) s, \(n * 4) → \(time) s")
    }

    @Test func htmlBeyondTheParserBoundsKeepsItsTextAndLinks() throws {
        // 100,000 unknown elements, then as many end tags that close none of them.
        let stray = "<html><body>" + String(repeating: "<dvi>", count: 100_000) + "未知元素里的文本" + String(repeating: "</div>", count: 100_000) + "<p>之后</p>"
        let a = try Extractor().extract(Array(stray.utf8), fileName: "stray.html")
        #expect(a.body.contains("未知元素里的文本"))
        #expect(a.body.contains("之后"))
        // A link with 100,000 attributes after its href.
        let attributes = "<p>前文<a href=\"https://example.com/x\" " + (0..<100_000).map { "data-a\($0)=\"v\"" }.joined(separator: " ")
            + ">链接文字</a>后文</p>"
        let b = try Extractor().extract(Array(attributes.utf8), fileName: "attributes.html")
        #expect(b.body.contains("前文链接文字后文"))
        #expect(b.links == ["https://example.com/x"])
        // Within the bounds, nothing is rewritten: a script's markup-like text stays out of the body.
        let script = "<html><body><script>if (a < b) { x = '</div><p>'; }</script><p>正文</p></body></html>"
        let c = try Extractor().extract(Array(script.utf8), fileName: "script.html")
        #expect(c.body == "正文")
    }

    @Test func deeplyNestedHTMLKeepsItsText() throws {
        let html = "<html><body>" + String(repeating: "<div>", count: 200_000) + "深层嵌套的文本" + String(repeating: "</div>", count: 200_000) + "<p>之后</p>"
        let doc = try Extractor().extract(Array(html.utf8), fileName: "deep.html")
        #expect(doc.body.contains("深层嵌套的文本"))
        #expect(doc.body.contains("之后"))
    }

    @Test func deeplyNestedFrontMatterIsKeptAsText() throws {
        for yaml in ["title: " + String(repeating: "[", count: 60_000),
                     "title: " + String(repeating: "{a: ", count: 10_000),
                     (0..<200).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"),
                     String(repeating: "- ", count: 1000) + "x"] {
            let doc = try Extractor().extract(Array(("---\n" + yaml + "\n---\n正文\n").utf8), fileName: "a.md")
            #expect(doc.body.contains("正文"))
            #expect(doc.warnings.contains { $0.contains("nested deeper than 64 levels") }, "\(yaml.prefix(40)): \(doc.warnings)")
        }
        // Ordinary front matter, lists and nested maps included, is still read.
        let ok = "---\ntitle: 标题\ntags: [专利, 银行]\ncategories:\n  - 金融\n  - 科技\nextra:\n  a:\n    b: [1, [2, 3]]\n---\n正文\n"
        let doc = try Extractor().extract(Array(ok.utf8), fileName: "a.md")
        #expect(doc.title == "标题")
        #expect(doc.metadata.tags == ["专利", "银行"])
        #expect(doc.metadata.categories == ["金融", "科技"])
        #expect(doc.warnings.isEmpty)
    }

    @Test func hugeFrontMatterIsKeptAsText() throws {
        let yaml = (0..<10_000).map { "key\($0): 值\($0)" }.joined(separator: "\n")
        let doc = try Extractor().extract(Array(("---\n" + yaml + "\n---\n正文\n").utf8), fileName: "a.md")
        #expect(doc.warnings.contains { $0.contains("over 64 KB") })
        #expect(doc.body.contains("key9999: 值9999"))
        #expect(doc.body.contains("正文"))
    }

    @Test func markdownLinksStillWork() throws {
        let md = "看[链接](https://example.com/a)和![图](b.png)，[不是链接] (x)，[未闭合(y\n"
        let doc = try Extractor().extract(Array(md.utf8), fileName: "a.md")
        #expect(doc.body == "看链接和图，[不是链接] (x)，[未闭合(y")
        #expect(doc.links == ["https://example.com/a", "b.png"])
    }
}
