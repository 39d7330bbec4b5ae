import FuzzSupport
import JiansuoAnalysis
import JiansuoExtract

nonisolated(unsafe) let segmenter = try! Segmenter()

/// Any file content, as .txt (plain, or HTML by content), .md and .html: extraction throws or
/// returns a document, and its text tokenizes with in-range offsets. Inputs starting with
/// ``Expander/marker`` are expanded into documents of up to 4 MB (deep nesting, repetition,
/// millions of lines), where recursion and quadratic work show.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Expander.expand(Array(UnsafeBufferPointer(start: data, count: size)), limit: 4 << 20)
    for name in ["a.txt", "a.md", "a.html"] {
        guard let document = try? Extractor().extract(bytes, fileName: name) else { continue }
        let body = document.body
        for token in (try? segmenter.tokens(of: body)) ?? [] where token.utf8End > body.utf8.count || token.utf8Start > token.utf8End {
            fatalError("token offsets out of range")
        }
    }
    return 0
}

@_cdecl("FuzzExtract_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzz)
}
