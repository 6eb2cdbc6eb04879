//! Notifications: destinations people read, the rules that route incidents to them, and the log
//! that remembers what each was told.

pub mod destination;
pub mod log;
pub mod preferences;
pub mod rule;
pub mod ticket;
pub mod window;

pub use destination::{Destination, DestinationKind, Target};
pub use log::{LogEntry, NotificationRecord, NotificationStatus, RemoteMessage};
pub use preferences::Preferences;
pub use rule::{
    route, verdict, LastSent, Matchers, NotificationRule, Route, Subject, Throttle, Verdict,
    NOTIFIED_EVENT_TYPES,
};
pub use ticket::{Ticket, TicketStep};
pub use window::{
    window_effect, MaintenanceWindow, Schedule, Strategy, WindowEffect, WindowStatus,
};
