import Foundation
import JiansuoPath
import JiansuoProtocol
import Testing

@Suite struct ProtocolTests {
    func decode(_ line: String) throws -> RequestEnvelope {
        try JSONDecoder().decode(RequestEnvelope.self, from: Data(line.utf8))
    }

    @Test func requestsRoundTrip() throws {
        for request in [Request.ping, .version, .status, .search(SearchParams(query: "知识产权", limit: 5, offset: 10))] {
            let envelope = RequestEnvelope(id: 3, request: request)
            let line = try JSONEncoder().encode(envelope)
            #expect(try JSONDecoder().decode(RequestEnvelope.self, from: line) == envelope)
        }
    }

    @Test func minimalSearchRequest() throws {
        #expect(try decode(#"{"method":"search","params":{"query":"专利"}}"#).request == .search(SearchParams(query: "专利")))
    }

    @Test(arguments: [
        (#"{"method":"delete_everything"}"#, ProtocolError.Code.unknownMethod),
        (#"{"v":2,"method":"ping"}"#, .unsupportedVersion),
        (#"{"method":"search","params":{"limit":3}}"#, .invalidParams),
        (#"{"method":"search"}"#, .invalidParams),
    ])
    func malformedRequestsHaveCodes(line: String, code: ProtocolError.Code) {
        #expect { try decode(line) } throws: { ($0 as? ProtocolError)?.code == code }
    }

    @Test func errorResponseShape() throws {
        let data = try JSONEncoder().encode(ResponseEnvelope<EmptyResult>(id: 1, error: ProtocolError(.badRequest, "x")))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        #expect((object["error"] as? [String: Any])?["code"] as? String == "bad_request")
    }
}

/// Text from files is made safe for a terminal and a log line.
@Suite struct PrintableTextTests {
    @Test func controlCharactersAreEscapedAndTheRestKept() {
        #expect(PrintableText.escape("知识产权 report.txt") == "知识产权 report.txt")
        #expect(PrintableText.escape("a\nb\tc\rd") == "a\\nb\\tc\\rd")
        #expect(PrintableText.escape("\u{1B}[31mred") == "\\u{1B}[31mred")
        #expect(PrintableText.escape("\u{9B}2J") == "\\u{9B}2J")  // C1 CSI
        #expect(PrintableText.escape("txt.\u{202E}exe") == "txt.\\u{202E}exe")  // bidi override
        #expect(PrintableText.escape("\u{7F}\u{0}") == "\\u{7F}\\u{0}")
        #expect(PrintableText.escape("back\\slash") == "back\\slash")
        for scalar in (0..<0x110000).lazy.compactMap(Unicode.Scalar.init) where PrintableText.needsEscape(scalar) {
            #expect(!PrintableText.escape(String(scalar)).unicodeScalars.contains(where: PrintableText.needsEscape))
        }
    }
}
