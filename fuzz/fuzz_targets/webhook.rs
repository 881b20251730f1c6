//! Webhook decoding and normalizing: `<event name>\n<body>` → `Payload::decode` → `normalize`. Never panics:
//! a body GitHub (or anyone holding the secret) sends is either understood or a `NormalizeError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentor_fuzz::normalize::{is_relevant, normalize};
use mentor_fuzz::payload::Payload;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (event, body) = text.split_once('\n').unwrap_or(("pull_request", text));
    if let Ok(payload) = Payload::decode(event, body) {
        let _ = is_relevant(event, payload.action.as_deref());
        let _ = payload.is_public();
        let _ = normalize(event, &payload);
    }
});
