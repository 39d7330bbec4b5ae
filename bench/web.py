#!/usr/bin/env python3
"""The search page (`jiansuo web`) on a real corpus: how long the page takes beyond the daemon.

Starts jiansuod on the corpus (`--size`, default medium) and `jiansuo web`, then for each of the
first `--queries` queries of make-queries: fetches the first result page over HTTP (with the
token's cookie), then the document view of its first hit (every match highlighted). The page's
`Server-Timing` header splits each request into the daemon's answers (search with facets and
status; show with highlights and status, over the socket) and rendering the HTML. Prints p50, p99
and max of each, and of the whole HTTP request as a client sees it. Finally a headless Chromium
(Debian's, through its chromedriver) opens one query and reports when the first page was
shown; `--screenshot PATH` saves it (the README's picture).

Target (issue 15): the first result page within 50 ms of the daemon's answer, i.e. render p99
≤ 50 ms.

Usage: bench/web [--size medium] [--queries 200] [--work DIR] [--bin DIR] [--reuse] [--screenshot PATH]
"""
import argparse
import html
import http.client
import os
import re
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recall import Daemon, ensure_corpus, read_queries, REPO  # noqa: E402


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


class Page:
    def __init__(self, binary, socket_path):
        self.process = subprocess.Popen([binary, "--socket", socket_path, "web", "--no-open"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.process.stdout.readline().strip()
        parsed = urllib.parse.urlparse(self.url)
        self.port = parsed.port
        self.cookie = f"jiansuo-{self.port}=" + urllib.parse.parse_qs(parsed.query)["token"][0]
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path):
        start = time.monotonic()
        self.connection.request("GET", path, headers={"Cookie": self.cookie, "Host": f"127.0.0.1:{self.port}"})
        response = self.connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        whole = (time.monotonic() - start) * 1000
        timing = dict(re.findall(r"(\w+);dur=([\d.]+)", response.getheader("Server-Timing") or ""))
        return response.status, body, whole, float(timing.get("daemon", "nan")), float(timing.get("render", "nan"))

    def stop(self):
        self.connection.close()
        self.process.terminate()
        self.process.wait(10)


def browser_view(url, query, screenshot, more_queries=()):
    os.environ["SE_AVOID_STATS"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--lang=zh-CN",
                     "--window-size=1280,820", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--disable-default-apps", "--disable-extensions"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    try:
        driver.get(url)
        box = driver.find_element(By.ID, "q")
        box.send_keys(query)
        start = time.monotonic()
        box.send_keys(Keys.ENTER)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.ID, "summary") or d.find_elements(By.CSS_SELECTOR, "p.none"))
        shown = (time.monotonic() - start) * 1000
        paint = driver.execute_script(
            "const n = performance.getEntriesByType('navigation')[0];"
            "return [n.responseStart - n.requestStart, n.domContentLoadedEventEnd - n.responseEnd];")
        hits = len(driver.find_elements(By.CSS_SELECTOR, "ol.hits li.hit"))
        marks = len(driver.find_elements(By.CSS_SELECTOR, "ol.hits mark"))
        summary = driver.find_element(By.ID, "summary").text if hits else "no hits"
        if screenshot:
            driver.save_screenshot(screenshot)
        # More queries, each a page load: the server's answer (request to first byte) and the
        # browser's own work (last byte to DOMContentLoaded, then to the load event).
        origin = url.split("/?")[0]
        loads = []
        for q in more_queries:
            driver.get(origin + "/?q=" + urllib.parse.quote(q))
            loads.append(driver.execute_script(
                "const n = performance.getEntriesByType('navigation')[0];"
                "return [n.responseStart - n.requestStart, n.domContentLoadedEventEnd - n.responseEnd, n.loadEventEnd - n.responseEnd];"))
        return shown, paint, hits, marks, summary, loads
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", default="/tmp/jiansuo-bench")
    parser.add_argument("--bin", default=os.path.join(REPO, ".build", "release"))
    parser.add_argument("--reuse", action="store_true", help="keep the index of an earlier bench/web run")
    parser.add_argument("--screenshot", help="save the browser's first result page here (PNG)")
    parser.add_argument("--browser-query", default="知识产权")
    parser.add_argument("--browser-queries", type=int, default=30, help="result pages loaded in the browser after the first")
    args = parser.parse_args()
    corpus, _, queries_path = ensure_corpus(args.work, args.size)
    queries = [q for q, *_ in read_queries(queries_path)][: args.queries]
    daemon = Daemon(os.path.join(args.bin, "jiansuod"), corpus, args.work, "hybrid", fresh=not args.reuse, name="web-" + args.size)
    files = sum(len(fs) for _, _, fs in os.walk(corpus))
    seconds, status = daemon.wait_indexed(files)
    print(f"corpus: {args.size}, {status['documents']} documents, indexed in {seconds:.1f} s", flush=True)
    page = Page(os.path.join(args.bin, "jiansuo"), daemon.socket)
    try:
        page.get("/?q=warm")
        results, documents = [], []
        for query in queries:
            code, body, whole, answer, render = page.get("/?q=" + urllib.parse.quote(query))
            assert code == 200, (query, code)
            results.append((whole, answer, render, len(body)))
            first = re.search(r'<a class="title" href="([^"]+)"', body)
            if first:
                code, body, whole, answer, render = page.get(html.unescape(first.group(1)))
                assert code == 200, (query, code)
                documents.append((whole, answer, render, len(body)))
        print(f"\n`jiansuo web` on {args.size}: {len(results)} result pages (10 hits, snippets, facets) and the document"
              f" view of each one's first hit ({len(documents)}), one client, release build\n")
        print("| page | requests | daemon p50 / p99 | render p50 / p99 / max | whole HTTP p50 / p99 | HTML p50 |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, rows in [("first result page", results), ("document view", documents)]:
            if not rows:
                continue
            w, a, r, b = zip(*rows)
            print(f"| {name} | {len(rows)} | {percentile(a, .5):.1f} / {percentile(a, .99):.1f} ms"
                  f" | {percentile(r, .5):.2f} / {percentile(r, .99):.2f} / {max(r):.2f} ms"
                  f" | {percentile(w, .5):.1f} / {percentile(w, .99):.1f} ms | {percentile(b, .5) / 1024:.0f} KiB |")
        render99 = percentile([r for _, _, r, _ in results], .99)
        print(f"\ntarget: first result page within 50 ms of the daemon's answer: render p99 {render99:.2f} ms"
              f" → {'met' if render99 <= 50 else 'NOT met'}")
        shown, (server, parse), hits, marks, summary, loads = browser_view(page.url, args.browser_query, args.screenshot,
                                                                          queries[:args.browser_queries])
        print(f"headless Chromium, query {args.browser_query} (the browser's first page: fonts and script loaded cold):"
              f" shown {shown:.0f} ms after Enter (request to first byte {server:.0f} ms, HTML to DOMContentLoaded"
              f" {parse:.0f} ms); {hits} hits, {marks} highlights; {summary}"
              + (f"; screenshot {args.screenshot}" if args.screenshot else ""))
        if loads:
            first_byte, dom, load = zip(*loads)
            print(f"headless Chromium, {len(loads)} more result pages: request to first byte p50 {percentile(first_byte, .5):.1f}"
                  f" / p99 {percentile(first_byte, .99):.1f} ms; last byte to DOMContentLoaded p50 {percentile(dom, .5):.1f}"
                  f" / p99 {percentile(dom, .99):.1f} ms; to the load event p50 {percentile(load, .5):.1f} ms")
    finally:
        page.stop()
        daemon.stop()


if __name__ == "__main__":
    main()
