import Foundation

/// Segmenters shared by threads: each call borrows one that no other thread is using (a
/// ``Segmenter`` holds an ICU break iterator, which is not thread-safe), creating one when all
/// are busy. Keeps at most one per thread that ever used it concurrently.
public final class SegmenterPool: @unchecked Sendable {
    public let options: AnalysisOptions
    private let lock = NSLock()
    private var idle: [Segmenter] = []

    public init(options: AnalysisOptions) {
        self.options = options
    }

    /// Runs `body` with a segmenter no other thread uses meanwhile.
    /// - Throws: ``AnalysisError/icu(code:)`` when a new segmenter cannot be opened, or what
    ///   `body` throws.
    public func with<T>(_ body: (Segmenter) throws -> T) throws -> T {
        let segmenter = try lock.withLock { idle.popLast() } ?? Segmenter(options: options)
        defer { lock.withLock { idle.append(segmenter) } }
        return try body(segmenter)
    }
}
