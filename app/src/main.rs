//! The `mentor-app` binary: everything lives in the library; this only turns the outcome into an exit code.

fn main() -> std::process::ExitCode {
    mentor_app::run()
}
