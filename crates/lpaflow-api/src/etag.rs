//! Revisions as entity tags: `ETag` on every LPA answer, `If-Match` for data changes, `If-None-Match` for reads.

/// The strong ETag of a revision: `"<revision>"`.
pub fn etag(revision: u64) -> String {
    format!("\"{revision}\"")
}

/// Reads a revision from `If-Match` / `If-None-Match` (`"3"`, `W/"3"` or `3`); `None` if it is not one.
pub fn parse_etag(value: &str) -> Option<u64> {
    let v = value.trim().trim_start_matches("W/");
    v.trim_matches('"').parse().ok()
}
