//! What every command gets besides its own arguments: the output settings, and an async runtime
//! for the commands that wait on the commit worker or serve.

use anyhow::Context as _;
use sovbench_core::i18n::Lang;

/// What every command needs besides its own arguments.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Machine-readable JSON instead of text.
    pub json: bool,
    /// Language of the text.
    pub lang: Lang,
}

/// A tokio runtime for the commands that wait on the commit worker or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
