//! German `--help` for the three programs: a translation table applied to a clap [`Command`]
//! before parsing, when the help language is German (`--lang de`, else `SOVBENCH_LANG`, else the
//! default, German). English is the text of the clap definitions themselves, so the English help
//! (and the man pages and completions generated from the definitions) stay as they are.
//!
//! A program keeps its own [`Tables`]: descriptions of commands keyed by their path (space
//! separated subcommand names, `""` for the program itself) and argument help keyed by
//! `"path --arg-id"` (the clap id, i.e. the field name, `" --lang"` for a global option). Not
//! translated: clap's own headings and messages ("Usage", "Options", `--help`, usage errors).
//!
//! ```
//! use clap::{Arg, Command};
//! use sovbench_core::help::{check, localise, Tables};
//! use sovbench_core::i18n::Lang;
//!
//! const T: Tables = Tables {
//!     about: &[("", "Beispiel."), ("run", "Führt aus.")],
//!     args: &[("run --fast", "Schnell.")],
//!     after_help: Some("Exit-Codes: 0 Erfolg."),
//! };
//! let cmd = Command::new("x").subcommand(Command::new("run").arg(Arg::new("fast").long("fast")));
//! assert!(check(&cmd, &T).is_empty());
//! let de = localise(cmd, Lang::De, &T);
//! assert_eq!(de.get_about().unwrap().to_string(), "Beispiel.");
//! ```

use std::ffi::OsString;

use clap::Command;

use crate::i18n::Lang;

/// The German texts of one program.
#[derive(Debug, Clone, Copy)]
pub struct Tables {
    /// Command path (`""`, `"round"`, `"round open"`) → German description.
    pub about: &'static [(&'static str, &'static str)],
    /// `"path --arg-id"` → German help of the argument.
    pub args: &'static [(&'static str, &'static str)],
    /// German text after the program's help (exit codes), replacing the English one.
    pub after_help: Option<&'static str>,
}

/// The language of `--help`: `--lang` on the command line, else `SOVBENCH_LANG`, else German.
pub fn help_lang(args: &[OsString]) -> Lang {
    let mut it = args.iter().filter_map(|a| a.to_str());
    while let Some(a) = it.next() {
        let value = match a.strip_prefix("--lang") {
            Some("") => it.next(),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(lang) = value.and_then(|v| v.parse().ok()) {
            return lang;
        }
    }
    std::env::var("SOVBENCH_LANG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// `cmd` with its help in `lang` (English is the text of the clap definitions).
pub fn localise(cmd: Command, lang: Lang, tables: &Tables) -> Command {
    if lang == Lang::En {
        return cmd;
    }
    let cmd = match tables.after_help {
        Some(text) => cmd.after_help(text),
        None => cmd,
    };
    walk(cmd, "", tables)
}

fn walk(cmd: Command, path: &str, tables: &Tables) -> Command {
    let mut cmd = cmd;
    if let Some((_, about)) = tables.about.iter().find(|(p, _)| *p == path) {
        cmd = cmd.about(*about).long_about(None);
    }
    cmd = cmd.mut_args(|a| {
        let key = format!("{path} --{}", a.get_id());
        match tables.args.iter().find(|(k, _)| *k == key) {
            Some((_, help)) => a.help(*help).long_help(None),
            None => a,
        }
    });
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        let sub_path = if path.is_empty() {
            name
        } else {
            format!("{path} {name}")
        };
        walk(sub, &sub_path, tables)
    })
}

/// The subcommand of `cmd` at `path` (space-separated names, `""` for `cmd` itself).
pub fn find<'a>(cmd: &'a Command, path: &str) -> Option<&'a Command> {
    path.split_whitespace()
        .try_fold(cmd, |c, name| c.find_subcommand(name))
}

/// The entries of `tables` that name no command or argument of `cmd` (empty: all do). A test of
/// each program asserts it is empty, so that renaming a command or an argument without its
/// German entry fails.
pub fn check(cmd: &Command, tables: &Tables) -> Vec<String> {
    let mut wrong = Vec::new();
    for (path, _) in tables.about {
        if find(cmd, path).is_none() {
            wrong.push(format!("no command {path:?}"));
        }
    }
    for (key, _) in tables.args {
        let Some((path, arg)) = key.split_once(" --") else {
            wrong.push(format!("key {key:?} is not of the form \"path --arg\""));
            continue;
        };
        match find(cmd, path) {
            None => wrong.push(format!("no command {path:?} (for {key:?})")),
            Some(c) if !c.get_arguments().any(|a| a.get_id() == arg) => {
                wrong.push(format!("no argument {arg} in {path:?}"))
            }
            Some(_) => {}
        }
    }
    wrong
}

/// The commands and arguments of `cmd` (and its subcommands) without a German entry in
/// `tables` (empty: all have one; clap's own `--help` and `--version` need none). A program whose
/// German help is complete asserts it is empty, so that a new command or argument without its
/// German text fails.
pub fn untranslated(cmd: &Command, tables: &Tables) -> Vec<String> {
    fn walk(c: &Command, path: &str, tables: &Tables, missing: &mut Vec<String>) {
        if !tables.about.iter().any(|(p, _)| *p == path) {
            missing.push(format!("command {path:?}"));
        }
        for a in c.get_arguments() {
            let key = format!("{path} --{}", a.get_id());
            let builtin = matches!(a.get_id().as_str(), "help" | "version");
            let global_below = !path.is_empty() && a.is_global_set();
            if !builtin && !global_below && !tables.args.iter().any(|(k, _)| *k == key) {
                missing.push(key);
            }
        }
        for s in c.get_subcommands().filter(|s| s.get_name() != "help") {
            let p = if path.is_empty() {
                s.get_name().to_string()
            } else {
                format!("{path} {}", s.get_name())
            };
            walk(s, &p, tables, missing);
        }
    }
    let mut missing = Vec::new();
    walk(cmd, "", tables, &mut missing);
    missing
}

/// The rendered long help of the subcommand at `path` of `cmd` (for tests and previews); `None`
/// if there is no such command.
pub fn render(cmd: Command, path: &str) -> Option<String> {
    let mut cmd = cmd;
    cmd.build();
    let mut sub = find(&cmd, path)?.clone();
    Some(sub.render_long_help().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    const T: Tables = Tables {
        about: &[
            ("", "Programm."),
            ("round", "Runden."),
            ("round open", "Öffnet."),
        ],
        args: &[
            (" --lang", "Sprache."),
            ("round open --id", "Runden-ID."),
            ("round open --epsilon", "Epsilon."),
        ],
        after_help: Some("Exit-Codes: 0 Erfolg."),
    };

    fn cmd() -> Command {
        Command::new("p")
            .about("Program.")
            .after_help("Exit codes: 0 success.")
            .arg(Arg::new("lang").long("lang").global(true).help("Language."))
            .subcommand(
                Command::new("round").about("Rounds.").subcommand(
                    Command::new("open")
                        .about("Opens.")
                        .arg(Arg::new("id").help("Round id."))
                        .arg(
                            Arg::new("epsilon")
                                .long("epsilon")
                                .help("Epsilon of a value."),
                        ),
                ),
            )
    }

    #[test]
    fn check_finds_entries_that_name_nothing() {
        assert!(check(&cmd(), &T).is_empty(), "{:?}", check(&cmd(), &T));
        let bad = Tables {
            about: &[("round shut", "x")],
            args: &[("round open --eps", "x"), ("nope --id", "x"), ("bad", "x")],
            after_help: None,
        };
        assert_eq!(check(&cmd(), &bad).len(), 4, "{:?}", check(&cmd(), &bad));
    }

    #[test]
    fn german_replaces_descriptions_arguments_and_after_help_english_is_untouched() {
        let de = render(localise(cmd(), Lang::De, &T), "round open").unwrap();
        assert!(de.contains("Öffnet.") && de.contains("Runden-ID."), "{de}");
        assert!(de.contains("Sprache."), "global option propagated: {de}");
        let top = render(localise(cmd(), Lang::De, &T), "").unwrap();
        assert!(
            top.contains("Exit-Codes") && !top.contains("Exit codes"),
            "{top}"
        );
        let en = render(localise(cmd(), Lang::En, &T), "round open").unwrap();
        assert!(en.contains("Opens.") && en.contains("Round id."), "{en}");
        assert!(!en.contains("Öffnet."), "{en}");
    }

    #[test]
    fn the_help_language_comes_from_the_command_line_first() {
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(help_lang(&args(&["x", "--lang", "en", "--help"])), Lang::En);
        assert_eq!(help_lang(&args(&["x", "--lang=en"])), Lang::En);
        assert_eq!(help_lang(&args(&["x", "--lang", "de"])), Lang::De);
    }

    #[test]
    fn untranslated_lists_commands_and_arguments_without_an_entry() {
        assert!(
            untranslated(&cmd(), &T).is_empty(),
            "{:?}",
            untranslated(&cmd(), &T)
        );
        let less = Tables {
            about: &[("", "Programm."), ("round", "Runden.")],
            args: &[(" --lang", "Sprache."), ("round open --id", "Runden-ID.")],
            after_help: None,
        };
        assert_eq!(
            untranslated(&cmd(), &less),
            vec![
                "command \"round open\"".to_string(),
                "round open --epsilon".to_string()
            ]
        );
    }
}
