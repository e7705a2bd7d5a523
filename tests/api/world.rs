//! The world outside the Worker that the tests control: the Access team's signing keys and the
//! key-set endpoints that publish them (one with a fetch counter, one that can be turned off), and
//! the fake Okta's tenants.
//! Both run on one background runtime for the whole test binary.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fake_okta::{
    Control, FakeOkta, FakeOktaConfig, TenantInfo, TenantOptions, TenantSize, TenantSpec,
};
use groupsync_core::auth::sign_rs256;
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Generate, PrivateKey};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Members of the scale tenant's big group: staged as one value (about 150 bytes a member), they
/// would exceed D1's 2 MB cap on a value.
pub(crate) const SCALE_GROUP_MEMBERS: u32 = 20_000;

/// The AUD tag the test stacks expect.
pub(crate) const AUDIENCE: &str = "test-access-aud-0123456789abcdef";

/// Everything the tests control.
pub(crate) struct World {
    /// The Access team's issuer (`http://127.0.0.1:PORT`): the key-set server's origin.
    pub(crate) issuer: String,
    /// The issuer of a second team with the same keys, on a key-set server of its own that only
    /// [`crate::helpers::TestApp::with_own_access_team`] trusts: its fetches are counted apart
    /// from those of every other stack, which fetch the main team's whenever their tests need.
    pub(crate) own_team: String,
    /// The signing keys: `keys[0]` and `keys[1]` are published from the start (`k1`, `k2`);
    /// `keys[2]` is not, until a test rotates it in (`k3`); `keys[3]` is never published.
    pub(crate) keys: Vec<PrivateKey>,
    published: Arc<Mutex<Vec<Value>>>,
    /// Fetches of the second team's key set.
    own_team_fetches: Arc<AtomicUsize>,
    /// The issuer of a third team with the same keys, whose key-set endpoint a test turns off
    /// and on ([`Self::switchable_certs`]); only the stale-keys test's stack trusts it.
    pub(crate) switchable_team: String,
    /// The switch of the third team's key-set endpoint.
    pub(crate) switchable_certs: Arc<CertsSwitch>,
    /// The issuer of a fourth team with the same keys, trusted only by the stack that the
    /// shared-keys test restarts: its fetches are counted apart ([`Self::restarted_team_key_fetches`]).
    pub(crate) restarted_team: String,
    restarted_team_fetches: Arc<AtomicUsize>,
    /// The fake Okta's demo tenant.
    pub(crate) okta: TenantInfo,
    /// A tenant of size S that the sync tests change between runs.
    pub(crate) sync_tenant: (TenantInfo, Control),
    /// A tenant of size S that the fault runs break.
    pub(crate) fault_tenant: (TenantInfo, Control),
    /// A tenant of size S with one assigned group of [`SCALE_GROUP_MEMBERS`] members, whose
    /// member list is larger than one D1 value.
    pub(crate) scale_tenant: (TenantInfo, Control),
    /// A key for the dev sign-in stack (base64 PKCS#8 DER).
    pub(crate) dev_signing_key: String,
}

impl World {
    /// The world, started on first use.
    pub(crate) fn get() -> &'static World {
        static WORLD: OnceLock<World> = OnceLock::new();
        WORLD.get_or_init(start)
    }

    /// How many times the second team's key set ([`Self::own_team`]) has been fetched.
    pub(crate) fn own_team_key_fetches(&self) -> usize {
        self.own_team_fetches.load(Ordering::SeqCst)
    }

    /// How many times the fourth team's key set ([`Self::restarted_team`]) has been fetched.
    pub(crate) fn restarted_team_key_fetches(&self) -> usize {
        self.restarted_team_fetches.load(Ordering::SeqCst)
    }

    /// Publishes key `index` as `kid` beside the others (a rotation with overlap).
    pub(crate) fn publish(&self, index: usize, kid: &str) {
        self.published.lock().expect("the key list").push(jwk(kid, &self.keys[index]));
    }

    /// A token signed with key `index` under `kid`.
    pub(crate) fn token(&self, claims: &Value, kid: &str, index: usize) -> String {
        sign_rs256(claims, kid, &self.keys[index])
    }

    /// A person's token as Access would mint it, valid for an hour: a test holds its callers
    /// across many sync runs, which can take minutes on a loaded machine.
    pub(crate) fn person(&self, email: &str) -> String {
        self.token(&self.person_claims(email), "k1", 0)
    }

    /// The claims of a person's token.
    pub(crate) fn person_claims(&self, email: &str) -> Value {
        let now = now_s();
        json!({ "iss": self.issuer, "aud": [AUDIENCE], "sub": format!("sub-{email}"), "email": email,
                "iat": now, "nbf": now - 5, "exp": now + 3600, "type": "app" })
    }

    /// The variables of a stack that verifies Access tokens against this world.
    pub(crate) fn stack_vars(&self) -> Vec<(String, String)> {
        [
            ("ENVIRONMENT", "local".to_owned()),
            ("ACCESS_TEAM_DOMAIN", self.issuer.clone()),
            ("ACCESS_AUD", AUDIENCE.to_owned()),
            ("ACCESS_KEYS_REFETCH_SECONDS", "2".to_owned()),
            ("SUPER_ADMIN_BOOTSTRAP", "root@example.com".to_owned()),
            ("TOKEN_ENCRYPTION_KEY", STANDARD.encode([11_u8; 32])),
            ("API_KEY_PEPPER", STANDARD.encode([22_u8; 32])),
            // Many tests write as root at once; the limit itself is tested on the dev stack.
            ("RATE_LIMIT_ADMIN_WRITES_PER_MINUTE", "100000".to_owned()),
            ("RATE_LIMIT_OKTA_TESTS_PER_MINUTE", "100000".to_owned()),
            // Locally every request comes from 127.0.0.1 (wrangler sets `CF-Connecting-IP`), and
            // the credential tests send many refused credentials at once.
            ("RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", "100000".to_owned()),
            // Webhook endpoints may be on these hosts (and, locally, on loopback).
            ("WEBHOOK_ALLOWLIST", "hooks.example.test, *.apps.example.test".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
    }

    /// [`Self::stack_vars`] without those `drop` says, and with `set` (which replace any of the
    /// same name).
    pub(crate) fn stack_vars_with(
        &self,
        drop: impl Fn(&str) -> bool,
        set: &[(&str, String)],
    ) -> Vec<(String, String)> {
        self.stack_vars()
            .into_iter()
            .filter(|(name, _)| !drop(name) && !set.iter().any(|(set, _)| set == name))
            .chain(set.iter().map(|(name, value)| ((*name).to_owned(), value.clone())))
            .collect()
    }
}

/// A key-set endpoint that a test turns off (it then closes every connection without an answer,
/// as a host that is down) and on again, counting the fetches it answered and refused.
#[derive(Debug, Default)]
pub(crate) struct CertsSwitch {
    down: AtomicBool,
    answered: AtomicUsize,
    refused: AtomicUsize,
    last_answered: Mutex<Option<Instant>>,
}

impl CertsSwitch {
    /// Turns the endpoint off (`true`) or on.
    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Fetches answered with the key set.
    pub(crate) fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    /// Fetches refused while the endpoint was off.
    pub(crate) fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// When the key set was last answered.
    pub(crate) fn last_answered(&self) -> Option<Instant> {
        *self.last_answered.lock().expect("the switch")
    }
}

/// Seconds since the epoch.
pub(crate) fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The JWK of a key.
pub(crate) fn jwk(kid: &str, key: &PrivateKey) -> Value {
    let public = key.to_public_key();
    json!({ "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n_bytes()), "e": URL_SAFE_NO_PAD.encode(public.e_bytes()) })
}

fn start() -> World {
    let keys: Vec<PrivateKey> = (0..4).map(|_| PrivateKey::generate()).collect();
    let published = Arc::new(Mutex::new(vec![jwk("k1", &keys[0]), jwk("k2", &keys[1])]));
    let own_team_fetches = Arc::new(AtomicUsize::new(0));
    let switchable_certs = Arc::new(CertsSwitch::default());
    let restarted_team_fetches = Arc::new(AtomicUsize::new(0));
    let dev_key = PrivateKey::generate();
    let dev_signing_key = STANDARD.encode(dev_key.to_pkcs8_der().expect("a PKCS#8 key").as_bytes());
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (set, count) = (Arc::clone(&published), Arc::clone(&own_team_fetches));
    let switch = Arc::clone(&switchable_certs);
    let restarted_count = Arc::clone(&restarted_team_fetches);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for the key set");
            let issuer = format!("http://{}", listener.local_addr().expect("an address"));
            // Nobody counts the main team's fetches: every stack makes them.
            tokio::spawn(serve_keys(listener, Arc::clone(&set), Arc::default(), None));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for the key set");
            let own_team = format!("http://{}", listener.local_addr().expect("an address"));
            tokio::spawn(serve_keys(listener, Arc::clone(&set), count, None));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for the key set");
            let switchable_team = format!("http://{}", listener.local_addr().expect("an address"));
            tokio::spawn(serve_keys(listener, Arc::clone(&set), Arc::default(), Some(switch)));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for the key set");
            let restarted_team = format!("http://{}", listener.local_addr().expect("an address"));
            tokio::spawn(serve_keys(listener, set, restarted_count, None));
            let okta =
                FakeOkta::start(FakeOktaConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .expect("the fake Okta starts");
            let tenant = |seed| FakeOktaConfig {
                tenant: TenantSpec { size: TenantSize::S, seed },
                ..FakeOktaConfig::default()
            };
            let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
            let sync = FakeOkta::start(tenant(7), any_port).await.expect("the sync tenant starts");
            let faults =
                FakeOkta::start(tenant(8), any_port).await.expect("the fault tenant starts");
            let options =
                TenantOptions { big_group: Some(SCALE_GROUP_MEMBERS), ..TenantOptions::default() };
            let scale = FakeOkta::start_with_options(tenant(9), options, any_port)
                .await
                .expect("the scale tenant starts");
            let sync_tenant = (sync.info().clone(), sync.control().clone());
            let fault_tenant = (faults.info().clone(), faults.control().clone());
            let scale_tenant = (scale.info().clone(), scale.control().clone());
            ready_tx
                .send((
                    issuer,
                    own_team,
                    switchable_team,
                    restarted_team,
                    okta.info().clone(),
                    sync_tenant,
                    fault_tenant,
                    scale_tenant,
                ))
                .expect("the tests wait");
            // Keep the fakes alive for the whole test binary.
            std::future::pending::<()>().await;
            drop((okta, sync, faults, scale));
        });
    });
    let (
        issuer,
        own_team,
        switchable_team,
        restarted_team,
        okta,
        sync_tenant,
        fault_tenant,
        scale_tenant,
    ) = ready_rx.recv().expect("the background servers start");
    World {
        issuer,
        own_team,
        keys,
        published,
        own_team_fetches,
        switchable_team,
        switchable_certs,
        restarted_team,
        restarted_team_fetches,
        okta,
        sync_tenant,
        fault_tenant,
        scale_tenant,
        dev_signing_key,
    }
}

/// Serves the key set at `/cdn-cgi/access/certs`, counting fetches; with a `switch`, only while
/// it is on.
async fn serve_keys(
    listener: TcpListener,
    published: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    switch: Option<Arc<CertsSwitch>>,
) {
    loop {
        let Ok((mut connection, _)) = listener.accept().await else { continue };
        let (published, fetches, switch) =
            (Arc::clone(&published), Arc::clone(&fetches), switch.clone());
        tokio::spawn(async move {
            let _ = answer(&mut connection, &published, &fetches, switch.as_deref()).await;
        });
    }
}

async fn answer(
    connection: &mut tokio::net::TcpStream,
    published: &Mutex<Vec<Value>>,
    fetches: &AtomicUsize,
    switch: Option<&CertsSwitch>,
) -> io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = connection.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let is_certs = head.starts_with(b"GET /cdn-cgi/access/certs ");
    if let Some(switch) = switch {
        if switch.down.load(Ordering::SeqCst) {
            switch.refused.fetch_add(1, Ordering::SeqCst);
            // Down: the connection ends without an answer.
            return Ok(());
        }
        if is_certs {
            *switch.last_answered.lock().expect("the switch") = Some(Instant::now());
            switch.answered.fetch_add(1, Ordering::SeqCst);
        }
    }
    let (status, body) = if is_certs {
        fetches.fetch_add(1, Ordering::SeqCst);
        let keys = published.lock().expect("the key list").clone();
        ("200 OK", json!({ "keys": keys }).to_string())
    } else {
        ("404 Not Found", "{}".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    connection.write_all(response.as_bytes()).await?;
    connection.shutdown().await
}

/// A fake Okta started with `config` for one test file alone, on a runtime of its own that lives
/// as long as the test binary (a test's own runtime ends with the test, and the fake with it).
pub(crate) fn fake_okta_of_its_own(config: FakeOktaConfig) -> (TenantInfo, Control) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let fake = FakeOkta::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .expect("the fake Okta starts");
            ready_tx.send((fake.info().clone(), fake.control().clone())).expect("the test waits");
            std::future::pending::<()>().await;
            drop(fake);
        });
    });
    ready_rx.recv().expect("the fake Okta starts")
}
