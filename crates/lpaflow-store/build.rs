//! `sqlx::migrate!` embeds `migrations/` at compile time, but cargo does not know the macro reads that folder:
//! without this, a new migration file would not rebuild the crate and the binary would miss it.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
