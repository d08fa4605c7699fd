//! Every command line the documentation shows parses with the program's own clap definition: a
//! renamed or removed flag fails here instead of at an operator's prompt (issue 19, item 10:
//! `init --name` in three places, where the flag is `--consortium`).
//!
//! Where commands are looked for:
//!
//! - `README.md` and `docs/*.md`: every line of a shell code block (```` ```sh ````, `bash`,
//!   `shell`, `console`; in a block without a language only lines that start with a program),
//!   checked in full: the line must parse.
//! - the same files' inline code spans that start with a program (`` `sovbench-node submit` ``):
//!   these are often fragments (`--peer-requests-per-day` without its value), so only an unknown
//!   flag or subcommand counts as wrong.
//! - every file below `packaging/`, comment lines included (the Containerfile and the units show
//!   their set-up commands in comments), `Exec*=` lines and `CMD [...]` in exec form: in full.
//!
//! A command starts at a word that is a program's name (or `/…/bin/` and the name, or `KEY=` and
//! one of these, as in `ExecStart=`), not after an option (`--bin sovbench-node`). Lines ending
//! in `\` continue; a word starting with `#` starts a comment; the command ends at `|`, `&&`,
//! `||`, `;`, `&` or a redirection. Placeholders `<node key>` become a dummy value, `...` and `…`
//! are dropped, and `[--json]` counts as `--json`.

use std::path::{Path, PathBuf};

use clap::error::ErrorKind;
use clap::Parser as _;

const PROGRAMS: [&str; 3] = ["sovbench-aggregator", "sovbench-node", "sovbench-trustee"];

/// How strictly a found command is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// A full command line: it must parse.
    Full,
    /// A fragment in prose: only unknown flags and subcommands are wrong.
    Names,
}

/// One command found in a file.
#[derive(Debug)]
struct Found {
    file: String,
    line: usize,
    argv: Vec<String>,
    strictness: Strictness,
}

/// A shell word and whether any part of it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Word {
    text: String,
    quoted: bool,
}

/// Splits a line into shell words: quotes group and are removed, a backslash escapes the next
/// character, an unquoted word starting with `#` ends the line (a comment).
fn words(line: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut in_word) = (false, false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                quoted = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    cur.push(q);
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(Word {
                        text: std::mem::take(&mut cur),
                        quoted,
                    });
                    (quoted, in_word) = (false, false);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(Word { text: cur, quoted });
    }
    out
}

/// Replaces placeholders such as `<node key>` by a dummy value (a number, so that numeric
/// options accept it too).
fn fill_placeholders(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let inner = &rest[start + 1..start + len];
        // `<` `>` around words: a placeholder; anything else (a redirection) stays.
        if !inner.is_empty() && !inner.contains(['<', '&', '/']) && !inner.starts_with(' ') {
            out.push_str(&rest[..start]);
            out.push('1');
        } else {
            out.push_str(&rest[..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The program a word starts, if it names one: `sovbench-node`, `/usr/local/bin/sovbench-node`,
/// `ExecStart=/usr/local/bin/sovbench-node`.
fn program_of(word: &Word) -> Option<&'static str> {
    if word.text.starts_with('-') {
        return None;
    }
    let candidates = [
        Some(word.text.as_str()),
        word.text.split_once('=').map(|(_, v)| v),
    ];
    for c in candidates.into_iter().flatten() {
        let c = c.trim_start_matches(['-', '@', ':', '+', '!']);
        for p in PROGRAMS {
            if c == p || c.strip_suffix(p).is_some_and(|dir| dir.ends_with("/bin/")) {
                return Some(p);
            }
        }
    }
    None
}

/// The commands in one logical line: from each program word to the end of its command.
fn commands_in(line: &str, first_word_only: bool) -> Vec<Vec<String>> {
    let ws = words(&fill_placeholders(line));
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let prev_is_option = i > 0 && ws[i - 1].text.starts_with('-') && !ws[i - 1].quoted;
        let program = if ws[i].quoted || prev_is_option || (first_word_only && i > 0) {
            None
        } else {
            program_of(&ws[i])
        };
        let Some(program) = program else {
            i += 1;
            continue;
        };
        let mut argv = vec![program.to_string()];
        i += 1;
        while i < ws.len() {
            let w = &ws[i];
            let t = w.text.as_str();
            if !w.quoted
                && (matches!(t, "|" | "||" | "&&" | ";" | "&")
                    || t.starts_with(['>', '<'])
                    || t.starts_with("2>"))
            {
                break;
            }
            i += 1;
            if !w.quoted && (t == "..." || t == "…") {
                continue;
            }
            let t = if !w.quoted && t.starts_with('[') && t.ends_with(']') {
                &t[1..t.len() - 1]
            } else {
                t
            };
            if !w.quoted && t.ends_with(';') {
                argv.push(t.trim_end_matches(';').to_string());
                break;
            }
            argv.push(t.to_string());
        }
        out.push(argv);
    }
    out
}

/// Joins lines ending in `\` with the following ones; yields (first line number, text).
fn logical_lines<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in lines {
        let (start, mut text) = pending.take().unwrap_or((n, String::new()));
        let trimmed = line.trim_end();
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                text.push_str(head);
                text.push(' ');
                pending = Some((start, text));
            }
            None => {
                text.push_str(trimmed);
                out.push((start, text));
            }
        }
    }
    out.extend(pending);
    out
}

const SHELL_FENCES: [&str; 5] = ["sh", "bash", "shell", "console", "shell-session"];

/// The commands of a Markdown file: shell code blocks in full, inline code spans by name.
fn markdown_commands(file: &str, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut fence: Option<(String, Vec<(usize, &str)>)> = None;
    let mut prose: Vec<(usize, &str)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match fence.take() {
                Some((lang, lines)) => {
                    let shell = SHELL_FENCES.contains(&lang.as_str());
                    if shell || lang.is_empty() {
                        for (start, l) in logical_lines(lines.into_iter()) {
                            // A console prompt is not part of the command.
                            let l = l.trim_start();
                            let l = l.strip_prefix("$ ").unwrap_or(l);
                            for argv in commands_in(l, !shell) {
                                found.push(Found {
                                    file: file.to_string(),
                                    line: start,
                                    argv,
                                    strictness: Strictness::Full,
                                });
                            }
                        }
                    }
                }
                None => fence = Some((info.trim().to_string(), Vec::new())),
            }
            continue;
        }
        match &mut fence {
            Some((_, lines)) => lines.push((n, line)),
            None => prose.push((n, line)),
        }
    }
    // Inline code spans, within a paragraph (they may wrap to the next line).
    for paragraph in prose.split(|(_, l)| l.trim().is_empty()) {
        let mut joined = String::new();
        let mut line_at: Vec<(usize, usize)> = Vec::new(); // (byte offset, line number)
        for (n, l) in paragraph {
            line_at.push((joined.len(), *n));
            joined.push_str(l);
            joined.push(' ');
        }
        let mut rest = joined.as_str();
        let mut offset = 0;
        while let Some(open) = rest.find('`') {
            let ticks = rest[open..].chars().take_while(|c| *c == '`').count();
            let body_start = open + ticks;
            let closing = "`".repeat(ticks);
            let Some(len) = rest[body_start..].find(&closing) else {
                break;
            };
            let span = &rest[body_start..body_start + len];
            let at = offset + open;
            let line = line_at
                .iter()
                .rev()
                .find(|(o, _)| *o <= at)
                .map_or(0, |(_, n)| *n);
            for argv in commands_in(span, true) {
                found.push(Found {
                    file: file.to_string(),
                    line,
                    argv,
                    strictness: Strictness::Names,
                });
            }
            let next = body_start + len + ticks;
            offset += next;
            rest = &rest[next..];
        }
    }
    found
}

/// The commands of a packaging file: every line, comment lines included.
fn packaging_commands(file: &str, text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let lines = text.lines().enumerate().map(|(i, l)| {
        // A comment line shows a command after its `#`.
        let t = l.trim_start();
        (i + 1, t.strip_prefix('#').unwrap_or(t))
    });
    for (start, line) in logical_lines(lines) {
        // Exec form of a Containerfile instruction: CMD ["sovbench-aggregator", "--help"].
        let exec_form = ["CMD", "ENTRYPOINT", "RUN"].iter().find_map(|i| {
            line.trim()
                .strip_prefix(i)
                .map(str::trim)
                .filter(|r| r.starts_with('['))
        });
        if let Some(json) = exec_form {
            let argv: Vec<String> = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("{file}:{start}: exec form is not a JSON array: {e}"));
            if let Some(program) = argv.first().and_then(|w| {
                program_of(&Word {
                    text: w.clone(),
                    quoted: false,
                })
            }) {
                let mut argv = argv;
                argv[0] = program.to_string();
                found.push(Found {
                    file: file.to_string(),
                    line: start,
                    argv,
                    strictness: Strictness::Full,
                });
            }
            continue;
        }
        for argv in commands_in(&line, false) {
            found.push(Found {
                file: file.to_string(),
                line: start,
                argv,
                strictness: Strictness::Full,
            });
        }
    }
    found
}

/// Parses `argv` with the program's clap definition; `Err` with clap's message when wrong.
fn check(argv: &[String], strictness: Strictness) -> Result<(), String> {
    let result = match argv[0].as_str() {
        "sovbench-aggregator" => sovbench_aggregator::cli::Cli::try_parse_from(argv).map(drop),
        "sovbench-node" => sovbench_node::cli::Cli::try_parse_from(argv).map(drop),
        "sovbench-trustee" => sovbench_trustee::cli::Cli::try_parse_from(argv).map(drop),
        other => return Err(format!("not a program: {other}")),
    };
    let Err(e) = result else { return Ok(()) };
    let wrong = match e.kind() {
        // `--help` and `--version` are complete command lines.
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => false,
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand => true,
        _ => strictness == Strictness::Full,
    };
    if wrong {
        // clap's message without its usage and help lines.
        let text = e.to_string();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .filter(|l| !l.is_empty())
            .collect();
        Err(lines.join(" "))
    } else {
        Ok(())
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_below(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every command found in README.md, docs/*.md and packaging/.
fn all_commands() -> Vec<Found> {
    let root = root();
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let mut markdown = vec![root.join("README.md")];
    let mut docs = Vec::new();
    files_below(&root.join("docs"), &mut docs);
    markdown.extend(
        docs.into_iter()
            .filter(|p| p.parent() == Some(&root.join("docs")))
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let mut found = Vec::new();
    for p in &markdown {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        found.extend(markdown_commands(&rel(p), &text));
    }
    let mut packaging = Vec::new();
    files_below(&root.join("packaging"), &mut packaging);
    for p in &packaging {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        found.extend(packaging_commands(&rel(p), &text));
    }
    found
}

#[test]
fn every_command_line_in_the_docs_and_packaging_parses() {
    let found = all_commands();
    let mut failures = Vec::new();
    for f in &found {
        if let Err(why) = check(&f.argv, f.strictness) {
            failures.push(format!(
                "{}:{}: {}\n    {why}",
                f.file,
                f.line,
                f.argv.join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documented command lines do not parse:\n{}",
        failures.len(),
        found.len(),
        failures.join("\n")
    );
    // The finder itself: it must see the commands of every kind of place, or the check above
    // proves nothing.
    let seen = |file: &str, program: &str, strictness: Strictness| {
        found
            .iter()
            .any(|f| f.file == file && f.argv[0] == program && f.strictness == strictness)
    };
    for (file, program, strictness) in [
        ("README.md", "sovbench-aggregator", Strictness::Full),
        ("README.md", "sovbench-node", Strictness::Full),
        ("README.md", "sovbench-trustee", Strictness::Full),
        (
            "docs/OPERATIONS.md",
            "sovbench-aggregator",
            Strictness::Full,
        ),
        ("docs/OPERATIONS.md", "sovbench-node", Strictness::Names),
        (
            "packaging/Containerfile",
            "sovbench-aggregator",
            Strictness::Full,
        ),
        (
            "packaging/systemd/sovbench-aggregator.service",
            "sovbench-aggregator",
            Strictness::Full,
        ),
        (
            "packaging/systemd/sovbench-node.service",
            "sovbench-node",
            Strictness::Full,
        ),
        (
            "packaging/systemd/sovbench-trustee.service",
            "sovbench-trustee",
            Strictness::Full,
        ),
    ] {
        assert!(
            seen(file, program, strictness),
            "no {strictness:?} command of {program} found in {file}"
        );
    }
    assert!(found.len() > 100, "only {} commands found", found.len());
}

#[test]
fn the_finder_reads_continuations_comments_placeholders_and_exec_lines() {
    let md = "Run `sovbench-node submit` now.\n\n```sh\nexport X=1\n\
              sovbench-aggregator enrol --key <node key> \\\n  --name \"A B\"   # a comment\n\
              podman run --rm img sovbench-aggregator init --name \"V\"\n\
              cargo build --bin sovbench-node\n```\n";
    let found = markdown_commands("x.md", md);
    let argvs: Vec<(usize, Vec<&str>)> = found
        .iter()
        .map(|f| (f.line, f.argv.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        argvs,
        vec![
            (
                5,
                vec![
                    "sovbench-aggregator",
                    "enrol",
                    "--key",
                    "1",
                    "--name",
                    "A B"
                ]
            ),
            (7, vec!["sovbench-aggregator", "init", "--name", "V"]),
            (1, vec!["sovbench-node", "submit"]),
        ]
    );
    // Yesterday's wrong flag is found wrong, today's right one parses.
    let wrong: Vec<String> = ["sovbench-aggregator", "init", "--name", "V"]
        .map(String::from)
        .to_vec();
    let e = check(&wrong, Strictness::Full).expect_err("--name is not a flag of init");
    assert!(e.contains("--name"), "{e}");
    let right: Vec<String> = ["sovbench-aggregator", "init", "--consortium", "V"]
        .map(String::from)
        .to_vec();
    assert_eq!(check(&right, Strictness::Full), Ok(()));
    // A fragment in prose may leave out values, not invent flags.
    let fragment: Vec<String> = ["sovbench-aggregator", "serve", "--peer-requests-per-day"]
        .map(String::from)
        .to_vec();
    assert_eq!(check(&fragment, Strictness::Names), Ok(()));
    assert!(check(&fragment, Strictness::Full).is_err());

    let unit = "# once:\n#   sudo -u s X=/v \\\n#     sovbench-node init --name N\n\
                ExecStart=/usr/local/bin/sovbench-node serve --interval 300\n\
                Documentation=man:sovbench-node(1)\nCMD [\"sovbench-node\", \"--help\"]\n";
    let found = packaging_commands("u.service", unit);
    let argvs: Vec<(usize, Vec<&str>)> = found
        .iter()
        .map(|f| (f.line, f.argv.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        argvs,
        vec![
            (2, vec!["sovbench-node", "init", "--name", "N"]),
            (4, vec!["sovbench-node", "serve", "--interval", "300"]),
            (6, vec!["sovbench-node", "--help"]),
        ]
    );
}
