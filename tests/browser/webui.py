#!/usr/bin/python3
"""lbha's WebUI driven in headless Chromium, one scenario per run.

    webui.py SCENARIO < settings.json

The settings (JSON on stdin, so passwords stay out of argv):

    base         https://192.0.2.11:9443  the node's WebUI
    certificate  path of its cert.pem     the one certificate the browser trusts
    user, password                        who logs in
    out          a directory              screenshots (<scenario>-<step>.png) and chromium.log
    ...                                   the scenario's own (see each below)

A scenario does what an operator does in the browser and checks what the page
shows, each wait with a deadline. It prints one JSON object on the last line
of stdout: what it saw, for the caller (tests/product/webui_browser_test.cpp)
to compare with lbctl on the nodes. It exits 0, or 1 with "FAIL: <why>" on
stderr when the page did not do what it should.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

LIVE_UPDATE = 10.0  # s: the overview polls every 2 s


class Failed(Exception):
    pass


def expect(condition, why):
    if not condition:
        raise Failed(why)


class Run:
    """One scenario's browser, page, settings and findings."""

    def __init__(self, name, settings, browser):
        self.name = name
        self.settings = settings
        self.browser = browser
        self.page = browser.open_page()
        self.found = {"scenario": name, "screenshots": []}

    def url(self, path):
        return self.settings["base"] + path

    def shot(self, step):
        path = os.path.join(self.settings["out"], "%s-%s.png" % (self.name, step))
        self.page.screenshot(path)
        self.found["screenshots"].append(path)
        return path

    def log_in(self, user=None, password=None):
        """Submits the log-in form; returns the error shown, or None when the overview opened."""
        page = self.page
        page.navigate(self.url("/lbadmin/"))
        expect(page.url().endswith("/lbadmin/login"),
               "without a session /lbadmin/ should open the log-in page, not " + page.url())
        page.fill({"input[name=user]": user or self.settings["user"],
                   "input[name=password]": password or self.settings["password"]})
        page.click("form.login button[type=submit]", wait_for_load=True)
        if page.url().endswith("/lbadmin/") and page.exists("#overview"):
            return None
        return page.text("p.error") or "(no error shown at %s)" % page.url()

    def log_in_ok(self):
        error = self.log_in()
        expect(error is None, "log-in as %s refused: %s" % (self.settings["user"], error))

    # --- the overview's markup (web/overview_page.cpp) -------------------------------

    def rows(self):
        """Every real-server row: label, state text and the row's classes."""
        return self.page.evaluate("""[...document.querySelectorAll('#overview tr.rip')].map(r => ({
            label: r.cells[1].textContent, ip: r.cells[2].textContent,
            state: r.cells[6].textContent, classes: r.className,
            buttons: [...r.querySelectorAll('button')].map(b => b.textContent)}))""")

    def services(self):
        return self.page.evaluate(
            "[...document.querySelectorAll('#overview tr.vip')].map(r => ({"
            "label: r.cells[1].textContent, classes: r.className}))")

    def roles(self):
        return self.page.evaluate(
            "[...document.querySelectorAll('#overview .ha .role')].map(e => e.textContent)")

    def row_selector_js(self, label):
        return ("[...document.querySelectorAll('#overview tr.rip')]"
                ".find(r => r.cells[1].textContent === %s)" % json.dumps(label))

    def post_from_page(self, path, fields):
        """A POST made by the page's own JS (same origin, the session's cookie), as a
        forged request would be: the status and the body of the answer."""
        return self.page.evaluate("""fetch(%s, {method: 'POST', credentials: 'same-origin',
                redirect: 'manual', body: new URLSearchParams(%s)})
            .then(async r => ({status: r.status, body: await r.text()}))""" % (
            json.dumps(path), json.dumps(fields)))

    def read_lbctl_output(self):
        """Waits for what lbctl answered (pre#lbctl-output) and reports its text and class."""
        self.page.wait_for("document.querySelector('pre#lbctl-output')", "pre#lbctl-output",
                           LIVE_UPDATE)
        self.found["output"] = self.page.text("pre#lbctl-output")
        self.found["output_class"] = self.page.evaluate(
            "document.querySelector('pre#lbctl-output').className")

    def previewed_diff(self):
        """The diff a Preview showed; fails when it showed an error instead."""
        expect(self.page.exists("pre#lbctl-output.ok"), "the preview showed no diff: " +
               (self.page.text("pre#lbctl-output") or "(nothing)"))
        return self.page.text("pre#lbctl-output")

    def listed(self, service):
        """The real servers the services page lists under `service`."""
        return self.page.evaluate(
            "[...document.querySelectorAll('section#vip-%s table.rips td:first-child')]"
            ".map(td => td.textContent)" % service)

    def page_csrf(self):
        return self.page.evaluate(
            "(e => e ? e.value : null)(document.querySelector('form.logout input[name=csrf]'))")


# --- scenarios -------------------------------------------------------------------------

def overview(run):
    """The admin logs in: both VIPs, every real server green, this node's role and the peer's."""
    run.log_in_ok()
    page = run.page
    wanted = run.settings["servers"]
    # Health checks may still be settling: the live update turns rows green.
    page.wait_for("""(() => {
        const rows = [...document.querySelectorAll('#overview tr.rip')];
        return rows.length === %d && rows.every(r => r.classList.contains('state-up'));
    })()""" % len(wanted), "%d real-server rows, all up (green)" % len(wanted), LIVE_UPDATE)
    # The live update (the page's script, allowed by the content policy) keeps them so.
    page.wait_for("(document.getElementById('updated').textContent || '').startsWith('Last update')",
                  "a live update of the overview", LIVE_UPDATE)
    expect(page.evaluate("[...document.querySelectorAll('#overview tr.rip')]"
                         ".every(r => r.classList.contains('state-up'))"),
           "a row is no longer green after the live update: " + json.dumps(run.rows()))
    run.found["services"] = run.services()
    run.found["rows"] = run.rows()
    run.found["roles"] = run.roles()
    run.found["user"] = page.text("header .user")
    run.found["colour"] = page.evaluate(
        "getComputedStyle(document.querySelector('#overview tr.rip')).backgroundColor")
    run.found["screenshot"] = run.shot("admin")


def drain(run):
    """The admin drains a real server with its Drain button; a POST without the
    CSRF token, from the same page, is refused."""
    run.log_in_ok()
    page = run.page
    server, service = run.settings["server"], run.settings["service"]
    row = run.row_selector_js(server)
    expect(page.evaluate("!!(%s)" % row), "no row for " + server)
    expect(page.evaluate("(%s).classList.contains('state-up')" % row),
           server + " should start up (green): " + json.dumps(run.rows()))

    forged = run.post_from_page("/lbadmin/real-server/state", {
        "vip": service, "rip": run.settings["untouched"], "state": "halt"})
    run.found["forged"] = forged

    page.click_js(row + ".querySelector('button[value=drain]')", wait_for_load=True)
    expect(page.url().endswith("/lbadmin/"), "after Drain the overview, not " + page.url())
    run.found["notice"] = page.text("pre#lbctl-output.ok")
    run.found["after_click"] = page.evaluate("(%s).className" % row)
    # The live update: the script replaces the table (and stamps #updated) every 2 s.
    page.wait_for("(document.getElementById('updated').textContent || '').startsWith('Last update')",
                  "a live update of the overview", LIVE_UPDATE)
    page.wait_for("(%s).classList.contains('state-drain')" % row,
                  server + " shown drained after the live update", LIVE_UPDATE)
    run.found["rows"] = run.rows()
    run.found["screenshot"] = run.shot("drained")


def read_only(run):
    """A member of lbha only: no change buttons; a POST (without the token, and
    even with the session's own) is refused."""
    run.log_in_ok()
    page = run.page
    run.found["user"] = page.text("header .user")
    run.found["rows"] = run.rows()
    run.found["buttons"] = page.count("#overview button")
    run.found["state_forms"] = page.count("form[action='/lbadmin/real-server/state']")
    fields = {"vip": run.settings["service"], "rip": run.settings["server"], "state": "halt"}
    run.found["forged"] = run.post_from_page("/lbadmin/real-server/state", fields)
    token = run.page_csrf()
    expect(token, "the log-out form should carry the session's CSRF token")
    run.found["with_token"] = run.post_from_page("/lbadmin/real-server/state",
                                                 dict(fields, csrf=token))
    page.navigate(run.url("/lbadmin/"))
    run.found["rows_after"] = run.rows()
    run.found["screenshot"] = run.shot("overview")


def login_refused(run):
    """A wrong password is refused; after `failures` of them even the right one
    waits (the rate limit)."""
    errors = []
    for attempt in range(int(run.settings["failures"])):
        error = run.log_in(password=run.settings["password"] + "-wrong")
        expect(error is not None, "a wrong password logged in")
        errors.append(error)
        if attempt == 0:
            run.found["screenshot_error"] = run.shot("wrong-password")
    run.found["errors"] = errors
    run.found["after_limit"] = run.log_in()
    run.found["screenshot_limited"] = run.shot("rate-limited")
    run.page.navigate(run.url("/lbadmin/"))
    run.found["url_after"] = run.page.url()


def logout(run):
    """Log out ends the session: the overview asks for a log-in again."""
    run.log_in_ok()
    page = run.page
    page.click("form.logout button[type=submit]", wait_for_load=True)
    run.found["url_after_logout"] = page.url()
    run.found["screenshot"] = run.shot("logged-out")
    page.navigate(run.url("/lbadmin/"))
    run.found["url_after"] = page.url()
    run.found["api_after"] = page.evaluate(
        "fetch('/lbadmin/api/overview', {credentials: 'same-origin'}).then(r => r.status)")


def add_rip_bad_weight(run):
    """Adding a real server with a bad weight: the page shows lbctl's own error."""
    run.log_in_ok()
    page = run.page
    page.navigate(run.url("/lbadmin/services/rip/add?vip=" + run.settings["service"]))
    expect(page.exists("form#rip-form"), "no form#rip-form at /lbadmin/services/rip/add")
    run.shot("form")
    fields = {"input[name=%s]" % k: v for k, v in run.settings["fields"].items()}

    def submit(button):
        page.fill(fields)
        page.click(button, wait_for_load=True)
        return page.exists("pre#lbctl-output.failed")

    # A bad weight is refused by the preview (the diff) or, at the latest, by the commit.
    run.found["refused_at"] = "preview" if submit("#preview") else (
        "commit" if submit("#commit") else None)
    expect(run.found["refused_at"], "no pre#lbctl-output.failed after #preview nor #commit")
    run.found["output"] = page.text("pre#lbctl-output")
    run.found["screenshot"] = run.shot("refused")


def make_active(run):
    """Make Active on the passive node's HA page, confirmed."""
    run.log_in_ok()
    page = run.page
    page.navigate(run.url("/lbadmin/ha"))
    run.shot("ha")
    page.click("#make-active", wait_for_load=True)
    expect(page.exists("#confirm"), "no #confirm after #make-active at " + page.url())
    run.shot("confirm")
    page.click("#confirm", wait_for_load=True)
    run.read_lbctl_output()
    run.found["screenshot"] = run.shot("done")


def add_rip(run):
    """Adds a real server with the form: no Commit before a Preview, the Preview
    shows lbctl's diff, Commit commits it and the services page lists it."""
    run.log_in_ok()
    page = run.page
    service = run.settings["service"]
    page.navigate(run.url("/lbadmin/services/rip/add?vip=" + service))
    expect(page.exists("form#rip-form"), "no form#rip-form at /lbadmin/services/rip/add")
    run.found["commit_before_preview"] = page.exists("#commit")
    page.fill({"input[name=%s]" % k: v for k, v in run.settings["fields"].items()})
    page.click("#preview", wait_for_load=True)
    run.found["diff"] = run.previewed_diff()
    run.shot("preview")
    page.click("#commit", wait_for_load=True)
    expect(page.url().endswith("/lbadmin/services"),
           "the commit did not go back to the services page: " + page.url() + ": " +
           (page.text("pre#lbctl-output") or ""))
    run.found["committed"] = page.text("pre#lbctl-output.ok") or ""
    run.found["listed"] = run.listed(service)
    run.found["screenshot"] = run.shot("committed")


def delete_rip(run):
    """Deletes a real server with the form: Preview (the diff), then Delete and commit."""
    run.log_in_ok()
    page = run.page
    service, server = run.settings["service"], run.settings["server"]
    page.navigate(run.url("/lbadmin/services/rip/delete?vip=%s&rip=%s" % (service, server)))
    page.click("#preview", wait_for_load=True)
    run.found["diff"] = run.previewed_diff()
    page.click("#commit", wait_for_load=True)
    expect(page.url().endswith("/lbadmin/services"), "the delete did not commit: " + page.url())
    run.found["listed"] = run.listed(service)
    run.found["screenshot"] = run.shot("deleted")


def tour(run):
    """Every page of the top bar, each screenshotted: what each one shows."""
    run.log_in_ok()
    page = run.page
    checks = {
        "services": ("/lbadmin/services", "section#vip-IIS_VIP table.rips"),
        "ha": ("/lbadmin/ha", "pre.status.ok"),
        "config": ("/lbadmin/config", "pre#cluster-yaml.ok"),
        "history": ("/lbadmin/history", "pre#history.ok"),
        "logs": ("/lbadmin/logs?daemon=proxyd&priority=info&lines=20", "pre#logs"),
    }
    run.found["pages"] = {}
    for name, (path, selector) in checks.items():
        page.navigate(run.url(path))
        run.found["pages"][name] = {"title": page.text("main h1"), "shows": page.exists(selector),
                                    "text": (page.text(selector) or "")[:2000]}
        run.shot(name)


def pair(run):
    """Pairs an unpaired node with its peer from the HA page: the peer's
    address, its host key shown to confirm, then its SSH user's password."""
    run.log_in_ok()
    page = run.page
    page.navigate(run.url("/lbadmin/ha"))
    expect(page.exists("#pair-form"), "no #pair-form on an unpaired node's /lbadmin/ha")
    run.shot("unpaired")
    page.fill({"#pair-form input[name=peer]": run.settings["peer"]})
    page.click("#read-host-key", wait_for_load=True)
    run.found["shown"] = page.text("pre#lbctl-output")
    fingerprint = page.evaluate("(e => e ? e.value : null)"
                                "(document.querySelector('#pair-confirm input[name=fingerprint]'))")
    expect(fingerprint, "no host key to confirm: " + (run.found["shown"] or "(nothing)"))
    run.found["fingerprint"] = fingerprint
    run.shot("host-key")
    page.fill({"#pair-confirm input[name=password]": run.settings["peer_password"]})
    page.click("#confirm-pair", wait_for_load=True)
    run.read_lbctl_output()
    run.found["buttons_after"] = page.exists("#make-active")
    run.found["screenshot"] = run.shot("paired")


def untrusted_certificate(run):
    """The browser trusts the one certificate it was given, no other: `base` is
    another node's WebUI than `certificate`'s."""
    try:
        run.page.navigate(run.url("/lbadmin/login"))
        run.found["error"] = None
        run.found["url"] = run.page.url()
    except cdp.CdpError as e:
        run.found["error"] = str(e)


SCENARIOS = {
    "overview": overview,
    "drain": drain,
    "read-only": read_only,
    "login-refused": login_refused,
    "logout": logout,
    "add-rip-bad-weight": add_rip_bad_weight,
    "make-active": make_active,
    "add-rip": add_rip,
    "delete-rip": delete_rip,
    "tour": tour,
    "pair": pair,
    "untrusted-certificate": untrusted_certificate,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print("usage: webui.py {%s} < settings.json" % "|".join(SCENARIOS), file=sys.stderr)
        return 2
    name = sys.argv[1]
    settings = json.load(sys.stdin)
    os.makedirs(settings["out"], exist_ok=True)
    with open(settings["certificate"]) as f:
        spki = cdp.spki_sha256(f.read())
    started = time.monotonic()
    run = None
    try:
        with cdp.Browser(trusted_spki=spki,
                         log_path=os.path.join(settings["out"], "chromium.log")) as browser:
            run = Run(name, settings, browser)
            try:
                SCENARIOS[name](run)
            except (Failed, cdp.CdpError) as e:
                run.found["failed"] = str(e)
                try:
                    run.found["failure_screenshot"] = run.shot("failure")
                except cdp.CdpError:
                    pass
    except cdp.CdpError as e:
        print("FAIL: chromium: %s" % e, file=sys.stderr)
        return 1
    run.found["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(run.found))
    if "failed" in run.found:
        print("FAIL: %s: %s" % (name, run.found["failed"]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
