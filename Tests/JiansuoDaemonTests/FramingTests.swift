import NIOCore
import NIOTestUtils
import Testing
@testable import JiansuoDaemon

/// The line framing of the protocol, fed every way NIO's verifier feeds a decoder: whole, byte
/// by byte, and in random splits.
@Suite struct FramingTests {
    func line(_ s: String) -> LineFrame { .line(ByteBuffer(string: s)) }

    @Test func linesAreSplitAtNewlinesHoweverTheBytesArrive() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("{\"method\":\"ping\"}\n", [line("{\"method\":\"ping\"}")]),
                ("a\r\n", [line("a")]),
                ("a\nb\n", [line("a"), line("b")]),
                ("\n", [line("")]),
                ("知识产权\n", [line("知识产权")]),
            ],
            decoderFactory: { LineFrameDecoder(maxLength: 64) })
    }

    @Test func anOverlongLineIsOneTooLongFrameAndTheNextLineIsRead() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                (String(repeating: "x", count: 40) + "\nok\n", [.tooLong, line("ok")]),
                (String(repeating: "y", count: 17) + "\n", [.tooLong]),
                (String(repeating: "z", count: 16) + "\n", [line(String(repeating: "z", count: 16))]),
            ],
            decoderFactory: { LineFrameDecoder(maxLength: 16) })
    }
}
