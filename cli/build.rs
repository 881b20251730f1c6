//! Links the `mentor` binary as a position-dependent executable.
//!
//! Git runs `mentor hook …` on every commit, so its start-up time is commit latency. As a PIE, the binary spends
//! most of its start-up applying ~44,000 relative relocations and faulting in the 1.3 MB of `.data.rel.ro` they
//! touch (about 480 page faults and 2.1–2.6 ms of CPU per hook on the reference machine); linked with `-no-pie`
//! the same run takes about 150 page faults and 1.3–1.5 ms (see bench/hook-overhead.sh). Only the binaries get
//! the flag: the library, tests and proc-macros keep their defaults. The cost is that the binary's own code is
//! not address-randomised (its libraries and heap still are), an accepted trade for a short-lived local tool.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
