//! The chart refuses, at install, a `defaultTimeZone` the services would refuse at start: its
//! `files/time-zones.txt` must list exactly the zones of the database compiled into the
//! binaries (jiff's bundled tzdb, the workspace's one jiff version). When a jiff upgrade
//! changes the list, regenerate the file with
//! `SSM_WRITE_TIME_ZONES=1 cargo test -p walkthrough --test chart_time_zones`.

use jiff::tz::TimeZoneDatabase;

fn chart_file() -> std::path::PathBuf {
    walkthrough::chart::repo_root().join("charts/storage-snapshot-manager/files/time-zones.txt")
}

/// One name per line, sorted, as the chart's values check reads it.
fn bundled_zones() -> String {
    let db = TimeZoneDatabase::bundled();
    let mut names: Vec<String> = db.available().map(|n| n.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    names.iter().map(|n| format!("{n}\n")).collect()
}

#[test]
fn the_charts_zone_list_is_the_one_compiled_into_the_services() {
    let expected = bundled_zones();
    let path = chart_file();
    if std::env::var_os("SSM_WRITE_TIME_ZONES").is_some() {
        std::fs::write(&path, &expected).expect("write the chart's zone list");
    }
    let listed = std::fs::read_to_string(&path).expect("the chart's zone list");

    assert!(expected.lines().count() > 300, "bundled tzdb looks empty");
    assert!(listed.lines().any(|z| z == "Asia/Shanghai") && listed.contains("\nUTC\n"));
    assert!(
        listed == expected,
        "{} differs from the binaries' time zones; regenerate it (see this file's header)",
        path.display()
    );
}

#[test]
fn every_listed_zone_resolves_as_the_services_resolve_it() {
    let db = TimeZoneDatabase::bundled();
    let listed = std::fs::read_to_string(chart_file()).expect("the chart's zone list");
    for zone in listed.lines() {
        assert!(db.get(zone).is_ok(), "{zone} does not resolve");
        // The chart's check ignores case because this lookup does.
        let lower = zone.to_lowercase();
        assert!(db.get(&lower).is_ok(), "{lower} does not resolve");
    }
}
