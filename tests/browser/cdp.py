"""A small Chrome DevTools Protocol client over --remote-debugging-pipe (stdlib only).

Debian's chromium runs headless with the protocol on two pipes instead of a
TCP port: it reads commands from fd 3 and writes answers and events to fd 4,
each message one JSON object ended by a NUL byte. So no debugging port is
open anywhere, and nothing is downloaded: the browser is the Debian package.

Lifecycle: Browser(...) starts chromium and a reader thread; the reader
splits the pipe into messages, hands each answer to the command waiting for
its id and queues each event; open_page() makes a tab and attaches to it
(flat sessions: the page's commands carry its sessionId on the same pipe).
close() (or leaving the `with` block) asks the browser to close, then kills
it if it has not exited within a few seconds, and removes its profile.

Every wait has a deadline and raises CdpError saying what it waited for.

Certificates: webd's certificate is self-signed. Rather than ignoring every
certificate error, the browser trusts that one public key only
(--ignore-certificate-errors-spki-list, the base64 SHA-256 of the
certificate's SubjectPublicKeyInfo: spki_sha256()).
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import ssl
import tempfile
import threading
import time

COMMAND_TIMEOUT = 15.0


class CdpError(Exception):
    pass


# --- the certificate's public key ------------------------------------------------

def _der_element(data, offset):
    """(tag, start of content, end of content) of the DER element at offset."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    return tag, offset, offset + length


def spki_sha256(certificate_pem):
    """Base64 SHA-256 of the SubjectPublicKeyInfo of a PEM certificate (what
    --ignore-certificate-errors-spki-list wants)."""
    der = ssl.PEM_cert_to_DER_cert(certificate_pem)
    _, cert_start, _ = _der_element(der, 0)                # Certificate SEQUENCE
    _, tbs_start, tbs_end = _der_element(der, cert_start)  # TBSCertificate SEQUENCE
    offset = tbs_start
    fields = []
    while offset < tbs_end:
        tag, start, end = _der_element(der, offset)
        fields.append((tag, offset, end))
        offset = end
    # version [0] is optional; then serial, signature, issuer, validity, subject, SPKI.
    first = 1 if fields[0][0] == 0xA0 else 0
    _, spki_offset, spki_end = fields[first + 5]
    return base64.b64encode(hashlib.sha256(der[spki_offset:spki_end]).digest()).decode()


# --- the browser ----------------------------------------------------------------

def chromium_path():
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if os.access(path, os.X_OK):
            return path
    return None


class Browser:
    def __init__(self, trusted_spki=None, window=(1280, 900), log_path=None):
        path = chromium_path()
        if path is None:
            raise CdpError("chromium is not installed (scripts/install-deps installs it)")
        self._profile = tempfile.mkdtemp(prefix="lbha-browser-")
        argv = [
            path,
            "--headless=new",
            "--no-sandbox",  # the lab runs as root; the sandbox refuses root
            "--remote-debugging-pipe",
            "--user-data-dir=" + self._profile,
            "--window-size=%d,%d" % window,
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            # Nothing but the page under test: no update, sync, metrics or
            # safe-browsing traffic (the lab client has no route out anyway).
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-breakpad",
            "--no-pings",
            "--password-store=basic",
            "--disable-features=Translate,OptimizationHints,MediaRouter,"
            "PasswordLeakDetection,AutofillServerCommunication,HttpsUpgrades",
        ]
        if trusted_spki:
            argv.append("--ignore-certificate-errors-spki-list=" + trusted_spki)
        argv.append("about:blank")

        # fd 3: our commands to the browser; fd 4: its answers to us.
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        log_fd = os.open(log_path or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        pid = os.fork()
        if pid == 0:  # the child: only async-signal-safe steps until exec
            try:
                # Above 4 first, so that placing one cannot overwrite the other.
                high_r = os.dup(to_browser_r) if to_browser_r <= 4 else to_browser_r
                high_w = os.dup(from_browser_w) if from_browser_w <= 4 else from_browser_w
                while high_r <= 4:
                    high_r = os.dup(high_r)
                while high_w <= 4:
                    high_w = os.dup(high_w)
                os.dup2(high_r, 3)
                os.dup2(high_w, 4)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(log_fd, 1)
                os.dup2(log_fd, 2)
                os.closerange(5, 1024)
                os.execv(path, argv)
            finally:
                os._exit(127)
        os.close(to_browser_r)
        os.close(from_browser_w)
        os.close(log_fd)
        self._pid = pid
        self._out = to_browser_w
        self._in = from_browser_r
        self._next_id = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._answers = {}
        self._events = []  # every event, kept: a mark is an index
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        # The first answer proves the pipe works.
        try:
            self.version = self.send("Browser.getVersion")
        except CdpError:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self._in, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                message = json.loads(raw)
                with self._lock:
                    if "id" in message:
                        self._answers[message["id"]] = message
                    else:
                        self._events.append(message)
                    self._changed.notify_all()
        with self._lock:
            self._closed = True
            self._changed.notify_all()

    def send(self, method, params=None, session=None, timeout=COMMAND_TIMEOUT):
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._out, data):]
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self._answers:
                left = deadline - time.monotonic()
                if self._closed:
                    raise CdpError("chromium exited during " + method)
                if left <= 0:
                    raise CdpError("no answer to %s within %.0f s" % (method, timeout))
                self._changed.wait(left)
            answer = self._answers.pop(ident)
        if "error" in answer:
            raise CdpError("%s: %s" % (method, answer["error"].get("message", answer["error"])))
        return answer.get("result", {})

    def mark(self):
        """A position in the event stream: wait_event(after=mark) sees only later events."""
        with self._lock:
            return len(self._events)

    def wait_event(self, method, session=None, after=0, timeout=COMMAND_TIMEOUT):
        """The first event `method` (of `session`) at or after the mark `after`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for index, event in enumerate(self._events):
                    if index < after:
                        continue
                    if event.get("method") == method and (
                            session is None or event.get("sessionId") == session):
                        return event.get("params", {})
                left = deadline - time.monotonic()
                if self._closed:
                    raise CdpError("chromium exited while waiting for " + method)
                if left <= 0:
                    raise CdpError("no %s within %.0f s" % (method, timeout))
                self._changed.wait(left)

    def open_page(self):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        return page

    def close(self):
        if self._pid is None:
            return
        try:
            self.send("Browser.close", timeout=5)
        except CdpError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(self._pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.05)
        else:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        self._pid = None
        os.close(self._out)
        self._reader.join(5)
        os.close(self._in)
        shutil.rmtree(self._profile, ignore_errors=True)


class Page:
    """One tab: navigate, evaluate, click, fill, wait, screenshot."""

    def __init__(self, browser, session):
        self._browser = browser
        self._session = session

    def send(self, method, params=None, timeout=COMMAND_TIMEOUT):
        return self._browser.send(method, params, session=self._session, timeout=timeout)

    def evaluate(self, expression, timeout=COMMAND_TIMEOUT):
        """The value of a JS expression (awaited if it is a promise)."""
        result = self.send("Runtime.evaluate", {
            "expression": expression,
            "returnByValue": True,
            "awaitPromise": True,
        }, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError("JS %r: %s" % (expression[:80], text))
        return result.get("result", {}).get("value")

    def _loaded_after(self, action, timeout):
        """Runs action() and waits for the next load of the page it causes."""
        mark = self._browser.mark()
        action()
        self._browser.wait_event("Page.loadEventFired", session=self._session, after=mark,
                                 timeout=timeout)

    def navigate(self, url, timeout=COMMAND_TIMEOUT):
        def go():
            result = self.send("Page.navigate", {"url": url}, timeout=timeout)
            if result.get("errorText"):
                raise CdpError("navigate %s: %s" % (url, result["errorText"]))
        self._loaded_after(go, timeout)

    def url(self):
        return self.evaluate("location.href")

    def exists(self, selector):
        return self.evaluate("document.querySelector(%s) !== null" % json.dumps(selector))

    def text(self, selector):
        """The text of the first element matching selector, None when there is none."""
        return self.evaluate(
            "(e => e ? e.textContent : null)(document.querySelector(%s))" % json.dumps(selector))

    def count(self, selector):
        return self.evaluate("document.querySelectorAll(%s).length" % json.dumps(selector))

    def click(self, selector, wait_for_load=False, timeout=COMMAND_TIMEOUT):
        """A real mouse click in the middle of the first element matching selector."""
        self.click_js("document.querySelector(%s)" % json.dumps(selector), wait_for_load,
                      timeout, selector)

    def click_js(self, element, wait_for_load=False, timeout=COMMAND_TIMEOUT, what=None):
        """The same for the element a JS expression gives (scrolled into view first);
        with wait_for_load, returns once the page the click leads to has loaded."""
        box = self.evaluate("""(e => {
            if (!e) return null;
            e.scrollIntoView({block: 'center'});
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.height === 0) return null;
            return {x: r.left + r.width / 2, y: r.top + r.height / 2};
        })(%s)""" % element)
        if box is None:
            raise CdpError("nothing visible to click: " + (what or element))

        def press():
            for kind in ("mousePressed", "mouseReleased"):
                self.send("Input.dispatchMouseEvent", {
                    "type": kind, "x": box["x"], "y": box["y"], "button": "left",
                    "clickCount": 1})
        if wait_for_load:
            self._loaded_after(press, timeout)
        else:
            press()

    def fill(self, fields):
        """Types each value into the input named by its selector (replacing what is there)."""
        for selector, value in fields.items():
            found = self.evaluate("""(e => {
                if (!e) return false;
                e.focus();
                e.select && e.select();
                return true;
            })(document.querySelector(%s))""" % json.dumps(selector))
            if not found:
                raise CdpError("no input " + selector)
            self.send("Input.insertText", {"text": value})

    def wait_for(self, expression, what, timeout=10.0, interval=0.1):
        """Polls a JS expression until it is truthy in JS (a DOM node counts)."""
        deadline = time.monotonic() + timeout
        while not self.evaluate("!!(%s)" % expression):
            if time.monotonic() >= deadline:
                raise CdpError("not within %.0f s: %s" % (timeout, what))
            time.sleep(interval)

    def screenshot(self, path):
        """The whole page (beyond the window if it is longer) as a PNG file."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        data = self.send("Page.captureScreenshot", {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1},
        })["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))
        return path
