//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the files at compile time,
//! and cargo does not otherwise notice a new file, so a build could run without it (and a test pass or fail
//! against a stale schema).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
