// jiansuo-bench: the in-process measurements of bench/run that the daemon cannot make itself.
//
//   jiansuo-bench ceiling DIR [THREADS]
//
// Extracts every .txt/.md/.html file under DIR with Jiansuo's extractor, then times, on the
// extracted titles and bodies: ICU word segmentation alone (the ceiling of any ICU-based
// indexer) and Jiansuo's full analysis (normalization, segmentation, tokens), each on 1 thread
// and on THREADS threads (default: the number of cores). Prints one JSON object.
//
//   jiansuo-bench han-frequencies DIR
//
// Counts the Han character tokens (normalized and folded, as the index holds them) of the
// extracted titles and bodies of every file under DIR, and prints `character<TAB>count`, most
// frequent first: the source of `scripts/common-han`, which writes the table of common Han
// characters whose bigrams the index keeps (`cicu_is_common_han`).
//
//   jiansuo-bench token-kinds DIR
//
// Counts the tokens a document analysis gives the index for the extracted titles and bodies of
// every file under DIR, by kind (`han`, `hanBigram`, `hanWord`, `letter`, …; see
// `Token.Kind`), and prints one JSON object with the total and the tokens per Han character:
// what FTS5 hashes and writes for each character of a build.
import CICU
import Dispatch
import Foundation
import JiansuoAnalysis
import JiansuoExtract

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Runs `work(i)` for i in 0..<count on `threads` threads, items handed out one at a time.
func parallel(_ count: Int, threads: Int, _ work: @Sendable @escaping (Int, Int) -> Void) {
    let next = NSLock()
    nonisolated(unsafe) var i = 0
    DispatchQueue.concurrentPerform(iterations: threads) { thread in
        while true {
            next.lock()
            let item = i
            i += 1
            next.unlock()
            if item >= count { return }
            work(thread, item)
        }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, ["ceiling", "han-frequencies", "token-kinds"].contains(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: jiansuo-bench ceiling DIR [THREADS]\n       jiansuo-bench han-frequencies DIR\n       jiansuo-bench token-kinds DIR\n".utf8))
    exit(2)
}
let threads = arguments.count > 3 ? Int(arguments[3]) ?? 2 : ProcessInfo.processInfo.activeProcessorCount
var files: [String] = []
let root = URL(fileURLWithPath: arguments[2])
for case let url as URL in FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)! {
    if ["txt", "md", "html", "htm", "markdown"].contains(url.pathExtension.lowercased()) { files.append(url.path) }
}
files.sort()
let fileBytes = files.map { (try? Data(contentsOf: URL(fileURLWithPath: $0))) ?? Data() }
let corpusBytes = fileBytes.reduce(0) { $0 + $1.count }

// Extraction, one thread.
let extractor = Extractor()
var texts: [String] = []
let extractSeconds = seconds {
    for (i, data) in fileBytes.enumerated() {
        if let doc = try? extractor.extract([UInt8](data), fileName: (files[i] as NSString).lastPathComponent) {
            texts.append(doc.title)
            texts.append(doc.body)
        }
    }
}
if arguments[1] == "han-frequencies" {
    let segmenter = try Segmenter()
    var counts: [String: Int] = [:]
    for text in texts {
        for token in try segmenter.tokens(of: text, for: .query) where token.kind == .han {
            counts[token.text, default: 0] += 1
        }
    }
    for (character, count) in counts.sorted(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }) {
        print("\(character)\t\(count)")
    }
    exit(0)
}
if arguments[1] == "token-kinds" {
    let segmenter = try Segmenter()
    var counts: [String: Int] = [:]
    var hanCharacters = 0
    for text in texts {
        for token in try segmenter.tokens(of: text, for: .document) {
            counts[token.kind.rawValue, default: 0] += 1
            if token.kind == .han { hanCharacters += 1 }
        }
    }
    var result: [String: Any] = counts
    result["documents"] = texts.count / 2
    result["tokens"] = counts.values.reduce(0, +)
    result["tokens_per_han_character"] = Double(counts.values.reduce(0, +)) / Double(max(hanCharacters, 1))
    print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    exit(0)
}
let textBytes = texts.reduce(0) { $0 + $1.utf8.count }
let frozen = texts

func icuOnly(threads: Int) -> Double {
    seconds {
        parallel(frozen.count, threads: threads) { _, i in
            var text = frozen[i]
            var err: Int32 = 0
            _ = text.withUTF8 { cicu_word_break_count($0.baseAddress, Int32($0.count), &err) }
        }
    }
}

func analysis(threads: Int) -> Double {
    let segmenters = (0..<threads).map { _ in try! Segmenter() }
    nonisolated(unsafe) let pool = segmenters
    return seconds {
        parallel(frozen.count, threads: threads) { thread, i in
            var text = frozen[i]
            _ = text.withUTF8 { utf8 in
                pool[thread].tokenize(utf8: UnsafeRawPointer(utf8.baseAddress!).assumingMemoryBound(to: CChar.self),
                                      count: Int32(utf8.count), purpose: .document, context: nil) { _, _, _, _, _, _ in 0 }
            }
        }
    }
}

let icu1 = icuOnly(threads: 1), icuN = icuOnly(threads: threads)
let ana1 = analysis(threads: 1), anaN = analysis(threads: threads)
let mb = Double(textBytes) / 1e6
let result: [String: Any] = [
    "files": files.count, "documents": texts.count / 2, "corpus_bytes": corpusBytes, "text_bytes": textBytes, "threads": threads,
    "extract_s": extractSeconds, "extract_mb_s_1": Double(corpusBytes) / 1e6 / extractSeconds,
    "icu_s_1": icu1, "icu_mb_s_1": mb / icu1, "icu_s_n": icuN, "icu_mb_s_n": mb / icuN,
    "analysis_s_1": ana1, "analysis_mb_s_1": mb / ana1, "analysis_s_n": anaN, "analysis_mb_s_n": mb / anaN,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
