-- Nudges: `/mentor snooze <duration>` pauses reminders for a pair until an instant (epoch milliseconds). One row per
-- pair and org; a later snooze replaces an earlier one.
CREATE TABLE snoozes (
    org      TEXT NOT NULL,
    mentor   TEXT NOT NULL,
    mentee   TEXT NOT NULL,
    until_at BIGINT NOT NULL,
    PRIMARY KEY (org, mentor, mentee)
);
