//! From the claims an identity provider vouches for to a [`Role`] on a node: the groups of the
//! person (the claim [`OidcConfig::groups_claim`], an array of strings or one string) are looked
//! up in [`OidcConfig::roles`]; of all roles that apply, the most privileged one counts
//! ([`rank`]). No group that maps: no role, and no log-in.
//!
//! Hosted mode (one process, many administrations; reserved): [`roles_of`] takes the tenant the
//! request is for. Two ways name it, both set by the operator:
//! - groups `{tenant_group_prefix}{tenant}/{role}`, e.g. Keycloak's group path
//!   `/sovbench/musterstadt/editor` with the prefix `/sovbench/` ("full group path" on);
//! - a claim [`OidcConfig::tenant_claim`] listing the person's tenants: the groups of
//!   [`OidcConfig::roles`] then apply to those tenants only.
//!
//! With a tenant, a plain group of [`OidcConfig::roles`] alone grants nothing (it would grant
//! every administration of the host). [`tenant_roles`] lists every (tenant, role) pair of a
//! person, for a page that lets the person choose the administration.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::config::OidcConfig;
use crate::people::Role;

/// How much a role may do: each role may do all that a lower one may
/// (approver ⊇ editor ⊇ reader ⊇ data protection officer, see [`Role::may`]).
pub fn rank(role: Role) -> u8 {
    match role {
        Role::Dpo => 0,
        Role::Reader => 1,
        Role::Editor => 2,
        Role::Approver => 3,
    }
}

/// The strings of claim `name`: an array of strings, or one string.
pub fn strings_of(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A group as the mapping compares it: Keycloak sends `/name` with "full group path" on and
/// `name` with it off; a top-level group matches either way.
fn plain(group: &str) -> &str {
    group.strip_prefix('/').unwrap_or(group)
}

/// The most privileged of `roles`.
fn highest(roles: impl IntoIterator<Item = Role>) -> Option<Role> {
    roles.into_iter().max_by_key(|r| rank(*r))
}

/// The role the person of `claims` has on the node (`tenant: None`) or on the hosted
/// administration `tenant`: the most privileged role any of the person's groups maps to.
pub fn roles_of(
    claims: &Map<String, Value>,
    mapping: &OidcConfig,
    tenant: Option<&str>,
) -> Option<Role> {
    let groups = strings_of(claims, &mapping.groups_claim);
    let flat = || {
        groups.iter().filter_map(|g| {
            mapping
                .roles
                .iter()
                .find(|(k, _)| plain(k) == plain(g))
                .map(|(_, r)| *r)
        })
    };
    let Some(tenant) = tenant else {
        return highest(flat());
    };
    let mut found: Vec<Role> = tenant_roles(claims, mapping)
        .remove(tenant)
        .into_iter()
        .collect();
    if let Some(claim) = &mapping.tenant_claim {
        if strings_of(claims, claim).iter().any(|t| t == tenant) {
            found.extend(flat());
        }
    }
    highest(found)
}

/// Every (tenant, role) pair of the person of `claims` from groups
/// `{tenant_group_prefix}{tenant}/{role}` (hosted mode), the most privileged role per tenant.
pub fn tenant_roles(claims: &Map<String, Value>, mapping: &OidcConfig) -> BTreeMap<String, Role> {
    let mut out: BTreeMap<String, Role> = BTreeMap::new();
    let Some(prefix) = &mapping.tenant_group_prefix else {
        return out;
    };
    for g in strings_of(claims, &mapping.groups_claim) {
        let Some(rest) = g.strip_prefix(prefix.as_str()) else {
            continue;
        };
        let Some((tenant, role)) = rest.split_once('/') else {
            continue;
        };
        let Ok(role) = role.parse::<Role>() else {
            continue;
        };
        if tenant.is_empty() {
            continue;
        }
        let e = out.entry(tenant.to_string()).or_insert(role);
        if rank(role) > rank(*e) {
            *e = role;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NodeConfig;
    use serde_json::json;

    fn mapping(extra: &str) -> OidcConfig {
        let text = format!(
            "[oidc]\nissuer = \"https://idp.example\"\nclient_id = \"c\"\n\
             client_secret_file = \"s\"\nredirect_url = \"https://w.example/oidc/callback\"\n{extra}\
             [oidc.roles]\n\"sovbench-editor\" = \"editor\"\n\"sovbench-approver\" = \"approver\"\n\
             \"/sovbench-dpo\" = \"dpo\"\n\"lesende\" = \"reader\"\n"
        );
        NodeConfig::parse(&text).unwrap().oidc.unwrap()
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn the_most_privileged_mapped_group_wins() {
        let m = mapping("");
        let c = claims(json!({"groups": ["lesende", "sovbench-approver", "sovbench-editor"]}));
        assert_eq!(roles_of(&c, &m, None), Some(Role::Approver));
        let c = claims(json!({"groups": ["sovbench-dpo", "lesende"]}));
        assert_eq!(roles_of(&c, &m, None), Some(Role::Reader));
        let c = claims(json!({"groups": ["sovbench-dpo"]}));
        assert_eq!(roles_of(&c, &m, None), Some(Role::Dpo));
    }

    #[test]
    fn no_mapped_group_means_no_role() {
        let m = mapping("");
        for c in [
            json!({}),
            json!({"groups": []}),
            json!({"groups": ["other", "/parent/sovbench-editor"]}),
            json!({"groups": 42}),
            json!({"roles": ["sovbench-editor"]}),
        ] {
            assert_eq!(roles_of(&claims(c.clone()), &m, None), None, "{c}");
        }
    }

    #[test]
    fn group_paths_and_single_strings_match_top_level_groups() {
        let m = mapping("");
        let c = claims(json!({"groups": ["/sovbench-editor"]}));
        assert_eq!(roles_of(&c, &m, None), Some(Role::Editor));
        let c = claims(json!({"groups": "sovbench-dpo"}));
        assert_eq!(roles_of(&c, &m, None), Some(Role::Dpo));
        let other = mapping("groups_claim = \"memberOf\"\n");
        let c = claims(json!({"memberOf": ["sovbench-approver"], "groups": ["lesende"]}));
        assert_eq!(roles_of(&c, &other, None), Some(Role::Approver));
    }

    #[test]
    fn a_tenant_needs_its_own_group_or_its_claim() {
        let m = mapping("tenant_group_prefix = \"/sovbench/\"\ntenant_claim = \"tenants\"\n");
        let c = claims(json!({
            "groups": ["/sovbench/musterstadt/editor", "/sovbench/musterstadt/reader",
                       "/sovbench/beispielkreis/approver", "/sovbench//editor",
                       "/sovbench/x/boss", "sovbench-approver"],
            "tenants": ["prüfstadt"],
        }));
        assert_eq!(roles_of(&c, &m, Some("musterstadt")), Some(Role::Editor));
        assert_eq!(
            roles_of(&c, &m, Some("beispielkreis")),
            Some(Role::Approver)
        );
        // Plain groups count only for the tenants of the tenant claim.
        assert_eq!(roles_of(&c, &m, Some("prüfstadt")), Some(Role::Approver));
        assert_eq!(roles_of(&c, &m, Some("anderswo")), None);
        assert_eq!(roles_of(&c, &m, Some("x")), None);
        let pairs: Vec<(String, Role)> = tenant_roles(&c, &m).into_iter().collect();
        assert_eq!(
            pairs,
            vec![
                ("beispielkreis".into(), Role::Approver),
                ("musterstadt".into(), Role::Editor)
            ]
        );
        // Without a prefix there are no tenant groups.
        assert!(tenant_roles(&c, &mapping("")).is_empty());
        assert_eq!(roles_of(&c, &mapping(""), Some("musterstadt")), None);
    }
}
