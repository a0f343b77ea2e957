//! The `lpaflow` binary: everything lives in `lpaflow-cli`; this wrapper exists so that `cargo run` at the
//! repository root runs the product and the end-to-end tests in `tests/` can start the real binary.

fn main() -> std::process::ExitCode {
    lpaflow_cli::main()
}
