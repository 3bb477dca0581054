#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The web console in a real browser (Debian's chromium + chromium-driver +
python3-selenium) against a running `complyd run` with a demo state.

Run by tests/integration/console_browser_test.cpp:
  console_browser.py --base http://127.0.0.1:PORT --dir DEMO_DIR --complyd BIN --out ARTIFACT_DIR
Exits 0 when every check passed; prints what failed otherwise."""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ap = argparse.ArgumentParser()
ap.add_argument("--base", required=True)
ap.add_argument("--dir", required=True)
ap.add_argument("--complyd", required=True)
ap.add_argument("--out", required=True)
args = ap.parse_args()
BASE = args.base.rstrip("/")
CONFIG = os.path.join(args.dir, "complyd.toml")
os.makedirs(args.out, exist_ok=True)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def token(user):
    with open(os.path.join(args.dir, user + ".token")) as f:
        return f.readline().strip()


def cli(*a):
    r = subprocess.run([args.complyd, *a, "--config", CONFIG], capture_output=True, text=True, timeout=60)
    return r


def make_driver(tmp):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000",
                 "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps",
                 "--user-data-dir=" + os.path.join(tmp, "profile")):
        o.add_argument(flag)
    o.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


requests_seen = []


def drain_network(d):
    """Every request the page made, from Chrome's performance log (CDP Network events)."""
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requests_seen.append(msg["params"]["request"]["url"])


def shot(d, name, width=1280):
    d.set_window_size(width, 1000)
    height = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(width, min(max(height + 120, 600), 6000))
    d.save_screenshot(os.path.join(args.out, name + ".png"))
    d.set_window_size(1280, 1000)


def is_stale(element):
    """EC.staleness_of, plus chromedriver's other word for it: mid-navigation
    it can answer "Node with given id does not belong to the document"."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e) or "No node with given id" in str(e):
            return True
        raise


def navigates(d, act):
    """Runs `act` (a click or key that submits a form) and waits for the next
    page: reading right after the click could read the old one."""
    old = d.find_element(By.TAG_NAME, "html")
    act()
    WebDriverWait(d, 20).until(lambda _drv: is_stale(old))
    WebDriverWait(d, 20).until(lambda drv: drv.execute_script("return document.readyState") == "complete")


def login(d, user):
    d.get(BASE + "/")
    check(d.current_url.endswith("/login"), f"{user}: a page without a session redirects to /login")
    d.find_element(By.ID, "name").send_keys(user)
    d.find_element(By.ID, "secret").send_keys(token(user))
    navigates(d, d.find_element(By.ID, "sign-in").click)
    check(d.find_element(By.TAG_NAME, "h1").text == "Overview", f"{user}: signed in, the overview is shown")
    check(user in d.find_element(By.ID, "user").text, f"{user}: the header names the user")


def logout(d):
    navigates(d, d.find_element(By.CSS_SELECTOR, ".whoami button").click)
    check(d.current_url.endswith("/login"), "sign out returns to /login")


def accessibility(d, page):
    """Labels on form fields, headers on tables."""
    unlabelled = d.execute_script("""
      return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.id && document.querySelector('label[for="' + e.id + '"]')) && !e.getAttribute('aria-label'))
        .map(e => e.name || e.outerHTML.slice(0, 60));""")
    check(not unlabelled, f"{page}: every form field has a label {unlabelled}")
    headless = d.execute_script("""
      return [...document.querySelectorAll('table')].filter(t => !t.querySelector('thead th[scope=col]'))
        .map(t => t.id || '(table)');""")
    check(not headless, f"{page}: every table has column headers {headless}")
    check(d.execute_script("return document.documentElement.lang") == "en", f"{page}: the page declares its language")


def keyboard_reaches(d, page, required):
    """Tab from the top through the page: every link, button and field is reached, `required` among them."""
    d.find_element(By.TAG_NAME, "body").click()
    d.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    expected = d.execute_script("""
      return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')]
        .filter(e => e.getClientRects().length > 0).length;""")
    reached = set()
    body = d.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    for _ in range(expected + 10):
        key = d.execute_script("""
          const e = document.activeElement; if (!e || e === document.body) return null;
          const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')];
          return all.indexOf(e) + ':' + (e.id || '');""")
        if key:
            reached.add(key)
        d.switch_to.active_element.send_keys(Keys.TAB)
    ids = {k.split(":", 1)[1] for k in reached}
    check(len(reached) >= expected, f"{page}: Tab reaches all {expected} interactive elements (reached {len(reached)})")
    for r in required:
        check(r in ids, f"{page}: Tab reaches #{r}")


def history(d):
    """The finding page's history rows, as text."""
    return [tr.text for tr in d.find_elements(By.CSS_SELECTOR, "#history tbody tr")]


def shown(fid):
    """`complyd findings show FID --format json` beside the running daemon: its status and (event, actor) pairs."""
    r = cli("findings", "show", fid, "--format", "json")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    return doc.get("status"), [(e["event"], e["actor"]) for e in doc.get("history", [])]


def post_from_page(d, path, body):
    """A form POST sent by the page's own script (its cookies, its origin): the status code."""
    return d.execute_async_script("""
      const done = arguments[arguments.length - 1];
      fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
            body: arguments[1]}).then(r => done(r.status));""", path, body)


def raw(method, path, body=None, headers=None):
    u = urllib.parse.urlparse(BASE)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    return r.status, r.getheaders(), data


def main():
    listed = cli("findings", "list", "--format", "json", "--status", "open")
    check(listed.returncode == 0, "complyd findings list works beside the running daemon")
    findings = json.loads(listed.stdout)["findings"]
    with_customer = [f for f in findings if f["customer_id"]]
    check(len(with_customer) > 0, "the demo has findings of customers")
    sample = with_customer[0]
    check_id, customer = sample["check_id"], sample["customer_id"]
    want_check = sum(1 for f in findings if f["check_id"] == check_id)
    want_both = sum(1 for f in findings if f["check_id"] == check_id and f["customer_id"] == customer)

    tmp = tempfile.mkdtemp(prefix="console-browser-")
    d = make_driver(tmp)
    # What the browser loaded before the first page (its own new-tab page) is not the console's.
    d.get("about:blank")
    d.get_log("performance")
    try:
        # --- viewer ---------------------------------------------------------
        login(d, "demo-viewer")
        accessibility(d, "overview")
        # The overview's checklist follows the report's rule: the same status on every line.
        report = json.loads(cli("report", "--format", "json").stdout)
        want = [(c["item"], c["status"]) for c in report["checklist"]]
        got = d.execute_script("""
          return [...document.querySelectorAll('#checklist tbody tr')].map(tr =>
            [tr.cells[1].textContent.trim(), tr.cells[2].querySelector('span').className.replace('status-', '')]);""")
        check(len(want) >= 10 and [tuple(g) for g in got] == want,
              f"overview: every checklist line with the report's status ({len(got)} lines, {len(want)} in the report)")
        shot(d, "console-overview")

        d.get(BASE + "/findings")
        Select(d.find_element(By.ID, "f-check")).select_by_visible_text(check_id)
        navigates(d, d.find_element(By.ID, "apply").click)
        total = int(d.find_element(By.ID, "total").text)
        check(total == want_check, f"filter by check {check_id}: {total} shown, {want_check} expected")
        d.find_element(By.ID, "f-customer").send_keys(customer)
        navigates(d, d.find_element(By.ID, "apply").click)
        total = int(d.find_element(By.ID, "total").text)
        rows = d.find_elements(By.CSS_SELECTOR, "#findings tbody tr a.fid")
        check(total == want_both and len(rows) == want_both,
              f"filter by check and customer {customer}: {total} counted, {len(rows)} rows, {want_both} expected")
        accessibility(d, "findings")
        keyboard_reaches(d, "findings", ["f-check", "f-customer", "apply"])
        shot(d, "console-findings")
        shot(d, "console-findings-phone", width=390)


        fid = sample["id"]
        d.get(BASE + "/findings/" + fid)
        hist = history(d)
        check(any("opened" in h for h in hist), f"finding {fid}: the history shows it opened")
        check(not d.find_elements(By.ID, "mute"), "viewer: no mute button")
        check(d.find_elements(By.ID, "viewer-note"), "viewer: the page says why")
        accessibility(d, "finding (viewer)")
        # A forged POST with the viewer's own valid CSRF token: refused for the role.
        csrf = d.find_element(By.CSS_SELECTOR, ".whoami input[name=csrf]").get_attribute("value")
        status = post_from_page(d, "/findings/" + fid + "/mute", f"csrf={csrf}&reason=forged&until=2099-01-01")
        check(status == 403, f"viewer: a forged mute POST is refused with 403 (got {status})")

        d.get(BASE + "/customers/" + urllib.parse.quote(customer))
        check(d.find_element(By.TAG_NAME, "h1").text == "Customer " + customer, "customer page")
        check(len(d.find_elements(By.CSS_SELECTOR, "#customer-findings tbody tr")) >= 1, "customer: its open findings")
        check(len(d.find_elements(By.CSS_SELECTOR, "#credentials tbody tr")) >= 1, "customer: its credentials (metadata)")
        accessibility(d, "customer")
        shot(d, "console-customer")
        logout(d)

        # --- operator -------------------------------------------------------
        login(d, "demo-operator")
        d.get(BASE + "/findings/" + fid)
        # No CSRF token: refused, and nothing changes.
        status = post_from_page(d, "/findings/" + fid + "/mute", "reason=no+token&until=2099-01-01")
        check(status == 403, f"operator: a mute POST without the CSRF token is refused with 403 (got {status})")
        d.refresh()
        check(d.find_element(By.ID, "finding-status").text == "open", "the refused POST changed nothing")
        keyboard_reaches(d, "finding (operator)", ["mute-reason", "mute-until", "mute"])
        accessibility(d, "finding (operator)")
        # Mute with the keyboard only: reason, then Tab to the date (prefilled), Tab to the button, Enter.
        reason = d.find_element(By.ID, "mute-reason")
        reason.send_keys("accepted until the Q1 migration")
        reason.send_keys(Keys.TAB)
        check(d.switch_to.active_element.get_attribute("id") == "mute-until", "Tab from the reason reaches the date")
        for _i in range(4):  # the date field's parts (month, day, year) take a Tab each
            if d.switch_to.active_element.get_attribute("id") == "mute":
                break
            d.switch_to.active_element.send_keys(Keys.TAB)
        active = d.switch_to.active_element
        check(active.get_attribute("id") == "mute", "Tab from the date reaches the Mute button")
        navigates(d, lambda: active.send_keys(Keys.ENTER))
        check("Finding muted." in d.find_element(By.ID, "notice").text, "operator: the mute is confirmed")
        check(d.find_element(By.ID, "finding-status").text == "muted", "operator: the finding is muted")
        hist = history(d)
        check(any("muted" in h and "console:demo-operator" in h and "Q1 migration" in h for h in hist),
              "the history shows the mute, by console:demo-operator, with its reason")
        shot(d, "console-finding")

        status, events = shown(fid)
        check(status == "muted", f"complyd findings show: muted ({status})")
        check(("muted", "console:demo-operator") in events,
              f"complyd findings show: the mute event names console:demo-operator {events}")

        d.get(BASE + "/mutes")
        check(fid in d.find_element(By.ID, "mutes").text, "mutes page lists the mute")
        check("console:demo-operator" in d.find_element(By.ID, "mutes").text, "mutes page: who muted it")
        rules = d.find_element(By.ID, "mutelist").text if d.find_elements(By.ID, "mutelist") else ""
        check("vendor-freeze" in rules and "lead@partner.example.com" in rules, "mutes page lists the mutelist rule")
        check(not d.find_elements(By.ID, "no-mutelist"), "mutes page: the mutelist is configured")
        accessibility(d, "mutes")
        shot(d, "console-mutes")
        # Unmute from the finding's page: open again, and the history says who.
        d.get(BASE + "/findings/" + fid)
        check(not d.find_elements(By.ID, "mute"), "a muted finding offers no second mute")
        # The page asks first (console.js): dismissed, nothing changes; accepted, the unmute is sent.
        d.find_element(By.ID, "unmute").click()
        alert = WebDriverWait(d, 10).until(EC.alert_is_present())
        check(alert.text == "Unmute this finding now?", f"unmute asks for confirmation ({alert.text!r})")
        alert.dismiss()
        d.refresh()
        check(d.find_element(By.ID, "finding-status").text == "muted", "a dismissed unmute changed nothing")

        def unmute_and_accept():
            d.find_element(By.ID, "unmute").click()
            WebDriverWait(d, 10).until(EC.alert_is_present()).accept()
        navigates(d, unmute_and_accept)
        check("Finding unmuted." in d.find_element(By.ID, "notice").text, "operator: the unmute is confirmed")
        check(d.find_element(By.ID, "finding-status").text == "open", "operator: the finding is open again")
        hist = history(d)
        check(any("unmuted" in h and "console:demo-operator" in h for h in hist),
              "the history shows the unmute, by console:demo-operator")
        d.get(BASE + "/mutes")
        check(fid not in d.find_element(By.ID, "mutes").text, "mutes page: the unmuted finding is gone from it")

        # Acknowledge an incident: a reason is required (by the form and by the server).
        incident = next((f for f in findings if f["check_id"] == "leak-scan"), None)
        check(incident is not None, "the demo has an open incident (leak-scan)")
        state_fid = next((f["id"] for f in findings if f["check_id"] == "credential-age"), None)
        if state_fid:
            d.get(BASE + "/findings/" + state_fid)
            check(not d.find_elements(By.ID, "ack"), "a state finding (credential-age) offers no acknowledge")
        iid = incident["id"] if incident else "none"
        d.get(BASE + "/findings/" + iid)
        keyboard_reaches(d, "finding (incident)", ["mute-reason", "ack-reason", "ack"])
        csrf = d.find_element(By.CSS_SELECTOR, "#ack-form input[name=csrf]").get_attribute("value")
        status = post_from_page(d, "/findings/" + iid + "/ack", f"csrf={csrf}&reason=")
        check(status == 422, f"an acknowledgement without a reason is refused with 422 (got {status})")
        d.refresh()
        check(d.find_element(By.ID, "finding-status").text == "open", "the refused acknowledgement changed nothing")
        d.find_element(By.ID, "ack-reason").send_keys("token revoked, log line purged (INC-42)")
        navigates(d, d.find_element(By.ID, "ack").click)
        check("Finding acknowledged." in d.find_element(By.ID, "notice").text, "operator: the acknowledgement is confirmed")
        check(d.find_element(By.ID, "finding-status").text == "resolved", "operator: the incident is resolved")
        check(not d.find_elements(By.ID, "ack"), "a resolved incident offers no second acknowledge")
        hist = history(d)
        check(any("acknowledged" in h and "console:demo-operator" in h and "INC-42" in h for h in hist),
              "the history shows the acknowledgement, by console:demo-operator, with its reason")
        accessibility(d, "finding (acknowledged)")
        status, events = shown(iid)
        check(status == "resolved" and ("acknowledged", "console:demo-operator") in events,
              f"complyd findings show: resolved, the acknowledgement by console:demo-operator ({status} {events})")
        status, events = shown(fid)
        check(status == "open" and ("unmuted", "console:demo-operator") in events,
              f"complyd findings show: open again, the unmute by console:demo-operator ({status} {events})")

        d.get(BASE + "/")
        shot(d, "console-overview-operator")

        drain_network(d)
        # data: URLs never leave the browser (Chrome's own date-picker icon is one).
        outside = [u for u in requests_seen if not u.startswith(BASE + "/") and not u.startswith("data:")]
        check(len(requests_seen) >= 10, f"the browser's network log was read ({len(requests_seen)} requests)")
        check(not outside, f"no request outside the daemon: {outside[:5]}")
    finally:
        d.quit()

    # --- HTTP rules, without a browser ---------------------------------------
    status, headers, _ = raw("GET", "/login")
    h = {k.lower(): v for k, v in headers}
    check("default-src 'self'" in h.get("content-security-policy", "") and "unsafe-inline" not in
          h.get("content-security-policy", ""), "CSP: default-src 'self', nothing inline")
    cookie = h.get("set-cookie", "")
    pre = re.search(r"complyd_login=([0-9a-f]+)", cookie)
    form_csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', _)
    check(pre is not None and form_csrf is not None, "login form: a CSRF cookie and field")
    check("HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie,
          "login cookie: HttpOnly, SameSite=Strict, not Secure on loopback")
    s, hh, _ = raw("POST", "/login", body=f"csrf={form_csrf.group(1)}&name=demo-viewer&secret={token('demo-viewer')}",
                   headers={"Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": f"complyd_login={pre.group(1)}"})
    session_cookie = " ".join(v for k, v in hh if k.lower() == "set-cookie")
    check(s == 303 and "complyd_session=" in session_cookie and "HttpOnly" in session_cookie and
          "SameSite=Strict" in session_cookie, "session cookie: set on sign-in, HttpOnly, SameSite=Strict")
    s, _, _ = raw("POST", "/findings/" + fid + "/unmute", body="csrf=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(s == 403, f"a POST without a session is refused with 403 (got {s})")
    # Login rate limit: wrong secrets from one address, then 429.
    codes = []
    for _i in range(7):
        st, hd, body = raw("GET", "/login")
        c = re.search(r"complyd_login=([0-9a-f]+)", dict((k.lower(), v) for k, v in hd)["set-cookie"]).group(1)
        f = re.search(r'name="csrf" value="([0-9a-f]+)"', body).group(1)
        st, _, _ = raw("POST", "/login", body=f"csrf={f}&name=demo-operator&secret=wrong-secret-{_i}",
                       headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"complyd_login={c}"})
        codes.append(st)
    check(codes[:5] == [401] * 5 and codes[5:] == [429, 429], f"failed sign-ins are limited: {codes}")


t0 = time.monotonic()
main()
print(f"{len(failures)} failed, {time.monotonic() - t0:.1f}s", flush=True)
sys.exit(1 if failures else 0)
