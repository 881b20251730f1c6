//! `mentor-hook`: the program `mentor hooks install` copies into the hooks directory as `prepare-commit-msg` and
//! `commit-msg` (see `mentor_cli::hooks::program`).

fn main() -> std::process::ExitCode {
    mentor_cli::hooks::program::run(std::env::args_os())
}
