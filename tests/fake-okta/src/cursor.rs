//! Opaque `after` cursors. A cursor names the last item of the previous page (its index in the
//! listing's order), so that paging stays stable while the tenant changes, and it is bound to one
//! listing kind and one tenant: the position is masked with a tenant-specific salt, a check value
//! is appended, and the bytes are base64url-encoded. Clients must follow `next` links verbatim
//! (CONTRACT §4), so nothing about this format is promised.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::rng::mix;

/// Which listing a cursor belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// `/api/v1/apps/{id}/groups`.
    AppGroups = 1,
    /// `/api/v1/groups/{id}/users`.
    GroupUsers = 2,
    /// `/api/v1/users`.
    Users = 3,
}

/// Encodes "after the item at `position`" for a listing.
pub(crate) fn encode(salt: u64, listing: Listing, position: u32) -> String {
    let kind = listing as u8;
    let mask = mix(salt ^ u64::from(kind)) as u32;
    let check = mix(salt.wrapping_add(u64::from(position)) ^ (u64::from(kind) << 40)) as u32;
    let mut bytes = vec![kind];
    bytes.extend_from_slice(&(position ^ mask).to_be_bytes());
    bytes.extend_from_slice(&check.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes a cursor made by [`encode`] for the same salt and listing; `None` if it is not one.
pub(crate) fn decode(salt: u64, listing: Listing, cursor: &str) -> Option<u32> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let [kind, p0, p1, p2, p3, ..] = bytes[..] else { return None };
    if bytes.len() != 9 || kind != listing as u8 {
        return None;
    }
    let mask = mix(salt ^ u64::from(kind)) as u32;
    let position = u32::from_be_bytes([p0, p1, p2, p3]) ^ mask;
    (encode(salt, listing, position) == cursor).then_some(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = encode(42, Listing::Users, 1234);
        assert_eq!(decode(42, Listing::Users, &c), Some(1234));
    }

    #[test]
    fn cursors_are_not_plain_offsets() {
        let c = encode(42, Listing::Users, 200);
        assert!(!c.contains("200"));
        assert_ne!(encode(43, Listing::Users, 200), c);
    }

    #[test]
    fn cursors_do_not_cross_listings_or_tenants() {
        let c = encode(42, Listing::GroupUsers, 7);
        assert_eq!(decode(42, Listing::Users, &c), None);
        assert_eq!(decode(41, Listing::GroupUsers, &c), None);
        assert_eq!(decode(42, Listing::GroupUsers, "garbage"), None);
    }
}
