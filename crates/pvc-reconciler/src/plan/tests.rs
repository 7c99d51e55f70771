use std::collections::{BTreeMap, BTreeSet};

use super::*;

const OURS: [&str; 2] = ["sp-winner", "sp-loser"];

fn rules(mode: AccountMode, take_over: bool) -> Rules {
    Rules { mode, take_over }
}

fn set(policies: &[&str]) -> BTreeSet<String> {
    policies.iter().map(|p| p.to_string()).collect()
}

fn want(policy: &str) -> Want {
    Want::Policy(policy.to_owned())
}

/// A tiny ECS account: disk → policies in the order applied, with ECS's Apply semantics.
#[derive(Debug, Clone, Default, PartialEq)]
struct Account(BTreeMap<String, Vec<String>>);

impl Account {
    fn with(disks: &[(&str, &[&str])]) -> Self {
        let disks = disks
            .iter()
            .map(|(d, p)| (d.to_string(), p.iter().map(|s| s.to_string()).collect()));
        Self(disks.collect())
    }

    fn run(&mut self, plan: &Plan, mode: AccountMode) -> usize {
        let mut calls = 0;
        for batch in plan.apply_batches() {
            calls += 1;
            for disk in &batch.disk_ids {
                let policies = self.0.get_mut(disk).unwrap();
                match mode {
                    AccountMode::Classic => *policies = vec![batch.policy_id.clone()],
                    AccountMode::Upgraded if !policies.contains(&batch.policy_id) => {
                        policies.push(batch.policy_id.clone())
                    }
                    AccountMode::Upgraded => {}
                }
            }
        }
        for batch in plan.cancel_batches() {
            calls += 1;
            for disk in &batch.disk_ids {
                self.0
                    .get_mut(disk)
                    .unwrap()
                    .retain(|p| *p != batch.policy_id);
            }
        }
        calls
    }

    /// What the reconciler sees: ours and foreign exactly (DescribeDisks by policy, and the
    /// policy associations of each disk on upgraded accounts).
    fn observe(&self) -> BTreeMap<String, ActualDisk> {
        let ours: BTreeSet<&str> = OURS.into_iter().collect();
        self.0
            .iter()
            .map(|(disk, policies)| {
                let mine = policies
                    .iter()
                    .filter(|p| ours.contains(p.as_str()))
                    .cloned();
                let foreign = policies
                    .iter()
                    .filter(|p| !ours.contains(p.as_str()))
                    .cloned();
                (disk.clone(), ActualDisk::present(mine, foreign))
            })
            .collect()
    }

    fn policies(&self, disk: &str) -> Vec<&str> {
        self.0[disk].iter().map(String::as_str).collect()
    }
}

fn converge(account: &mut Account, wants: &BTreeMap<String, Want>, rules: Rules) -> Vec<usize> {
    let scope: Vec<String> = account.0.keys().cloned().collect();
    (0..4)
        .map(|_| {
            let plan = super::plan(wants, &account.observe(), &scope, rules);
            account.run(&plan, rules.mode)
        })
        .collect()
}

#[test]
fn the_winner_replaces_the_loser_once_and_then_nothing_moves_in_both_modes() {
    let wants = BTreeMap::from([("d-1".to_string(), want("sp-winner"))]);
    for mode in [AccountMode::Classic, AccountMode::Upgraded] {
        let mut account = Account::with(&[("d-1", &["sp-loser"])]);
        let calls = converge(&mut account, &wants, rules(mode, false));
        assert_eq!(account.policies("d-1"), ["sp-winner"], "{mode:?}");
        let expected = match mode {
            AccountMode::Classic => vec![1, 0, 0, 0],
            AccountMode::Upgraded => vec![2, 0, 0, 0],
        };
        assert_eq!(calls, expected, "{mode:?}: calls per pass");
    }
}

#[test]
fn upgraded_mode_applies_before_it_cancels_and_never_stacks_two_of_ours() {
    let actual = BTreeMap::from([(
        "d-1".to_string(),
        ActualDisk::present(["sp-loser".into(), "sp-winner".into()], set(&[])),
    )]);
    let wants = BTreeMap::from([("d-1".to_string(), want("sp-winner"))]);
    let scope = ["d-1".to_string()];
    let plan = super::plan(&wants, &actual, &scope, rules(AccountMode::Upgraded, false));
    assert!(plan.applies.is_empty());
    assert_eq!(
        plan.cancel_batches(),
        [Batch {
            policy_id: "sp-loser".into(),
            disk_ids: vec!["d-1".into()]
        }]
    );
}

#[test]
fn foreign_policies_are_left_alone_unless_taken_over() {
    let wants = BTreeMap::from([
        ("d-1".to_string(), want("sp-winner")),
        ("d-2".to_string(), Want::Nothing),
    ]);
    let start = Account::with(&[("d-1", &["sp-hand"]), ("d-2", &["sp-hand"])]);

    let mut classic = start.clone();
    let calls = converge(&mut classic, &wants, rules(AccountMode::Classic, false));
    assert_eq!(calls, [0, 0, 0, 0]);
    let plan = super::plan(
        &wants,
        &classic.observe(),
        &["d-1".to_string()],
        rules(AccountMode::Classic, false),
    );
    assert_eq!(plan.states["d-1"], DiskState::Foreign);
    assert_eq!(plan.foreign_left["d-1"], set(&["sp-hand"]));

    let mut upgraded = start.clone();
    converge(&mut upgraded, &wants, rules(AccountMode::Upgraded, false));
    assert_eq!(upgraded.policies("d-1"), ["sp-hand", "sp-winner"]);
    assert_eq!(upgraded.policies("d-2"), ["sp-hand"]);

    for mode in [AccountMode::Classic, AccountMode::Upgraded] {
        let mut account = start.clone();
        let plan = super::plan(
            &wants,
            &account.observe(),
            &account.0.keys().cloned().collect::<Vec<_>>(),
            rules(mode, true),
        );
        assert_eq!(plan.taken_over["d-1"], set(&["sp-hand"]), "{mode:?}");
        converge(&mut account, &wants, rules(mode, true));
        assert_eq!(account.policies("d-1"), ["sp-winner"], "{mode:?}");
        assert_eq!(
            account.policies("d-2"),
            ["sp-hand"],
            "{mode:?}: unselected disks stay"
        );
    }
}

#[test]
fn every_foreign_policy_of_an_upgraded_disk_is_reported_or_taken_over() {
    let wants = BTreeMap::from([("d-1".to_string(), want("sp-winner"))]);
    let start = Account::with(&[("d-1", &["sp-hand", "sp-tool", "sp-loser"])]);

    let mut left = start.clone();
    let plan = super::plan(
        &wants,
        &left.observe(),
        &["d-1".to_string()],
        rules(AccountMode::Upgraded, false),
    );
    assert_eq!(plan.foreign_left["d-1"], set(&["sp-hand", "sp-tool"]));
    converge(&mut left, &wants, rules(AccountMode::Upgraded, false));
    assert_eq!(left.policies("d-1"), ["sp-hand", "sp-tool", "sp-winner"]);

    let mut taken = start.clone();
    let plan = super::plan(
        &wants,
        &taken.observe(),
        &["d-1".to_string()],
        rules(AccountMode::Upgraded, true),
    );
    assert_eq!(plan.taken_over["d-1"], set(&["sp-hand", "sp-tool"]));
    let cancels: BTreeSet<String> = plan.cancels_on("d-1").into_iter().map(|c| c.0).collect();
    assert_eq!(cancels, set(&["sp-hand", "sp-loser", "sp-tool"]));
    converge(&mut taken, &wants, rules(AccountMode::Upgraded, true));
    assert_eq!(taken.policies("d-1"), ["sp-winner"]);
}

#[test]
fn unselected_disks_lose_only_our_policies_and_pending_or_missing_disks_are_untouched() {
    let actual = BTreeMap::from([
        (
            "d-gone".to_string(),
            ActualDisk::present(["sp-winner".into()], set(&[])),
        ),
        (
            "d-wait".to_string(),
            ActualDisk::present(["sp-loser".into()], set(&[])),
        ),
        ("d-lost".to_string(), ActualDisk::missing()),
    ]);
    let wants = BTreeMap::from([
        ("d-wait".to_string(), Want::Pending),
        ("d-lost".to_string(), want("sp-winner")),
        ("d-never".to_string(), want("sp-winner")),
    ]);
    let scope: Vec<String> = ["d-gone", "d-wait", "d-lost", "d-never"]
        .map(String::from)
        .to_vec();
    for mode in [AccountMode::Classic, AccountMode::Upgraded] {
        let plan = super::plan(&wants, &actual, &scope, rules(mode, false));
        assert!(plan.applies.is_empty(), "{mode:?}");
        assert_eq!(
            plan.cancel_batches(),
            [Batch {
                policy_id: "sp-winner".into(),
                disk_ids: vec!["d-gone".into()]
            }]
        );
        let states: Vec<DiskState> = scope.iter().map(|d| plan.states[d]).collect();
        use DiskState::*;
        assert_eq!(states, [Unselected, Pending, Missing, Missing]);
    }
}

#[test]
fn calls_are_grouped_by_policy_and_cut_at_one_hundred_disks() {
    let mut wants = BTreeMap::new();
    let mut actual = BTreeMap::new();
    for i in 0..250 {
        let disk = format!("d-{i:04}");
        let policy = if i < 230 { "sp-a" } else { "sp-b" };
        wants.insert(disk.clone(), want(policy));
        actual.insert(disk.clone(), ActualDisk::present([], set(&[])));
    }
    for i in 0..120 {
        actual.insert(
            format!("d-old{i:03}"),
            ActualDisk::present(["sp-a".into()], set(&[])),
        );
    }
    let scope: Vec<String> = actual.keys().cloned().collect();
    let plan = super::plan(&wants, &actual, &scope, rules(AccountMode::Classic, false));

    let sizes = |batches: Vec<Batch>| -> Vec<(String, usize)> {
        batches
            .into_iter()
            .map(|b| (b.policy_id, b.disk_ids.len()))
            .collect()
    };
    let a = |n| ("sp-a".to_string(), n);
    assert_eq!(
        sizes(plan.apply_batches()),
        [a(100), a(100), a(30), ("sp-b".into(), 20)]
    );
    assert_eq!(sizes(plan.cancel_batches()), [a(100), a(20)]);

    let applied: BTreeSet<String> = plan
        .apply_batches()
        .into_iter()
        .flat_map(|b| b.disk_ids)
        .collect();
    assert_eq!(applied.len(), 250, "every disk exactly once");
    let nothing_to_do = super::plan(
        &wants,
        &actual,
        &Vec::<String>::new(),
        rules(AccountMode::Classic, false),
    );
    assert!(
        nothing_to_do.is_empty() && nothing_to_do.states.is_empty(),
        "calls follow the scope"
    );
}
