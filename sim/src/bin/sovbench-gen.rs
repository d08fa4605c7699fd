//! `sovbench-gen DIR`: writes shell completions (bash, zsh, fish) and man pages of
//! sovbench-aggregator, sovbench-node and sovbench-trustee below DIR (see docs/OPERATIONS.md,
//! "Installing").

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!(
            "usage: sovbench-gen DIR   (writes DIR/completions/{{bash,zsh,fish}} and DIR/man/man1)"
        );
        return ExitCode::from(2);
    };
    match sovbench_sim::docgen::generate(&out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sovbench-gen: error: {}: {e}", out.display());
            ExitCode::from(1)
        }
    }
}
