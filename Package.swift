// swift-tools-version:6.1
// Jiansuo (检索): a full-text search daemon for folders of Chinese documents.
import PackageDescription

let package = Package(
    name: "Jiansuo",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jiansuod", targets: ["jiansuod"]),
        .executable(name: "jiansuo", targets: ["jiansuo"]),
        .executable(name: "jiansuo-web", targets: ["jiansuo-web"]),
        // The core, for the fuzzing package in fuzz/ (built with -sanitize=fuzzer).
        .library(name: "JiansuoCore", targets: ["JiansuoAnalysis", "JiansuoExtract", "JiansuoQuery", "JiansuoProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C wrappers with opaque public headers: ICU and libxml2 types never reach Swift.
        .target(
            name: "CICU",
            linkerSettings: [.linkedLibrary("icui18n"), .linkedLibrary("icuuc"), .linkedLibrary("icudata")]
        ),
        // SQLite extensions in C: the FTS5 ranking function (called once per matching row) and
        // the compressed storage of document text (zlib).
        .target(name: "CIndex", linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("z")]),
        // POSIX ACLs (libacl), evaluated for the user who searches.
        .target(name: "CAccess", linkerSettings: [.linkedLibrary("acl")]),
        // libxml2's include path and library from pkg-config (no unsafe flags: the package
        // stays usable as a dependency).
        .systemLibrary(name: "LibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .target(name: "CLibXML", dependencies: ["LibXML2"]),

        // The core: no socket, no daemon, no CLI.
        .target(name: "JiansuoAnalysis", dependencies: ["CICU"]),
        .target(
            name: "JiansuoExtract",
            dependencies: ["CICU", "CLibXML", .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "JiansuoQuery", dependencies: ["JiansuoAnalysis"]),
        .target(
            name: "JiansuoIndex",
            dependencies: [
                "JiansuoAnalysis", "JiansuoQuery", "JiansuoExtract", "JiansuoPath", "CIndex", "CAccess",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // Wire schema shared by daemon and client; the byte-exact path mapping they share.
        .target(name: "JiansuoPath"),
        .target(name: "JiansuoProtocol", dependencies: ["JiansuoPath"]),

        // Platform code: inotify and the directory crawl.
        .target(name: "JiansuoWatch", dependencies: ["JiansuoPath", .product(name: "Logging", package: "swift-log")]),

        // The composition root: config, indexer service, socket server.
        .target(
            name: "JiansuoDaemon",
            dependencies: [
                "JiansuoIndex", "JiansuoWatch", "JiansuoProtocol", "JiansuoExtract", "JiansuoAnalysis", "JiansuoPath",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(name: "JiansuoClient", dependencies: ["JiansuoProtocol"]),
        // `jiansuo web`: the local search page (HTTP on loopback, SwiftNIO's HTTP/1), a client of
        // the socket like the CLI; its own executable, so the CLI never loads the HTTP stack.
        .target(
            name: "JiansuoWeb",
            dependencies: [
                "JiansuoClient", "JiansuoProtocol", "JiansuoPath",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "jiansuo-web",
            dependencies: [
                "JiansuoWeb", "JiansuoClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(
            name: "jiansuod",
            dependencies: [
                "JiansuoDaemon", "JiansuoProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "jiansuo",
            dependencies: [
                "JiansuoClient", "JiansuoProtocol", "JiansuoPath",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // bench/run's in-process measurements (ICU segmentation ceiling); not installed.
        .executableTarget(name: "jiansuo-bench", dependencies: ["CICU", "JiansuoAnalysis", "JiansuoExtract"]),

        .testTarget(name: "JiansuoAnalysisTests", dependencies: ["JiansuoAnalysis"]),
        // Helpers shared by test targets only (CPU time for the linear-time tests).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "JiansuoExtractTests", dependencies: ["JiansuoExtract", "TestSupport"]),
        .testTarget(name: "JiansuoQueryTests", dependencies: ["JiansuoQuery", "JiansuoAnalysis", "TestSupport"]),
        .testTarget(
            name: "JiansuoIndexTests",
            dependencies: ["JiansuoIndex", "JiansuoExtract", "CIndex", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "JiansuoProtocolTests", dependencies: ["JiansuoProtocol", "JiansuoPath"]),
        .testTarget(name: "JiansuoWatchTests", dependencies: ["JiansuoWatch", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "JiansuoDaemonTests",
            dependencies: [
                "JiansuoDaemon", "JiansuoIndex", "JiansuoProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "JiansuoClientTests", dependencies: ["JiansuoClient", "JiansuoProtocol"]),
        .testTarget(name: "JiansuoWebTests", dependencies: ["JiansuoWeb", "JiansuoProtocol"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["jiansuod", "jiansuo", "jiansuo-web", "JiansuoProtocol", "JiansuoClient", "JiansuoAnalysis", "JiansuoPath",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
