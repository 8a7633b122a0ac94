//! Parsing and formatting a parameter list allocate nothing: a counting global allocator (per
//! thread, so the test harness does not interfere) around `MacParams::parse`,
//! `Mac::write_base64` and `MacParams`'s `Display` into a buffer with room.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use std::fmt::Write as _;

use omadm_dmsec::MacParams;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged;
// counting touches only a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

#[test]
fn parsing_allocates_nothing() {
    // The counter counts.
    assert_eq!(allocations(|| String::from("x")).0, 1);
    for text in [
        r#"algorithm=SHA256, username="alice", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="#,
        r#"mac="aSBvnDHzBa7JhdjeEEUR2g==" ,username=Bruce2, algorithm=hmac-md5"#,
        r#"algorithm=SHA256, username="IMEI:35\"69\\38", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="#,
        r#"algorithm="S\HA256", username="alice", mac="ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA\=""#,
    ] {
        let (n, parsed) = allocations(|| MacParams::parse(text));
        assert!(parsed.is_ok(), "{text}: {parsed:?}");
        assert_eq!(n, 0, "{text}: {n} allocations");
    }
    // Errors allocate nothing either.
    for text in [
        "",
        "mac=AAAA",
        "username=x, mac=ylB0",
        r#"username="a\"#,
        &"x".repeat(600),
    ] {
        let (n, parsed) = allocations(|| MacParams::parse(text));
        assert!(parsed.is_err(), "{text}");
        assert_eq!(n, 0, "{text}: {n} allocations");
    }
}

#[test]
fn formatting_allocates_nothing() {
    for text in [
        r#"algorithm=SHA256, username="alice", mac=ylB0RTUpXaqXa7EHQz6/T8ErJqi1elHh6bXzumJuczA="#,
        r#"algorithm=MD5, username="IMEI:35\"69\\38", mac=aSBvnDHzBa7JhdjeEEUR2g=="#,
    ] {
        let params = MacParams::parse(text).unwrap();
        let mut out = [0u8; 44];
        let (n, len) = allocations(|| params.mac().write_base64(&mut out).unwrap());
        assert_eq!(n, 0, "{text}: {n} allocations in write_base64");
        assert!(text.ends_with(std::str::from_utf8(&out[..len]).unwrap()));
        let mut line = String::with_capacity(MacParams::MAX_LEN);
        let (n, ()) = allocations(|| write!(line, "{params}").unwrap());
        assert_eq!(n, 0, "{text}: {n} allocations in Display");
        assert_eq!(line, text);
    }
}
