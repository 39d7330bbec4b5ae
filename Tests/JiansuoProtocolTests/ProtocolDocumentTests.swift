import Foundation
import JiansuoPath
import JiansuoProtocol
import Testing

/// Every JSON example in docs/protocol.md decodes with the real protocol types, so the document
/// and the code cannot drift apart.
@Suite struct ProtocolDocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/protocol.md")

    /// (info string after ```json, body) of every fenced JSON block.
    static func examples() throws -> [(String, String)] {
        let text = try String(contentsOf: document, encoding: .utf8)
        var blocks: [(String, String)] = []
        var current: (String, [String])?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let block = current {
                if line == "```" {
                    blocks.append((block.0, block.1.joined(separator: "\n")))
                    current = nil
                } else {
                    current!.1.append(String(line))
                }
            } else if line.hasPrefix("```json") {
                current = (line.dropFirst(7).trimmingCharacters(in: .whitespaces), [])
            }
        }
        return blocks
    }

    func decode<T: Codable & Sendable>(_ json: String, _ type: T.Type) throws -> ResponseEnvelope<T> {
        let envelope = try JSONDecoder().decode(ResponseEnvelope<T>.self, from: Data(json.utf8))
        #expect(envelope.ok == (envelope.result != nil) && envelope.ok == (envelope.error == nil))
        return envelope
    }

    @Test func everyExampleDecodes() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 20)
        var methods = Set<String>()
        for (info, json) in examples {
            switch info {
            case "request":
                methods.insert(try JSONDecoder().decode(RequestEnvelope.self, from: Data(json.utf8)).request.method)
            case "response ping": _ = try decode(json, PingResult.self)
            case "response version": _ = try decode(json, VersionResult.self)
            case "response status": _ = try decode(json, StatusResult.self)
            case "response segment": _ = try decode(json, SegmentResult.self)
            case "response show": _ = try decode(json, ShowResult.self)
            case "response action": _ = try decode(json, ActionResult.self)
            case "response errors": _ = try decode(json, ErrorsResult.self)
            case "response search":
                let result = try #require(try decode(json, SearchResult.self).result)
                for hit in result.hits {
                    for h in hit.highlights { #expect(h.count == 2 && h[0] < h[1] && h[1] <= hit.snippet.utf8.count) }
                    if let bytes = hit.pathBytes {
                        #expect(Data(base64Encoded: bytes).map(Array.init) == RawPath.bytes(of: hit.path))
                    }
                }
            case "error":
                let envelope = try decode(json, EmptyResult.self)
                #expect(envelope.error != nil)
            default:
                Issue.record("unknown example kind '\(info)'")
            }
        }
        #expect(methods == ["ping", "version", "status", "search", "segment", "show", "errors", "rebuild", "check"])
    }

    @Test func everyErrorCodeIsDocumented() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        for code in ["bad_request", "unsupported_version", "unknown_method", "invalid_params", "not_found",
                     "request_too_large", "busy", "forbidden", "timeout", "corrupt", "internal"] {
            #expect(ProtocolError.Code(rawValue: code) != nil)
            #expect(text.contains("| `\(code)` |"), "\(code) is not in the error table")
        }
    }

    @Test func unknownFieldsAreRefused() {
        for line in [#"{"method":"ping","extra":1}"#, #"{"method":"search","params":{"qeury":"x"}}"#,
                     #"{"method":"search","params":{"query":"x","limt":3}}"#] {
            #expect { try JSONDecoder().decode(RequestEnvelope.self, from: Data(line.utf8)) } throws: {
                ($0 as? ProtocolError)?.code == .invalidParams && ($0 as? ProtocolError)?.message.contains("unknown field") == true
            }
        }
    }
}
