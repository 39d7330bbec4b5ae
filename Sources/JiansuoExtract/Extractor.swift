/// Turns the bytes of a `.txt`, `.md` or `.html` file into a ``Document``.
///
/// Pure: reads no files and keeps no state, so it is safe to call from any thread.
///
/// Steps: decode the charset (``CharsetDecoder``); make line ends `\n` and drop control
/// characters; split off YAML front matter (``FrontMatter``); read the body as HTML (for `.html`,
/// `.htm`, and `.txt` files whose body is HTML), markdown or plain text; pick the title: the
/// front matter `title`, else the HTML `<title>`, else the first heading, else the first line of
/// text (if at most 120 characters), else the file name without its extension.
public struct Extractor: Sendable {
    /// Files over this many bytes are refused with ``ExtractionError/tooLarge(size:limit:)``.
    public var maxFileBytes: Int

    /// The default file size limit: 16 MiB.
    public static let defaultMaxFileBytes = 16 << 20

    public init(maxFileBytes: Int = Extractor.defaultMaxFileBytes) {
        self.maxFileBytes = maxFileBytes
    }

    /// File name extensions (lower case, no dot) this extractor reads.
    public static let supportedExtensions: Set<String> = ["txt", "md", "markdown", "html", "htm"]

    /// Extracts the document in `bytes`, which came from a file named `fileName` (its extension
    /// selects the format; its stem is the last-resort title).
    /// - Throws: ``ExtractionError`` for binary, undecodable or over-large input.
    public func extract(_ bytes: [UInt8], fileName: String) throws(ExtractionError) -> Document {
        guard bytes.count <= maxFileBytes else { throw .tooLarge(size: bytes.count, limit: maxFileBytes) }
        let decoded = try CharsetDecoder.decode(bytes)
        let encoding = decoded.encoding
        let text = Self.cleanLines(decoded.text)
        let ext = fileName.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let stem = Self.stem(of: fileName)

        var metadata = Metadata()
        var warnings: [String] = []
        var body = text[...]
        var unparsedBlock: Substring?
        if let split = FrontMatter.split(text) {
            if let m = split.metadata { metadata = m }
            if let w = split.warning { warnings.append(w) }
            body = split.body
            unparsedBlock = split.unparsedBlock
        }

        let format: Document.Format
        var bodyText: String
        var fallbackTitle: String?
        var links: [String] = []
        if ext == "html" || ext == "htm" || (ext != "md" && ext != "markdown" && HTMLText.looksLikeHTML(body)) {
            let html = HTMLText(parsing: String(body))
            format = .html
            bodyText = html.body
            links = html.links
            fallbackTitle = [html.title, html.firstHeading].first { !$0.isEmpty } ?? Self.firstLine(html.body[...])
        } else if ext == "md" || ext == "markdown" {
            let markdown = MarkdownText(parsing: String(body))
            format = .markdown
            bodyText = markdown.body
            links = markdown.links
            fallbackTitle = markdown.firstHeading.isEmpty ? Self.firstLine(body) : markdown.firstHeading
        } else {
            format = .text
            // A text hard-wrapped at a fixed width reads as its paragraphs (see SegmentBreak).
            bodyText = SegmentBreak.unwrapHardWrapped(String(body))
            fallbackTitle = Self.firstLine(body)
        }
        if let block = unparsedBlock {
            // Malformed front matter is kept as plain text: nothing in the file is lost.
            bodyText = block + "\n\n" + bodyText
        }
        bodyText = bodyText.trimmingBlankLines()
        let title = Self.cutTitle(Self.oneLine(metadata.title ?? fallbackTitle ?? stem))
        var document = Document(title: title.isEmpty ? stem : title, body: bodyText, format: format,
                                encoding: encoding, metadata: metadata, warnings: warnings, links: links)
        document.encodingUncertainty = decoded.uncertainty
        return document
    }

    /// `\r\n` and `\r` become `\n`; C0 controls other than tab and newline, DEL and the
    /// byte-order mark are removed (they are never text, and the index uses \u{1} and \u{2} as
    /// highlight markers).
    static func cleanLines(_ text: String) -> String {
        // Everything removed or replaced is ASCII or the BOM (EF BB BF), so this works on UTF-8
        // bytes; most texts need no change at all.
        var text = text
        return text.withUTF8 { utf8 -> String in
            func needsCleaning(_ b: UInt8) -> Bool { (b < 0x20 && b != 0x09 && b != 0x0A) || b == 0x7F || b == 0xEF }
            guard let first = utf8.firstIndex(where: needsCleaning) else { return String(decoding: utf8, as: UTF8.self) }
            var out = [UInt8]()
            out.reserveCapacity(utf8.count)
            out.append(contentsOf: utf8[..<first])
            var i = first
            while i < utf8.count {
                let b = utf8[i]
                switch b {
                case 0x0D:
                    out.append(0x0A)
                    if i + 1 < utf8.count, utf8[i + 1] == 0x0A { i += 1 }
                case 0x09, 0x0A: out.append(b)
                case 0x00...0x1F, 0x7F: break
                case 0xEF where i + 2 < utf8.count && utf8[i + 1] == 0xBB && utf8[i + 2] == 0xBF: i += 2
                default: out.append(b)
                }
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    static func stem(of fileName: String) -> String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return fileName }
        return String(fileName[..<dot])
    }

    /// Titles are at most this many user-perceived characters (grapheme clusters) and
    /// ``maxTitleBytes`` UTF-8 bytes, plus `…` when cut.
    public static let maxTitleCharacters = 120
    public static let maxTitleBytes = 4096

    /// The first non-blank line, trimmed (ideographic spaces included): the title of a text
    /// without one (``cutTitle(_:)`` bounds it). Lines are found lazily.
    static func firstLine(_ text: Substring) -> String? {
        // Line by line, lazily: a text of millions of blank lines must not become an array.
        var rest = text
        while !rest.isEmpty {
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            let line = rest[..<end]
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[end...]
            guard let start = line.firstIndex(where: { !isTitleSpace($0) }) else { continue }
            // Only the start of a long line can be in the title: the rest is not copied (one
            // character more than a title holds, so that cutTitle sees the line goes on).
            var head = line[start...].prefix(maxTitleCharacters + 1)
            while let last = head.last, isTitleSpace(last) { head = head.dropLast() }
            return String(head)
        }
        return nil
    }

    /// `title` cut to at most ``maxTitleCharacters`` grapheme clusters, at a cluster boundary
    /// near that length (after a space or punctuation within the last 20 characters, when
    /// there is one), and to ``maxTitleBytes`` bytes, with `…` when anything was cut.
    static func cutTitle(_ title: String) -> String {
        var count = 0
        var cut: (index: String.Index, count: Int)?  // after the last space or punctuation
        var i = title.startIndex
        while i < title.endIndex, count < maxTitleCharacters {
            let c = title[i]
            i = title.index(after: i)
            count += 1
            if isTitleSpace(c) || c.isPunctuation { cut = (i, count) }
        }
        let whole = i == title.endIndex
        var stop = whole ? i : cut.flatMap { $0.count > maxTitleCharacters - 20 ? $0.index : nil } ?? i
        if whole && title.utf8.count <= maxTitleBytes { return title }
        if title.utf8.distance(from: title.startIndex, to: stop) > maxTitleBytes {
            // Too many bytes: the last cluster boundary within them, or, when the first cluster
            // alone is larger (thousands of combining marks), a scalar boundary.
            let limit = title.utf8.index(title.startIndex, offsetBy: maxTitleBytes)
            var k = title.startIndex
            while k < stop, title.index(after: k) <= limit { k = title.index(after: k) }
            if k == title.startIndex {
                k = limit
                while k > title.startIndex, title.unicodeScalars.index(k, offsetBy: 0, limitedBy: title.endIndex) == nil
                        || String.Index(k, within: title.unicodeScalars) == nil {
                    k = title.utf8.index(before: k)
                }
            }
            stop = k
        }
        return String(title.unicodeScalars[..<stop]).trimmingCharacters(in: .whitespacesAndIdeographicSpace) + "…"
    }

    private static func isTitleSpace(_ c: Character) -> Bool { c.isWhitespace || c == "\u{3000}" }

    /// The lines of `text` as one line: joined with a space, or with nothing where two East
    /// Asian wide characters meet (see ``SegmentBreak``).
    static func oneLine(_ text: String) -> String {
        SegmentBreak.joinLines(text.split(whereSeparator: \.isNewline))
    }
}

import Foundation

extension CharacterSet {
    /// Unicode whitespace, which includes U+3000 IDEOGRAPHIC SPACE.
    static let whitespacesAndIdeographicSpace = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{3000}"))
}

extension String {
    /// Removes blank lines (empty or only spaces and tabs) at the start and end.
    func trimmingBlankLines() -> String {
        var text = self
        return text.withUTF8 { utf8 -> String in
            // Start: after the last newline that ends a blank prefix.
            var start = 0
            var i = 0
            while i < utf8.count, utf8[i] == 0x20 || utf8[i] == 0x09 || utf8[i] == 0x0A {
                if utf8[i] == 0x0A { start = i + 1 }
                i += 1
            }
            if i == utf8.count { return "" }
            // End: before the first newline that starts a blank suffix.
            var end = utf8.count
            var j = utf8.count
            while j > start, utf8[j - 1] == 0x20 || utf8[j - 1] == 0x09 || utf8[j - 1] == 0x0A {
                if utf8[j - 1] == 0x0A { end = j - 1 }
                j -= 1
            }
            if start == 0 && end == utf8.count { return self }
            return String(decoding: UnsafeBufferPointer(rebasing: utf8[start..<end]), as: UTF8.self)
        }
    }
}
