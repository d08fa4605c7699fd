//! `sovbench-trustee`: command-line front end of the trustee library.

fn main() -> std::process::ExitCode {
    sovbench_trustee::cli::main()
}
