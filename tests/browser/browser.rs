//! `Browser`: one headless Chromium session on the SPA under test, with waits on what a person
//! sees (headings, links, status messages) rather than on sleeps.

use std::env;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use test_support::{LocalStack, Logs, StackOptions, Supervised, free_port, workspace_root};

/// How long a page may take to show what a test waits for (the first load compiles the wasm).
const PATIENCE: Duration = Duration::from_secs(20);

/// The stack and the driver shared by the tests of this binary; their watchdogs end them when
/// the test process exits.
static STACK: OnceLock<LocalStack> = OnceLock::new();
static DRIVER: OnceLock<ChromeDriver> = OnceLock::new();

/// Numbers the sessions, each of which gets its own fresh Chromium profile.
static SESSIONS: AtomicUsize = AtomicUsize::new(0);

struct ChromeDriver {
    url: String,
    _process: Supervised,
}

/// A browser session on the SPA under test.
pub(crate) struct Browser {
    client: Client,
    base_url: String,
}

impl Browser {
    /// Opens a new headless Chromium session with a fresh profile.
    pub(crate) async fn open() -> Self {
        let stack = STACK.get_or_init(start_stack);
        let driver = DRIVER.get_or_init(start_chromedriver);
        let profile = profile_dir();
        let capabilities = serde_json::json!({
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
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("the capabilities are a JSON object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("chromedriver opens a session");
        Self { client, base_url: stack.base_url().to_owned() }
    }

    /// Navigates to `path` of the SPA, as typing the address would.
    pub(crate) async fn goto(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base_url)).await.expect("navigation works");
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

    /// Clicks the link whose text is exactly `text`.
    pub(crate) async fn click_link(&self, text: &str) {
        let link = self.client.wait().at_most(PATIENCE).for_element(Locator::LinkText(text)).await;
        link.unwrap_or_else(|e| panic!("no link {text:?}: {e}")).click().await.expect("click");
    }

    /// The text of the navigation link marked as the current page.
    pub(crate) async fn current_nav_link(&self) -> String {
        let link = self.client.find(Locator::Css("nav a[aria-current=page]")).await;
        link.expect("a navigation link is current").text().await.expect("its text")
    }

    /// Types `text` into the input labelled `label`.
    pub(crate) async fn fill(&self, label: &str, text: &str) {
        let xpath = format!("//input[@id=//label[normalize-space()='{label}']/@for]");
        let input = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        input
            .unwrap_or_else(|e| panic!("no input labelled {label:?}: {e}"))
            .send_keys(text)
            .await
            .expect("typing");
    }

    /// Clicks the button whose text is exactly `text`.
    pub(crate) async fn click_button(&self, text: &str) {
        let xpath = format!("//button[normalize-space()='{text}']");
        let button = self.client.wait().at_most(PATIENCE).for_element(Locator::XPath(&xpath)).await;
        button.unwrap_or_else(|e| panic!("no button {text:?}: {e}")).click().await.expect("click");
    }

    /// Waits until the identity in the header reads `text`.
    pub(crate) async fn expect_identity(&self, text: &str) {
        self.expect_text(Locator::Css(".identity .identity__text"), text).await;
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
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{locator:?} did not read {expected:?} within {PATIENCE:?}; it read {last_seen:?}");
    }
}

fn start_stack() -> LocalStack {
    use base64::Engine;
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::{Generate, PrivateKey};

    let root = workspace_root();
    let key = PrivateKey::generate().to_pkcs8_der().expect("a dev sign-in key");
    let mut options =
        StackOptions::fresh_for_tests(&root, "browser").expect("a test stack directory");
    // The local product, as `cargo xtask dev` runs it: the dev sign-in on, root the first superAdmin.
    options.vars = vec![
        ("ENVIRONMENT".into(), "local".into()),
        ("DEV_SIGN_IN".into(), "true".into()),
        (
            "DEV_SIGNING_KEY".into(),
            base64::engine::general_purpose::STANDARD.encode(key.as_bytes()),
        ),
        ("SUPER_ADMIN_BOOTSTRAP".into(), "root@example.com".into()),
    ];
    LocalStack::start(&root, options).unwrap_or_else(|e| panic!("the local stack starts: {e}"))
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
        .wait_until_answers(port, "/status", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("chromedriver answers: {e}"));
    ChromeDriver { url: format!("http://127.0.0.1:{port}"), _process: process }
}

fn profile_dir() -> PathBuf {
    let session = SESSIONS.fetch_add(1, Ordering::Relaxed);
    let dir = workspace_root()
        .join("target")
        .join("test-stacks")
        .join("browser")
        .join(format!("profile-{session}"));
    std::fs::create_dir_all(&dir).expect("a profile directory");
    dir
}
