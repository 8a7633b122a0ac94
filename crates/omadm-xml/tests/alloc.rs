//! Allocation-count test (placeholder).
