//! lpaflow-lpa: the Lasting Power of Attorney domain, pure (no IO): the names `workflows/lpa.toml` may use.

pub mod catalog;

pub use catalog::catalog;
