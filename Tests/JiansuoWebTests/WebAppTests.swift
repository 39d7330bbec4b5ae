import JiansuoProtocol
@testable import JiansuoWeb
import Testing

/// The page's security and its parsing, without a daemon (requests that need one are answered
/// before it is asked, or say it is unreachable). The browser tests (Tests/Web) drive it all
/// against a real jiansuod.
@Suite struct WebAppTests {
    let app = WebApp(token: String(repeating: "ab", count: 32), port: 8123, socketPath: "/nonexistent/jiansuod.sock", opener: nil)
    var cookie: String { "jiansuo-8123=\(app.token)" }

    func get(_ target: String, host: String? = "127.0.0.1:8123", cookie: String? = nil, method: String = "GET",
             extra: [(String, String)] = []) -> WebResponse {
        var headers: [(String, String)] = extra
        if let host { headers.append(("Host", host)) }
        if let cookie { headers.append(("Cookie", cookie)) }
        return app.respond(WebRequest(method: method, target: target, headers: headers))
    }

    func header(_ r: WebResponse, _ name: String) -> String? { r.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    @Test func withoutTheTokenNothingIsServed() {
        for target in ["/", "/?q=x", "/doc?path=/etc/passwd", "/static/app.js", "/status.json", "/nothing"] {
            let r = get(target)
            #expect(r.status == 403, "\(target)")
            #expect(!String(decoding: r.body, as: UTF8.self).contains("passwd"))
        }
        #expect(get("/", cookie: "jiansuo-8123=" + String(repeating: "ab", count: 31) + "ac").status == 403)
        #expect(get("/", cookie: "jiansuo-9999=\(app.token)").status == 403)  // another port's cookie
        #expect(get("/?token=wrong").status == 403)
    }

    @Test func theTokenInTheURLBecomesACookie() {
        let r = get("/?token=\(app.token)&q=%E4%B8%93%E5%88%A9")
        #expect(r.status == 303)
        #expect(header(r, "Location") == "/?q=%E4%B8%93%E5%88%A9")  // the token leaves the address bar
        let cookie = header(r, "Set-Cookie") ?? ""
        #expect(cookie.hasPrefix("jiansuo-8123=\(app.token);") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(get("/static/app.css", cookie: self.cookie).status == 200)
    }

    @Test func aForeignHostIsRefused() {
        for host in ["evil.example:8123", "127.0.0.1:8124", "127.0.0.1", "attacker.localhost:8123", "localhost.evil:8123"] {
            #expect(get("/", host: host, cookie: cookie).status == 403, "\(host)")
            #expect(get("/?token=\(app.token)", host: host).status == 403, "\(host)")
        }
        #expect(get("/", host: nil, cookie: cookie).status == 403)
        for host in ["127.0.0.1:8123", "[::1]:8123", "localhost:8123", "LOCALHOST:8123"] {
            #expect(get("/static/app.css", host: host, cookie: cookie).status == 200, "\(host)")
        }
    }

    @Test func everyResponseCarriesTheSecurityHeaders() {
        let script = get("/static/app.js", cookie: cookie)
        #expect(header(script, "Cache-Control")?.hasPrefix("private, max-age=") == true)  // no document in it
        #expect(header(script, "Content-Security-Policy") != nil)
        #expect(get("/static/app.js").status == 403)
        for r in [get("/"), get("/", cookie: cookie), get("/x", cookie: cookie), get("/", host: "evil:1"),
                  get("/doc?path=/x", cookie: cookie)] {
            let csp = header(r, "Content-Security-Policy") ?? ""
            #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"))
            #expect(!csp.contains("unsafe"))
            #expect(header(r, "X-Content-Type-Options") == "nosniff")
            #expect(header(r, "Referrer-Policy") == "no-referrer")
            #expect(header(r, "Cache-Control") == "no-store")
        }
    }

    @Test func aFormFromAnotherOriginIsRefused() {
        let r = app.respond(WebRequest(method: "POST", target: "/open",
                                       headers: [("Host", "127.0.0.1:8123"), ("Cookie", cookie), ("Origin", "http://evil.example")],
                                       body: Array("path=%2Fetc%2Fpasswd".utf8)))
        #expect(r.status == 403)
        #expect(get("/", cookie: cookie, method: "DELETE").status == 405)
    }

    @Test func anUnreachableDaemonIsAPageNotACrash() {
        let r = get("/?q=%E4%B8%93%E5%88%A9", cookie: cookie)
        #expect(r.status == 200)
        let page = String(decoding: r.body, as: UTF8.self)
        #expect(page.contains("jiansuod is not running") || page.contains("无法连接"))
        #expect(page.contains("value=\"专利\""))
    }

    @Test func escapingCoversTextAndAttributes() {
        #expect(HTML.escape("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(HTML.escape("a\u{0}b\u{1B}c\n") == "a\u{FFFD}b\u{FFFD}c\n")
        var html = HTML()
        html.marked("<b>知识产权</b>", [[3, 9], [9, 15], [100, 200], [4, 5]])
        #expect(String(decoding: html.bytes, as: UTF8.self) == "&lt;b&gt;<mark>知识</mark><mark>产权</mark>&lt;/b&gt;")
        var split = HTML()
        split.marked("知识", [[1, 3], [3, 2]])  // inside a character; reversed
        #expect(String(decoding: split.bytes, as: UTF8.self) == "知识")
    }

    @Test func queryStringsRoundTrip() {
        let values = ["知识产权 质押", "a+b&c=d", "100%", "\"引号\" -排除", "/home/u/文档/旧\u{10FFC9}.txt"]
        for value in values {
            #expect(URLQuery.parse("q=" + URLQuery.encode(value))["q"] == value)
        }
        #expect(URLQuery.parse("q=a+b&q=second&x")["q"] == "a b")
        #expect(URLQuery.parse("q=%zz%4")["q"] == "%zz%4")
        #expect(URLQuery.parse("q=%FF")["q"] == "\u{FFFD}")
    }

    @Test func theLanguageFollowsTheBrowser() {
        #expect(Language.choose(parameter: nil, acceptLanguage: nil) == .zh)
        #expect(Language.choose(parameter: nil, acceptLanguage: "en-US,en;q=0.9") == .en)
        #expect(Language.choose(parameter: nil, acceptLanguage: "en-US;q=0.5,zh-CN;q=0.8") == .zh)
        #expect(Language.choose(parameter: nil, acceptLanguage: "fr-FR,en;q=0.3") == .en)
        #expect(Language.choose(parameter: nil, acceptLanguage: "de") == .zh)
        #expect(Language.choose(parameter: "en", acceptLanguage: "zh") == .en)
        #expect(Language.choose(parameter: "xx", acceptLanguage: "en") == .en)
    }

    @Test func filtersBecomeQuerySyntax() {
        let form = SearchForm(["q": "专利", "ext": "MD", "cat": "科技 新闻", "from": "2023-02", "to": "2023-12-31", "page": "3", "sort": "date"])
        #expect(form.daemonQuery == "专利 ext:md category:\"科技 新闻\" after:2023-02 before:2024-01-01")
        #expect(form.offset == 20 && form.sort == .date)
        #expect(SearchForm.dayAfter("2024-02-28") == "2024-02-29")
        #expect(SearchForm.dayAfter("2023-02-28") == "2023-03-01")
        #expect(SearchForm.dayAfter("2023") == "2024-01-01")
        #expect(SearchForm.dayAfter("2023-12") == "2024-01-01")
        // What does not fit is dropped, never passed into the query.
        let hostile = SearchForm(["ext": "md OR title:x", "cat": "a\" OR \"b", "from": "2023-13-01", "to": "1 OR 1", "page": "-5"])
        #expect(hostile.daemonQuery == nil)
        #expect(hostile.page == 1)
        #expect(Set(hostile.problems) == ["ext", "cat", "from", "to"])
        #expect(SearchForm(["page": "999999999"]).offset <= SearchParams.maxOffset)
    }
}
