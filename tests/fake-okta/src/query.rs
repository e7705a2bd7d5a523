//! Query strings: decoding the parameters, and the `limit` rules of each listing.
//!
//! How invalid `limit`s are answered (CONTRACT §11.2 leaves real Okta's behaviour open, so this
//! is the fake's documented choice, the same on every listing):
//!
//! * absent: the endpoint's default (apps' groups 20, group members 1000, users 200, or 10
//!   with `q`);
//! * not a decimal integer (empty, `abc`, `2.5`, out of `i32` range) or below the endpoint's
//!   minimum (apps' groups 20, others 1): 400 `E0000001` "Api validation failed: limit" with
//!   one `errorCauses` entry naming the allowed range;
//! * above the maximum (apps' groups 200, group members 1000, users 200): silently capped.

use crate::errors::OktaError;

/// The decoded parameters of a query string, in order, plus the raw string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    raw: String,
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw (still percent-encoded) query string.
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let raw = raw.unwrap_or_default().to_owned();
        let pairs = form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
        Query { raw, pairs }
    }

    /// The raw query string, without the `?`.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// The first value of a parameter.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The `limit` rules of one listing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitRule {
    pub(crate) default: u32,
    pub(crate) min: u32,
    pub(crate) max: u32,
}

impl LimitRule {
    /// `/api/v1/apps/{id}/groups`: default 20, minimum 20, maximum 200 (the spec's figures).
    pub(crate) const APP_GROUPS: LimitRule = LimitRule { default: 20, min: 20, max: 200 };
    /// `/api/v1/groups/{id}/users`: default 1000; the spec gives no maximum, the fake caps at
    /// the default.
    pub(crate) const GROUP_USERS: LimitRule = LimitRule { default: 1000, min: 1, max: 1000 };
    /// `/api/v1/users`: default 200, maximum 200.
    pub(crate) const USERS: LimitRule = LimitRule { default: 200, min: 1, max: 200 };

    /// The page size for this query, or the validation error.
    pub(crate) fn page_size(self, query: &Query) -> Result<u32, OktaError> {
        let Some(raw) = query.get("limit") else { return Ok(self.default) };
        match raw.parse::<i32>() {
            Ok(n) if i64::from(n) >= i64::from(self.min) => Ok((n as u32).min(self.max)),
            _ => Err(OktaError::Validation {
                field: "limit",
                cause: format!(
                    "limit: The value must be an integer between {} and {}.",
                    self.min, self.max
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(rule: LimitRule, raw: &str) -> Result<u32, OktaError> {
        rule.page_size(&Query::parse(Some(raw)))
    }

    #[test]
    fn missing_limit_takes_the_default() {
        assert_eq!(limit(LimitRule::APP_GROUPS, "expand=group"), Ok(20));
        assert_eq!(limit(LimitRule::GROUP_USERS, ""), Ok(1000));
    }

    #[test]
    fn limit_above_the_maximum_is_capped() {
        assert_eq!(limit(LimitRule::APP_GROUPS, "limit=500"), Ok(200));
        assert_eq!(limit(LimitRule::USERS, "limit=201"), Ok(200));
    }

    #[test]
    fn limit_below_the_minimum_or_not_a_number_is_rejected() {
        for raw in ["limit=19", "limit=0", "limit=-5", "limit=", "limit=abc", "limit=2.5"] {
            let err = limit(LimitRule::APP_GROUPS, raw).unwrap_err();
            assert_eq!(err.code(), "E0000001", "{raw}");
        }
        assert!(limit(LimitRule::USERS, "limit=0").is_err());
        assert_eq!(limit(LimitRule::USERS, "limit=1"), Ok(1));
    }

    #[test]
    fn parameters_are_percent_decoded() {
        let q = Query::parse(Some("search=profile.email+eq+%22a%40b.c%22"));
        assert_eq!(q.get("search"), Some("profile.email eq \"a@b.c\""));
    }
}
