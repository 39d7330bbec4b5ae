import FuzzSupport
import JiansuoAnalysis
import JiansuoQuery

nonisolated(unsafe) let segmenter = try! Segmenter()

/// Any query text: the lenient parser and the compiler must never crash, and user text must
/// only ever reach FTS5 inside string literals (an even number of quotes in the expression).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Expanded inputs reach 64 KB of query text: the daemon accepts 1,000 characters, but the
    // parser and compiler must be linear whatever they are given.
    let text = String(decoding: Expander.expand(Array(UnsafeBufferPointer(start: data, count: size)), limit: 64 << 10), as: UTF8.self)
    let compiled = QueryCompiler(segmenter: segmenter).compile(QueryParser.parse(text))
    // Counted in scalars: a quote followed by a combining mark is one Character but still a quote to FTS5.
    if let match = compiled.match, match.unicodeScalars.filter({ $0 == "\"" }).count % 2 != 0 {
        fatalError("unbalanced quotes in \(match)")
    }
    return 0
}

@_cdecl("FuzzQuery_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzz)
}
