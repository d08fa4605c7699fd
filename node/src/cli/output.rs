//! How the commands print: in the language asked for, as text or as JSON.

use serde::Serialize;
use sovbench_core::i18n::Lang;

use crate::node::Node;

/// How to print: the language, and whether as JSON.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Out {
    /// Output language.
    pub lang: Lang,
    /// Machine-readable JSON instead of text.
    pub json: bool,
}

impl Out {
    /// For `node`: `--lang`, else the language of its `node.toml`.
    pub(super) fn of(cli_lang: Option<Lang>, node: &Node, json: bool) -> Out {
        Out {
            lang: cli_lang.unwrap_or(node.config().lang),
            json,
        }
    }
}

/// Prints `value` as JSON on one line.
pub(crate) fn json_line<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Prints `value` as indented JSON.
pub(crate) fn json_pretty<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
