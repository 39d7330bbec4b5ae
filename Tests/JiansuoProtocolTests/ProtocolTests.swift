import Foundation
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
