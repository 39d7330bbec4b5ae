import Testing
@testable import JiansuoDaemon

/// Every number in the configuration is range-checked, from a file and from the environment.
@Suite struct ConfigRangeTests {
    @Test(arguments: DaemonConfig.ranges.keys.sorted())
    func everyIntegerKeyRefusesValuesOutsideItsRange(_ key: String) throws {
        let range = try #require(DaemonConfig.ranges[key])
        for value in [range.lowerBound - 1, range.upperBound + 1] {
            var config = DaemonConfig()
            #expect(throws: ConfigError.self) { try config.load(yaml: "\(key): \(value)", source: "test.yaml") }
        }
        for value in ["1.5", "ten", "99999999999999999999999", "[1]", "{a: 1}", "~"] {
            var config = DaemonConfig()
            #expect(throws: ConfigError.self, "\(key): \(value)") { try config.load(yaml: "\(key): \(value)", source: "test.yaml") }
        }
        var config = DaemonConfig()
        try config.load(yaml: "\(key): \(range.upperBound)", source: "test.yaml")
        try config.load(yaml: "\(key): \(range.lowerBound)", source: "test.yaml")
    }

    @Test func anEnvironmentValueCannotAddKeys() throws {
        var config = DaemonConfig()
        #expect(throws: ConfigError.self) {
            try config.load(environment: ["JIANSUOD_BATCH_SIZE": "5\nroots: [/etc]"])
        }
        try config.load(environment: ["JIANSUOD_SOCKET": "/tmp/a\"\nroots: [/etc]\n\u{1B}x"])
        #expect(config.roots.isEmpty)
        #expect(config.socketPath == "/tmp/a\"\nroots: [/etc]\n\u{1B}x")
    }

    @Test func deeplyNestedConfigIsRefusedNotFollowed() throws {
        var config = DaemonConfig()
        #expect(throws: ConfigError.self) {
            try config.load(yaml: "roots: " + String(repeating: "[", count: 100_000), source: "test.yaml")
        }
    }
}
