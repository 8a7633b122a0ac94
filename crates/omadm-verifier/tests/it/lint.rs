//! lint tests.
