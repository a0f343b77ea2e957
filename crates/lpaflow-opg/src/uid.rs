//! The shape of an LPA uid in a URL: `M-XXXX-XXXX-XXXX`, upper-case letters and digits. Deliberately wider than
//! the alphabet lpaflow generates from (`346789QWERTYUPADFGHJKLXCVBNM`) and than the OpenAPI's digits-only
//! pattern, because the store's own tests use `[0-9A-Z]` and the benchmark's ids are digits; it still keeps
//! anything that is not a plain path segment out of URLs.

/// Whether `uid` has the shape `M-XXXX-XXXX-XXXX` (upper-case letters and digits).
pub fn is_valid_uid(uid: &str) -> bool {
    let bytes = uid.as_bytes();
    bytes.len() == 16
        && bytes.starts_with(b"M-")
        && bytes[2..].iter().enumerate().all(|(i, b)| {
            if i % 5 == 4 {
                *b == b'-'
            } else {
                b.is_ascii_uppercase() || b.is_ascii_digit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_shape() {
        assert!(is_valid_uid("M-7QQX-4DFG-9HJK"));
        assert!(is_valid_uid("M-0000-0001-2345"));
        for bad in [
            "M-0000-0001-234",
            "X-0000-0001-2345",
            "M-0000/0001-2345",
            "m-0000-0001-2345",
            "",
        ] {
            assert!(!is_valid_uid(bad), "{bad}");
        }
    }
}
