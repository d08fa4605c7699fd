//! `sovbench-aggregator`: command-line front end of the aggregator library.

fn main() -> std::process::ExitCode {
    sovbench_aggregator::cli::main()
}
