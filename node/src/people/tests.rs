use super::*;

#[test]
fn roles_may_what_the_issue_says() {
    use Action::*;
    assert!(Role::Editor.may(Fill) && !Role::Editor.may(Approve));
    assert!(Role::Approver.may(Approve) && Role::Approver.may(ManagePeople));
    assert!(Role::Reader.may(Read) && !Role::Reader.may(Fill) && !Role::Reader.may(Approve));
    assert!(Role::Dpo.may(ReadPrivacy) && !Role::Dpo.may(Read) && !Role::Dpo.may(Fill));
    for r in Role::ALL {
        assert_eq!(r.key().parse::<Role>().unwrap(), r);
    }
}

#[test]
fn passwords_hash_with_argon2id_and_verify() {
    let h = hash_password("richtig-langes-passwort").unwrap();
    assert!(h.starts_with("$argon2id$"), "{h}");
    assert!(verify_password(&h, "richtig-langes-passwort"));
    assert!(!verify_password(&h, "falsch-langes-passwort"));
    assert!(!verify_password("not a hash", "richtig-langes-passwort"));
    assert_eq!(check_password_rules("kurz"), Err(PeopleError::WeakPassword));
}

#[test]
fn accounts_sessions_and_the_last_approver() {
    let dir = tempfile::tempdir().unwrap();
    let node = crate::node::testing::node(dir.path());
    add_account(&node, "anna", Role::Approver, "ein-gutes-passwort", "test").unwrap();
    assert!(matches!(
        add_account(&node, "anna", Role::Reader, "ein-gutes-passwort", "test"),
        Err(NodeError::People(PeopleError::Exists(_)))
    ));
    assert!(matches!(
        add_account(&node, "a b", Role::Reader, "ein-gutes-passwort", "test"),
        Err(NodeError::People(PeopleError::BadName(_)))
    ));
    assert!(authenticate(&node, "anna", "ein-gutes-passwort")
        .unwrap()
        .is_some());
    assert!(authenticate(&node, "anna", "falsch").unwrap().is_none());
    assert!(authenticate(&node, "niemand", "ein-gutes-passwort")
        .unwrap()
        .is_none());
    let a = node.store().account("anna").unwrap().unwrap();
    let (token, s) = start_session(&node, &a).unwrap();
    assert_eq!(session(&node, &token).unwrap().unwrap().csrf, s.csrf);
    assert!(session(&node, "wrong").unwrap().is_none());
    assert!(matches!(
        remove_account(&node, "anna", "test"),
        Err(NodeError::People(PeopleError::LastApprover(_)))
    ));
    set_password(&node, "anna", "ein-neues-passwort", "test").unwrap();
    assert!(
        session(&node, &token).unwrap().is_none(),
        "a new password ends sessions"
    );
    let log = node.store().audit(10).unwrap();
    assert!(log
        .iter()
        .any(|e| e.action.contains("password of anna reset")));
}

#[test]
fn a_generated_password_passes_the_rules_and_differs_each_time() {
    let a = generate_password().unwrap();
    let b = generate_password().unwrap();
    assert!(check_password_rules(&a).is_ok(), "{a}");
    assert_eq!(a.len(), 4 * 5 + 3, "{a}");
    assert_ne!(a, b);
}
