import JiansuoExtract
import Testing

/// A line break between two Han characters is not a space (issue 13, item 5): CSS Text 3's
/// segment break transformation for HTML, markdown soft line breaks, titles, and plain text
/// hard-wrapped at a fixed width.
@Suite struct SegmentBreakTests {
    let extractor = Extractor()

    func extract(_ text: String, _ name: String) throws -> (title: String, body: String) {
        let doc = try extractor.extract(Array(text.utf8), fileName: name)
        return (doc.title, doc.body)
    }

    @Test(arguments: [
        ("<p>比去年同\n期增长</p>", "比去年同期增长"),
        ("<p>比去年同 \n  期增长</p>", "比去年同期增长"),                 // spaces around the break go too
        ("<p>比去年同<b>\n期</b>增长</p>", "比去年同期增长"),             // across an inline element
        ("<p>比去年同\r\n期增长。\n下一句</p>", "比去年同期增长。下一句"),  // CRLF; full-width punctuation is wide
        ("<p>hello\nworld</p>", "hello world"),                            // Latin: a space
        ("<p>中文\nabc</p>", "中文 abc"),                                  // one side narrow: a space
        ("<p>한국\n어</p>", "한국 어"),                                    // Hangul keeps its space
        ("<p>比去年 同期</p>", "比去年 同期"),                             // a space that was no line break stays
        ("<p>零宽\u{200B}\n空格</p>", "零宽\u{200B}空格"),                  // next to a zero width space
    ])
    func htmlWhitespace(html: String, body: String) throws {
        #expect(try extract(html, "a.html").body == body)
    }

    @Test func htmlTitlesAndHeadings() throws {
        let doc = try extract("<html><head><title>北京市\n知识产权\n保险 test\nend</title></head><body><h1>上\n下</h1><p>x</p></body></html>", "a.html")
        #expect(doc.title == "北京市知识产权保险 test end")
        let heading = try extract("<h2>二级\n标题</h2><p>正文</p>", "b.html")
        #expect(heading.title == "二级标题")
    }

    @Test func markdownSoftLineBreaks() throws {
        let md = """
            # 标题
            在下个
            月正式启动，
            and then
            more text
            中文  
            硬换行之后

            - 列表一
            - 列表二
            > 引用第一
            > 行接着

            ```
            代码
            块
            ```
            """
        let body = try extract(md, "a.md").body
        #expect(body.contains("在下个月正式启动，and then more text") == false)  // Latin meets Han: a line break stays
        #expect(body.contains("在下个月正式启动，"))
        #expect(body.contains("中文  \n硬换行之后") || body.contains("中文\n硬换行之后"))  // a hard break stays
        #expect(body.contains("列表一\n列表二"))        // list items are not joined
        #expect(body.contains("引用第一行接着"))        // a block quote's lines are
        #expect(body.contains("代码\n块"))              // code is kept as it is
        #expect(body.hasPrefix("标题\n在下个"))          // a heading is not joined to the paragraph
        // An indented code block keeps its lines.
        let code = try extract("说明：\n\n    缩进代码甲\n    缩进代码乙\n", "b.md").body
        #expect(code.contains("缩进代码甲\n"), "\(code)")
    }

    @Test func hardWrappedPlainText() throws {
        let paragraph = String(repeating: "北京市知识产权局会同有关部门开展专利保险试点工作，", count: 12)
        let wrapped = stride(from: 0, to: paragraph.count, by: 30).map { start in
            String(paragraph.dropFirst(start).prefix(30))
        }
        let text = "标题\n\n　　" + wrapped.joined(separator: "\n") + "\n　　第二段开头。\n"
        let body = try extract(text, "a.txt").body
        #expect(body.contains("　　" + paragraph))           // the wrapped lines are one paragraph again
        #expect(body.contains(paragraph + "\n　　第二段"))   // an indented line starts a new paragraph
        #expect(body.hasPrefix("标题\n\n"))
    }

    @Test(arguments: [
        "床前明月光，\n疑是地上霜。\n举头望明月，\n低头思故乡。",                // short lines: a poem, not wrapped text
        String(repeating: "我在这里写下了一行二十个字的现代诗句子啊。\n", count: 40),  // equal long lines that end in punctuation: verse
        "第一行是一个比较长的句子，写了很多内容在这里\n短行\n另一行的长度完全不一样的句子，差别很大很大很大很大很大\n",  // ragged lines
    ])
    func unwrappedTextIsLeftAlone(_ text: String) throws {
        #expect(try extract(text, "a.txt").body == text.trimmingCharacters(in: .newlines))
    }
}
