//! Git trailers: parse, add, remove and the empty-message check on any commit message, under each comment
//! prefix and with or without the patch divider. Never panics, and a trailer `add` put on a message is one
//! `parse` reads back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentor_core::trailer::{self, Trailer, TrailerOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(message) = std::str::from_utf8(rest) else { return };
    let prefix = ["#", ";", "auto", "//", ""][usize::from(mode & 0x07) % 5];
    let opts = TrailerOptions::with_comment(prefix).with_patch_divider(mode & 0x08 != 0);
    let parsed = trailer::parse(message, &opts);
    let mentored = Trailer::new("Mentored-by", "Bob Lindqvist <bob@example.com>");
    let added = trailer::add(message, &mentored, &opts);
    let _ = trailer::remove(&added, &mentored, &opts);
    let _ = trailer::remove(message, &mentored, &opts);
    let _ = trailer::is_empty_apart_from(message, &parsed, &opts);
    let _ = trailer::is_empty_apart_from(&added, &[mentored], &opts);
});
