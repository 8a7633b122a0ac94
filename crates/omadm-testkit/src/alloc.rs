//! A counting global allocator for allocation-budget tests, so that each test binary installs one
//! shared, reviewed implementation instead of its own `unsafe impl GlobalAlloc`.
//!
//! Install it in a test binary with
//! `#[global_allocator] static GLOBAL: CountingAlloc = CountingAlloc;` and measure a closure with
//! [`allocations`]. Counting is per thread, so the test harness's other threads do not interfere.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting the allocations and reallocations each thread makes.
#[derive(Clone, Copy, Debug, Default)]
pub struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed on this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

/// Adds `delta` bytes to this thread's live count (same `try_with` care as [`count`]).
fn live(delta: isize) {
    let _ = LIVE.try_with(|c| c.set(c.get().wrapping_add(delta)));
}

/// A layout size as a signed delta (sizes never exceed `isize::MAX`).
fn size(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

/// Counts one allocation on this thread. `try_with` on a const-initialised `Cell` never
/// allocates and never panics (also during thread teardown, when the counter is gone).
fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to `System` unchanged; the counter has no effect on memory.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        live(size(layout.size()));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        live(size(layout.size()));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        live(size(new_size) - size(layout.size()));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        live(-size(layout.size()));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` and returns how many allocations (and reallocations) it made on this thread, with
/// its result. Meaningful only in a binary whose global allocator is [`CountingAlloc`]; elsewhere
/// the count is always 0.
pub fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

/// Runs `f` and returns the bytes it left allocated on this thread (allocated minus freed: what
/// its result and anything it leaked hold), with its result. Meaningful only in a binary whose
/// global allocator is [`CountingAlloc`]; elsewhere it is always 0.
pub fn net_bytes<T>(f: impl FnOnce() -> T) -> (isize, T) {
    let before = LIVE.with(Cell::get);
    let out = f();
    (LIVE.with(Cell::get).wrapping_sub(before), out)
}
