import Foundation
import JiansuoExtract
import Testing

/// One case of `Tests/Fixtures/expected.json`: a file of `Tests/Fixtures/documents/` and what
/// extraction must make of it.
struct FixtureCase: Decodable, CustomTestStringConvertible, Sendable {
    var path: String
    var error: String?
    var title: String?
    var format: String?
    var encoding: String?
    var author: String?
    var date: String?
    var categories: [String]?
    var tags: [String]?
    var links: [String]?
    var warning: Bool?
    var body_contains: [String]?
    var body_excludes: [String]?
    var body_empty: Bool?
    var search: [String]?
    var search_none: [String]?

    var testDescription: String { path }

    static let directory = repoRoot.appendingPathComponent("Tests/Fixtures/documents")
    static let all: [FixtureCase] = {
        let data = try! Data(contentsOf: repoRoot.appendingPathComponent("Tests/Fixtures/expected.json"))
        return try! JSONDecoder().decode([FixtureCase].self, from: data)
    }()
}

@Suite struct FixtureTests {
    @Test(arguments: FixtureCase.all)
    func extraction(of fixture: FixtureCase) throws {
        let bytes = [UInt8](try Data(contentsOf: FixtureCase.directory.appendingPathComponent(fixture.path)))
        let name = (fixture.path as NSString).lastPathComponent
        if let error = fixture.error {
            #expect { try Extractor().extract(bytes, fileName: name) } throws: { "\($0)".contains(error) }
            return
        }
        let doc = try Extractor().extract(bytes, fileName: name)
        #expect(doc.title == fixture.title)
        #expect(doc.format.rawValue == fixture.format)
        #expect(doc.encoding == fixture.encoding)
        #expect(doc.metadata.author == fixture.author)
        #expect(doc.metadata.date == fixture.date)
        #expect(doc.metadata.categories == (fixture.categories ?? []))
        #expect(doc.metadata.tags == (fixture.tags ?? []))
        #expect(doc.links == (fixture.links ?? []))
        #expect(doc.warnings.isEmpty == !(fixture.warning ?? false), "warnings: \(doc.warnings)")
        for excerpt in fixture.body_contains ?? [] { #expect(doc.body.contains(excerpt), "body lacks \(excerpt.debugDescription): \(doc.body.debugDescription)") }
        for junk in (fixture.body_excludes ?? []) + ["\u{FFFD}", "\r"] { #expect(!doc.body.contains(junk), "body contains \(junk.debugDescription)") }
        if fixture.body_empty == true { #expect(doc.body.isEmpty) }
    }
}
