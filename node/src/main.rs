//! `sovbench-node`: command-line front end of the node library.

/// mimalloc returns freed memory to the system; with glibc's allocator a hosted node that has
/// opened and closed a thousand stores kept gigabytes it no longer used (docs/BENCHMARKS.md,
/// "Hosted node: 1,000 administrations").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    sovbench_node::cli::main()
}
