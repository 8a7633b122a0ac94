//! Repository automation (`cargo xtask ci`, `cargo xtask fuzz`): what CI runs, in Rust.

fn main() {}
