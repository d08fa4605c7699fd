//! Shell completions and man pages of the three daemons, generated from their clap definitions
//! (`sovbench-gen DIR`): `DIR/completions/{bash,zsh,fish}/…` and `DIR/man/man1/*.1`, one page per
//! program and one per subcommand (`sovbench-aggregator-serve.1`, …).
//!
//! ```no_run
//! let written = sovbench_sim::docgen::generate(std::path::Path::new("dist")).unwrap();
//! assert!(!written.is_empty());
//! ```

use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::Shell;

/// The programs whose completions and man pages are generated, with their clap definitions.
pub fn commands() -> Vec<clap::Command> {
    vec![
        sovbench_aggregator::cli::Cli::command(),
        sovbench_node::cli::Cli::command(),
        sovbench_trustee::cli::Cli::command(),
    ]
}

/// The shells completions are written for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Writes completions and man pages of every program below `out`; returns the files written.
pub fn generate(out: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let man = out.join("man").join("man1");
    std::fs::create_dir_all(&man)?;
    for cmd in commands() {
        let name = cmd.get_name().to_string();
        for shell in SHELLS {
            let dir = out.join("completions").join(shell.to_string());
            std::fs::create_dir_all(&dir)?;
            let mut c = cmd.clone();
            written.push(clap_complete::generate_to(shell, &mut c, &name, &dir)?);
        }
        let before: Vec<PathBuf> = list(&man)?;
        clap_mangen::generate_to(cmd, &man)?;
        written.extend(list(&man)?.into_iter().filter(|p| !before.contains(p)));
    }
    Ok(written)
}

fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_and_man_pages_name_every_subcommand() {
        let dir = tempfile::tempdir().unwrap();
        let written = generate(dir.path()).unwrap();
        for cmd in commands() {
            let name = cmd.get_name();
            for (shell, file) in [
                ("bash", format!("{name}.bash")),
                ("zsh", format!("_{name}")),
                ("fish", format!("{name}.fish")),
            ] {
                let p = dir.path().join("completions").join(shell).join(&file);
                assert!(written.contains(&p), "{} not written", p.display());
                let text = std::fs::read_to_string(&p).unwrap();
                for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                    assert!(
                        text.contains(sub.get_name()),
                        "{}: no {}",
                        p.display(),
                        sub.get_name()
                    );
                }
            }
            let page = dir.path().join("man/man1").join(format!("{name}.1"));
            let text = std::fs::read_to_string(&page).unwrap();
            assert!(
                text.starts_with(".ie") || text.contains(".TH"),
                "{text:.200}"
            );
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let s = sub.get_name();
                assert!(text.contains(s), "{}: no {s}", page.display());
                let sub_page = dir.path().join("man/man1").join(format!("{name}-{s}.1"));
                assert!(sub_page.exists(), "{} missing", sub_page.display());
            }
        }
        // The aggregator's serve page documents the TLS flags.
        let serve =
            std::fs::read_to_string(dir.path().join("man/man1/sovbench-aggregator-serve.1"))
                .unwrap();
        assert!(
            serve.contains("tls\\-cert") && serve.contains("client\\-ca"),
            "{serve}"
        );
    }
}
