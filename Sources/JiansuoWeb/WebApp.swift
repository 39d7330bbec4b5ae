import Foundation
import JiansuoClient
import Synchronization
import JiansuoPath
import JiansuoProtocol

/// An HTTP request as the app sees it: method, target split into path and query, the headers it
/// reads (lower-case names), and the body (forms only).
public struct WebRequest: Sendable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]

    /// `target` is the request-target (`/doc?path=…`); header names are matched without case;
    /// a header given twice keeps its first value.
    public init(method: String, target: String, headers: [(String, String)], body: [UInt8] = []) {
        self.method = method
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init) ?? "/"
        query = parts.count > 1 ? URLQuery.parse(parts[1]) : [:]
        var map: [String: String] = [:]
        for (name, value) in headers where map[name.lowercased()] == nil { map[name.lowercased()] = value }
        self.headers = map
        self.body = body
    }
}

/// An HTTP response: status code, headers and body.
public struct WebResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    init(status: Int, contentType: String, body: [UInt8], headers: [(String, String)] = []) {
        self.status = status
        self.headers = [("Content-Type", contentType)] + headers
        self.body = body
    }

    static func redirect(_ location: String, headers: [(String, String)] = []) -> WebResponse {
        WebResponse(status: 303, contentType: "text/plain; charset=utf-8", body: Array("See \(location)\n".utf8),
                    headers: [("Location", location)] + headers)
    }

    static func plain(_ status: Int, _ message: String) -> WebResponse {
        WebResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array((message + "\n").utf8))
    }
}

/// The search page of `jiansuo web`: answers requests by asking jiansuod over its Unix socket,
/// as the user who runs it (the daemon filters results by that user's permissions), and renders
/// HTML on the server (the page works without JavaScript; `app.js` only adds keys and live
/// status).
///
/// Security (see docs/web.md): every request needs the token, from the URL of the first visit
/// (then a cookie, `HttpOnly; SameSite=Strict`) or the cookie; the `Host` header must name the
/// loopback address and port the server listens on (a DNS-rebinding page names its own host);
/// every response carries a strict Content-Security-Policy, `nosniff`, `no-referrer` and
/// `no-store`; every string from the daemon is escaped. Nothing is read from the disk but
/// through the daemon.
public final class WebApp: Sendable {
    /// The token: 32 random bytes, hex.
    public let token: String
    /// Another random value, in the pages' forms: a POST must carry it (a page of another site
    /// cannot read it).
    let formToken = WebApp.makeToken()
    /// The port the server listens on (for the Host check and the cookie's name).
    public let port: Int
    let client: Client
    /// Whether the page offers to open files with the desktop's default application.
    let opener: FileOpener?

    public init(token: String, port: Int, socketPath: String, opener: FileOpener?) {
        self.token = token
        self.port = port
        self.client = Client(socketPath: socketPath, timeoutSeconds: 30)
        self.opener = opener
    }

    /// A new random token (SystemRandomNumberGenerator: getrandom(2)).
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The address to open, with the token.
    public var url: String { "http://127.0.0.1:\(port)/?token=\(token)" }

    var cookieName: String { "jiansuo-\(port)" }

    /// The Host header values the server answers to.
    var allowedHosts: Set<String> { ["127.0.0.1:\(port)", "[::1]:\(port)", "localhost:\(port)"] }

    /// The headers every response carries.
    static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
    ]

    /// Answers one request. Never throws: failures are pages.
    public func respond(_ request: WebRequest) -> WebResponse {
        var response = route(request)
        response.headers += Self.securityHeaders
        // Pages hold documents: never stored. The style sheet and script (their address names
        // their content) are kept by the browser.
        if !response.headers.contains(where: { $0.0 == "Cache-Control" }) { response.headers.append(("Cache-Control", "no-store")) }
        if request.method == "HEAD" { response.body = [] }
        return response
    }

    private func route(_ request: WebRequest) -> WebResponse {
        // 1. The Host header: refuses DNS rebinding (a foreign name resolving to 127.0.0.1).
        guard let host = request.headers["host"], allowedHosts.contains(host.lowercased()) else {
            return .plain(403, "forbidden: the Host header must be 127.0.0.1:\(port), [::1]:\(port) or localhost:\(port)")
        }
        let language = Language.choose(parameter: request.query["lang"], acceptLanguage: request.headers["accept-language"])
        // 2. The token: in the URL once (then kept as a cookie), or the cookie.
        if let given = request.query["token"] {
            guard Self.same(given, token) else { return Pages.forbidden(language) }
            var rest = request.query
            rest["token"] = nil
            let location = request.path + (rest.isEmpty ? "" : "?" + URLQuery.make(rest.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
            return .redirect(location, headers: [("Set-Cookie", "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict")])
        }
        guard let cookie = Self.cookie(cookieName, in: request.headers["cookie"]), Self.same(cookie, token) else {
            return Pages.forbidden(language)
        }
        // 3. A form that changes something (opening a file) must come from this page: a foreign
        // Origin is refused (`null` is what a browser sends under `no-referrer`), and the form
        // must carry ``formToken``, which only this server's pages hold.
        if request.method == "POST", let origin = request.headers["origin"], origin != "null",
           !allowedHosts.contains(origin.lowercased().replacingOccurrences(of: "http://", with: "")) {
            return .plain(403, "forbidden: a form from another origin")
        }
        switch (request.method, request.path) {
        case ("GET", "/"), ("HEAD", "/"): return searchPage(request, language)
        case ("GET", "/doc"), ("HEAD", "/doc"): return documentPage(request, language)
        case ("GET", "/status.json"): return statusJSON()
        case ("GET", "/static/app.css"), ("HEAD", "/static/app.css"):
            return WebResponse(status: 200, contentType: "text/css; charset=utf-8", body: Array(Assets.css.utf8), headers: Self.cached)
        case ("GET", "/static/app.js"), ("HEAD", "/static/app.js"):
            return WebResponse(status: 200, contentType: "text/javascript; charset=utf-8", body: Array(Assets.javascript.utf8),
                               headers: Self.cached)
        case ("POST", "/open"): return open(request, language)
        case (_, "/"), (_, "/doc"), (_, "/open"), (_, "/status.json"), (_, "/static/app.css"), (_, "/static/app.js"):
            return .plain(405, "method not allowed")
        default: return Pages.notFound(language)
        }
    }

    static let cached = [("Cache-Control", "private, max-age=86400, immutable")]

    /// Compares in time independent of where the strings differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The value of cookie `name` in a `Cookie` header (RFC 6265 §4.2).
    static func cookie(_ name: String, in header: String?) -> String? {
        for pair in (header ?? "").split(separator: ";") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces) == name { return kv[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    // MARK: Pages

    /// The daemon's status, asked at most once a second (``statusLifetimeNanoseconds``): every
    /// page shows it, and a `status` costs the daemon about as much as a search.
    func status() -> Result<StatusResult, ClientError> {
        let now = DispatchTime.now().uptimeNanoseconds
        if let cached = recentStatus.withLock({ $0 }), now &- cached.at < Self.statusLifetimeNanoseconds {
            return .success(cached.status)
        }
        let result = Result { () throws(ClientError) in try client.send(.status, expecting: StatusResult.self) }
        if case .success(let status) = result { recentStatus.withLock { $0 = (now, status) } }
        return result
    }

    static let statusLifetimeNanoseconds: UInt64 = 1_000_000_000
    private let recentStatus = Mutex<(at: UInt64, status: StatusResult)?>(nil)

    private func searchPage(_ request: WebRequest, _ language: Language) -> WebResponse {
        let form = SearchForm(request.query)
        let started = DispatchTime.now().uptimeNanoseconds
        var outcome: Result<SearchResult, ClientError>?
        if let query = form.daemonQuery {
            outcome = Result { () throws(ClientError) in
                try client.send(.search(SearchParams(query: query, limit: SearchForm.pageSize, offset: form.offset, sort: form.sort,
                                                     facets: true)), expecting: SearchResult.self)
            }
        }
        let state = status()
        let answered = DispatchTime.now().uptimeNanoseconds
        let body = Pages.search(form: form, outcome: outcome, status: state, language: language)
        return WebResponse(status: 200, contentType: "text/html; charset=utf-8", body: body,
                           headers: [("Server-Timing", Self.timing(started, answered))])
    }

    private func documentPage(_ request: WebRequest, _ language: Language) -> WebResponse {
        guard let path = request.query["path"], !path.isEmpty else { return Pages.notFound(language) }
        let query = request.query["q"].flatMap { $0.isEmpty ? nil : String($0.prefix(SearchParams.maxQueryCharacters)) }
        let started = DispatchTime.now().uptimeNanoseconds
        let outcome = Result { () throws(ClientError) in
            try client.send(.show(ShowParams(path: path, query: query)), expecting: ShowResult.self)
        }
        let state = status()
        let answered = DispatchTime.now().uptimeNanoseconds
        if case .failure(.server(let error)) = outcome, error.code == .notFound {
            return WebResponse(status: 404, contentType: "text/html; charset=utf-8",
                               body: Pages.message(Text.documentNotFound, status: state, language: language))
        }
        let body = Pages.document(outcome, query: query, back: request.query["back"], openForm: opener == nil ? nil : formToken,
                                  opened: request.query["opened"] == "1", status: state, language: language)
        return WebResponse(status: 200, contentType: "text/html; charset=utf-8", body: body,
                           headers: [("Server-Timing", Self.timing(started, answered))])
    }

    /// `Server-Timing` (https://www.w3.org/TR/server-timing/): the daemon's answers and the
    /// rendering, in milliseconds (bench/web reads it).
    private static func timing(_ started: UInt64, _ answered: UInt64) -> String {
        let now = DispatchTime.now().uptimeNanoseconds
        func ms(_ ns: UInt64) -> String { String(format: "%.2f", Double(ns) / 1e6) }
        return "daemon;dur=\(ms(answered - started)), render;dur=\(ms(now - answered))"
    }

    private func statusJSON() -> WebResponse {
        let encoder = JSONEncoder()
        switch status() {
        case .success(let status):
            let summary = StatusSummary(status)
            return WebResponse(status: 200, contentType: "application/json", body: Array((try? encoder.encode(summary)) ?? Data()))
        case .failure(let error):
            return WebResponse(status: 502, contentType: "application/json",
                               body: Array((try? encoder.encode(["error": error.description])) ?? Data()))
        }
    }

    /// Opens a document the daemon shows this user with the desktop's default application.
    private func open(_ request: WebRequest, _ language: Language) -> WebResponse {
        let form = URLQuery.parse(String(decoding: request.body, as: UTF8.self))
        guard Self.same(form["form"] ?? "", formToken) else { return .plain(403, "forbidden: the form is not from this page") }
        guard let opener, let path = form["path"], !path.isEmpty else { return Pages.notFound(language) }
        // Only what the daemon shows this user: the same check as the document view.
        guard case .success(let document) = Result(catching: { () throws(ClientError) in
            try client.send(.show(ShowParams(path: path)), expecting: ShowResult.self)
        }) else {
            return WebResponse(status: 404, contentType: "text/html; charset=utf-8",
                               body: Pages.message(Text.documentNotFound, status: status(), language: language))
        }
        guard !RawPath.isEscaped(document.path) else {
            return .plain(422, "a file whose name is not UTF-8 cannot be opened from the page")
        }
        opener.open(document.path)
        return .redirect("/doc?" + URLQuery.make([("path", document.path), ("back", form["back"] ?? ""), ("opened", "1")]))
    }
}

/// What the status corner shows, for `app.js`'s refresh (`/status.json`).
struct StatusSummary: Codable {
    var state: String
    var documents: Int
    var pending: Int
    var errors: Int
    var rebuildDone: Int?
    var rebuildTotal: Int?

    init(_ status: StatusResult) {
        state = status.state
        documents = status.documents
        pending = status.pending
        errors = status.errors
        rebuildDone = status.rebuild?.done
        rebuildTotal = status.rebuild?.total
    }
}

/// Opens a file with the desktop's default application (`xdg-open`), without waiting for it.
public struct FileOpener: Sendable {
    /// The `xdg-open` executable.
    public let program: String

    /// `xdg-open` from `PATH` when a display is set (`DISPLAY` or `WAYLAND_DISPLAY`), else nil.
    public static func desktop(environment: [String: String] = ProcessInfo.processInfo.environment) -> FileOpener? {
        guard !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty else { return nil }
        for dir in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/xdg-open"
            if access(candidate, X_OK) == 0 { return FileOpener(program: candidate) }
        }
        return nil
    }

    public init(program: String) { self.program = program }

    /// Starts `program path`; Foundation's `Process` reaps it.
    func open(_ path: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = [path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }
}
