//! `sovbench-node`: command-line front end of the node library.

fn main() -> std::process::ExitCode {
    sovbench_node::cli::main()
}
