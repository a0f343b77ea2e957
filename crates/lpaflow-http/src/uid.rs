//! LPA uids: `M-XXXX-XXXX-XXXX` from the LPA Store's alphabet, generated here when a service does not bring
//! one, and checked on every path that names one.

use crate::problem::Problem;
use axum::http::StatusCode;
use lpaflow_core::InstanceId;

pub use lpaflow_app::uid::{ALPHABET, generate};

/// `raw` as a uid, or 400 `invalid_uid` naming it.
pub fn parse(raw: &str) -> Result<InstanceId, Problem> {
    if lpaflow_app::uid::well_formed(raw) {
        Ok(InstanceId::new(raw))
    } else {
        let shown: String = raw.chars().take(40).collect();
        Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_uid",
            format!("{shown:?} is not an LPA uid (M-XXXX-XXXX-XXXX)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_uids_are_well_formed() {
        for _ in 0..200 {
            let uid = generate();
            assert!(parse(uid.as_str()).is_ok(), "{uid}");
        }
        assert!(parse("M-1234-5678-9ABC").is_err());
        assert!(parse("nonsense").is_err());
    }
}
