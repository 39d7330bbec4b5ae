import CLibXML

/// The visible text of an HTML document, from libxml2's HTML parser
/// (https://gnome.pages.gitlab.gnome.org/libxml2/devhelp/libxml2-HTMLparser.html).
public struct HTMLText: Sendable, Equatable {
    /// `<title>` text, whitespace collapsed; empty when absent.
    public var title: String
    /// Text of the first `<h1>`…`<h6>`; empty when absent.
    public var firstHeading: String
    /// Body text: tags, comments, `<script>`, `<style>`, `<noscript>`, `<template>` and `<head>`
    /// removed; entities decoded; block elements separated by a blank line.
    public var body: String
    /// The `href` of every `<a>`, in document order.
    public var links: [String]

    /// Parses `html`. Broken markup is recovered, never rejected.
    public init(parsing html: String) {
        var html = html
        var result = chtml_result()
        _ = html.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chtml_extract($0.baseAddress, Int32($0.count), &result) }
        }
        defer { chtml_result_free(&result) }
        func string(_ p: UnsafeMutablePointer<CChar>?, _ n: Int32) -> String {
            guard let p else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: p, count: Int(n)), as: UTF8.self)
        }
        // Whitespace that held a line break: nothing between East Asian wide characters.
        title = SegmentBreak.resolve(string(result.title, result.title_len))
        firstHeading = SegmentBreak.resolve(string(result.heading, result.heading_len))
        body = SegmentBreak.resolve(string(result.body, result.body_len))
        links = string(result.links, result.links_len).split(separator: "\n").map(String.init)
    }

    /// Whether text that came in a `.txt` file is really HTML: its first non-blank character opens
    /// a tag and it contains one of the common block tags.
    public static func looksLikeHTML(_ text: Substring) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }),
              utf8[first] == UInt8(ascii: "<") else { return false }
        // The first 4 KB, ASCII letters lowered: tag names are ASCII.
        let head = utf8[first...].prefix(4096).map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        return blockTags.contains { tag in
            head.count >= tag.count && (0...(head.count - tag.count)).contains { k in
                head[k] == tag[0] && head[k..<(k + tag.count)].elementsEqual(tag)
            }
        }
    }

    private static let blockTags: [[UInt8]] = ["<html", "<body", "<div", "<p>", "<p ", "<br", "<h1", "<h2", "<table", "<!doctype"]
        .map { Array($0.utf8) }
}
