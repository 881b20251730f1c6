//! Repository templates: a fuzzed template file (front matter and body; a bare body gets a valid front matter)
//! is parsed and rendered as the worker renders repository templates, with fuel, on a fixed context. Never
//! panics or hangs: a template renders, or fails with an error naming its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentor_core::template::{self, REPOSITORY_FUEL};
use mentor_fuzz::fixed;

const FILE: &str = ".github/mentorship/templates/t.md";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = if text.starts_with("---") {
        text.to_owned()
    } else {
        format!("---\nid: t\ntitle: T\nkind: comment\non: command\n---\n{text}")
    };
    let template = match template::parse_template(FILE, &file) {
        Ok(t) => t,
        Err(e) => {
            assert!(e.to_string().starts_with(FILE), "{e}");
            return;
        }
    };
    let ctx = fixed::render_context().clone();
    if let Err(e) = template::render_with_fuel(&template, ctx, Some(REPOSITORY_FUEL)) {
        assert!(e.to_string().starts_with(FILE), "{e}");
    }
});
