/// The page's language: Chinese, or English when the browser prefers it (`Accept-Language`)
/// or the user picks it (`lang=en`).
enum Language: String, Sendable {
    case zh, en

    /// `lang` (`zh`/`en`) when given, else the first of Chinese or English in `Accept-Language`
    /// by its q-value (RFC 9110 §12.5.4); Chinese when neither is listed.
    static func choose(parameter: String?, acceptLanguage: String?) -> Language {
        if let parameter, let chosen = Language(rawValue: parameter) { return chosen }
        var best: (Language, Double)?
        for item in (acceptLanguage ?? "").split(separator: ",").prefix(32) {
            let parts = item.split(separator: ";")
            let tag = parts.first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            var q = 1.0
            for p in parts.dropFirst() {
                let kv = p.trimmingCharacters(in: .whitespaces)
                if kv.hasPrefix("q="), let value = Double(kv.dropFirst(2)) { q = value }
            }
            let language: Language? = tag.hasPrefix("zh") ? .zh : tag.hasPrefix("en") ? .en : nil
            if let language, q > 0, q > (best?.1 ?? -1) { best = (language, q) }
        }
        return best?.0 ?? .zh
    }

    /// `<html lang>`.
    var tag: String { self == .zh ? "zh-CN" : "en" }

    func callAsFunction(_ key: Text) -> String { self == .zh ? key.zh : key.en }
}

/// Every string of the interface, in both languages.
struct Text: Sendable {
    let zh: String
    let en: String

    static let appName = Text(zh: "检索", en: "Jiansuo")
    static let search = Text(zh: "搜索", en: "Search")
    static let searchPlaceholder = Text(zh: "搜索文档：词语、\"短语\"、-排除、前缀*、title:、ext: …", en: "Search documents: words, \"phrases\", -exclude, prefix*, title:, ext: …")
    static let sort = Text(zh: "排序", en: "Sort")
    static let byRelevance = Text(zh: "相关度", en: "Relevance")
    static let byDate = Text(zh: "日期", en: "Date")
    static let byPath = Text(zh: "路径", en: "Path")
    static let extensions = Text(zh: "文件类型", en: "File type")
    static let categories = Text(zh: "分类", en: "Category")
    static let years = Text(zh: "年份", en: "Year")
    static let dateRange = Text(zh: "日期范围", en: "Date range")
    static let from = Text(zh: "从", en: "From")
    static let to = Text(zh: "至", en: "To")
    static let apply = Text(zh: "应用", en: "Apply")
    static let noExtension = Text(zh: "（无扩展名）", en: "(none)")
    static let more = Text(zh: "更多", en: "More")
    static let remove = Text(zh: "移除", en: "Remove")
    static let activeFilters = Text(zh: "当前筛选", en: "Filters")
    static let noHits = Text(zh: "没有找到匹配的文档。", en: "No documents match.")
    static let previous = Text(zh: "上一页", en: "Previous")
    static let next = Text(zh: "下一页", en: "Next")
    static let previousMatch = Text(zh: "上一处", en: "Previous match")
    static let nextMatch = Text(zh: "下一处", en: "Next match")
    static let firstMatch = Text(zh: "第一处匹配", en: "First match")
    static let back = Text(zh: "返回结果", en: "Back to results")
    static let openFile = Text(zh: "用默认程序打开", en: "Open with the default application")
    static let opened = Text(zh: "已请求桌面打开此文件。", en: "Asked the desktop to open this file.")
    static let path = Text(zh: "路径", en: "Path")
    static let date = Text(zh: "日期", en: "Date")
    static let author = Text(zh: "作者", en: "Author")
    static let tags = Text(zh: "标签", en: "Tags")
    static let format = Text(zh: "格式", en: "Format")
    static let encoding = Text(zh: "编码", en: "Encoding")
    static let size = Text(zh: "大小", en: "Size")
    static let daemon = Text(zh: "守护进程", en: "Daemon")
    static let documents = Text(zh: "文档", en: "documents")
    static let pending = Text(zh: "待处理", en: "pending")
    static let errors = Text(zh: "错误", en: "errors")
    static let rebuilding = Text(zh: "重建中", en: "rebuilding")
    static let unreachable = Text(zh: "无法连接守护进程", en: "daemon unreachable")
    static let hints = Text(zh: "提示", en: "Note")
    static let keyboard = Text(zh: "键盘：/ 搜索框，j/k 上下移动，Enter 打开，[ ] 翻页；文档中 n/p 下一处/上一处",
                               en: "Keys: / search box, j/k move, Enter open, [ ] pages; in a document n/p next/previous match")
    static let forbidden = Text(zh: "需要访问令牌：请打开 jiansuo web 打印的地址。",
                                en: "A token is needed: open the address that jiansuo web printed.")
    static let notFound = Text(zh: "找不到该页面。", en: "No such page.")
    static let documentNotFound = Text(zh: "该文档不在索引中，或你无权读取。", en: "This document is not in the index, or you may not read it.")
    static let truncated = Text(zh: "匹配过多，只标出前 10,000 处。", en: "Too many matches: the first 10,000 are marked.")
    static let language = Text(zh: "English", en: "中文")

    static func results(_ language: Language, from: Int, to: Int, total: Int) -> String {
        language == .zh ? "第 \(from)–\(to) 条，共 \(total) 条" : "\(from)–\(to) of \(total)"
    }

    static func matches(_ language: Language, _ count: Int) -> String {
        language == .zh ? "\(count) 处匹配" : (count == 1 ? "1 match" : "\(count) matches")
    }

    static func state(_ language: Language, _ state: String) -> String {
        guard language == .zh else { return state }
        return ["idle": "空闲", "scanning": "扫描中", "indexing": "索引中", "merging": "合并中", "rebuilding": "重建中",
                "polling": "轮询中", "missing-root": "根目录缺失", "damaged": "索引损坏，重建中"][state] ?? state
    }
}
