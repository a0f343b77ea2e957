//! LPA references: `M-XXXX-XXXX-XXXX` from the LPA Store's alphabet, generated here when a service does not
//! bring one.

use lpaflow_core::InstanceId;
use rand::Rng;

/// The characters of a uid (no vowels but A, E, U, Y, no look-alikes).
pub const ALPHABET: &[u8] = b"346789QWERTYUPADFGHJKLXCVBNM";

/// A fresh random uid.
pub fn generate() -> InstanceId {
    let mut rng = rand::rng();
    let mut s = String::from("M");
    for _ in 0..3 {
        s.push('-');
        for _ in 0..4 {
            s.push(ALPHABET[rng.random_range(0..ALPHABET.len())] as char);
        }
    }
    InstanceId::new(s)
}

/// Whether `raw` is a well-formed LPA uid.
pub fn well_formed(raw: &str) -> bool {
    lpaflow_lpa::validation::lpa_uid_well_formed(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_uids_are_well_formed() {
        for _ in 0..200 {
            let uid = generate();
            assert!(well_formed(uid.as_str()), "{uid}");
        }
        assert!(!well_formed("M-1234-5678-9ABC"));
        assert!(!well_formed("nonsense"));
    }
}
