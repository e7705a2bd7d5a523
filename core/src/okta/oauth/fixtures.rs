//! Test fixtures: a throwaway RSA key made with `openssl genpkey` for these tests only, and
//! values computed from it with openssl, so the Rust code is checked against another
//! implementation rather than against itself.

use std::sync::OnceLock;

use super::ServiceAppKey;

/// A 2048-bit test key, as `openssl genpkey -algorithm RSA` writes it (unencrypted PKCS#8 PEM).
pub(super) const TEST_KEY_PEM: &str = include_str!("testdata/test-key.pem");

/// The RFC 7638 thumbprint of [`TEST_KEY_PEM`], from `openssl rsa -modulus` and `openssl dgst`.
pub(super) const TEST_KEY_KID: &str = "1vtC1twkwD9WrI6uve2balwKHVNnt_hU7obpN6Q_YR4";

/// `openssl dgst -sha256 -sign` of `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0`, base64url.
pub(super) const TEST_KEY_SIGNATURE: &str = "P3cJvP-hKM8zK_4AskBhDbjMlWKoESprxBlFQYUJxHMJ0KCn_bVYPxglHFmZVnRTH2Q7zQ2qnILc-LvFKRw6PQSaoVaBTsrCPfHHVd_AWrWbD6yIx3HvM_CBZcjsa3T1ynjplyGHpPrYk5wkMRTtmoUopIpUqNasiNP4ZcAiwD4bYrUZji88Y4cgY3xsaWVc2IMOeSl8iWk1Tgbmmamv5WZdnL7avo2nQJb_uioT9I10wYwjZhD6RVZ4F42aPrnyboa7EFfx3VH_ETZXMC8k3VyDFKPBcGXYl7rWgO8af9NFUBs_WyBnwiSg92HD7vqMooyGhIxKcRpgon0arRRRiA";

/// A 1024-bit PKCS#8 key (DER, base64): too small to be accepted.
pub(super) const SMALL_KEY_BASE64: &str = "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAKMTeqINx+KC4Vaf24UsGxb1iZFfgdPIlzO8COdIZqPkDSHMSgYgKWnAwHMIHz9eql2SLGSKKPxqH7A5MOouEat/msXTXBEZvQUyW51mC/z20f+LmOUcNpX1CGO9uYVWJgJtmkotYGV+NLtJg9CUlG/plDUoXqgN0takW31yAfapAgMBAAECgYATm5v7MD0Ad0ww5je2436+W/eWiy1JEa1cgxdu972fpyQNFEsyQVu5Y3vAWRGoxPEnHxRHYnVbJEd7IOVIwxFMpGpBQdklmmOsxsOGUDwcq7dPleUR4Kq+aE0J+Bs23J2mrNCnpgwn6OYGtx+BpX6rN+Z1j4ddjuot+wyADkG2gQJBANjffqYgW9RJdqpv5kpYYD6sbuRIvdGM2qxHkxeJ0wUQb59oWmpDQXf2VpgLyH3PZmoTdm591kq21/0AHo66NrUCQQDAf1Et71DV6dZxj0lPFSy1axxPUPDJV+TE32jIUxOGN4NkLaIYPKeg80uTYOApeN0aFodu3g4dTXnvhzFQ5mSlAkA/+eY9kYwlWqqT6sCvq9RwiKOJ2l+MopWbft3IctL6SnfzOXB6qm50ugmfftJdMsKOhkFIpPyDO98JdnCNQCeFAkBmKCsQ0Zx4qaxgf8ZL7dTYQou3nCDs+XQy9s1I4q3N4NAd7gnECwx64iMNh6/u0nGkUqh1MesTqfY4I+sMH/jxAkEAp6g62ra1EFK9F/dloOJiGEqBjxZAjJuJw0hF4ZyxSN2vPj0I5ObwFyet+wWtr2pLfMCBrFCg7+qG5h43yyh72w==";

/// [`TEST_KEY_PEM`], parsed once per test binary.
pub(crate) fn test_key() -> &'static ServiceAppKey {
    static KEY: OnceLock<ServiceAppKey> = OnceLock::new();
    KEY.get_or_init(|| ServiceAppKey::from_pkcs8_text(TEST_KEY_PEM).expect("the test key loads"))
}
