//! A small deterministic random number generator (`SplitMix64`), so that a tenant generated from a
//! seed is the same on every platform and every run, without a dependency whose output could
//! change between versions.

/// `SplitMix64`: fast, well mixed, and fully specified by its seed.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

/// Base62 alphabet Okta uses for its object ids.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

impl Rng {
    /// A generator for one purpose (`stream`) of one seed; different streams are independent.
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n` must be positive).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `0.0..1.0`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// True with the given probability in percent.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `len` random base62 characters.
    pub(crate) fn base62(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(*self.pick(ALPHABET))).collect()
    }

    /// An Okta-style object id: a three-character type prefix and 17 random characters.
    pub(crate) fn okta_id(&mut self, prefix: &str) -> String {
        format!("{prefix}{}", self.base62(17))
    }

    /// Shuffles a slice in place (Fisher-Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// The `SplitMix64` finaliser, also used on its own as a keyed hash.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_numbers() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7, 1);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1, 2);
        assert!((0..1000).all(|_| r.below(13) < 13));
    }

    #[test]
    fn okta_ids_have_twenty_characters() {
        let id = Rng::new(3, 4).okta_id("00g");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00g"));
    }
}
