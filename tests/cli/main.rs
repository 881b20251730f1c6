//! End-to-end tests of the `mentor` binary against real git repositories made in temp dirs.
//!
//! One test binary, one module per area. Every test runs git and mentor with a cleared environment and fixed
//! identities and timestamps (see `util`), so output never depends on the machine.

mod config;
mod history;
/// `mentor hooks install | uninstall | status`.
mod hooks;
/// `mentor pair` and the commit hooks it drives.
mod pair;
/// `mentor match` and `mentor audit`.
mod program;
mod template;
mod util;
