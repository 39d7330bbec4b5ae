#!/usr/bin/python3
"""`jiansuo web` in a real browser: Debian's headless Chromium driven over WebDriver (selenium,
with Debian's chromedriver named explicitly; no lookup, download or statistics), against a real
jiansuod on a small generated corpus. Also the page's security checks over plain HTTP.

Run by ./run-tests after `swift test`; alone:  python3 Tests/Web/test_web.py
Binaries: $JIANSUO_BIN (default .build/debug). Screenshots: $JIANSUO_WEB_OUTPUT (default
.build/web-test/). The permission test runs the page as `nobody` (setpriv) and needs root.
"""
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

# Selenium Manager must never look anything up (explicit driver path) nor send statistics.
os.environ["SE_AVOID_STATS"] = "true"
os.environ["SE_OFFLINE"] = "true"

from selenium import webdriver  # noqa: E402  (python3-selenium)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("JIANSUO_BIN", os.path.join(REPO, ".build", "debug"))
OUTPUT = os.environ.get("JIANSUO_WEB_OUTPUT", os.path.join(REPO, ".build", "web-test"))
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
NOBODY = 65534
CAN_SWITCH_USER = os.geteuid() == 0 and os.path.exists("/usr/bin/setpriv")

TERM = "知识产权"
SCRIPT_TITLE = "<script>window.pwned=1</script>"


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)


def make_corpus(root):
    """25 documents that mention TERM (txt, md, html; two categories; 2021–2023), one that
    does not, one titled with a script tag, and one only root may read."""
    for k in range(25):
        ext = ["txt", "md", "html"][k % 3]
        year = 2021 + k % 3
        category = ["科技", "法律"][k % 2]
        title = f"第{k + 1}号文件 质押融资"
        body = f"这是第{k + 1}份材料。企业以{TERM}质押融资，银行评估{TERM}的价值。\n\n其他段落：天气晴朗，适合散步。\n\n结尾再提一次{TERM}。"
        if ext == "html":
            text = f"<html><head><title>{title}</title><meta name=\"date\" content=\"{year}-03-0{1 + k % 9}\"></head><body><p>{body}</p></body></html>"
        else:
            text = f"---\ntitle: {title}\ndate: {year}-03-0{1 + k % 9}\ncategories: [{category}]\n---\n{body}\n"
        write(os.path.join(root, "文档", f"doc{k:02d}.{ext}"), text)
    write(os.path.join(root, "其他", "weather.txt"), "今天天气很好。\n")
    write(os.path.join(root, "其他", "evil.md"),
          f"---\ntitle: \"{SCRIPT_TITLE}\"\n---\n{TERM}的<script>window.pwned=2</script>测试。<img src=x onerror=\"window.pwned=3\">\n")
    write(os.path.join(root, "私人", "secret.txt"), f"机密：{TERM}私人笔记。\n", mode=0o600)


class Daemon:
    def __init__(self, base):
        self.base = base
        self.docs = os.path.join(base, "docs")
        self.socket = os.path.join(base, "jiansuod.sock")
        make_corpus(self.docs)
        config = os.path.join(base, "jiansuod.yaml")
        write(config, "socket_group: nogroup\n" if CAN_SWITCH_USER else "")
        self.log = open(os.path.join(base, "jiansuod.log"), "w")
        self.process = subprocess.Popen(
            [os.path.join(BIN, "jiansuod"), "--config", config, "--root", self.docs, "--index", os.path.join(base, "index"),
             "--socket", self.socket], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            status = subprocess.run([os.path.join(BIN, "jiansuo"), "--socket", self.socket, "status"],
                                    capture_output=True, text=True)
            if status.returncode == 0 and "state:     idle" in status.stdout and "documents: 28" in status.stdout:
                return
            time.sleep(0.2)
        raise RuntimeError("jiansuod did not index the corpus: " + status.stdout + status.stderr)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.log.close()


class Web:
    """`jiansuo web --no-open`, as root or as another user; reads the URL from its first line."""

    def __init__(self, socket, uid=None, env=None):
        command = [os.path.join(BIN, "jiansuo"), "--socket", socket, "web", "--no-open"]
        if uid is not None:
            command = ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", f"--groups={uid}", "--"] + command
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError("jiansuo web printed no URL: " + self.url + self.process.stderr.read())
        parsed = urllib.parse.urlparse(self.url)
        self.port = parsed.port
        self.token = urllib.parse.parse_qs(parsed.query)["token"][0]
        self.origin = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.process.terminate()
        self.process.wait(10)

    def request(self, path, host=None, cookie=True, address="127.0.0.1", method="GET", body=None, headers=None):
        connection = http.client.HTTPConnection(address, self.port, timeout=30)
        connection.putrequest(method, path, skip_host=True)
        connection.putheader("Host", host or f"127.0.0.1:{self.port}")
        if cookie:
            connection.putheader("Cookie", f"jiansuo-{self.port}={self.token}")
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Type", "application/x-www-form-urlencoded")
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body.encode() if body is not None else None)
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        connection.close()
        return response, data


def browser(javascript=True, language="zh-CN"):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--lang={language}",
                     "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                     "--metrics-recording-only", "--no-default-browser-check", "--disable-breakpad"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "intl.accept_languages": language,
        "profile.managed_default_content_settings.javascript": 1 if javascript else 2,
    })
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


class WebPageTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="jiansuo-web-")
        os.chmod(cls.base, 0o755)  # nobody must reach the socket
        cls.daemon = Daemon(cls.base)
        cls.web = Web(cls.daemon.socket)
        cls.driver = browser()
        os.makedirs(OUTPUT, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.web.stop()
        cls.daemon.stop()
        shutil.rmtree(cls.base, ignore_errors=True)

    def wait(self, condition, driver=None):
        return WebDriverWait(driver or self.driver, 15).until(condition)

    def search(self, driver, web, query):
        driver.get(web.url)  # the token: set as a cookie, then redirected to /
        self.assertNotIn("token=", driver.current_url)
        box = driver.find_element(By.CSS_SELECTOR, "form.search input[type=search][name=q]")
        box.clear()
        box.send_keys(query)
        box.send_keys(Keys.ENTER)
        self.wait(lambda d: d.find_elements(By.ID, "summary") or d.find_elements(By.CSS_SELECTOR, "p.none"), driver)

    def hits(self, driver=None):
        return (driver or self.driver).find_elements(By.CSS_SELECTOR, "ol.hits li.hit")

    def open_document(self, driver):
        """Opens the first hit among the 25 documents that mention TERM three times."""
        for hit in self.hits(driver):
            if "/文档/" in hit.find_element(By.CSS_SELECTOR, ".path").text:
                hit.find_element(By.CSS_SELECTOR, "a.title").click()
                return
        self.fail("no hit under 文档/ on this page")

    def test_search_highlight_page_filter_and_document(self):
        d = self.driver
        self.search(d, self.web, TERM)
        summary = d.find_element(By.ID, "summary")
        self.assertEqual(summary.get_attribute("data-total"), "27")  # 25 + evil.md + the private file (root sees it)
        self.assertIn("共 27 条", summary.text)
        hits = self.hits()
        self.assertEqual(len(hits), 10)
        for hit in hits:
            marks = hit.find_elements(By.CSS_SELECTOR, "p.snippet mark")
            self.assertTrue(marks, hit.text)
            for mark in marks:
                self.assertIn(mark.text, TERM)
            self.assertTrue(hit.find_element(By.CSS_SELECTOR, ".path").text.startswith(self.daemon.docs))
        d.save_screenshot(os.path.join(OUTPUT, "search.png"))
        first_page = [h.find_element(By.CSS_SELECTOR, ".path").text for h in hits]

        # Paging: the next page continues the list.
        d.find_element(By.ID, "next").click()
        self.wait(lambda d: "第 11–20 条" in d.find_element(By.ID, "summary").text)
        second_page = [h.find_element(By.CSS_SELECTOR, ".path").text for h in self.hits()]
        self.assertEqual(len(second_page), 10)
        self.assertFalse(set(first_page) & set(second_page))
        d.find_element(By.ID, "next").click()
        self.wait(lambda d: "第 21–27 条" in d.find_element(By.ID, "summary").text)
        self.assertFalse(d.find_elements(By.ID, "next"))
        d.find_element(By.ID, "prev").click()
        self.wait(lambda d: "第 11–20 条" in d.find_element(By.ID, "summary").text)

        # A filter from the facet counts: only .md, as many as the count said.
        md = d.find_element(By.XPATH, "//section[@id='facet-ext']//a[normalize-space()='md']")
        count = int(md.find_element(By.XPATH, "following-sibling::span").text)
        md.click()
        self.wait(lambda d: d.find_element(By.ID, "summary").get_attribute("data-total") == str(count))
        self.assertIn("第 1–", d.find_element(By.ID, "summary").text)  # a filter starts at page 1
        for hit in self.hits():
            self.assertTrue(hit.find_element(By.CSS_SELECTOR, ".path").text.endswith(".md"))
        # A year, then sorting by date: newest first, all in that year.
        d.find_element(By.XPATH, "//section[@id='facet-year']//a[normalize-space()='2022']").click()
        self.wait(lambda d: "from=2022" in d.current_url)
        dates = [t.get_attribute("datetime") for t in d.find_elements(By.CSS_SELECTOR, "ol.hits time")]
        self.assertTrue(dates and all(x.startswith("2022") for x in dates), dates)
        # Removing the filters brings every hit back.
        for _ in range(3):
            removes = d.find_elements(By.CSS_SELECTOR, "ul.active a.remove")
            if not removes:
                break
            removes[0].click()
            time.sleep(0.2)
        self.wait(lambda d: d.find_element(By.ID, "summary").get_attribute("data-total") == "27")

        # The document view: the whole text with every match marked; next/previous match.
        self.open_document(d)
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "main.document"))
        marks = d.find_elements(By.CSS_SELECTOR, "#body mark")
        self.assertEqual(d.find_element(By.ID, "matches").get_attribute("data-count"), str(len(marks)))
        self.assertGreaterEqual(len(marks), 3)
        for mark in marks:
            self.assertIn(mark.text, TERM)
        d.find_element(By.ID, "next-match").click()
        self.wait(lambda d: d.current_url.endswith("#m1"))
        d.find_element(By.ID, "next-match").click()
        self.wait(lambda d: d.current_url.endswith("#m2"))
        d.find_element(By.ID, "prev-match").click()
        self.wait(lambda d: d.current_url.endswith("#m1"))
        d.find_element(By.TAG_NAME, "body").send_keys("n")
        self.wait(lambda d: d.current_url.endswith("#m2"))
        d.save_screenshot(os.path.join(OUTPUT, "document.png"))
        d.find_element(By.ID, "back").click()
        self.wait(lambda d: d.find_elements(By.ID, "summary"))

    def test_keyboard_navigation(self):
        d = self.driver
        self.search(d, self.web, TERM)
        body = d.find_element(By.TAG_NAME, "body")
        body.send_keys("j")
        self.wait(lambda d: d.switch_to.active_element.get_attribute("class") == "title")
        first = d.switch_to.active_element.get_attribute("href")
        d.switch_to.active_element.send_keys("j")
        self.wait(lambda d: d.switch_to.active_element.get_attribute("href") != first)
        d.switch_to.active_element.send_keys("/")
        self.wait(lambda d: d.switch_to.active_element.get_attribute("id") == "q")
        d.switch_to.active_element.send_keys(Keys.ESCAPE)
        d.find_element(By.TAG_NAME, "body").send_keys("]")
        self.wait(lambda d: "page=2" in d.current_url)

    def test_a_script_title_is_text(self):
        d = self.driver
        self.search(d, self.web, "title:script")
        link = d.find_element(By.CSS_SELECTOR, "ol.hits a.title")
        self.assertEqual(link.text, SCRIPT_TITLE)
        link.click()
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "main.document h1"))
        self.assertEqual(d.find_element(By.CSS_SELECTOR, "main.document h1").text, SCRIPT_TITLE)
        self.assertIn("<script>window.pwned=2</script>", d.find_element(By.ID, "body").text)
        self.assertIsNone(d.execute_script("return window.pwned === undefined ? null : window.pwned"))
        self.assertIn(SCRIPT_TITLE, d.title)

    def test_the_daemon_state_is_shown(self):
        d = self.driver
        d.get(self.web.url)
        corner = d.find_element(By.ID, "status")
        self.assertEqual(corner.find_element(By.CSS_SELECTOR, "[data-state]").get_attribute("data-state"), "idle")
        self.assertIn("28", corner.text)

    def test_english_when_the_browser_asks(self):
        english = browser(language="en-US")
        try:
            self.search(english, self.web, TERM)
            self.assertEqual(english.find_element(By.CSS_SELECTOR, "form.search button").text, "Search")
            self.assertIn("of 27", english.find_element(By.ID, "summary").text)
            self.assertEqual(english.find_element(By.TAG_NAME, "html").get_attribute("lang"), "en")
        finally:
            english.quit()

    def test_without_javascript(self):
        plain = browser(javascript=False)
        try:
            self.search(plain, self.web, TERM)
            self.assertEqual(len(self.hits(plain)), 10)
            plain.find_element(By.ID, "next").click()
            self.wait(lambda d: "第 11–20 条" in d.find_element(By.ID, "summary").text, plain)
            # Sorting by the form's select and the button.
            select = plain.find_element(By.ID, "sort")
            select.find_element(By.CSS_SELECTOR, "option[value=path]").click()
            plain.find_element(By.CSS_SELECTOR, "form.search button").click()
            self.wait(lambda d: "sort=path" in d.current_url, plain)
            paths = [h.find_element(By.CSS_SELECTOR, ".path").text for h in self.hits(plain)]
            self.assertEqual(paths, sorted(paths))
            # The document: each match links to the next one.
            self.open_document(plain)
            self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#body a.match"), plain)
            plain.find_element(By.ID, "first-match").click()
            self.wait(lambda d: d.current_url.endswith("#m1"), plain)
            plain.find_element(By.ID, "m1").click()
            self.wait(lambda d: d.current_url.endswith("#m2"), plain)
            self.assertFalse(plain.find_element(By.ID, "next-match").is_displayed())  # script-only buttons stay hidden
        finally:
            plain.quit()

    def test_open_with_the_desktop(self):
        # A desktop: DISPLAY set and an xdg-open on PATH (this one records what it was asked).
        desktop = os.path.join(self.base, "desktop")
        os.makedirs(desktop, exist_ok=True)
        opened = os.path.join(desktop, "opened")
        write(os.path.join(desktop, "xdg-open"), f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{opened}'\n", mode=0o755)
        env = dict(os.environ, DISPLAY=":99", PATH=desktop + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        web = Web(self.daemon.socket, env=env)
        d = self.driver
        try:
            self.search(d, web, TERM)
            self.open_document(d)
            path = d.find_element(By.CSS_SELECTOR, "form.open input[name=path]").get_attribute("value")
            d.find_element(By.CSS_SELECTOR, "form.open button").click()
            self.wait(lambda d: "opened=1" in d.current_url)
            for _ in range(50):
                if os.path.exists(opened):
                    break
                time.sleep(0.1)
            with open(opened, encoding="utf-8") as f:
                self.assertEqual(f.read().splitlines(), [path])
            # Without a display there is no such button.
            self.search(d, self.web, TERM)
            self.open_document(d)
            self.assertFalse(d.find_elements(By.CSS_SELECTOR, "form.open"))
            # A path the daemon does not show is never opened; nor is anything without the form's token.
            response, _ = web.request("/open", method="POST", body="path=" + urllib.parse.quote(path))
            self.assertEqual(response.status, 403)
            _, page = web.request("/doc?path=" + urllib.parse.quote(path))
            form = re.search(r'name="form" value="([0-9a-f]+)"', page).group(1)
            response, _ = web.request("/open", method="POST", body=f"form={form}&path=" + urllib.parse.quote("/etc/passwd"))
            self.assertEqual(response.status, 404)
            with open(opened, encoding="utf-8") as f:
                self.assertEqual(len(f.read().splitlines()), 1)
        finally:
            web.stop()

    @unittest.skipUnless(CAN_SWITCH_USER, "needs root and setpriv to run the page as another user")
    def test_a_user_sees_only_what_they_may_read(self):
        web = Web(self.daemon.socket, uid=NOBODY)
        other = browser()
        try:
            self.search(other, web, TERM)
            total = other.find_element(By.ID, "summary").get_attribute("data-total")
            self.assertEqual(total, "26")  # the private file is left out
            counts = [int(n.text) for n in other.find_elements(By.CSS_SELECTOR, "#facet-ext .n")]
            self.assertEqual(sum(counts), 26)  # so are the facet counts
            self.search(other, web, "机密")
            self.assertTrue(other.find_elements(By.CSS_SELECTOR, "p.none"))
            secret = os.path.join(self.daemon.docs, "私人", "secret.txt")
            other.get(f"{web.origin}/doc?path={urllib.parse.quote(secret)}")
            self.assertIn("无权读取", other.find_element(By.TAG_NAME, "main").text)
            self.assertNotIn("私人笔记", other.page_source)
            # Root's page finds it.
            self.search(self.driver, self.web, "机密")
            self.assertEqual(len(self.hits()), 1)
        finally:
            other.quit()
            web.stop()


class WebSecurityTests(unittest.TestCase):
    """The checks a hostile page or local user would meet, over plain HTTP."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="jiansuo-websec-")
        os.chmod(cls.base, 0o755)
        cls.daemon = Daemon(cls.base)
        cls.web = Web(cls.daemon.socket)

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.daemon.stop()
        shutil.rmtree(cls.base, ignore_errors=True)

    def test_no_token_no_page(self):
        for path in ["/", "/?q=" + urllib.parse.quote(TERM), "/doc?path=" + urllib.parse.quote(self.daemon.docs + "/其他/evil.md"),
                     "/status.json", "/static/app.js"]:
            response, body = self.web.request(path, cookie=False)
            self.assertEqual(response.status, 403, path)
            self.assertNotIn(TERM, body.replace("…", ""))
        response, _ = self.web.request("/?token=" + "0" * 64, cookie=False)
        self.assertEqual(response.status, 403)
        response, _ = self.web.request("/", cookie=False, headers={"Cookie": f"jiansuo-{self.web.port}={'0' * 64}"})
        self.assertEqual(response.status, 403)

    def test_the_token_once_then_the_cookie(self):
        response, _ = self.web.request(f"/?token={self.web.token}&q=x", cookie=False)
        self.assertEqual(response.status, 303)
        self.assertEqual(response.getheader("Location"), "/?q=x")
        cookie = response.getheader("Set-Cookie")
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        response, body = self.web.request("/?q=" + urllib.parse.quote(TERM))
        self.assertEqual(response.status, 200)
        self.assertIn("<mark>", body)
        self.assertRegex(response.getheader("Server-Timing"), r"daemon;dur=[\d.]+, render;dur=[\d.]+")

    def test_a_foreign_host_is_refused(self):
        for host in ["evil.example", f"evil.example:{self.web.port}", f"127.0.0.1:{self.web.port + 1}", f"localhost.evil:{self.web.port}"]:
            response, body = self.web.request("/?q=" + urllib.parse.quote(TERM), host=host)
            self.assertEqual(response.status, 403, host)
            self.assertNotIn("<mark>", body)
        for host in [f"localhost:{self.web.port}", f"[::1]:{self.web.port}"]:
            response, _ = self.web.request("/", host=host)
            self.assertEqual(response.status, 200, host)

    def test_it_listens_on_loopback_only(self):
        response, _ = self.web.request("/", address="::1", host=f"[::1]:{self.web.port}")
        self.assertEqual(response.status, 200)
        listening = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True).stdout
        ours = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{self.web.port}")]
        self.assertTrue(ours)
        for address in ours:
            self.assertIn(address.rsplit(":", 1)[0], ["127.0.0.1", "[::1]"], ours)

    def test_strict_headers_on_every_response(self):
        for path, cookie in [("/", True), ("/nothing", True), ("/", False), ("/static/app.css", True)]:
            response, _ = self.web.request(path, cookie=cookie)
            csp = response.getheader("Content-Security-Policy")
            self.assertIn("default-src 'none'", csp)
            self.assertNotIn("unsafe", csp)
            self.assertEqual(response.getheader("X-Content-Type-Options"), "nosniff")
            self.assertEqual(response.getheader("Referrer-Policy"), "no-referrer")

    def test_a_script_title_is_escaped(self):
        response, body = self.web.request("/?q=" + urllib.parse.quote("title:script"))
        self.assertEqual(response.status, 200)
        self.assertNotIn("<script>window", body)
        self.assertIn("&lt;script&gt;window.pwned=1&lt;/script&gt;", body)
        response, body = self.web.request("/doc?path=" + urllib.parse.quote(self.daemon.docs + "/其他/evil.md") + "&q=" + urllib.parse.quote(TERM))
        self.assertEqual(response.status, 200)
        self.assertNotIn("<script>window", body)
        self.assertNotIn("<img", body)

    def test_no_file_but_through_the_daemon(self):
        for path in ["/etc/passwd", self.daemon.docs + "/../jiansuod.yaml", self.daemon.docs + "/其他/none.txt"]:
            response, body = self.web.request("/doc?path=" + urllib.parse.quote(path))
            self.assertEqual(response.status, 404, path)
            self.assertNotIn("root:", body)
        for path in ["/static/../../etc/passwd", "/../etc/passwd", "/static/app.css/.."]:
            response, body = self.web.request(path)
            self.assertIn(response.status, (400, 404), path)
            self.assertNotIn("root:", body)

    def test_a_form_from_another_origin_is_refused(self):
        response, _ = self.web.request("/open", method="POST", body="path=" + urllib.parse.quote(self.daemon.docs + "/其他/evil.md"),
                                       headers={"Origin": "http://evil.example"})
        self.assertEqual(response.status, 403)

    def test_slow_and_many_clients_do_not_stop_it(self):
        import socket
        stalled = []
        for _ in range(200):  # more than the 128 served at once; half a request each
            s = socket.create_connection(("127.0.0.1", self.web.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % self.web.port)
            stalled.append(s)
        for s in stalled[:150]:
            s.close()
        time.sleep(0.5)
        response, body = self.web.request("/?q=" + urllib.parse.quote(TERM))
        self.assertEqual(response.status, 200)
        self.assertIn("<mark>", body)
        huge = "/?q=" + "a" * 200000
        try:
            response, _ = self.web.request(huge)
            self.assertIn(response.status, (400, 413, 414, 431))
        except (ConnectionError, http.client.HTTPException):
            pass  # refused by closing: also fine
        for s in stalled[150:]:
            s.close()
        response, _ = self.web.request("/")
        self.assertEqual(response.status, 200)

    def test_hostile_parameters_get_a_page(self):
        for path in ["/?q=" + "%22" * 500, "/?q=" + "(" * 900, "/?page=-1&q=x", "/?page=99999999999999999999&q=x",
                     "/?from=2023-02-30&q=x", "/?ext=md%20OR%20title:x&q=x", "/?cat=%22%20OR%20&q=x", "/?q=%FF%FE",
                     "/doc?path=", "/doc?path=" + "a" * 5000]:
            response, body = self.web.request(path)
            self.assertIn(response.status, (200, 404), path)
        response, _ = self.web.request("/?" + "q=" + urllib.parse.quote("知" * 3000))
        self.assertIn(response.status, (200, 400, 431), "a long query")
        response, _ = self.web.request("/")
        self.assertEqual(response.status, 200)  # still serving


if __name__ == "__main__":
    unittest.main(verbosity=2)
