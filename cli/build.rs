//! Link settings that make the commit hooks start fast.
//!
//! Git starts `mentor-hook` twice per commit (prepare-commit-msg and commit-msg), so its start-up is commit
//! latency:
//! - all binaries are linked as position-dependent executables (`-no-pie`): as a PIE, `mentor` spent most of its
//!   start-up applying ~44,000 relative relocations (about 480 page faults and 2.1–2.6 ms of CPU per run on the
//!   reference machine, against 150 faults and 1.3–1.5 ms without). The cost is that the binaries' own code is not
//!   address-randomised (libraries and heap still are), an accepted trade for short-lived local tools;
//! - `mentor-hook` is linked statically where the C toolchain has static glibc: the dynamic loader's work for
//!   libc, libgcc_s and libz is about 0.3 ms per process there (BENCHMARKS.md). rustc only links statically with
//!   `-C target-feature=+crt-static`, which cargo cannot set for one binary without breaking proc-macros, so the
//!   static archives are offered under the names rustc asks for (`-lc`, `-lgcc_s`, …) in a directory searched
//!   only when linking `mentor-hook` (`libgcc_s` is served by `libgcc_eh`, its static twin). Anything missing
//!   and the hook is linked dynamically, which only costs time;
//! - `mentor-hook` carries no debug info: each install copies it, twice, into a hooks directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries rustc's link line names for a `*-linux-gnu` binary, and the static archive serving each.
const STATIC_ARCHIVES: [(&str, &str); 8] = [
    ("c", "c"),
    ("m", "m"),
    ("pthread", "pthread"),
    ("rt", "rt"),
    ("dl", "dl"),
    ("util", "util"),
    ("gcc_s", "gcc_eh"),
    ("z", "z"),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-env-changed=MENTOR_HOOK_DYNAMIC");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "linux" {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rustc-link-arg-bin=mentor-hook=-Wl,--strip-debug");
    let gnu = std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    let native = std::env::var("TARGET").ok() == std::env::var("HOST").ok();
    if !gnu || !native || std::env::var_os("MENTOR_HOOK_DYNAMIC").is_some() {
        return;
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR").map(PathBuf::from) else { return };
    match offer_static_archives(&out_dir.join("static-archives")) {
        Ok(dir) => {
            println!("cargo:rustc-link-arg-bin=mentor-hook=-static");
            println!("cargo:rustc-link-arg-bin=mentor-hook=-L{}", dir.display());
        }
        Err(why) => {
            println!("cargo:warning=mentor-hook is linked dynamically (slower hooks): {why}")
        }
    }
}

/// Makes `dir` hold `lib<name>.a` for every library rustc links, each a copy of the C toolchain's archive.
fn offer_static_archives(dir: &Path) -> Result<PathBuf, String> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (name, archive) in STATIC_ARCHIVES {
        let found = Command::new(&cc)
            .arg(format!("-print-file-name=lib{archive}.a"))
            .output()
            .map_err(|e| format!("cannot run {cc}: {e}"))?;
        let path = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
        // cc echoes the bare name back when it has no such archive.
        if !path.is_absolute() || !path.is_file() {
            return Err(format!("{cc} has no lib{archive}.a (install the static C library)"));
        }
        let link = dir.join(format!("lib{name}.a"));
        let _ = std::fs::remove_file(&link);
        std::fs::copy(&path, &link)
            .map_err(|e| format!("cannot copy to {}: {e}", link.display()))?;
    }
    Ok(dir.to_path_buf())
}
