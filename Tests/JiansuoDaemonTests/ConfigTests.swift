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

    @Test func aMisspeltVariableIsRefusedWithTheNearestName() throws {
        for (name, near) in [("JIANSUOD_BATCHSIZE", "JIANSUOD_BATCH_SIZE"), ("JIANSUOD_ROOT", "JIANSUOD_ROOTS"),
                             ("JIANSUOD_LOGLEVEL", "JIANSUOD_LOG_LEVEL")] {
            var config = DaemonConfig()
            let error = #expect(throws: ConfigError.self) { try config.load(environment: [name: "1"]) }
            #expect(error?.description.contains("'\(name)'") == true && error?.description.contains("did you mean \(near)?") == true,
                    "\(String(describing: error))")
        }
        var config = DaemonConfig()
        let unrelated = #expect(throws: ConfigError.self) { try config.load(environment: ["JIANSUOD_XYZZY_PLUGH": "1"]) }
        #expect(unrelated?.description.contains("did you mean") == false)
        // Other programs' variables are none of the daemon's business.
        try config.load(environment: ["JIANSUO_SOCKET": "/tmp/s", "HOME": "/root"])
    }

    @Test func aBadEnvironmentValueNamesTheVariableAndNoLine() throws {
        var config = DaemonConfig()
        let error = #expect(throws: ConfigError.self) { try config.load(environment: ["JIANSUOD_DEBOUNCE_MS": "soon"]) }
        let text = error?.description ?? ""
        #expect(text.contains("JIANSUOD_DEBOUNCE_MS") && !text.contains("line"), "\(text)")
        // From a file, the line is given.
        let fromFile = #expect(throws: ConfigError.self) { try config.load(yaml: "log_level: info\ndebounce_ms: soon", source: "test.yaml") }
        #expect(fromFile?.description.contains("(line 2)") == true, "\(String(describing: fromFile))")
    }

    @Test func deeplyNestedConfigIsRefusedNotFollowed() throws {
        var config = DaemonConfig()
        #expect(throws: ConfigError.self) {
            try config.load(yaml: "roots: " + String(repeating: "[", count: 100_000), source: "test.yaml")
        }
    }
}
