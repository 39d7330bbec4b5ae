/// The searchable content of one file, as extraction produced it.
public struct Document: Sendable, Equatable {
    /// How the body was read.
    public enum Format: String, Sendable, Codable {
        case text, markdown, html
    }

    /// The title: front matter `title`, else the HTML `<title>`, the first heading or the first
    /// line of text, else the file name without its extension. Never contains a newline.
    public var title: String
    /// The body text: no front matter, no markup. Paragraphs are separated by a blank line;
    /// line ends are `\n`; control characters other than `\n` and `\t` are removed.
    public var body: String
    public var format: Format
    /// The charset the bytes were decoded from, as ICU names it ("UTF-8", "GB18030", "UTF-16LE" …).
    public var encoding: String
    /// Why `encoding` is a guess (a detection with low confidence, or a Chinese charset chosen
    /// over the detector's single-byte one); nil when it is not. See ``CharsetDecoder``.
    public var encodingUncertainty: String?
    /// Fields from the YAML front matter.
    public var metadata: Metadata
    /// Things that went wrong without stopping extraction (e.g. "front matter: …").
    public var warnings: [String]
    /// Link targets (HTML `href`s, markdown link URLs): stored, not indexed as body words.
    public var links: [String]

    public init(title: String, body: String, format: Format, encoding: String,
                metadata: Metadata = Metadata(), warnings: [String] = [], links: [String] = []) {
        self.links = links
        self.title = title
        self.body = body
        self.format = format
        self.encoding = encoding
        self.metadata = metadata
        self.warnings = warnings
    }
}

/// Document fields from YAML front matter. Absent keys are nil or empty.
public struct Metadata: Sendable, Equatable, Codable {
    public var title: String?
    /// The `date` value as written (RFC 2822, ISO 8601 or `YYYY-MM-DD`).
    public var date: String?
    public var author: String?
    public var categories: [String]
    public var tags: [String]

    public init(title: String? = nil, date: String? = nil, author: String? = nil,
                categories: [String] = [], tags: [String] = []) {
        self.title = title
        self.date = date
        self.author = author
        self.categories = categories
        self.tags = tags
    }
}

/// Why a file could not be extracted. The file is then reported, never indexed as garbage.
public enum ExtractionError: Error, Equatable, CustomStringConvertible {
    /// The bytes look binary (NUL bytes outside UTF-16 text).
    case binary
    /// No charset could be determined with confidence, or decoding would produce mostly U+FFFD.
    case undecodable(reason: String)
    /// The file is larger than the configured maximum (both in bytes).
    case tooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .binary: "binary file (contains NUL bytes)"
        case .undecodable(let reason): "cannot determine the text encoding: \(reason)"
        case .tooLarge(let size, let limit): "file is \(size) bytes, over the limit of \(limit) bytes"
        }
    }
}
