//! The `omadm` binary: everything lives in the library so that it can be tested.

fn main() -> std::process::ExitCode {
    omadm_cli::main()
}
