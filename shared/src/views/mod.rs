//! What the API answers: one `*View` per resource, built from the domain type, serialised as the
//! answer and described by its own derived schema in the OpenAPI document — so an answer and its
//! documentation cannot drift apart. Fields a view leaves out (digests, sealed secrets, internal
//! counters) are never answered.

mod deadlocks;
mod delivery;
mod exports;
mod incidents;
mod integration_stats;
mod jobs;
mod notifications;
mod oauth;
mod reports;
mod roles;
mod tenancy;

pub use deadlocks::{DayCount, DeadlockDetailView, DeadlockOccurrenceView, DeadlockView};
pub use delivery::{
    AttemptView, DeadLetterPage, DeadLetterView, DeliveryStateView, EndpointCountsView,
    EndpointStatsView, EndpointView, HeadersView, LatencyView, MessageView, RecoveredView,
    RedrivenView, RetriedView, RotatedSecretView, SecretView, TestMessageView,
};
pub use exports::{ExportScheduleView, ExportView};
pub use incidents::{
    event_data, ChangedIncidentView, DeployView, ErrorEventView, IncidentDetailView, IncidentPage,
    IncidentView, TagView,
};
pub use integration_stats::{InboundDeliveryView, IntegrationStatsView, RefusedView};
pub use jobs::{JobHealthView, LogScanView, LogSourceView, SentrySyncView};
pub use notifications::{
    DestinationPage, DestinationTestView, DestinationView, MaintenanceWindowList,
    MaintenanceWindowView, MatchersView, NotificationPage, NotificationRuleList,
    NotificationRuleView, NotificationView, PreferencesView, ThrottleView, TicketRequestView,
    TicketView, WindowPreview,
};
pub use oauth::{AuthorizationView, OAuthAppView};
pub use reports::{ReportSummaryView, TimeseriesView};
pub use roles::{RoleList, RoleView};
pub use tenancy::{
    ApiKeyView, ApplicationSentryConfigView, CallerView, CreatedTenantView, EventTypeList,
    EventTypeView, HealthView, IntegrationView, ProjectView, SampleRatesView, SentryConfigView,
    TenantSettingsView, TenantView, TokenView, UserView,
};

use crate::store::Page;

/// A value's name as the API writes it (its serde name): `acknowledged`, `critical`; empty for a
/// value that is not named by a string.
pub fn wire_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Deadlock groups, most recent first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeadlockList {
    /// The groups (at most 1,000).
    pub items: Vec<DeadlockView>,
}
use serde::Serialize;

/// Declares the page type of a view: `{"items": [...], "next_cursor": ...}`.
macro_rules! page_views {
    ($($page:ident => $view:ty),* $(,)?) => {
        $(
            #[doc = concat!("A page of [`", stringify!($view), "`]: follow `next_cursor` until it is `null`.")]
            #[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
            pub struct $page {
                /// This page's items.
                pub items: Vec<$view>,
                /// Where the next page starts; `null` on the last page.
                pub next_cursor: Option<String>,
            }

            impl From<Page<$view>> for $page {
                fn from(page: Page<$view>) -> Self {
                    Self {
                        items: page.items,
                        next_cursor: page.next_cursor,
                    }
                }
            }
        )*
    };
}

page_views!(
    ApiKeyPage => ApiKeyView,
    EndpointPage => EndpointView,
    IntegrationPage => IntegrationView,
    ProjectPage => ProjectView,
    UserPage => UserView,
    SentryConfigPage => SentryConfigView,
    MessagePage => MessageView,
    AttemptPage => AttemptView,
    TimelinePage => crate::domain::TimelineEntry,
    AuditPage => crate::domain::audit::AuditEntry,
    LogSourcePage => LogSourceView,
    EvidencePage => crate::domain::log_source::EvidenceLine,
    ExportPage => ExportView,
    ExportScheduleList => ExportScheduleView,
    OAuthAppPage => OAuthAppView,
    InboundDeliveryPage => InboundDeliveryView,
);
