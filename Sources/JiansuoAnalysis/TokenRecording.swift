import CICU

/// The document tokens of one text, made by ``Segmenter/record(_:)`` on any thread and replayed
/// later, byte for byte what ``Segmenter/tokenize(utf8:count:purpose:context:callback:)`` would
/// give for the same text. Immutable, so it may cross threads.
public final class TokenRecording: @unchecked Sendable {
    private let handle: OpaquePointer
    /// ``textHash(_:count:)`` of the recorded text.
    public let hash: UInt64
    /// Length of the recorded text in UTF-8 bytes.
    public let count: Int

    init(handle: OpaquePointer, hash: UInt64, count: Int) {
        self.handle = handle
        self.hash = hash
        self.count = count
    }

    deinit { cicu_recording_free(handle) }

    /// Memory held, in bytes (the tokens and a copy of the text).
    public var byteCount: Int { Int(cicu_recording_bytes(handle)) }

    /// True when this recording was made from exactly these `count` bytes.
    public func matches(utf8 text: UnsafePointer<CChar>?, count: Int32) -> Bool {
        Int(count) == self.count && (count == 0 || cicu_recording_matches(handle, text, count) != 0)
    }

    /// Calls `callback` with every recorded token, in the shape of FTS5's xToken (see
    /// ``Segmenter/tokenize(utf8:count:purpose:context:callback:)``). Returns 0 or the first
    /// non-zero value `callback` returned.
    public func replay(
        context: UnsafeMutableRawPointer?,
        callback: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int32, Int32, Int32) -> Int32
    ) -> Int32 {
        cicu_replay(handle, context, callback)
    }

    /// The lookup key of a text: a 64-bit hash of its UTF-8 bytes.
    public static func textHash(_ text: UnsafePointer<CChar>?, count: Int32) -> UInt64 {
        cicu_text_hash(text, count)
    }
}

extension Segmenter {
    /// Records the ``TokenPurpose/document`` tokens of `text` for a later replay.
    /// - Throws: ``AnalysisError/tokenizationFailed(status:)`` when ICU fails.
    public func record(_ text: String) throws -> TokenRecording {
        var text = text
        return try text.withUTF8 { utf8 in
            try utf8.withMemoryRebound(to: CChar.self) { chars in
                var err: Int32 = 0
                guard let handle = cicu_record(rawHandle, chars.baseAddress, Int32(chars.count), &err) else {
                    throw AnalysisError.tokenizationFailed(status: err)
                }
                return TokenRecording(handle: handle, hash: cicu_text_hash(chars.baseAddress, Int32(chars.count)), count: chars.count)
            }
        }
    }
}
