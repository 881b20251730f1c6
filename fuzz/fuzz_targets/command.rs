//! `/mentor` commands in a comment body: every line is a command or an error with its line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentor_core::command::{is_commands_only, parse_commands};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else { return };
    let lines = body.split_inclusive('\n').count();
    for result in parse_commands(body) {
        let line = match &result {
            Ok(command) => command.line,
            Err(error) => error.line,
        };
        assert!(line >= 1 && line <= lines, "line {line} of {lines}: {result:?}");
        if let Err(error) = result {
            let _ = error.to_string();
        }
    }
    let _ = is_commands_only(body);
});
