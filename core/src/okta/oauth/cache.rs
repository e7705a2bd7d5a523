//! When to reuse the access token and when to give up on it, as pure decisions.
//!
//! * A token is reused until [`RENEW_EARLY_S`] before it expires (CONTRACT.md §9: Okta's
//!   tokens live an hour and have no refresh token; renewing five minutes early, as Okta's SDKs
//!   do, means a token never expires in the middle of a paging run).
//! * A 401 on an API call means the token was revoked or the key rotated: the cached token is
//!   dropped and the call retried once with a new one; a second 401 fails ([`UnauthorizedRule`]).
//! * A `use_dpop_nonce` answer earns one retry with the nonce ([`NonceRule`]); the nonce is kept
//!   for later token requests, since Okta's stays valid for days.
//!
//! The client feeds events in (a token stored, a 401, a nonce challenge) and acts on the
//! decisions that come out; nothing here reads a clock or does I/O.

use super::answer::IssuedToken;
use super::dpop::DpopNonce;

/// How long before its expiry a token stops being reused, in seconds.
pub const RENEW_EARLY_S: u64 = 300;

/// When a token was obtained and how long Okta said it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLifetime {
    /// When the token request was *sent*, epoch seconds: earlier than Okta's issue time, so the
    /// token is never believed to live longer than it does.
    pub issued_at_s: u64,
    /// Okta's `expires_in`.
    pub expires_in_s: u64,
}

impl TokenLifetime {
    /// When the token expires, epoch seconds.
    pub fn expires_at_s(self) -> u64 {
        self.issued_at_s.saturating_add(self.expires_in_s)
    }

    /// When to stop reusing the token: [`RENEW_EARLY_S`] before it expires, or halfway through
    /// its life if that is shorter (so a short-lived token is still used for a while rather than
    /// renewed before every request).
    pub fn renew_at_s(self) -> u64 {
        self.expires_at_s() - RENEW_EARLY_S.min(self.expires_in_s / 2)
    }

    /// Whether the token may still be used at `now_s`. A clock that went back since the token
    /// was obtained keeps it usable: its expiry has not moved.
    pub fn usable_at(self, now_s: u64) -> bool {
        now_s < self.renew_at_s()
    }
}

/// Which stored token a request used, so that a 401 drops that token and not a newer one
/// another request has already fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGeneration(u64);

/// A token from the cache, with the generation to report a 401 against.
#[derive(Debug, Clone, Copy)]
pub struct CachedToken<'a> {
    /// The token.
    pub token: &'a IssuedToken,
    /// Which stored token this is.
    pub generation: TokenGeneration,
}

#[derive(Debug)]
struct Entry {
    token: IssuedToken,
    lifetime: TokenLifetime,
    generation: TokenGeneration,
}

/// The one access token a tenant's client holds, and the last `DPoP` nonce Okta gave.
///
/// Its `Debug` is safe to log: the token inside is redacted.
#[derive(Debug, Default)]
pub struct TokenCache {
    current: Option<Entry>,
    stored: u64,
    dpop_nonce: Option<DpopNonce>,
}

impl TokenCache {
    /// An empty cache: the first request fetches a token.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token to use at `now_s`, or `None` when a new one must be fetched first.
    pub fn get(&self, now_s: u64) -> Option<CachedToken<'_>> {
        self.current
            .as_ref()
            .filter(|entry| entry.lifetime.usable_at(now_s))
            .map(|entry| CachedToken { token: &entry.token, generation: entry.generation })
    }

    /// Keeps `token`, requested at `requested_at_s`, in place of any other.
    pub fn store(&mut self, token: IssuedToken, requested_at_s: u64) -> TokenGeneration {
        self.stored += 1;
        let generation = TokenGeneration(self.stored);
        let lifetime =
            TokenLifetime { issued_at_s: requested_at_s, expires_in_s: token.expires_in_s };
        self.current = Some(Entry { token, lifetime, generation });
        generation
    }

    /// Drops the token of `generation` if it is still the current one; says whether it was.
    pub fn invalidate(&mut self, generation: TokenGeneration) -> bool {
        let current = self.current.as_ref().is_some_and(|entry| entry.generation == generation);
        if current {
            self.current = None;
        }
        current
    }

    /// The last nonce Okta asked for, to put in the next token request's proof up front.
    pub fn dpop_nonce(&self) -> Option<&DpopNonce> {
        self.dpop_nonce.as_ref()
    }

    /// Keeps `nonce` for later token requests.
    pub fn set_dpop_nonce(&mut self, nonce: DpopNonce) {
        self.dpop_nonce = Some(nonce);
    }
}

/// What to do after an API call answered 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterUnauthorized {
    /// Get a token from the cache again (fetching one if it is empty) and redo the call.
    RetryWithNewToken,
    /// Fail the call with the 401.
    Fail,
}

/// "A 401 invalidates the cached token once, then fails", for one API call (including its
/// rate-limit and transient retries): make one per call.
#[derive(Debug, Default)]
pub struct UnauthorizedRule {
    renewed: bool,
}

impl UnauthorizedRule {
    /// A call that has not yet been answered 401.
    pub fn new() -> Self {
        Self::default()
    }

    /// The call, made with the token of generation `used`, was answered 401.
    ///
    /// The first time, that token is dropped from `cache` (unless another call already replaced
    /// it, whose newer token the retry then uses without a new fetch) and the call is retried.
    /// The second time the call fails: a fresh token refused too means the credential or its
    /// grants are wrong, and fetching more tokens would not help.
    pub fn on_unauthorized(
        &mut self,
        cache: &mut TokenCache,
        used: TokenGeneration,
    ) -> AfterUnauthorized {
        if self.renewed {
            return AfterUnauthorized::Fail;
        }
        self.renewed = true;
        cache.invalidate(used);
        AfterUnauthorized::RetryWithNewToken
    }
}

/// What to do after the token endpoint answered `use_dpop_nonce`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterNonceChallenge {
    /// Redo the token request with the nonce (now in the cache) in the proof. Sign a new client
    /// assertion and proof with fresh `jti`s: Okta may have recorded the first ones as used.
    RetryWithNonce,
    /// Fail the token request: Okta asked again right after getting a nonce.
    Fail,
}

/// One token request's nonce retry (RFC 9449 §8): make one per token request.
#[derive(Debug, Default)]
pub struct NonceRule {
    retried: bool,
}

impl NonceRule {
    /// A token request that has not been challenged yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The token endpoint answered `use_dpop_nonce` with `nonce`. The nonce is kept in `cache`
    /// either way, so later requests send it up front and skip the challenge.
    pub fn on_use_dpop_nonce(
        &mut self,
        cache: &mut TokenCache,
        nonce: DpopNonce,
    ) -> AfterNonceChallenge {
        cache.set_dpop_nonce(nonce);
        if self.retried {
            return AfterNonceChallenge::Fail;
        }
        self.retried = true;
        AfterNonceChallenge::RetryWithNonce
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::answer::parse_token_answer;
    use super::*;
    use crate::okta::HttpResponse;

    const NOW: u64 = 1_800_000_000;

    fn token(text: &str, expires_in_s: u64) -> IssuedToken {
        let body = serde_json::json!({ "token_type": "Bearer", "expires_in": expires_in_s,
                                       "access_token": text });
        let response =
            HttpResponse { status: 200, headers: Vec::new(), body: body.to_string().into_bytes() };
        parse_token_answer(&response).unwrap()
    }

    fn nonce(text: &str) -> DpopNonce {
        DpopNonce::parse(text).unwrap()
    }

    #[test]
    fn an_hour_token_is_renewed_at_exactly_expiry_minus_300_s() {
        let life = TokenLifetime { issued_at_s: NOW, expires_in_s: 3600 };
        assert_eq!(life.expires_at_s(), NOW + 3600);
        assert_eq!(life.renew_at_s(), NOW + 3300);
        assert!(life.usable_at(NOW));
        assert!(life.usable_at(NOW + 3299));
        assert!(!life.usable_at(NOW + 3300));
        assert!(!life.usable_at(NOW + 3600));
        assert!(life.usable_at(NOW - 10), "a clock that went back keeps the token");
    }

    #[test]
    fn a_short_token_is_used_for_half_its_life() {
        let life = TokenLifetime { issued_at_s: NOW, expires_in_s: 120 };
        assert_eq!(life.renew_at_s(), NOW + 60);
        let one_second = TokenLifetime { issued_at_s: NOW, expires_in_s: 1 };
        assert!(one_second.usable_at(NOW - 1));
        assert!(!one_second.usable_at(NOW + 1));
    }

    #[test]
    fn the_cache_serves_a_token_until_its_renewal_time() {
        let mut cache = TokenCache::new();
        assert!(cache.get(NOW).is_none());
        let generation = cache.store(token("t1", 3600), NOW);
        let cached = cache.get(NOW + 3299).unwrap();
        assert_eq!(cached.token.access_token.expose(), "t1");
        assert_eq!(cached.generation, generation);
        assert!(cache.get(NOW + 3300).is_none());
        let next = cache.store(token("t2", 3600), NOW + 3300);
        assert_ne!(next, generation);
        assert_eq!(cache.get(NOW + 3300).unwrap().token.access_token.expose(), "t2");
    }

    #[test]
    fn a_401_drops_the_token_once_then_fails() {
        let mut cache = TokenCache::new();
        let first = cache.store(token("t1", 3600), NOW);
        let mut rule = UnauthorizedRule::new();
        assert_eq!(rule.on_unauthorized(&mut cache, first), AfterUnauthorized::RetryWithNewToken);
        assert!(cache.get(NOW).is_none(), "the refused token is gone");
        let second = cache.store(token("t2", 3600), NOW);
        assert_eq!(rule.on_unauthorized(&mut cache, second), AfterUnauthorized::Fail);
        assert_eq!(cache.get(NOW).unwrap().generation, second, "only once");
        // The next call gets its own retry.
        let mut next_call = UnauthorizedRule::new();
        assert_eq!(
            next_call.on_unauthorized(&mut cache, second),
            AfterUnauthorized::RetryWithNewToken
        );
    }

    #[test]
    fn a_late_401_does_not_drop_a_newer_token() {
        let mut cache = TokenCache::new();
        let old = cache.store(token("t1", 3600), NOW);
        let (mut a, mut b) = (UnauthorizedRule::new(), UnauthorizedRule::new());
        // Calls A and B both used t1; A's 401 arrives first and A fetches t2.
        assert_eq!(a.on_unauthorized(&mut cache, old), AfterUnauthorized::RetryWithNewToken);
        let new = cache.store(token("t2", 3600), NOW + 1);
        // B's 401 (for t1) retries with t2 without a fetch.
        assert_eq!(b.on_unauthorized(&mut cache, old), AfterUnauthorized::RetryWithNewToken);
        assert_eq!(cache.get(NOW + 1).unwrap().generation, new);
        assert!(!cache.invalidate(old));
        assert!(cache.invalidate(new));
        assert!(!cache.invalidate(new));
    }

    #[test]
    fn a_nonce_challenge_earns_one_retry_and_the_nonce_is_kept() {
        let mut cache = TokenCache::new();
        assert_eq!(cache.dpop_nonce(), None);
        let mut rule = NonceRule::new();
        assert_eq!(
            rule.on_use_dpop_nonce(&mut cache, nonce("n1")),
            AfterNonceChallenge::RetryWithNonce
        );
        assert_eq!(cache.dpop_nonce(), Some(&nonce("n1")));
        assert_eq!(rule.on_use_dpop_nonce(&mut cache, nonce("n2")), AfterNonceChallenge::Fail);
        assert_eq!(cache.dpop_nonce(), Some(&nonce("n2")));
        let mut next_request = NonceRule::new();
        assert_eq!(
            next_request.on_use_dpop_nonce(&mut cache, nonce("n3")),
            AfterNonceChallenge::RetryWithNonce
        );
    }

    #[test]
    fn the_cache_debug_output_redacts_the_token() {
        let mut cache = TokenCache::new();
        cache.store(token("canary-token", 3600), NOW);
        let debug = format!("{cache:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert!(debug.contains("AccessToken([redacted])"), "{debug}");
    }

    /// What happens to one call in the property test below.
    #[derive(Debug, Clone)]
    enum Event {
        /// The call is answered 401.
        Unauthorized,
        /// Another call fetched and stored a new token.
        Renewed,
    }

    proptest! {
        #[test]
        fn usable_exactly_before_the_renewal_time(
            issued in 0u64..4_000_000_000,
            expires_in in 1u64..=86_400,
            offset in 0u64..100_000,
        ) {
            let life = TokenLifetime { issued_at_s: issued, expires_in_s: expires_in };
            let now = issued + offset;
            let early =
                if expires_in >= 2 * RENEW_EARLY_S { RENEW_EARLY_S } else { expires_in / 2 };
            prop_assert_eq!(life.usable_at(now), offset < expires_in - early);
            prop_assert!(!life.usable_at(life.expires_at_s()));
            prop_assert!(life.renew_at_s() > issued, "a token is always usable for a while");
        }

        #[test]
        fn a_call_retries_at_most_once_and_never_drops_a_newer_token(
            events in proptest::collection::vec(
                prop_oneof![Just(Event::Unauthorized), Just(Event::Renewed)], 0..12),
        ) {
            let mut cache = TokenCache::new();
            let mut used = cache.store(token("t0", 3600), NOW);
            let mut rule = UnauthorizedRule::new();
            let mut retries = 0;
            let mut failed = false;
            for event in events {
                match event {
                    Event::Renewed => {
                        cache.store(token("other", 3600), NOW);
                    }
                    Event::Unauthorized if !failed => {
                        let newest = cache.get(NOW).map(|c| c.generation);
                        match rule.on_unauthorized(&mut cache, used) {
                            AfterUnauthorized::RetryWithNewToken => {
                                retries += 1;
                                if newest != Some(used) {
                                    // Someone else's newer token survived and is reused.
                                    prop_assert_eq!(cache.get(NOW).map(|c| c.generation), newest);
                                }
                                used = match cache.get(NOW) {
                                    Some(cached) => cached.generation,
                                    None => cache.store(token("fresh", 3600), NOW),
                                };
                            }
                            AfterUnauthorized::Fail => failed = true,
                        }
                    }
                    Event::Unauthorized => {}
                }
            }
            prop_assert!(retries <= 1);
        }
    }
}
