//! `sovbench-node`: command-line front end of the node library.

/// jemalloc, with its background thread purging freed memory: with glibc's allocator a hosted
/// node that had opened and closed a thousand stores kept gigabytes it no longer used
/// (docs/BENCHMARKS.md, "Hosted node: 1,000 administrations").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    sovbench_node::return_freed_memory();
    sovbench_node::cli::main()
}
