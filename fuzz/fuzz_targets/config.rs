//! Config parsing and merging: the input is one `mentorship.yml`, or two separated by a NUL byte (an org file
//! then a repository file). Each is parsed; two are merged both as an org program (`merge_org`) and as an
//! `_extends` chain (`parse_layers`). Never panics; every error names a file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentor_core::config::{self, extends};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (first, second) = text.split_once('\0').unwrap_or((text, ""));
    let parsed_first = config::parse("org.yml", first);
    if let Err(errors) = &parsed_first {
        assert!(errors.0.iter().all(|e| !e.file.is_empty()), "an error without a file: {errors:?}");
    }
    if second.is_empty() {
        return;
    }
    let parsed_second = config::parse("repo.yml", second);
    if let (Ok(a), Ok(b)) = (parsed_first, parsed_second) {
        let _ = config::merge_org(vec![a, b]);
    }
    let layers = [
        extends::Layer {
            label: "acme/api:.github/mentorship.yml".into(),
            repo: "acme/api".into(),
            text: second.into(),
        },
        extends::Layer {
            label: "acme/.github:.github/mentorship.yml".into(),
            repo: "acme/.github".into(),
            text: first.into(),
        },
    ];
    let _ = extends::parse_layers(&layers, config::parse);
    let _ = extends::extends_of(second);
});
