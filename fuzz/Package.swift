// swift-tools-version:6.1
// libFuzzer targets for the parts that read untrusted input: the protocol decoder, the query
// parser and compiler, and the document extractors. Built only by fuzz/run (with
// -sanitize=fuzzer, which supplies main), never by the main package's build.
import PackageDescription

let package = Package(
    name: "JiansuoFuzz",
    // fuzz/run links fuzz/jiansuo to the repository, so that the package identity does not
    // depend on the name of the checkout folder.
    dependencies: [.package(path: "jiansuo")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzProtocol", dependencies: ["FuzzSupport", .product(name: "JiansuoCore", package: "jiansuo")]),
        .executableTarget(name: "FuzzQuery", dependencies: ["FuzzSupport", .product(name: "JiansuoCore", package: "jiansuo")]),
        .executableTarget(name: "FuzzExtract", dependencies: ["FuzzSupport", .product(name: "JiansuoCore", package: "jiansuo")]),
    ],
    swiftLanguageModes: [.v6]
)
