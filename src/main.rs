//! The `lpaflow` binary: everything lives in `lpaflow-cli`; this wrapper exists so that `cargo run` at the
//! repository root runs the product and the end-to-end tests in `tests/` can start the real binary.

/// mimalloc instead of glibc's malloc: under the workload benchmark glibc's allocator (malloc, free and their
/// consolidation) took about 17 % of the process's CPU, and mimalloc's per-thread heaps gave 14-66 % more
/// workflows per second. It keeps freed memory a little longer (a higher peak RSS, see BENCHMARKS.md). Built
/// with `no_thp`: otherwise it asks the kernel for transparent huge pages on its arenas, and each thread's
/// first small allocations made 2 MiB resident (a live heap of about 1 MB held 18 MB of RSS; issue 18, fifth
/// session).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lpaflow_cli::main()
}
