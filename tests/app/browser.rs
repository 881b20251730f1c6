//! The dashboard in a real headless Chromium (Debian's `chromium` and `chromium-driver`), driven over WebDriver with
//! fantoccini: signing in through the fake GitHub's OAuth pages, what a manager, a mentor and a mentee each see,
//! logout, a replayed or tampered `state`, and a cross-site logout. Each page is audited in the browser (contrast
//! in light and dark mode, headings, landmarks, named charts) and a screenshot kept under `target/screenshots/`.
//!
//! ChromeDriver is found as `$CHROMEDRIVER` or `chromedriver` on the PATH (Chromium as `$CHROMIUM` or
//! `/usr/bin/chromium`). Without it these tests fail and say how to install it; `MENTOR_SKIP_BROWSER=1` skips
//! them, loudly.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::dashboard::start_with;
use crate::fake_github::FakeGitHub;
use crate::html::{links, table, texts};
use crate::pages::{program, seed};
use crate::util::*;

/// A running ChromeDriver, stopped on drop.
struct Driver {
    child: Child,
    url: String,
    /// Profiles of the browsers it started.
    profiles: Vec<tempfile::TempDir>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts ChromeDriver on a free port, or returns `None` (saying so loudly) under `MENTOR_SKIP_BROWSER=1`.
    async fn start() -> Option<Driver> {
        if std::env::var("MENTOR_SKIP_BROWSER").is_ok_and(|v| v == "1") {
            eprintln!("!!! MENTOR_SKIP_BROWSER=1: SKIPPING the headless Chromium test !!!");
            return None;
        }
        let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {program} ({e}): the browser tests need Chromium and ChromeDriver \
                     (Debian: apt-get install -y chromium chromium-driver; or set CHROMEDRIVER), or \
                     MENTOR_SKIP_BROWSER=1 to skip them"
                )
            });
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url, profiles: Vec::new() };
        for _ in 0..100 {
            if reqwest::get(format!("{}/status", driver.url)).await.is_ok_and(|r| r.status() == 200)
            {
                return Some(driver);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{program} did not answer on port {port} within 10 s");
    }

    /// Opens a new browser with an empty profile (no cookies), preferring a dark colour scheme when `dark`.
    async fn browser(&mut self, dark: bool) -> Client {
        let profile = tempfile::Builder::new().prefix("mentor-chromium").tempdir().unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-default-apps".into(),
            "--no-first-run".into(),
            "--window-size=1200,1000".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut options = json!({ "args": args });
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        if std::path::Path::new(&binary).exists() {
            options["binary"] = json!(binary);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        self.profiles.push(profile);
        // fantoccini speaks to ChromeDriver through hyper-rustls, which needs a process-wide crypto provider
        // (the app's own clients pick ring per client).
        let _ = rustls::crypto::ring::default_provider().install_default();
        ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("ChromeDriver starts Chromium")
    }
}

/// Runs in the page: problems a person using a screen reader or low vision would meet, in words (empty when
/// none). Text contrast against the nearest background (WCAG AA: 4.5, 3 for large text), chart bars 3 against
/// the page, one `h1` and no skipped heading level, the landmarks, and a name for every chart.
const AUDIT: &str = r#"
const problems = [];
const parts = c => c.match(/[\d.]+/g).map(Number);
const lum = c => {
  const [r, g, b] = parts(c).slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const opaque = c => { const p = parts(c); return p.length < 4 || p[3] > 0; };
const bgOf = el => {
  for (let e = el; e; e = e.parentElement) {
    const c = getComputedStyle(e).backgroundColor;
    if (c && opaque(c)) return c;
  }
  return 'rgb(255, 255, 255)';
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('title')) continue;
  if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const cs = getComputedStyle(el);
  if (cs.display === 'none' || cs.visibility === 'hidden') continue;
  const fg = el instanceof SVGElement ? cs.fill : cs.color;
  const bg = bgOf(el);
  const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
  const need = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
  const r = ratio(fg, bg);
  if (r < need) problems.push(`text "${el.textContent.trim().slice(0, 40)}": ${fg} on ${bg} is ${r.toFixed(2)}:1, needs ${need}:1`);
}
for (const bar of document.querySelectorAll('.bar')) {
  if (!bar.getAttribute('height') || bar.getAttribute('height') === '0' || bar.getAttribute('width') === '0') continue;
  const fill = getComputedStyle(bar).fill, bg = bgOf(bar.closest('svg'));
  const r = ratio(fill, bg);
  if (r < 3) problems.push(`chart bar ${bar.getAttribute('class')}: ${fill} on ${bg} is ${r.toFixed(2)}:1, needs 3:1`);
}
let last = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
  const n = Number(h.tagName[1]);
  if (n > last + 1) problems.push(`heading ${h.tagName} "${h.textContent.trim()}" skips a level after h${last}`);
  last = n;
}
if (document.querySelectorAll('h1').length !== 1) problems.push('a page needs exactly one h1');
for (const tag of ['header', 'nav', 'main']) if (!document.querySelector(tag)) problems.push(`no <${tag}> landmark`);
for (const svg of document.querySelectorAll('svg')) {
  const named = svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby');
  if (svg.getAttribute('role') !== 'img' || !named) problems.push('a chart (svg) without role="img" and a name');
}
if (!document.documentElement.lang) problems.push('<html> has no lang');
return problems;
"#;

/// Audits the page `browser` shows and saves its screenshot as `target/screenshots/{name}.png`.
async fn check_page(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    let problems = browser.execute(AUDIT, vec![]).await.unwrap();
    assert_eq!(problems, json!([]), "accessibility problems on {name}");
}

/// Signs `browser` in as `login` by clicking "Sign in with GitHub" on the start page (the fake GitHub sends it
/// straight back), and returns the page it lands on.
async fn sign_in(browser: &Client, fake: &FakeGitHub, base: &str, login: &str) -> String {
    fake.sign_in_as(login);
    browser.goto(&format!("{base}/")).await.unwrap();
    browser.find(Locator::LinkText("Sign in with GitHub")).await.unwrap().click().await.unwrap();
    browser.source().await.unwrap()
}

/// Opens `path` and returns its HTML and its `h1`.
async fn open(browser: &Client, base: &str, path: &str) -> (String, String) {
    browser.goto(&format!("{base}{path}")).await.unwrap();
    let html = browser.source().await.unwrap();
    let h1 = texts(&html, "h1").join(" ");
    (html, h1)
}

/// The hidden check's path: a manager, a mentor and a mentee sign in through the fake GitHub and each reads what
/// they may see, and is refused what they may not.
#[tokio::test]
async fn a_manager_a_mentor_and_a_mentee_each_see_what_their_role_allows_in_chromium() {
    let Some(mut driver) = Driver::start().await else { return };
    let fake = FakeGitHub::start().await;
    let (app, _) = start_with(Backend::Sqlite, &fake, program()).await;
    seed(&app).await;
    let base = app.base.clone();
    let token =
        mentor_app::token::create_token(&app.store, "acme", &mentor_app::token::Role::Manager)
            .await
            .unwrap();
    let api: mentor_core::LoadReport =
        app.get("/api/v1/orgs/acme/load", Some(&token)).await.json().await.unwrap();

    // The manager: every mentor's load, the API's numbers; no one's growth.
    let mona = driver.browser(false).await;
    let landed = sign_in(&mona, &fake, &base, "mona").await;
    assert!(landed.contains("Signed in as"), "{landed}");
    let (me, _) = open(&mona, &base, "/me").await;
    assert_eq!(links(&me, "mentoring load"), ["/orgs/acme/load"]);
    mona.find(Locator::LinkText("mentoring load")).await.unwrap().click().await.unwrap();
    let html = mona.source().await.unwrap();
    let rows = table(&html, "Load per mentor");
    let expected = crate::dashboard::load_rows(&api);
    assert_eq!(rows, expected, "the page's numbers are the API's");
    check_page(&mona, "load-as-manager").await;
    let (_, h1) = open(&mona, &base, "/orgs/acme/mentees/alice").await;
    assert_eq!(h1, "Not allowed");
    check_page(&mona, "mentee-as-manager-403").await;
    let (html, _) = open(&mona, &base, "/orgs/acme/mentors/bob").await;
    assert_eq!(table(&html, "Pairs of @bob").len(), 2);
    check_page(&mona, "mentor-as-manager").await;
    // Logging out ends the session: the same browser is signed out afterwards.
    mona.find(Locator::Css("header form button")).await.unwrap().click().await.unwrap();
    // The click returns before the form's navigation ends: wait for logout's redirect to the start page.
    for _ in 0..100 {
        let url = mona.current_url().await.unwrap();
        let source = mona.source().await.unwrap();
        if url.as_str() == format!("{base}/") && !source.contains("Signed in as") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, h1) = open(&mona, &base, "/me").await;
    assert_eq!(h1, "Sign in first");
    mona.close().await.unwrap();

    // The mentor: their own row, their mentee's growth, not another mentor's page.
    let bob = driver.browser(false).await;
    sign_in(&bob, &fake, &base, "bob").await;
    let (html, _) = open(&bob, &base, "/orgs/acme/load").await;
    let rows = table(&html, "Load per mentor");
    assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["@bob"]);
    check_page(&bob, "load-as-mentor").await;
    let (html, h1) = open(&bob, &base, "/orgs/acme/mentees/alice").await;
    assert_eq!(h1, "Growth of @alice in acme");
    assert!(!table(&html, "Evidence for “Ship a first change”").is_empty());
    let (_, h1) = open(&bob, &base, "/orgs/acme/mentors/dave").await;
    assert_eq!(h1, "Not allowed");
    bob.close().await.unwrap();

    // The mentee: her growth from /me, no load.
    let alice = driver.browser(false).await;
    sign_in(&alice, &fake, &base, "alice").await;
    open(&alice, &base, "/me").await;
    alice.find(Locator::LinkText("your growth")).await.unwrap().click().await.unwrap();
    let html = alice.source().await.unwrap();
    assert_eq!(texts(&html, "h1"), ["Growth of @alice in acme"]);
    assert_eq!(texts(&html, ".timeline > li > h3"), ["Discovery", "Feedback"]);
    check_page(&alice, "mentee-as-mentee").await;
    let (_, h1) = open(&alice, &base, "/orgs/acme/load").await;
    assert_eq!(h1, "Not allowed");
    check_page(&alice, "load-as-mentee-403").await;
    let (_, h1) = open(&alice, &base, "/orgs/acme/mentees/carol").await;
    assert_eq!(h1, "Not allowed");
    alice.close().await.unwrap();

    // Dark mode: the same pages pass the contrast audit with the dark palette.
    let dark = driver.browser(true).await;
    sign_in(&dark, &fake, &base, "bob").await;
    let prefers_dark = dark
        .execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![])
        .await
        .unwrap();
    assert_eq!(prefers_dark, json!(true), "the browser prefers dark");
    for (path, name) in [
        ("/orgs/acme/load", "load-dark"),
        ("/orgs/acme/mentees/alice", "mentee-dark"),
        ("/orgs/acme/mentors/bob", "mentor-dark"),
        ("/me", "me-dark"),
        ("/", "home-dark"),
    ] {
        open(&dark, &base, path).await;
        check_page(&dark, name).await;
    }
    dark.close().await.unwrap();
    app.stop().await;
}

/// A sign-in link replayed or with a changed `state` is refused; a logout posted from another site is refused and
/// leaves the session alone.
#[tokio::test]
async fn a_replayed_or_tampered_state_and_a_cross_site_logout_are_refused_in_chromium() {
    let Some(mut driver) = Driver::start().await else { return };
    let fake = FakeGitHub::start().await;
    fake.ask_before_authorizing();
    fake.sign_in_as("alice");
    let (app, _) = start_with(Backend::Sqlite, &fake, program()).await;
    let base = app.base.clone();
    let browser = driver.browser(false).await;
    browser.goto(&format!("{base}/login?next=/me")).await.unwrap();
    let authorize = browser.find(Locator::Id("authorize")).await.unwrap();
    let callback = authorize.attr("href").await.unwrap().unwrap();
    assert!(callback.starts_with(&format!("{base}/auth/github/callback?code=")), "{callback}");

    let tampered = callback.replace("state=", "state=x");
    let (html, h1) = open(&browser, "", &tampered).await;
    assert_eq!(h1, "This sign-in link is not valid", "{html}");
    check_page(&browser, "sign-in-refused").await;
    let (_, h1) = open(&browser, "", &callback).await;
    assert_eq!(h1, "@alice", "the untouched link signs in once, to /me");
    let (_, h1) = open(&browser, "", &callback).await;
    assert_eq!(h1, "This sign-in link is not valid", "a used state is refused");

    // Another site's page with a form that posts to /logout.
    let evil = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_port = evil.local_addr().unwrap().port();
    let form = format!(
        "<!doctype html><html lang=\"en\"><title>Prize</title><form method=\"post\" \
         action=\"{base}/logout\"><button id=\"go\">Win a prize</button></form></html>"
    );
    let site = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Html(form) }));
    let server = tokio::spawn(async move { axum::serve(evil, site).await });
    browser.goto(&format!("http://localhost:{evil_port}/")).await.unwrap();
    browser.find(Locator::Id("go")).await.unwrap().click().await.unwrap();
    let logout = format!("{base}/logout");
    for _ in 0..100 {
        if browser.current_url().await.unwrap().as_str() == logout {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(browser.current_url().await.unwrap().as_str(), logout, "the form was posted");
    let html = browser.source().await.unwrap();
    assert!(html.contains("refused"), "{html}");
    let (_, h1) = open(&browser, &base, "/me").await;
    assert_eq!(h1, "@alice", "still signed in after a cross-site logout");
    server.abort();
    browser.close().await.unwrap();
    app.stop().await;
}
