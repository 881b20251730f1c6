//! Check-in calendars read back with an iCalendar parser (icalendar) and their recurrence expanded with an RFC 5545
//! RRULE engine (rrule): each event lands on the configured weekday and local time, across daylight saving.

use chrono::{DateTime, Datelike, Timelike, Utc};
use icalendar::parser::{read_calendar, unfold};
use mentor_core::Login;

const CONFIG: &str = r#"
sprints: { length: 2w, start: 2026-01-05, timezone: Europe/Berlin }
people:
  bob: {}
  alice: {}
  carol: {}
  dave: {}
pairs:
  - { mentor: bob, mentee: alice, track: backend, since: 2026-09-03 }
  - { mentor: bob, mentee: carol, track: backend, since: 2026-10-01, until: 2027-03-31,
      checkins: { every: 1w, length: 45m, weekday: fri, time: "16:30" } }
  - { mentor: dave, mentee: alice, track: backend, since: 2025-01-01, until: 2025-06-30 }
tracks:
  backend:
    milestones:
      - { id: first-pr, title: Ship a first change, stage: discovery }
checkins: { every: 2w, length: 30m, weekday: tue, time: "10:00" }
"#;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-17T12:00:00Z").unwrap().to_utc()
}

#[test]
fn a_feed_has_one_recurring_event_per_running_pair_that_parsers_read() {
    let config = mentor_core::config::parse("m.yml", CONFIG).unwrap();
    let ics = mentor_core::calendar::feed(&config, "acme", &Login::new("bob"), now());
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75), "lines are folded");
    let unfolded = unfold(&ics);
    let calendar = read_calendar(&unfolded).expect("a valid iCalendar stream");
    let events: Vec<_> = calendar.components.iter().filter(|c| c.name == "VEVENT").collect();
    assert_eq!(events.len(), 2, "bob's two running pairs");
    assert!(calendar.components.iter().any(|c| c.name == "VTIMEZONE"));
    let prop = |c: &icalendar::parser::Component<'_>, name: &str| {
        c.properties.iter().find(|p| p.name == name).map(|p| p.val.to_string()).unwrap()
    };
    assert_eq!(prop(events[0], "UID"), "checkin-acme-bob-alice@mentor");
    assert_eq!(prop(events[0], "SUMMARY"), "Mentoring check-in: @bob and @alice");
    assert_eq!(prop(events[0], "DURATION"), "PT30M");
    assert_eq!(prop(events[1], "RRULE"), "FREQ=WEEKLY;INTERVAL=1;BYDAY=FR;UNTIL=20270331T215959Z");

    // Expanded: every other Tuesday at 10:00 Berlin time from the first Tuesday on or after 2026-09-03, in summer
    // time (UTC+2) and in winter time (UTC+1) alike.
    let dtstart =
        unfolded.lines().find(|l| l.starts_with("DTSTART;TZID=Europe/Berlin:2026")).unwrap();
    let rrule = format!("{dtstart}\nRRULE:{}", prop(events[0], "RRULE"));
    let set: rrule::RRuleSet = rrule.parse().unwrap();
    let dates = set.all(6).dates;
    assert_eq!(dates[0].to_rfc3339(), "2026-09-08T10:00:00+02:00");
    for d in &dates {
        assert_eq!((d.weekday(), d.hour(), d.minute()), (chrono::Weekday::Tue, 10, 0), "{d}");
    }
    assert!(
        dates.iter().any(|d| d.to_rfc3339().ends_with("+01:00")),
        "across the change to winter time"
    );
    assert_eq!((dates[1] - dates[0]).num_days(), 14);

    // alice's ended pair with dave is left out; a person without pairs gets an empty, valid calendar.
    let alice = mentor_core::calendar::feed(&config, "acme", &Login::new("alice"), now());
    assert_eq!(alice.matches("BEGIN:VEVENT").count(), 1);
    let nobody = mentor_core::calendar::feed(&config, "acme", &Login::new("zed"), now());
    assert!(read_calendar(&unfold(&nobody)).is_ok());
    assert_eq!(nobody.matches("BEGIN:VEVENT").count(), 0);
}

#[test]
fn the_time_zone_lists_its_transitions() {
    let config = mentor_core::config::parse("m.yml", CONFIG).unwrap();
    let ics = unfold(&mentor_core::calendar::feed(&config, "acme", &Login::new("bob"), now()));
    // Berlin 2027: summer time from 2027-03-28 02:00 (+01 → +02), winter time from 2027-10-31 03:00 (+02 → +01).
    assert!(ics.contains("BEGIN:DAYLIGHT\r\nDTSTART:20270328T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT"), "{ics}");
    assert!(ics.contains("BEGIN:STANDARD\r\nDTSTART:20271031T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD"), "{ics}");
}
