import Foundation
import JiansuoClient
import JiansuoProtocol

/// The HTML of each page, rendered on the server. Every string that comes from the daemon or
/// the request is escaped (``HTML/text(_:)``) or percent-encoded into links (``URLQuery``).
enum Pages {
    /// Facet values listed before "more".
    static let facetValuesShown = 8

    static func head(_ title: String, _ language: Language, into html: inout HTML) {
        html.raw("<!DOCTYPE html>\n<html lang=\"\(language.tag)\"><head><meta charset=\"utf-8\">")
        html.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        html.raw("<title>")
        html.text(title)
        html.raw("</title><link rel=\"stylesheet\" href=\"/static/app.css?v=\(Assets.version)\"><script src=\"/static/app.js?v=\(Assets.version)\" defer></script></head>")
    }

    /// The page header: name, search form (on every page), status corner.
    static func header(form: SearchForm?, status: Result<StatusResult, ClientError>, language: Language, into html: inout HTML) {
        let form = form ?? SearchForm([:])
        html.raw("<body><header class=\"top\"><a class=\"brand\" href=\"/\(form.lang.isEmpty ? "" : "?lang=" + form.lang)\">\(language(Text.appName))</a>")
        html.raw("<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">")
        html.raw("<input type=\"search\" name=\"q\" id=\"q\" accesskey=\"s\" autocomplete=\"off\" value=\"")
        html.text(form.q)
        html.raw("\" placeholder=\"")
        html.text(language(Text.searchPlaceholder))
        html.raw("\" aria-label=\"\(language(Text.search))\">")
        for (key, value) in form.parameters() where ["ext", "cat", "from", "to", "lang"].contains(key) {
            html.raw("<input type=\"hidden\" name=\"\(key)\" value=\"")
            html.text(value)
            html.raw("\">")
        }
        html.raw("<label class=\"sort\">\(language(Text.sort)) <select name=\"sort\" id=\"sort\">")
        for (order, label) in [(HitOrder.relevance, Text.byRelevance), (.date, Text.byDate), (.path, Text.byPath)] {
            html.raw("<option value=\"\(order.rawValue)\"\(order == form.sort ? " selected" : "")>\(language(label))</option>")
        }
        html.raw("</select></label><button type=\"submit\">\(language(Text.search))</button></form>")
        let other = language == .zh ? "en" : "zh"
        html.raw("<a class=\"lang\" href=\"")
        html.text(form.link(["lang": other, "page": form.page > 1 ? String(form.page) : ""]))
        html.raw("\">\(language(Text.language))</a>")
        statusCorner(status, language, into: &html)
        html.raw("</header>")
    }

    static func statusCorner(_ status: Result<StatusResult, ClientError>, _ language: Language, into html: inout HTML) {
        html.raw("<aside class=\"status\" id=\"status\" aria-live=\"polite\">")
        switch status {
        case .success(let s):
            html.raw("<span class=\"state state-")
            html.text(s.state)
            html.raw("\" data-state=\"")
            html.text(s.state)
            html.raw("\">")
            html.text(Text.state(language, s.state))
            html.raw("</span> · <span class=\"count\">\(s.documents.formatted()) \(language(Text.documents))</span>")
            if let rebuild = s.rebuild {
                html.raw(" · \(language(Text.rebuilding)) \(rebuild.done)/\(rebuild.total)")
            } else if s.pending > 0 {
                html.raw(" · \(s.pending.formatted()) \(language(Text.pending))")
            }
            if s.errors > 0 { html.raw(" · <span class=\"errors\">\(s.errors.formatted()) \(language(Text.errors))</span>") }
        case .failure(let error):
            html.raw("<span class=\"state state-down\" title=\"")
            html.text(error.description)
            html.raw("\">\(language(Text.unreachable))</span>")
        }
        html.raw("</aside>")
    }

    static func footer(_ language: Language, into html: inout HTML) {
        html.raw("<footer><p class=\"keys\">\(HTML.escape(language(Text.keyboard)))</p></footer></body></html>\n")
    }

    // MARK: Search

    static func search(form: SearchForm, outcome: Result<SearchResult, ClientError>?, status: Result<StatusResult, ClientError>,
                       language: Language) -> [UInt8] {
        var html = HTML()
        head(form.q.isEmpty ? language(Text.appName) : "\(form.q) – \(language(Text.appName))", language, into: &html)
        header(form: form, status: status, language: language, into: &html)
        html.raw("<div class=\"layout\">")
        switch outcome {
        case nil:
            html.raw("<main id=\"results\"></main>")
        case .failure(let error):
            html.raw("<main id=\"results\"><p class=\"error\" role=\"alert\">")
            html.text(Self.describe(error))
            html.raw("</p></main>")
        case .success(let result):
            filters(form: form, facets: result.facets, language: language, into: &html)
            results(form: form, result: result, language: language, into: &html)
        }
        html.raw("</div>")
        footer(language, into: &html)
        return html.bytes
    }

    static func describe(_ error: ClientError) -> String {
        if case .server(let e) = error { return e.message }
        return error.description
    }

    static func filters(form: SearchForm, facets: SearchFacets?, language: Language, into html: inout HTML) {
        html.raw("<nav class=\"filters\" aria-label=\"filters\">")
        let active = [("ext", form.ext, Text.extensions), ("cat", form.category, Text.categories),
                      ("from", form.from, Text.from), ("to", form.to, Text.to)].filter { !$0.1.isEmpty }
        if !active.isEmpty {
            html.raw("<section><h2>\(language(Text.activeFilters))</h2><ul class=\"active\">")
            for (key, value, label) in active {
                html.raw("<li>\(language(label)): ")
                html.text(value)
                html.raw(" <a class=\"remove\" href=\"")
                html.text(form.link([key: "", "page": ""]))
                html.raw("\" title=\"\(language(Text.remove))\">×</a></li>")
            }
            html.raw("</ul></section>")
        }
        if let facets {
            facet(Text.extensions, "ext", facets.ext, selected: form.ext, form: form, language: language, into: &html)
            facet(Text.categories, "cat", facets.category, selected: form.category, form: form, language: language, into: &html)
            html.raw("<section class=\"facet\" id=\"facet-year\"><h2>\(language(Text.years))</h2><ul>")
            for value in facets.year {
                let selected = form.from == value.value && form.to == value.value
                html.raw("<li><a href=\"")
                html.text(form.link(["from": value.value, "to": value.value, "page": ""]))
                html.raw("\"\(selected ? " aria-current=\"true\"" : "")>")
                html.text(value.value)
                html.raw("</a> <span class=\"n\">\(value.count.formatted())</span></li>")
            }
            html.raw("</ul></section>")
        }
        // The date range, as a form of its own that keeps the rest of the search.
        html.raw("<section><h2>\(language(Text.dateRange))</h2><form class=\"dates\" method=\"get\" action=\"/\">")
        for (key, value) in form.parameters() where !["from", "to", "page"].contains(key) {
            html.raw("<input type=\"hidden\" name=\"\(key)\" value=\"")
            html.text(value)
            html.raw("\">")
        }
        html.raw("<label>\(language(Text.from)) <input type=\"date\" name=\"from\" value=\"")
        html.text(SearchForm.day(form.from) != nil && form.from.count == 10 ? form.from : "")
        html.raw("\"></label><label>\(language(Text.to)) <input type=\"date\" name=\"to\" value=\"")
        html.text(SearchForm.day(form.to) != nil && form.to.count == 10 ? form.to : "")
        html.raw("\"></label><button type=\"submit\">\(language(Text.apply))</button></form></section></nav>")
    }

    static func facet(_ title: Text, _ key: String, _ values: [FacetValue], selected: String, form: SearchForm, language: Language,
                      into html: inout HTML) {
        guard !values.isEmpty else { return }
        html.raw("<section class=\"facet\" id=\"facet-\(key)\"><h2>\(language(title))</h2><ul>")
        let shown = values.filter { !(key == "cat" && $0.value.contains("\"")) }
        for (k, value) in shown.enumerated() {
            // The most frequent values; the rest behind "more" (a <details>: no script needed).
            if k == facetValuesShown { html.raw("</ul><details><summary>\(language(Text.more)) (\(shown.count - k))</summary><ul>") }
            html.raw("<li><a href=\"")
            html.text(form.link([key: value.value, "page": ""]))
            html.raw("\"\(value.value == selected ? " aria-current=\"true\"" : "")>")
            html.text(value.value.isEmpty ? language(Text.noExtension) : value.value)
            html.raw("</a> <span class=\"n\">\(value.count.formatted())</span></li>")
        }
        html.raw(shown.count > facetValuesShown ? "</ul></details></section>" : "</ul></section>")
    }

    static func results(form: SearchForm, result: SearchResult, language: Language, into html: inout HTML) {
        html.raw("<main id=\"results\">")
        for hint in result.hints {
            html.raw("<p class=\"hint\">\(language(Text.hints)): ")
            html.text(hint)
            html.raw("</p>")
        }
        guard !result.hits.isEmpty else {
            html.raw("<p class=\"none\">\(language(Text.noHits))</p></main>")
            return
        }
        let first = form.offset + 1
        html.raw("<p class=\"summary\" id=\"summary\" data-total=\"\(result.total)\">")
        html.text(Text.results(language, from: first, to: form.offset + result.hits.count, total: result.total))
        html.raw("</p><ol class=\"hits\" start=\"\(first)\">")
        let back = form.link()
        for hit in result.hits {
            let doc = "/doc?" + URLQuery.make([("path", hit.path), ("q", form.q), ("back", back), ("lang", form.lang)])
            html.raw("<li class=\"hit\"><h3><a class=\"title\" href=\"")
            html.text(doc)
            html.raw("\">")
            html.text(hit.title.isEmpty ? (hit.path.split(separator: "/").last.map(String.init) ?? hit.path) : hit.title)
            html.raw("</a></h3><p class=\"meta\"><span class=\"path\">")
            html.text(hit.path)
            html.raw("</span>")
            if let date = hit.date {
                html.raw(" · <time datetime=\"")
                html.text(date)
                html.raw("\">")
                html.text(date)
                html.raw("</time>")
            }
            html.raw("</p><p class=\"snippet\">")
            html.marked(hit.snippet, hit.highlights)
            html.raw("</p></li>")
        }
        html.raw("</ol><nav class=\"pager\">")
        if form.page > 1 {
            html.raw("<a rel=\"prev\" id=\"prev\" href=\"")
            html.text(form.link(["page": form.page == 2 ? "" : String(form.page - 1)]))
            html.raw("\">← \(language(Text.previous))</a>")
        }
        if form.offset + result.hits.count < result.total && form.offset + SearchForm.pageSize <= SearchParams.maxOffset {
            html.raw("<a rel=\"next\" id=\"next\" href=\"")
            html.text(form.link(["page": String(form.page + 1)]))
            html.raw("\">\(language(Text.next)) →</a>")
        }
        html.raw("</nav></main>")
    }

    // MARK: Document

    /// `openForm`: the form token of the "open with the default application" form, nil for no
    /// such form (no desktop).
    static func document(_ outcome: Result<ShowResult, ClientError>, query: String?, back: String?, openForm: String?, opened: Bool,
                         status: Result<StatusResult, ClientError>, language: Language) -> [UInt8] {
        var html = HTML()
        var form = SearchForm([:])
        form.q = query ?? ""
        switch outcome {
        case .failure(let error):
            head(language(Text.appName), language, into: &html)
            header(form: form, status: status, language: language, into: &html)
            html.raw("<main class=\"document\"><p class=\"error\" role=\"alert\">")
            html.text(describe(error))
            html.raw("</p></main>")
        case .success(let doc):
            head("\(doc.title) – \(language(Text.appName))", language, into: &html)
            header(form: form, status: status, language: language, into: &html)
            html.raw("<main class=\"document\"><nav class=\"docnav\">")
            // Back to the results the document was opened from: a local link only.
            if let back, back.hasPrefix("/?") || back == "/" {
                html.raw("<a id=\"back\" href=\"")
                html.text(back)
                html.raw("\">← \(language(Text.back))</a>")
            }
            let marks = doc.highlights ?? []
            if query != nil {
                html.raw("<span class=\"matches\" id=\"matches\" data-count=\"\(marks.count)\">")
                html.text(Text.matches(language, marks.count))
                html.raw("</span>")
                if !marks.isEmpty {
                    html.raw("<a id=\"first-match\" href=\"#m1\">\(language(Text.firstMatch))</a>")
                    html.raw("<span class=\"stepper\" hidden><button type=\"button\" id=\"prev-match\">↑ \(language(Text.previousMatch))</button>")
                    html.raw("<button type=\"button\" id=\"next-match\">↓ \(language(Text.nextMatch))</button></span>")
                }
            }
            if let openForm {
                html.raw("<form class=\"open\" method=\"post\" action=\"/open\"><input type=\"hidden\" name=\"form\" value=\"\(openForm)\">")
                html.raw("<input type=\"hidden\" name=\"path\" value=\"")
                html.text(doc.path)
                html.raw("\"><input type=\"hidden\" name=\"back\" value=\"")
                html.text(back ?? "")
                html.raw("\"><button type=\"submit\">\(language(Text.openFile))</button></form>")
            }
            html.raw("</nav>")
            if opened { html.raw("<p class=\"hint\" role=\"status\">\(language(Text.opened))</p>") }
            if doc.highlightsTruncated == true { html.raw("<p class=\"hint\">\(language(Text.truncated))</p>") }
            html.raw("<h1>")
            html.text(doc.title)
            html.raw("</h1><dl class=\"docmeta\">")
            func row(_ label: Text, _ value: String?) {
                guard let value, !value.isEmpty else { return }
                html.raw("<dt>\(language(label))</dt><dd>")
                html.text(value)
                html.raw("</dd>")
            }
            row(Text.path, doc.path)
            row(Text.date, doc.date)
            row(Text.author, doc.author)
            row(Text.categories, doc.categories.joined(separator: "、"))
            row(Text.tags, doc.tags.joined(separator: "、"))
            row(Text.format, "\(doc.format), \(doc.encoding)")
            row(Text.size, "\(doc.size.formatted()) B")
            html.raw("</dl><div class=\"body\" id=\"body\">")
            // Each match is a link to the next one (the last to the first): next match without
            // JavaScript; app.js adds previous/next buttons and the n/p keys.
            let count = marks.count
            html.marked(doc.body, marks, open: { k in "<a class=\"match\" id=\"m\(k + 1)\" href=\"#m\((k + 1) % count + 1)\"><mark>" },
                        close: { _ in "</mark></a>" })
            html.raw("</div></main>")
        }
        footer(language, into: &html)
        return html.bytes
    }

    // MARK: Messages

    static func message(_ text: Text, status: Result<StatusResult, ClientError>, language: Language) -> [UInt8] {
        var html = HTML()
        head(language(Text.appName), language, into: &html)
        header(form: nil, status: status, language: language, into: &html)
        html.raw("<main><p class=\"error\" role=\"alert\">\(HTML.escape(language(text)))</p></main>")
        footer(language, into: &html)
        return html.bytes
    }

    /// Without the token: a page that names no document and asks nothing of the daemon.
    static func forbidden(_ language: Language) -> WebResponse {
        var html = HTML()
        head(language(Text.appName), language, into: &html)
        html.raw("<body><main><h1>403</h1><p class=\"error\">\(HTML.escape(language(Text.forbidden)))</p></main></body></html>\n")
        return WebResponse(status: 403, contentType: "text/html; charset=utf-8", body: html.bytes)
    }

    static func notFound(_ language: Language) -> WebResponse {
        var html = HTML()
        head(language(Text.appName), language, into: &html)
        html.raw("<body><main><h1>404</h1><p class=\"error\">\(HTML.escape(language(Text.notFound)))</p></main></body></html>\n")
        return WebResponse(status: 404, contentType: "text/html; charset=utf-8", body: html.bytes)
    }
}
