//! The domain vocabulary of Exchange and Entra audit records: what each operation is
//! ([`vocab`]), and the facts behind a verdict read from the whole record ([`action`]).
//! Analysis, the report's remediation and the TUI's detail view all speak it.

pub mod action;
pub mod vocab;

pub use action::{Action, AppGrant, Forwarding, Grant, GrantScope, Rule};
pub use vocab::{
    EXCHANGE_APP_ID, Kind, app_of_client, classify, first_party_app, is_automation, is_legacy_auth,
    protocol,
};
