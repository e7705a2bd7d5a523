//! `Browser`: one headless Chromium session on a product under test, with waits on what a
//! person sees (headings, buttons, status messages) rather than on sleeps.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use test_support::{Logs, Supervised, free_port, workspace_root};

use crate::product::Product;

/// How long a started page may take to show what a test waits for.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// How long something may take to start on two busy cores: chromedriver, or the app in a page
/// just loaded (Chromium compiles its wasm first). Waits end as soon as it has started.
pub(crate) const START_PATIENCE: Duration = Duration::from_secs(120);

/// How long a step that runs a sync (a preview, an apply, a held run's confirmation) may take
/// to show its outcome: the run reads Okta and writes D1, far slower on two busy cores.
pub(crate) const SYNC_PATIENCE: Duration = Duration::from_secs(120);

/// Where the SPA keeps the dev sign-in's token (as `app/src/api.rs` names it).
const DEV_TOKEN_KEY: &str = "okta-groups-sync.dev-token";

/// The driver shared by the tests of this binary; its watchdog ends it with the process.
static DRIVER: OnceLock<ChromeDriver> = OnceLock::new();

/// Numbers the sessions, each of which gets its own fresh Chromium profile.
static SESSIONS: AtomicUsize = AtomicUsize::new(0);

struct ChromeDriver {
    url: String,
    _process: Supervised,
}

/// A browser session on a product under test.
pub(crate) struct Browser {
    pub(crate) client: Client,
    base_url: String,
}

impl Browser {
    /// Opens a new headless Chromium session (1280 × 900) with a fresh profile.
    pub(crate) async fn open(product: &Product) -> Self {
        Self::open_sized(product, 1280, 900).await
    }

    /// Opens a session with a viewport of `width` × `height` CSS px. Windows cannot be narrower
    /// than 500 px, so narrower viewports are Chromium's device emulation (as the developer tools do it).
    pub(crate) async fn open_sized(product: &Product, width: u32, height: u32) -> Self {
        let driver = DRIVER.get_or_init(start_chromedriver);
        let profile = profile_dir();
        let mut capabilities = json!({
            "goog:chromeOptions": {
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        if width < 500 {
            capabilities["goog:chromeOptions"]["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 }
            });
        }
        let Value::Object(capabilities) = capabilities else {
            unreachable!("the capabilities are a JSON object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("chromedriver opens a session");
        Self { client, base_url: product.base_url().to_owned() }
    }

    /// Opens a session signed in as `email` (through the local sign-in), on `path`.
    pub(crate) async fn signed_in(product: &Product, email: &str, path: &str) -> Self {
        let browser = Self::open(product).await;
        browser.sign_in(product, email, path).await;
        browser
    }

    /// Signs in as `email` with the dev sign-in's token, then opens `path`.
    pub(crate) async fn sign_in(&self, product: &Product, email: &str, path: &str) {
        let token = product.token(email).await;
        // The token lives in the page's sessionStorage, so a page of the app must be open.
        self.goto("/not-a-screen").await;
        self.client
            .execute(
                "sessionStorage.setItem(arguments[0], arguments[1])",
                vec![json!(DEV_TOKEN_KEY), json!(token)],
            )
            .await
            .expect("the token is stored");
        self.goto(path).await;
    }

    /// Navigates to `path` of the SPA, as typing the address would, and waits until the app
    /// has started in the page, so that what a test waits for next is the screen.
    pub(crate) async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base_url)).await.expect("navigation works");
        // The page's body is empty until the app mounts (its `<main id="main">` is the app's).
        let mounted = "return document.getElementById('main') !== null";
        self.wait_until_within(mounted, "the app starts", START_PATIENCE).await;
    }

    /// The path of the current address.
    pub(crate) async fn path(&self) -> String {
        self.client.current_url().await.expect("a current URL").path().to_owned()
    }

    /// Waits until the page's one `<h1>` reads `text`.
    pub(crate) async fn expect_heading(&self, text: &str) {
        self.expect_text(Locator::Css("main h1"), text).await;
    }

    /// Waits until the backend status in the header reads `text`.
    pub(crate) async fn expect_backend_status(&self, text: &str) {
        self.expect_text(Locator::Css(".backend-status [role=status]"), text).await;
    }

    /// Waits until the identity in the header reads `text`.
    pub(crate) async fn expect_identity(&self, text: &str) {
        self.expect_text(Locator::Css(".identity .identity__text"), text).await;
    }

    /// Clicks the link whose text is exactly `text`.
    pub(crate) async fn click_link(&self, text: &str) {
        self.click_located(Locator::LinkText(text)).await;
    }

    /// Clicks the element matching `css`.
    pub(crate) async fn click(&self, css: &str) {
        self.click_located(Locator::Css(css)).await;
    }

    /// Clicks the element `locator` finds, once it is in the page (found anew if a redraw
    /// replaced it between finding and clicking).
    async fn click_located(&self, locator: Locator<'_>) {
        let started = Instant::now();
        loop {
            let element = self.client.wait().at_most(PATIENCE).for_element(locator).await;
            match element.unwrap_or_else(|e| panic!("no {locator:?}: {e}")).click().await {
                Ok(()) => return,
                Err(e) if e.is_stale_element_reference() && started.elapsed() < PATIENCE => {}
                Err(e) => panic!("clicking {locator:?}: {e}"),
            }
        }
    }

    /// Waits until the navigation link marked as the current page is `link`. The menu is
    /// redrawn when the caller's access arrives, so the link is found anew until it shows.
    pub(crate) async fn expect_current_nav_link(&self, link: &str) {
        let current = self.wait_for_text("nav a[aria-current=page]", link).await;
        assert_eq!(current, link, "the link marked current");
    }

    /// The input labelled `label` (its `<label for>`), once it is in the page; not a radio button
    /// (whose label may name the field it chooses: see [`Self::choose`]).
    pub(crate) async fn input(&self, label: &str) -> Element {
        let xpath = format!(
            "//input[not(@type=\"radio\")][@id=//label[normalize-space()=\"{label}\"]/@for]"
        );
        let input = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        input.unwrap_or_else(|e| panic!("no input labelled {label:?}: {e}"))
    }

    /// Chooses the radio button labelled `label`, once it is in the page.
    pub(crate) async fn choose(&self, label: &str) {
        let xpath =
            format!("//input[@type=\"radio\"][@id=//label[normalize-space()=\"{label}\"]/@for]");
        let radio = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        let radio = radio.unwrap_or_else(|e| panic!("no radio button labelled {label:?}: {e}"));
        radio.click().await.unwrap_or_else(|e| panic!("choosing {label:?}: {e}"));
    }

    /// The input (e.g. a checkbox) whose label starts with `start`, once it is in the page.
    pub(crate) async fn input_starting(&self, start: &str) -> Element {
        let xpath =
            format!("//input[@id=//label[starts-with(normalize-space(), \"{start}\")]/@for]");
        let input = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        input.unwrap_or_else(|e| panic!("no input with a label starting {start:?}: {e}"))
    }

    /// Replaces the text of the input labelled `label` with `text`, as typing would.
    pub(crate) async fn fill(&self, label: &str, text: &str) {
        let input = self.input(label).await;
        input.clear().await.expect("clearing");
        input.send_keys(text).await.expect("typing");
    }

    /// The button whose text is exactly `text`, once it is in the page.
    pub(crate) async fn button(&self, text: &str) -> Element {
        let xpath = format!("//button[normalize-space()=\"{text}\"]");
        let button = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        button.unwrap_or_else(|e| panic!("no button {text:?}: {e}"))
    }

    /// Clicks the button whose text is exactly `text`, once it is enabled.
    pub(crate) async fn click_button(&self, text: &str) {
        let started = Instant::now();
        loop {
            // Found anew each time: a redraw may replace the button while the test waits, and
            // the replaced one would never become enabled.
            let button = self.button(text).await;
            if button.is_enabled().await.unwrap_or(false) {
                match button.click().await {
                    Ok(()) => return,
                    Err(e) if e.is_stale_element_reference() => {}
                    Err(e) => panic!("clicking {text:?}: {e}"),
                }
            }
            assert!(started.elapsed() < PATIENCE, "the button {text:?} stays disabled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Whether the button `text` is in the page and enabled (waits for it to appear).
    pub(crate) async fn button_enabled(&self, text: &str) -> bool {
        self.button(text).await.is_enabled().await.expect("its state")
    }

    /// Whether a button `text` is in the page now (no waiting).
    pub(crate) async fn has_button(&self, text: &str) -> bool {
        let xpath = format!("//button[normalize-space()=\"{text}\"]");
        self.client.find(Locator::XPath(&xpath)).await.is_ok()
    }

    /// Whether a link `text` is in the page now (no waiting).
    pub(crate) async fn has_link(&self, text: &str) -> bool {
        self.client.find(Locator::LinkText(text)).await.is_ok()
    }

    /// Waits until some element matching `css` contains `text`, and returns its whole text.
    pub(crate) async fn wait_for_text(&self, css: &str, text: &str) -> String {
        self.wait_for_text_within(css, text, PATIENCE).await
    }

    /// [`Self::wait_for_text`] with a patience of its own.
    pub(crate) async fn wait_for_text_within(
        &self,
        css: &str,
        text: &str,
        patience: Duration,
    ) -> String {
        let started = Instant::now();
        let mut seen = Vec::new();
        while started.elapsed() < patience {
            seen.clear();
            if let Ok(elements) = self.client.find_all(Locator::Css(css)).await {
                for element in elements {
                    let content = element.text().await.unwrap_or_default();
                    if content.contains(text) {
                        return content;
                    }
                    seen.push(content);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let page = self.page_text().await;
        panic!("no {css} contained {text:?} within {patience:?}; seen: {seen:?}; the page: {page}");
    }

    /// What the page shows now, to explain a failed wait.
    async fn page_text(&self) -> String {
        let text = self.client.execute("return document.body.innerText", vec![]).await;
        text.map_or_else(|e| format!("(unreadable: {e})"), |t| t.to_string())
    }

    /// Waits until the script `condition` (a function body that returns a boolean) returns
    /// `true` in the page; `what` says what the test waits for.
    pub(crate) async fn wait_until(&self, condition: &str, what: &str) {
        self.wait_until_within(condition, what, PATIENCE).await;
    }

    /// [`Self::wait_until`] with a patience of its own.
    pub(crate) async fn wait_until_within(&self, condition: &str, what: &str, patience: Duration) {
        let started = Instant::now();
        let mut last = Value::Null;
        while started.elapsed() < patience {
            match self.client.execute(condition, vec![]).await {
                Ok(Value::Bool(true)) => return,
                Ok(other) => last = other,
                Err(error) => last = Value::String(error.to_string()),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: not so within {patience:?} (the condition gave {last})");
    }

    /// The texts of every element matching `css` now.
    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for element in self.client.find_all(Locator::Css(css)).await.expect("a query") {
            texts.push(element.text().await.unwrap_or_default());
        }
        texts
    }

    /// Runs axe-core on the page as it is and returns its violations (rule id, impact, nodes).
    pub(crate) async fn axe_violations(&self) -> Vec<String> {
        let axe = axe_source();
        self.client.execute(axe, vec![]).await.expect("axe-core loads");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ${
                        v.nodes.map(n => n.target.join(' ')).join(', ')}`)))
                    .catch(e => done([`axe failed: ${e}`]));",
                vec![],
            )
            .await
            .expect("axe runs");
        serde_json::from_value(result).expect("a list of violations")
    }

    /// Saves a PNG of the top of the page to `path`.
    pub(crate) async fn screenshot(&self, path: &Path) {
        self.client.execute("window.scrollTo(0, 0)", vec![]).await.expect("scrolling to the top");
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Ends the session and its Chromium.
    pub(crate) async fn close(self) {
        self.client.close().await.expect("the session closes");
    }

    async fn expect_text(&self, locator: Locator<'_>, expected: &str) {
        let started = Instant::now();
        let mut last_seen = String::new();
        while started.elapsed() < PATIENCE {
            if let Ok(element) = self.client.find(locator).await {
                last_seen = element.text().await.unwrap_or_default();
                if last_seen.trim() == expected {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let page = self.page_text().await;
        panic!(
            "{locator:?} did not read {expected:?} within {PATIENCE:?}; it read {last_seen:?}; \
             the page: {page}"
        );
    }
}

/// axe-core's browser bundle, from the npm packages of `package-lock.json`.
fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = workspace_root().join("node_modules").join("axe-core").join("axe.min.js");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} (npm ci installs axe-core): {e}", path.display()))
    })
}

fn start_chromedriver() -> ChromeDriver {
    let program = env::var_os("CHROMEDRIVER").unwrap_or_else(|| "chromedriver".into());
    let port = free_port().expect("a free port");
    let mut command = Command::new(program);
    command.arg(format!("--port={port}"));
    let log = workspace_root().join("target").join("test-stacks").join("chromedriver.log");
    let mut process = Supervised::spawn(&command, &Logs::File(log))
        .unwrap_or_else(|e| panic!("chromedriver starts (apt-get install chromium-driver): {e}"));
    process
        .wait_until_answers(port, "/status", START_PATIENCE)
        .unwrap_or_else(|e| panic!("chromedriver answers: {e}"));
    ChromeDriver { url: format!("http://127.0.0.1:{port}"), _process: process }
}

fn profile_dir() -> PathBuf {
    let session = SESSIONS.fetch_add(1, Ordering::Relaxed);
    let dir = workspace_root()
        .join("target")
        .join("test-stacks")
        .join("browser-profiles")
        .join(format!("{}-{session}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a profile directory");
    dir
}
