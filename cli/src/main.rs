//! The `mentor` binary: parses the command line and turns the outcome into an exit code.

fn main() -> std::process::ExitCode {
    mentor_cli::run()
}
