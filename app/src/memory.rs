//! The process's heap: what malloc has in use and holds (for `/metrics`), and giving freed memory back.
//!
//! Under sustained load on SQLite the server's RSS grew about 2 MB a minute while its live heap stayed flat:
//! glibc's malloc kept the pages freed by requests whose peak working set grows with the data (reports over every
//! touchpoint, SQLite's sorts and caches in this process), in arenas it only trims from the top (BENCHMARKS.md,
//! soak). Neither fewer arenas nor jemalloc changed that; returning free pages to the system periodically does,
//! and so does serving every block of [`MMAP_THRESHOLD`] or more from its own mapping: glibc otherwise raises that
//! threshold each time such a block is freed, so buffers that grow with the data (a mentee's evidence, a page) come
//! from the arenas, and each larger one leaves the last as a hole (a 20-minute soak: 28 MB held and growing with a
//! dynamic threshold, 19 MB and level with a fixed one).

use std::time::Duration;

use tokio::sync::watch;

/// How often freed memory is given back to the system.
pub const TRIM_EVERY: Duration = Duration::from_secs(30);

/// Blocks of this many bytes or more get their own mapping, returned to the system when freed.
pub const MMAP_THRESHOLD: usize = 64 * 1024;

/// Fixes malloc's mmap threshold at [`MMAP_THRESHOLD`] for the process (a running server sets it beside its
/// trims), unless the operator set one
/// (`MALLOC_MMAP_THRESHOLD_`, which glibc reads at start); true when this set it.
pub fn tune() -> bool {
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_some() {
        return false;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only changes a malloc parameter under malloc's own lock; M_MMAP_THRESHOLD takes a size.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// malloc's bytes in use and the bytes it holds from the system (arenas and mmapped chunks), for the whole
/// process (Rust and SQLite alike); None where the C library does not say (not glibc).
pub fn heap() -> Option<(i64, i64)> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 takes no arguments and only reads malloc's statistics (glibc 2.33+); it returns a
        // plain struct.
        let info = unsafe { libc::mallinfo2() };
        let allocated = info.uordblks.saturating_add(info.hblkhd);
        let held = info.arena.saturating_add(info.hblkhd);
        Some((i64::try_from(allocated).ok()?, i64::try_from(held).ok()?))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Gives the free pages of every malloc arena back to the system; true when some were.
pub fn trim() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks malloc's own free lists (taking each arena's lock) and releases whole
        // free pages with madvise; memory in use is untouched. 0: keep no padding at the top of the heap.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Trims every [`TRIM_EVERY`] until `stop` turns true, on a blocking thread (a trim walks every arena: a few
/// milliseconds that must not hold a runtime worker).
pub async fn run(mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TRIM_EVERY) => {}
            _ = stop.changed() => break,
        }
        if let Err(e) = tokio::task::spawn_blocking(trim).await {
            tracing::warn!(error = %e, "giving freed memory back failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After [`tune`], a block of the threshold's size is a mapping of its own (counted in `hblkhd`), given back
    /// when freed, however many such blocks were freed before (glibc's dynamic threshold would have risen).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn blocks_from_the_threshold_up_are_mapped_on_their_own() {
        let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
        assert!(tune(), "this test runs without MALLOC_MMAP_THRESHOLD_ set");
        for _ in 0..3 {
            // Capacity only: the pages are never touched, so the RSS the trim test measures is not disturbed.
            let blocks: Vec<Vec<u8>> =
                (0..64).map(|_| Vec::with_capacity(MMAP_THRESHOLD)).collect();
            let with = mapped();
            drop(blocks);
            let without = mapped();
            assert!(with >= without + 64 * MMAP_THRESHOLD, "{with} → {without}");
        }
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn freed_memory_between_live_blocks_is_given_back_and_the_live_heap_is_counted() {
        let rss = || -> i64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        let (live_before, _) = heap().unwrap();
        // 64 MB in 32 KB blocks (below the mmap threshold, so they live in an arena), every page written.
        let mut blocks: Vec<Vec<u8>> =
            (0..2048).map(|i| vec![1 + (i % 250) as u8; 32 * 1024]).collect();
        let (live_full, held_full) = heap().unwrap();
        assert!(live_full >= live_before + 60_000_000, "{live_before} → {live_full}");
        assert!(held_full >= live_full);
        // Free every other block: 32 MB of holes between live blocks, which free() cannot give back by itself
        // (it only trims the top of an arena): the fragmentation the server saw.
        for block in blocks.iter_mut().step_by(2) {
            *block = Vec::new();
        }
        let (live_holey, _) = heap().unwrap();
        assert!(live_holey < live_full - 30_000_000, "{live_full} → {live_holey}");
        let before_trim = rss();
        assert!(trim(), "some pages were given back");
        let after_trim = rss();
        // Other tests of this binary allocate meanwhile; most of the 32 MB of holes still goes back.
        assert!(
            after_trim + 20_000 < before_trim,
            "RSS {before_trim} kB → {after_trim} kB after the trim"
        );
        drop(blocks);
    }
}
