use thiserror::Error;

/// Everything the domain rules can refuse. Each message names the offending value and says what
/// would be accepted, because these texts end up in `Ready=False` conditions and Events.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A weekday entry is not one of "1" (Monday) .. "7" (Sunday).
    #[error("weekday {value:?} is invalid: use \"1\" (Monday) to \"7\" (Sunday)")]
    InvalidWeekday { value: String },

    /// An hour entry is not one of "0" .. "23".
    #[error("hour {value:?} is invalid: use \"0\" to \"23\"")]
    InvalidHour { value: String },

    /// The same weekday or hour is listed twice.
    #[error("{field} lists {value:?} more than once")]
    Duplicate { field: &'static str, value: String },

    /// `repeatOnce: true` next to `repeatWeekdays` or `timePoints`: the intent is ambiguous.
    #[error(
        "repeatOnce cannot be combined with repeatWeekdays or timePoints: remove one or the other"
    )]
    OnceWithWeeklyFields,

    /// A schedule without weekdays or without hours would never fire.
    #[error("{field} is empty: a schedule needs at least one weekday and one hour")]
    EmptySchedule { field: &'static str },

    /// The IANA name is not in the time zone database built into the binary.
    #[error("time zone {name:?} is unknown: use an IANA name such as \"Asia/Shanghai\" ({reason})")]
    UnknownTimeZone { name: String, reason: String },

    /// ECS takes whole hours in UTC+8; a zone at e.g. UTC+5:30 cannot be expressed.
    #[error(
        "time zone {zone:?} is currently at UTC{offset}, which is not a whole number of hours; \
         ECS schedules only whole hours, so pick a zone with a whole-hour offset"
    )]
    FractionalOffset { zone: String, offset: String },

    /// Some hours land on the next ECS day and others do not, while ECS applies one weekday list
    /// to all hours; one ECS policy cannot express that.
    #[error(
        "in time zone {zone:?} (UTC{offset}) hours {earlier_day:?} and hours {later_day:?} fall \
         on different days in ECS's zone (UTC+8), and one ECS policy repeats all hours on the \
         same weekdays: select all seven weekdays, or pick a time zone (or hours) that keeps \
         every hour on one day in UTC+8"
    )]
    SplitAcrossDays {
        zone: String,
        offset: String,
        earlier_day: Vec<u8>,
        later_day: Vec<u8>,
    },

    /// An identifier (cluster ID, object name, uid, disk or snapshot ID) breaks its format.
    #[error("{what} {value:?} is invalid: {rule}")]
    InvalidIdentifier {
        what: &'static str,
        value: String,
        rule: &'static str,
    },
}

impl DomainError {
    pub(crate) fn identifier(what: &'static str, value: &str, rule: &'static str) -> Self {
        Self::InvalidIdentifier {
            what,
            value: value.to_owned(),
            rule,
        }
    }
}
