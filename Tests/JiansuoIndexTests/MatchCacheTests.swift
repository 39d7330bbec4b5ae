@testable import JiansuoIndex
import JiansuoAnalysis
import JiansuoExtract
import JiansuoQuery
import Foundation
import Testing
import GRDB

/// The cache of searches with many matches (``MatchCache``): a cached answer must be exactly
/// the answer FTS5 gives (hits, order, scores, total, facets) for every order and page, never
/// survive a write, and never serve a reader or a filter.
@Suite struct MatchCacheTests {
    let compiler = QueryCompiler(segmenter: try! Segmenter())

    /// A cache that keeps searches from 5 matches, 10 hits deep, pages up to 40.
    static func smallCache() -> MatchCache { MatchCache(minimumMatches: 5, depth: 10, maximumDepth: 40) }

    /// `n` documents: 的 in all (repeated a varying number of times, so scores differ), 中国 in
    /// every other, 经济 in every third, 稀有词 in one; dates and paths in varied orders.
    static func documents(_ n: Int, round: Int = 0) -> [IndexChange] {
        (0..<n).map { k in
            let body = String(repeating: "我们的", count: 1 + (k * 7 + round) % 11) + (k % 2 == 0 ? "中国" : "美国")
                + (k % 3 == 0 ? "经济发展" : "") + (k == 17 ? "稀有词" : "") + "。"
            let day = 1 + (k * 13) % 28
            return .upsert(path: "/r/\((k * 31) % n)-\(k).\(k % 4 == 0 ? "md" : "txt")",
                           state: FileState(size: Int64(k), mtimeNanoseconds: 1, inode: UInt64(k)),
                           document: Document(title: k % 10 == 0 ? "中国" : "第\(k)篇", body: body, format: .text, encoding: "UTF-8",
                                              metadata: Metadata(date: String(format: "20%02d-03-%02d", 10 + k % 9, day),
                                                                 categories: [k % 2 == 0 ? "甲" : "乙"])))
        }
    }

    func request(_ query: String, limit: Int = 10, offset: Int = 0, order: ResultOrder = .relevance, reader: Reader? = nil,
                 facets: Bool = false) -> SearchRequest {
        SearchRequest(query: query, compiled: compiler.compile(QueryParser.parse(query)), options: .default, limit: limit, offset: offset,
                      snippets: false, order: order, reader: reader, facets: facets)
    }

    @Test func cachedSearchesAnswerExactlyAsFTS5ForEveryOrderAndPage() throws {
        let cached = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let plain = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try cached.apply(Self.documents(60))
        try plain.apply(Self.documents(60))
        for query in ["的", "中国", "经济", "我们 中国", "的 -经济", "中国 OR 经济"] {
            for order in [ResultOrder.relevance, .date, .path] {
                for (offset, limit) in [(0, 10), (5, 10), (0, 3), (30, 10), (0, 40), (35, 10), (50, 10), (0, 60)] {
                    let expected = try plain.search(request(query, limit: limit, offset: offset, order: order))
                    #expect(!expected.cached)
                    for _ in 0..<2 {
                        let got = try cached.search(request(query, limit: limit, offset: offset, order: order))
                        #expect(got.total == expected.total && got.hits == expected.hits, "\(query) \(order) \(offset)+\(limit)")
                    }
                }
            }
        }
        // The second of two identical searches is answered from the cache, up to the deepest page kept.
        _ = try cached.search(request("的"))
        #expect(try cached.search(request("的")).cached)
        #expect(try cached.search(request("的", offset: 30)).cached)
        #expect(try !cached.search(request("的", limit: 20, offset: 50)).cached)  // beyond maximumDepth: never kept
        #expect(try !cached.search(request("的", limit: 20, offset: 50)).cached)
        #expect(try !cached.search(request("稀有词")).cached && !cached.search(request("稀有词")).cached)  // 1 match: not kept
    }

    @Test func facetsAreCachedWithTheMatches() throws {
        let cached = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let plain = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try cached.apply(Self.documents(30))
        try plain.apply(Self.documents(30))
        let expected = try plain.search(request("中国", facets: true))
        _ = try cached.search(request("中国"))                  // kept without facets
        let first = try cached.search(request("中国", facets: true))
        #expect(!first.cached && first.facets == expected.facets)
        let second = try cached.search(request("中国", facets: true))
        #expect(second.cached && second.facets == expected.facets && second.hits == expected.hits)
        #expect(try cached.search(request("中国")).facets == nil)  // not asked: not given
    }

    @Test func everyWriteMakesTheCacheStale() throws {
        let index = try SearchIndex.inMemory(matchCache: Self.smallCache())
        try index.apply(Self.documents(20))
        _ = try index.search(request("中国"))
        #expect(try index.search(request("中国")).cached)
        let before = try index.search(request("中国")).total
        // A new matching document: counted, and no answer from before the write.
        try index.apply([.upsert(path: "/r/new.txt", state: FileState(size: 1, mtimeNanoseconds: 1, inode: 999),
                                 document: Document(title: "中国中国", body: "中国中国中国", format: .text, encoding: "UTF-8"))])
        let after = try index.search(request("中国", limit: 40))
        #expect(!after.cached && after.total == before + 1 && after.hits.contains { $0.path == "/r/new.txt" })
        // A deletion.
        try index.apply([.delete(path: "/r/new.txt")])
        let deleted = try index.search(request("中国", limit: 40))
        #expect(!deleted.cached && deleted.total == before && !deleted.hits.contains { $0.path == "/r/new.txt" })
        // A merge changes no answer, and it is a write too.
        #expect(try index.search(request("中国", limit: 40)).cached)
        try index.optimize()
        let merged = try index.search(request("中国", limit: 40))
        #expect(!merged.cached && merged.hits == deleted.hits && merged.total == deleted.total)
    }

    @Test func filtersAreNeverCachedNorReadersOfUnknownAccess() throws {
        let index = try SearchIndex.inMemory(matchCache: Self.smallCache())
        try index.apply(Self.documents(20))  // no access recorded: a reader's check stats each file
        let reader = Reader(uid: 0, gid: 0, groups: [])
        for query in ["中国 ext:md", "中国 after:2012", "中国 category:甲"] {
            _ = try index.search(request(query))
            #expect(try !index.search(request(query)).cached, "\(query)")
        }
        _ = try index.search(request("中国", reader: reader))
        #expect(try !index.search(request("中国", reader: reader)).cached)
        #expect(!index.isCached(request("中国", reader: reader)))
        #expect(index.matchCacheStatistics.entries == 0)
    }

    @Test func warmingCachesTheMostFrequentTerms() throws {
        let index = try SearchIndex.inMemory(matchCache: Self.smallCache())
        try index.apply(Self.documents(30))
        // Markers stripped (the word and the bigram of 中国 are one term), most documents first.
        let terms = try index.frequentTerms(minimumDocuments: 10, limit: 100)
        #expect(terms.first?.documents == 30 && terms.contains { $0.term == "的" && $0.documents == 30 })
        #expect(terms.filter { $0.term == "中国" }.count == 1)
        #expect(terms.first { $0.term == "中国" }?.documents == 15 + 0)  // 15 bodies; titles 中国 are among them
        #expect(!terms.contains { $0.term.unicodeScalars.first!.value < 0x20 })
        #expect(zip(terms, terms.dropFirst()).allSatisfy { $0.documents >= $1.documents })
        #expect(try index.frequentTerms(minimumDocuments: 10, limit: 2).count == 2)
        // Terms in at least a third of the documents: 的, 我们, 中国 … but not 经济 (10 of 30) or 稀有词.
        let searches = try index.warmMatchCache(fraction: 0.4)
        #expect(searches > 0)
        for query in ["的", "我们", "中国"] {
            #expect(index.isCached(request(query)), "\(query)")
            #expect(try index.search(request(query)).cached, "\(query)")
        }
        #expect(try !index.search(request("经济")).cached)
        // The same pass seeded the cost estimate's counts (tokens in at least min(threshold, 1,000)
        // documents: here 12), with the count fts_vocab gives.
        let seeded = index.documentFrequencies.lookup(["的", "\u{2}中国", "经"])
        #expect(seeded["的"] == 30 && seeded["\u{2}中国"] == 15 && seeded["经"] == nil)
        #expect(try index.warmMatchCache(shouldStop: { true }) == 0)
        // Fewer documents than the cache's minimum: nothing to warm.
        let tiny = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: 100))
        try tiny.apply(Self.documents(30))
        #expect(try tiny.warmMatchCache(fraction: 0.01) == 0)
    }

    /// With two terms or more, BM25's idf takes each term's document count: from the counts the
    /// warming pass read (a single-token phrase, at that generation), else counted by FTS5 over
    /// every row. Both must give the same scores, and the read counts must not be used once a
    /// write changed the index.
    @Test func countsReadWhileWarmingRankExactlyAsCountedOnes() throws {
        let warmed = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let plain = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try warmed.apply(Self.documents(60))
        try plain.apply(Self.documents(60))
        try warmed.warmMatchCache(fraction: 0.2)
        let queries = ["的 中国", "我们 经济", "中国 -经济", "中国 OR 美国", "的 稀有词", "我 们 的", "经济发展 中国", "的 2010",
                       "中国 篇", "国 的 们", "美国 (经济 OR 的)", "\"我们的\" 中国"]
        func check(_ query: String, expectCounts: Bool) throws {
            let a = try warmed.search(request(query, limit: 60))
            let b = try plain.search(request(query, limit: 60))
            #expect(a.total == b.total && a.hits == b.hits, "\(query)")
            let compiled = compiler.compile(QueryParser.parse(query))
            let given = warmed.phraseDocuments(request(query), match: compiled.match ?? "", generation: warmed.sizes.generation)
            #expect(given.isEmpty != expectCounts, "\(query): \(given)")
        }
        for query in queries { try check(query, expectCounts: true) }
        // After a write the counts read before are stale: not given, and scores still equal.
        let more = Array(Self.documents(80).suffix(20))
        try warmed.apply(more)
        try plain.apply(more)
        for query in queries { try check(query, expectCounts: false) }
    }

    @Test func refreshingRunsAgainWhatUsersAskedFor() throws {
        let index = try SearchIndex.inMemory(matchCache: Self.smallCache())
        try index.apply(Self.documents(20))
        _ = try index.search(request("中国"))                    // kept, asked by a user
        _ = try index.search(request("中国", order: .date))
        try index.warmMatchCache(fraction: 0.9)                 // 的 and 我们: kept, not asked
        try index.apply(Self.documents(25, round: 1))           // a write: all stale
        #expect(!index.isCached(request("中国")))
        #expect(try index.refreshMatchCache() == 2)
        let fresh = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try fresh.apply(Self.documents(20))
        try fresh.apply(Self.documents(25, round: 1))
        for order in [ResultOrder.relevance, .date] {
            let got = try index.search(request("中国", order: order))
            let expected = try fresh.search(request("中国", order: order))
            #expect(got.cached && got.total == expected.total && got.hits == expected.hits)
        }
        #expect(!index.isCached(request("的")))
        #expect(try index.refreshMatchCache() == 2)  // the two were asked for again since
        #expect(try index.refreshMatchCache() == 0)
    }

    /// A reader is answered from the unfiltered outcome through the access classes it may
    /// read, decided at each search: the same totals and pages as a search that checks every
    /// match, for owners, group members and strangers, private and group directories, after a
    /// directory's mode changes (no write to the index), and never from counts that an ACL or
    /// an unknown access would make wrong. Needs root (chown).
    @Test(.enabled(if: getuid() == 0))
    func readersAreAnsweredFromAccessClassesExactly() throws {
        var template = Array("/tmp/jmc-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw POSIXError(.EIO) }
        let base = String(cString: template)
        defer { try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o755)
        let a: UInt32 = 63_001, b: UInt32 = 63_002, c: UInt32 = 63_003, g: UInt32 = 63_100
        // Directories: public, private to a, group g only, and one below a search-only directory.
        let dirs: [(String, UInt32, UInt32, mode_t)] = [("pub", a, a, 0o755), ("priv", a, a, 0o700), ("grp", a, g, 0o750),
                                                         ("x", a, a, 0o711), ("x/in", b, b, 0o755)]
        for (name, owner, group, mode) in dirs {
            try FileManager.default.createDirectory(atPath: base + "/" + name, withIntermediateDirectories: true)
            chown(base + "/" + name, owner, group)
            chmod(base + "/" + name, mode)
        }
        let accesses = [FileAccess(owner: a, group: a, mode: 0o644), FileAccess(owner: a, group: g, mode: 0o640),
                        FileAccess(owner: b, group: b, mode: 0o600), FileAccess(owner: b, group: g, mode: 0o604)]
        func changes(_ n: Int, acl: Bool = false) -> [IndexChange] {
            Self.documents(n).enumerated().map { k, change in
                guard case .upsert(let path, let state, let document, _, _, _) = change else { return change }
                var access = accesses[k % accesses.count]
                if acl && k == 7 { access.mode |= FileAccess.extendedACL }
                let dir = dirs[(k / 2) % dirs.count].0
                return .upsert(path: base + "/" + dir + path.dropFirst(2), state: state, document: document, access: access)
            }
        }
        let readers = [Reader(uid: a, gid: a, groups: []), Reader(uid: b, gid: b, groups: [g]), Reader(uid: c, gid: c, groups: [])]
        func compare(_ cached: SearchIndex, _ plain: SearchIndex, expectCached: Bool) throws {
            var answered = 0
            for reader in readers {
                for query in ["的", "中国", "我们 中国", "美国"] {
                    for order in [ResultOrder.relevance, .path] {
                        for (offset, limit) in [(0, 10), (10, 10), (0, 40)] {
                            let got = try cached.search(request(query, limit: limit, offset: offset, order: order, reader: reader))
                            let expected = try plain.search(request(query, limit: limit, offset: offset, order: order, reader: reader))
                            #expect(got.total == expected.total && got.hits == expected.hits, "uid \(reader.uid) \(query) \(order) \(offset)+\(limit)")
                            if got.cached { answered += 1 }
                        }
                    }
                }
            }
            #expect(expectCached ? answered > 0 : answered == 0)
        }
        let cached = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let plain = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try cached.apply(changes(60))
        try plain.apply(changes(60))
        try cached.warmMatchCache(fraction: 0.2)
        try compare(cached, plain, expectCached: true)
        // Some readers see fewer than all: the classes decide something.
        #expect(try cached.search(request("的", reader: readers[2])).total < cached.search(request("的")).total)
        // A directory opened and one closed, without a write to the index: decided live.
        chmod(base + "/priv", 0o755)
        chmod(base + "/x", 0o700)
        try compare(cached, plain, expectCached: true)
        // A reader's own search stores the classes too (after a write made the entries stale).
        try cached.apply([.delete(path: base + "/pub/0-0.md")])
        try plain.apply([.delete(path: base + "/pub/0-0.md")])
        try compare(cached, plain, expectCached: true)
        // With the access classes of this generation read (as the writer does at idle): readers'
        // searches decide by class, warming's count from the table; the same answers.
        try cached.apply([.delete(path: base + "/grp/4-4.md")])
        try plain.apply([.delete(path: base + "/grp/4-4.md")])
        try cached.cacheAccessClasses()
        #expect(cached.accessClasses.usable(at: cached.sizes.generation) != nil)
        try compare(cached, plain, expectCached: true)
        chmod(base + "/grp", 0o700)
        try compare(cached, plain, expectCached: true)
        try cached.warmMatchCache(fraction: 0.2)
        try compare(cached, plain, expectCached: true)
        // A match with an ACL: no class stands for it, so no reader is answered from the cache.
        let aclCached = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let aclPlain = try SearchIndex.inMemory(matchCache: MatchCache(minimumMatches: Int.max))
        try aclCached.apply(changes(60, acl: true))
        try aclPlain.apply(changes(60, acl: true))
        try aclCached.warmMatchCache(fraction: 0.2)
        for reader in readers {
            for query in ["的", "中国"] {  // the document with the ACL has 的, not 中国
                for _ in 0..<2 {
                    let got = try aclCached.search(request(query, limit: 40, reader: reader))
                    let expected = try aclPlain.search(request(query, limit: 40, reader: reader))
                    #expect(got.total == expected.total && got.hits == expected.hits)
                    #expect(query == "中国" || !got.cached)
                }
            }
        }
        #expect(try aclCached.search(request("的")).cached)  // unfiltered searches still are
    }

    /// The table of access classes (``DocumentAccessClasses``) holds each document's directory
    /// and access, as bytes (directories whose names are canonically equivalent are different
    /// classes), no class for an unknown access or an ACL, and is used only at the generation it
    /// was read at.
    @Test func theAccessClassTableHoldsEveryDocumentsClass() throws {
        let index = try SearchIndex.inMemory(matchCache: Self.smallCache())
        let plain = FileAccess(owner: 1, group: 2, mode: 0o644)
        var acl = plain
        acl.mode |= FileAccess.extendedACL
        // "é" composed and decomposed: equal as Swift strings, two directories on disk.
        let paths: [(String, FileAccess?)] = [("/r/a/1.txt", plain), ("/r/a/2.txt", plain), ("/r/b/3.txt", plain),
                                              ("/r/a/4.txt", FileAccess(owner: 1, group: 2, mode: 0o600)), ("/r/a/5.txt", acl),
                                              ("/r/a/6.txt", nil), ("/r/caf\u{E9}/7.txt", plain), ("/r/cafe\u{301}/8.txt", plain),
                                              ("/r/a/9.txt", plain)]
        try index.apply(paths.enumerated().map { k, entry in
            .upsert(path: entry.0, state: FileState(size: 1, mtimeNanoseconds: 1, inode: UInt64(k)),
                    document: Document(title: "t", body: "中国", format: .text, encoding: "UTF-8"), access: entry.1)
        })
        try index.cacheDocumentSizes()
        try index.cacheAccessClasses()
        let table = try #require(index.accessClasses.usable(at: index.sizes.generation))
        let rows = try index.writer.read { db in try Row.fetchAll(db, sql: "SELECT id, path FROM documents") }
        for row in rows {
            let path: String = row[1]
            let c = table.classOf(row[0])
            let access = paths.first { $0.0.utf8.elementsEqual(path.utf8) }!.1
            if let access, access.mode & FileAccess.extendedACL == 0 {
                #expect(c >= 0)
                #expect(table.classes[Int(c)].access == access)
                let bytes = Array(path.utf8)
                #expect(Array(table.classes[Int(c)].directory.utf8) == Array(bytes[..<bytes.lastIndex(of: UInt8(ascii: "/"))!]))
            } else {
                #expect(c == -1, "\(path)")
            }
        }
        var byBytes: [[UInt8]: Int32] = [:]
        for row in rows { byBytes[Array((row[1] as String).utf8)] = table.classOf(row[0]) }
        #expect(byBytes[Array("/r/a/1.txt".utf8)] == byBytes[Array("/r/a/2.txt".utf8)])
        #expect(byBytes[Array("/r/a/1.txt".utf8)] == byBytes[Array("/r/a/9.txt".utf8)])
        #expect(byBytes[Array("/r/a/1.txt".utf8)] != byBytes[Array("/r/b/3.txt".utf8)])
        #expect(byBytes[Array("/r/a/1.txt".utf8)] != byBytes[Array("/r/a/4.txt".utf8)])
        #expect(byBytes[Array("/r/caf\u{E9}/7.txt".utf8)] != byBytes[Array("/r/cafe\u{301}/8.txt".utf8)])
        #expect(table.classOf(-1) == -1 && table.classOf(1 << 40) == -1)
        // A write makes it stale; it is read again only when asked.
        try index.apply([.delete(path: "/r/a/1.txt")])
        #expect(index.accessClasses.usable(at: index.sizes.generation) == nil)
        try index.cacheAccessClasses()
        #expect(index.accessClasses.usable(at: index.sizes.generation) != nil)
        // Rowids far sparser than the documents: no table (searches join the rows instead).
        let sparse = try SearchIndex.inMemory(matchCache: Self.smallCache())
        try sparse.apply(Self.documents(3))
        try sparse.writer.write { db in try db.execute(sql: "UPDATE documents SET id = 10000000 WHERE id = (SELECT max(id) FROM documents)") }
        try sparse.cacheAccessClasses()
        #expect(sparse.accessClasses.usable(at: sparse.sizes.generation) == nil)
    }

    @Test func theCacheStaysWithinItsBounds() throws {
        let cache = MatchCache(minimumMatches: 2, depth: 3, maximumDepth: 5, capacity: 3, maximumBytes: 1000)  // 2 entries of 3 hits
        func key(_ k: Int) -> MatchCache.Key { MatchCache.Key(match: "t\(k)", rankLayout: "", titleKey: nil, order: .relevance) }
        func outcome(_ hits: Int) -> MatchCache.Outcome {
            MatchCache.Outcome(total: 100, hits: (0..<hits).map { RankedHit(id: Int64($0), exact: false, rank: 1, key: "") }, facets: nil)
        }
        #expect(cache.keep(wanted: 1) == 3 && cache.keep(wanted: 5) == 5 && cache.keep(wanted: 6) == nil)
        cache.store(key(1), generation: 2, outcome: outcome(3), demanded: true)
        cache.store(key(2), generation: 2, outcome: outcome(3), demanded: true)
        _ = cache.lookup(key(1), generation: 2, wanted: 3, facets: false)   // 1 is now more recent than 2
        cache.store(key(3), generation: 2, outcome: outcome(3), demanded: true)  // 3 × 400 bytes > 1000: the least recent (2) goes
        #expect(cache.contains(key(1), generation: 2, wanted: 3, facets: false))
        #expect(!cache.contains(key(2), generation: 2, wanted: 3, facets: false))
        #expect(cache.statistics.entries == 2)
        // Not kept: too few matches, deeper than the maximum, a write under way (odd: never stored).
        cache.store(key(4), generation: 2, outcome: MatchCache.Outcome(total: 1, hits: [], facets: nil), demanded: true)
        cache.store(key(5), generation: 2, outcome: outcome(6), demanded: true)
        cache.store(key(6), generation: -1, outcome: outcome(3), demanded: true)
        #expect(cache.statistics.entries == 2)
        // An entry answers only its generation, and only pages it holds.
        #expect(cache.lookup(key(1), generation: 4, wanted: 3, facets: false) == nil)
        #expect(cache.lookup(key(1), generation: 2, wanted: 4, facets: false) == nil)
        #expect(cache.lookup(key(1), generation: 2, wanted: 3, facets: true) == nil)
        #expect(cache.lookup(key(1), generation: 2, wanted: 2, facets: false)?.hits.count == 3)
        // A store of a new generation drops every older entry.
        cache.store(key(7), generation: 4, outcome: outcome(3), demanded: false)
        #expect(cache.statistics.entries == 1)
        // A search of an older snapshot that ends later neither stores nor pushes out the newer entries.
        cache.store(key(8), generation: 2, outcome: outcome(3), demanded: false)
        #expect(cache.statistics.entries == 1 && cache.contains(key(7), generation: 4, wanted: 3, facets: false))
        // Asked for by searches: 1, 2 and 3 (4, 5 and 6 were not kept; 7 was stored by warming).
        #expect(Set(cache.refreshable(limit: 10).map(\.match)) == ["t1", "t2", "t3"])
        #expect(cache.refreshable(limit: 10).isEmpty)
    }
}
