/// The page's style sheet and script, served from memory (`/static/app.css`, `/static/app.js`):
/// nothing is read from the disk. The script only enhances: keys, previous/next match, sort on
/// change, and a status corner that refreshes while the daemon is busy.
enum Assets {
    /// FNV-1a of both files, hex: in their addresses, so a browser that keeps them (they are
    /// served with `max-age`) fetches them again when they change.
    static let version: String = {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in (css + javascript).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100000001b3
        }
        return String(hash, radix: 16)
    }()

    static let css = #"""
    :root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0b57d0; --mark: #ffe58f; --bg: #fff; --panel: #f6f8fa; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.6 "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; color: var(--fg); background: var(--bg); }
    a { color: var(--accent); text-decoration: none; }
    a:hover, a:focus { text-decoration: underline; }
    :focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
    header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1rem; padding: .75rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); position: sticky; top: 0; z-index: 2; }
    .brand { font-weight: 700; font-size: 1.2rem; color: var(--fg); }
    form.search { display: flex; flex: 1 1 32rem; gap: .5rem; align-items: center; }
    form.search input[type=search] { flex: 1; min-width: 10rem; padding: .45rem .7rem; font: inherit; border: 1px solid var(--line); border-radius: 6px; }
    button, select, input[type=date] { font: inherit; padding: .35rem .7rem; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
    button { cursor: pointer; }
    .sort { white-space: nowrap; color: var(--muted); }
    .lang { font-size: .9rem; }
    .status { margin-left: auto; font-size: .85rem; color: var(--muted); white-space: nowrap; }
    .state { font-weight: 600; }
    .state-idle { color: #1a7f37; } .state-indexing, .state-scanning, .state-merging, .state-rebuilding { color: #9a6700; }
    .state-damaged, .state-down, .errors { color: #cf222e; }
    .layout { display: grid; grid-template-columns: 15rem minmax(0, 1fr); gap: 2rem; padding: 1rem 1.25rem; max-width: 80rem; }
    .filters h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 1rem 0 .3rem; }
    .filters ul { list-style: none; margin: 0; padding: 0; }
    .filters li { display: flex; justify-content: space-between; gap: .5rem; }
    .filters .n { color: var(--muted); font-variant-numeric: tabular-nums; }
    .filters [aria-current] { font-weight: 700; }
    .filters details summary { cursor: pointer; color: var(--muted); font-size: .85rem; }
    form.dates { display: grid; gap: .4rem; }
    .summary, .hint { color: var(--muted); }
    .error { color: #cf222e; }
    ol.hits { list-style: none; margin: 0; padding: 0; }
    .hit { padding: .6rem 0 .8rem; border-bottom: 1px solid var(--line); }
    .hit h3 { margin: 0; font-size: 1.05rem; }
    .hit.current { background: #eef4ff; box-shadow: -.6rem 0 0 #eef4ff, .6rem 0 0 #eef4ff; }
    .meta { margin: .1rem 0; font-size: .82rem; color: var(--muted); word-break: break-all; }
    .snippet { margin: .2rem 0 0; }
    mark { background: var(--mark); color: inherit; border-radius: 2px; padding: 0 1px; }
    .pager { display: flex; gap: 1.5rem; padding: 1rem 0; }
    main.document { padding: 1rem 1.25rem; max-width: 60rem; }
    .docnav { display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; align-items: center; position: sticky; top: 3.6rem; background: var(--bg); padding: .4rem 0; z-index: 1; }
    .docnav form { margin: 0; }
    .stepper { display: inline-flex; gap: .4rem; }
    .stepper[hidden] { display: none; }
    .docmeta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; font-size: .85rem; color: var(--muted); }
    .docmeta dd { margin: 0; word-break: break-all; }
    .body { white-space: pre-wrap; line-height: 1.9; font-size: 1rem; border-top: 1px solid var(--line); padding-top: 1rem; }
    a.match { color: inherit; text-decoration: none; }
    a.match:target mark, a.match.current mark { background: #ff9f43; }
    footer { padding: 1rem 1.25rem 2rem; color: var(--muted); font-size: .8rem; }
    @media (max-width: 48rem) { .layout { grid-template-columns: 1fr; } .status { margin-left: 0; } }
    """#

    static let javascript = #"""
    "use strict";
    (function () {
      const q = document.getElementById("q");
      const sort = document.getElementById("sort");
      if (sort && sort.form) sort.addEventListener("change", () => sort.form.submit());
      const hits = Array.from(document.querySelectorAll("ol.hits a.title"));
      let current = -1;
      function focusHit(k) {
        if (!hits.length) return;
        current = Math.max(0, Math.min(hits.length - 1, k));
        document.querySelectorAll("li.hit.current").forEach((e) => e.classList.remove("current"));
        hits[current].closest("li").classList.add("current");
        hits[current].focus();
      }
      const marks = Array.from(document.querySelectorAll("a.match"));
      let match = -1;
      function goMatch(k) {
        if (!marks.length) return;
        match = (k + marks.length) % marks.length;
        document.querySelectorAll("a.match.current").forEach((e) => e.classList.remove("current"));
        const m = marks[match];
        m.classList.add("current");
        m.scrollIntoView({ block: "center" });
        m.focus({ preventScroll: true });
        history.replaceState(null, "", "#" + m.id);
      }
      if (marks.length) {
        const stepper = document.querySelector(".stepper");
        if (stepper) stepper.hidden = false;
        const next = document.getElementById("next-match");
        const prev = document.getElementById("prev-match");
        if (next) next.addEventListener("click", () => goMatch(match + 1));
        if (prev) prev.addEventListener("click", () => goMatch(match - 1));
        marks.forEach((m, k) => m.addEventListener("click", (e) => { e.preventDefault(); goMatch(k + 1); }));
        const start = marks.findIndex((m) => "#" + m.id === location.hash);
        if (start >= 0) match = start;
      }
      document.addEventListener("keydown", (e) => {
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
        if (typing) { if (e.key === "Escape") e.target.blur(); return; }
        const link = (id) => { const a = document.getElementById(id); if (a) location.href = a.href; };
        switch (e.key) {
          case "/": if (q) { e.preventDefault(); q.focus(); q.select(); } break;
          case "j": case "ArrowDown": if (hits.length) { e.preventDefault(); focusHit(current + 1); } break;
          case "k": case "ArrowUp": if (hits.length) { e.preventDefault(); focusHit(current - 1); } break;
          case "]": link("next"); break;
          case "[": link("prev"); break;
          case "n": goMatch(match + 1); break;
          case "p": goMatch(match - 1); break;
          case "u": link("back"); break;
        }
      });
      // The status corner: refreshed every 3 s while the daemon is not idle.
      const corner = document.getElementById("status");
      const state = corner && corner.querySelector("[data-state]");
      if (state && state.dataset.state !== "idle") {
        const timer = setInterval(async () => {
          try {
            const r = await fetch("/status.json", { credentials: "same-origin", cache: "no-store" });
            if (!r.ok) return;
            const s = await r.json();
            state.dataset.state = s.state;
            state.className = "state state-" + s.state;
            const count = corner.querySelector(".count");
            if (count) count.textContent = count.textContent.replace(/^[\d,]+/, s.documents.toLocaleString("en-US"));
            if (s.state === "idle") clearInterval(timer);
          } catch (_) { /* the next tick tries again */ }
        }, 3000);
      }
    })();
    """#
}
