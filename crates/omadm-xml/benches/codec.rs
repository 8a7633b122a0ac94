//! Criterion benchmarks of the codec (placeholder until written).
fn main() {}
