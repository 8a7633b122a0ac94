//! The `omadm` command-line tool: the I/O edge of the workspace.

fn main() {}
