import FuzzSupport
import Foundation
import JiansuoProtocol

/// One request line, as a client could send it: decoding must throw or succeed, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Expanded inputs reach the 1 MiB a request line may have: deeply nested JSON, huge numbers.
    let bytes = Data(Expander.expand(Array(UnsafeBufferPointer(start: data, count: size)), limit: 1 << 20))
    if let envelope = try? JSONDecoder().decode(RequestEnvelope.self, from: bytes) {
        _ = try? JSONEncoder().encode(envelope)
    }
    return 0
}

@_cdecl("FuzzProtocol_main")
public func entryPoint(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzz)
}
