//! `sovbench-node init` and `sovbench-node status`: the node's identity, profile, privacy budget,
//! ledger and outbox.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sovbench_core::envelope::{b64, fingerprint};
use sovbench_core::i18n::Lang;
use sovbench_core::time::format_utc;

use super::round::state_label;
use super::{json_line, json_pretty, Out};
use crate::config::PrivacyPolicy;
use crate::model::{AssessmentRecord, LedgerEntry, Profile};
use crate::node::{InitOptions, Node};
use crate::round::policy;

/// The arguments that make a node: `init`, and `tenants add` on a hosted node.
#[derive(Debug, clap::Args)]
pub struct NewNode {
    /// Name of the administration.
    #[arg(long)]
    pub name: String,
    /// Kind: gemeinde, stadt, landkreis, land, bund, it-dienstleister.
    #[arg(long)]
    pub kind: String,
    /// Bundesland as ISO 3166-2:DE code, e.g. DE-NW.
    #[arg(long)]
    pub state: String,
    /// Population (Gemeinde, Stadt, Landkreis, Land).
    #[arg(long, conflicts_with = "staff", required_unless_present = "staff")]
    pub population: Option<u64>,
    /// Staff count (Bund, kommunaler IT-Dienstleister).
    #[arg(long)]
    pub staff: Option<u64>,
    /// gRPC address of the aggregator, e.g. http://agg.example:7443.
    #[arg(long)]
    pub aggregator: Option<String>,
    /// The aggregator's public key (base64), as printed by `sovbench-aggregator init`.
    #[arg(long)]
    pub aggregator_key: Option<String>,
    /// Mode secure: the trustee committee's fingerprint (64 hex digits, SHA-256 of the
    /// committee document), checked with the consortium out of band.
    #[arg(long, value_name = "HEX")]
    pub committee_fingerprint: Option<String>,
    /// The first account of the browser workplace (role approver).
    #[arg(long, default_value = "admin", value_name = "NAME")]
    pub account: String,
    /// Its password, from the first line of this file; without, one is generated and
    /// printed once.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

impl NewNode {
    /// The checked arguments.
    pub(super) fn into_args(self) -> anyhow::Result<InitArgs> {
        use anyhow::Context as _;
        let size = self
            .population
            .or(self.staff)
            .context("give --population or --staff")?;
        Ok(InitArgs {
            name: self.name,
            kind: self.kind,
            state: self.state,
            size,
            aggregator: self.aggregator,
            aggregator_key: self.aggregator_key,
            committee_fingerprint: self.committee_fingerprint,
            account: self.account,
            password_file: self.password_file,
        })
    }
}

/// The arguments of `init`.
#[derive(Debug)]
pub(super) struct InitArgs {
    pub name: String,
    pub kind: String,
    pub state: String,
    pub size: u64,
    pub aggregator: Option<String>,
    pub aggregator_key: Option<String>,
    pub committee_fingerprint: Option<String>,
    pub account: String,
    pub password_file: Option<PathBuf>,
}

/// `init --json`.
#[derive(Serialize)]
struct InitJson {
    cohorts: Vec<String>,
    data_dir: PathBuf,
    fingerprint: String,
    profile: Profile,
    public_key: String,
    /// The workplace's first account.
    account: String,
    /// Its password, if generated (shown only here).
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

/// `status --json`.
#[derive(Serialize)]
struct StatusJson {
    aggregator_url: Option<String>,
    budget: policy::Budget,
    committee_fingerprint: Option<String>,
    fingerprint: String,
    latest_assessment: Option<AssessmentRecord>,
    ledger: Vec<LedgerEntry>,
    outbox: Vec<String>,
    policy: PrivacyPolicy,
    profile: Profile,
    public_key: String,
}

/// `sovbench-node init`.
pub(super) fn init(
    dir: &Path,
    args: InitArgs,
    lang: Option<Lang>,
    json: bool,
) -> anyhow::Result<()> {
    let node = Node::init(dir, args.options())?;
    announce(node, &args, lang, json)
}

impl InitArgs {
    /// The node's options.
    pub(super) fn options(&self) -> InitOptions {
        InitOptions {
            name: self.name.clone(),
            kind: self.kind.clone(),
            state: self.state.clone(),
            size: self.size,
            aggregator_url: self.aggregator.clone(),
            aggregator_key: self.aggregator_key.clone(),
            policy: None,
            committee_fingerprint: self.committee_fingerprint.clone(),
        }
    }
}

/// After `init` (or `tenants add`): creates the first account and prints the key, the
/// fingerprint, the account and the enrolment command.
pub(super) fn announce(
    node: Node,
    args: &InitArgs,
    lang: Option<Lang>,
    json: bool,
) -> anyhow::Result<()> {
    let lang = lang.unwrap_or(node.config().lang);
    let p = node.profile()?;
    let (account, password) = super::accounts::create(
        &node,
        &args.account,
        crate::people::Role::Approver,
        args.password_file.as_deref(),
        "init",
    )?;
    let key = b64(node.public_key());
    let fp = fingerprint(node.public_key());
    if json {
        return json_line(&InitJson {
            cohorts: p.cohort().cohorts(),
            data_dir: node.dir().to_path_buf(),
            fingerprint: fp,
            profile: p,
            public_key: key,
            account: account.name,
            password,
        });
    }
    println!("{}", lang.pick("Knoten angelegt in", "Node created in"));
    println!("  {}", node.dir().display());
    println!(
        "{}: {} ({}, {}, {})",
        lang.pick("Verwaltung", "Administration"),
        p.name,
        p.kind.label(lang),
        p.state,
        p.size_class.key()
    );
    println!(
        "{}: {key}",
        lang.pick("Öffentlicher Schlüssel", "Public key")
    );
    println!("{}: {fp}", lang.pick("Fingerabdruck", "Fingerprint"));
    println!();
    println!(
        "{}",
        lang.pick(
            "Arbeitsplatz im Browser (sovbench-node serve --http-listen 127.0.0.1:8080):",
            "Browser workplace (sovbench-node serve --http-listen 127.0.0.1:8080):"
        )
    );
    println!("  {}: {}", lang.pick("Konto", "Account"), account.name);
    if let Some(p) = &password {
        print!("  ");
        super::accounts::print_password(p, lang);
    }
    println!();
    println!(
        "{}",
        lang.pick(
            "Zur Aufnahme in den Verbund dem Betreiber des Aggregators übergeben:",
            "Give this to the aggregator operator for enrolment:"
        )
    );
    println!(
        "  sovbench-aggregator enrol --key {key} --name {:?} --kind {} --state {} --{} {}",
        p.name,
        p.kind.key(),
        p.state,
        if p.kind.is_territorial() {
            "population"
        } else {
            "staff"
        },
        p.size
    );
    Ok(())
}

/// `sovbench-node status`.
pub(super) fn status(node: &Node, out: Out) -> anyhow::Result<()> {
    let lang = out.lang;
    let p = node.profile()?;
    let policy = &node.config().privacy;
    let ledger = node.store().ledger()?;
    let budget = policy::budget(&ledger, policy, node.now());
    let outbox: Vec<String> = node.store().outbox()?.into_iter().map(|(r, _)| r).collect();
    let latest = node.store().latest_assessment()?;
    if out.json {
        return json_pretty(&StatusJson {
            aggregator_url: node.config().aggregator_url.clone(),
            budget,
            committee_fingerprint: node.config().committee_fingerprint.clone(),
            fingerprint: fingerprint(node.public_key()),
            latest_assessment: latest,
            ledger,
            outbox,
            policy: policy.clone(),
            profile: p,
            public_key: b64(node.public_key()),
        });
    }
    println!(
        "{} ({}, {}, {})",
        p.name,
        p.kind.label(lang),
        p.state,
        p.size_class.key()
    );
    println!(
        "{}: {}",
        lang.pick("Fingerabdruck", "Fingerprint"),
        fingerprint(node.public_key())
    );
    println!(
        "{}: {}",
        lang.pick("Aggregator", "Aggregator"),
        node.config().aggregator_url.as_deref().unwrap_or("-")
    );
    match latest.and_then(|r| r.assessment().map(|a| (r, a))) {
        Some((r, a)) => println!(
            "{}: {} / 25, {} ({})",
            lang.pick("Letzter Selbsttest", "Latest self-test"),
            a.total(),
            a.band().label(lang),
            format_utc(r.recorded_at())
        ),
        None => println!(
            "{}",
            lang.pick("Noch kein Selbsttest.", "No self-test yet.")
        ),
    }
    for line in crate::privacy::report::budget_lines(&budget, lang) {
        println!("{line}");
    }
    if let Some(fp) = &node.config().committee_fingerprint {
        println!(
            "{}: {fp}",
            lang.pick("Treuhändergremium (gepinnt)", "Trustee committee (pinned)")
        );
    }
    for e in &ledger {
        println!(
            "  {} {}  eps {:.3}  {}  {}  {}",
            lang.pick("Runde", "round"),
            e.round_id,
            e.epsilon,
            format_utc(e.recorded_at),
            e.mode.label(lang),
            state_label(e.state, lang)
        );
    }
    if !outbox.is_empty() {
        println!(
            "{}: {}",
            lang.pick("Postausgang", "Outbox"),
            outbox.join(", ")
        );
    }
    Ok(())
}
