//! A headless Chromium driven through WebDriver (`chromedriver`, fantoccini) for the console's browser tests,
//! with the checks they share: axe-core run inside each page (no serious or critical violation), waiting for
//! text, signing in with the development buttons, screenshots.
//!
//! Without Chromium and chromedriver the tests skip with a message; with `LPAFLOW_REQUIRE_BROWSER=1` (CI) a
//! missing browser fails them. Screenshots are written only when `LPAFLOW_CONSOLE_SCREENSHOTS` names a
//! directory (`docs/console` refreshes the README's pictures).
#![allow(dead_code, clippy::unwrap_used)]

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a page may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(20);

/// axe-core, vendored (MPL-2.0; see crates/lpaflow-console/assets/vendor/README.md).
const AXE: &str = include_str!("../../crates/lpaflow-console/assets/vendor/axe-4.14.1.min.js");

pub struct Browser {
    pub client: Client,
    _driver: DriverGuard,
}

/// Runs `test` with a fresh browser (or skips it, see [`Browser::start`]), then ends the browser session
/// whether the test passed or panicked, so no Chromium outlives it; a panic is passed on.
pub async fn with_browser<F, Fut>(name: &str, test: F)
where
    F: FnOnce(std::sync::Arc<Browser>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(browser) = Browser::start(name).await else {
        return;
    };
    let browser = std::sync::Arc::new(browser);
    let outcome = tokio::spawn(test(browser.clone())).await;
    let _ = browser.client.clone().close().await;
    drop(browser);
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

fn first_existing(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh headless browser, or `None` (after saying why) when Chromium or chromedriver is missing and
    /// `LPAFLOW_REQUIRE_BROWSER` is not `1`.
    pub async fn start(test: &str) -> Option<Browser> {
        // An explicit CHROMEDRIVER or CHROME_BIN is used as given (a missing file counts as not installed).
        let env_path = |k: &str| std::env::var(k).ok().filter(|p| Path::new(p).is_file());
        let explicit = |k: &str| std::env::var_os(k).is_some();
        let driver = env_path("CHROMEDRIVER").map(PathBuf::from).or_else(|| {
            (!explicit("CHROMEDRIVER")).then_some(())?;
            first_existing(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
        });
        let chrome = env_path("CHROME_BIN").map(PathBuf::from).or_else(|| {
            (!explicit("CHROME_BIN")).then_some(())?;
            first_existing(&[
                "/usr/lib/chromium/chromium",
                "/usr/bin/chromium",
                "/usr/bin/chromium-browser",
                "/usr/bin/google-chrome",
            ])
        });
        let (Some(driver), Some(chrome)) = (driver, chrome) else {
            let why = "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)";
            if std::env::var("LPAFLOW_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("{test}: {why}, and LPAFLOW_REQUIRE_BROWSER=1");
            }
            // Written to the stderr handle itself, which the test harness does not capture, so the skip shows.
            let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
            return None;
        };
        let port = free_port();
        let mut command = Command::new(&driver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", driver.display()));
        let guard = DriverGuard(Some(child));
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chrome,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-dev-shm-usage", "--window-size=1280,1000", "--force-device-scale-factor=1"]
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() < WAIT => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("chromedriver at {url} did not start a session: {e}"),
            }
        };
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        Some(Browser {
            client,
            _driver: guard,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Waits until the page has an element matching `css` whose text contains `text`; returns its text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let started = Instant::now();
        loop {
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for e in elements {
                    if let Ok(t) = e.text().await
                        && t.contains(text)
                    {
                        return t;
                    }
                }
            }
            if started.elapsed() > WAIT {
                let body = self.body_text().await;
                panic!("no `{css}` containing {text:?} after {WAIT:?}; the page says:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(b) => b.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        let e = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"));
        e.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"));
        e.send_keys(text).await.unwrap();
    }

    /// Sets a form control as a person would: a checkbox ticked for "true", a select's option chosen by its
    /// value, text typed over what is there. A `datetime-local` control normalizes a time on the minute to
    /// `HH:MM` (the browser drops `:00` seconds), which is the same time.
    pub async fn set_value(&self, css: &str, value: &str) {
        let done = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); if (!e) return false; \
                 if (e.type === 'checkbox') { e.checked = arguments[1] === 'true'; } else { e.value = arguments[1]; } \
                 e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); \
                 if (e.type === 'checkbox') return true; \
                 if (e.type === 'datetime-local' && e.value.length === 16) return e.value + ':00' === arguments[1]; \
                 return e.value === arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap();
        assert_eq!(done, json!(true), "`{css}` takes {value:?}");
    }

    /// The `textContent` of the first element matching `css` (SVG text has no rendered text for WebDriver).
    pub async fn text_content(&self, css: &str) -> String {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(css)],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_else(|| panic!("no `{css}`"))
            .to_owned()
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Signs in with the development button for `role` and waits for the role's first page.
    pub async fn sign_in(&self, base: &str, role: &str) {
        self.goto(&format!("{base}/console/sign-in")).await;
        self.click(&format!("button[name='role'][value='{role}']"))
            .await;
        self.wait_text("header", &format!("({role})")).await;
    }

    /// Runs axe-core in the page and fails on any serious or critical violation.
    pub async fn axe(&self, page: &str) {
        self.client.execute(AXE, vec![]).await.unwrap();
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done({ rules: r.passes.length + r.violations.length + r.incomplete.length,
                 violations: r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) })) }))
              .catch(e => done({ error: String(e) }));"#;
        let result = self.client.execute_async(script, vec![]).await.unwrap();
        let violations = result["violations"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}: axe failed: {result}"));
        assert!(
            result["rules"].as_u64().unwrap_or(0) > 20,
            "{page}: axe checked too few rules to be trusted: {result}"
        );
        let serious: Vec<&Value> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .collect();
        assert!(
            serious.is_empty(),
            "{page}: axe found serious or critical violations:\n{}",
            serde_json::to_string_pretty(&serious).unwrap()
        );
        if !violations.is_empty() {
            eprintln!(
                "{page}: axe minor/moderate findings: {}",
                serde_json::to_string(violations).unwrap()
            );
        }
    }

    /// Saves a full-page screenshot as `<dir>/<name>.png` when `LPAFLOW_CONSOLE_SCREENSHOTS` is set.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("LPAFLOW_CONSOLE_SCREENSHOTS") else {
            return;
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let height = self
            .client
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 6000);
        self.client
            .set_window_size(1280, height as u32 + 140)
            .await
            .unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
        self.client.set_window_size(1280, 1000).await.unwrap();
    }
}

/// Ends chromedriver if the test did not end its session (chromedriver ends the browsers it started when
/// their session is deleted, which `with_browser` always does).
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
