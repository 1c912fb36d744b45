//! The AuditData record as typed, borrowed serde structs.
//!
//! Only the fields sessionscope reads are named; serde skips the rest without allocating.
//! Nested payloads (`Item`, `Folder`, `AffectedItems`, `AppAccessContext`) are read as payloads
//! of their own: one of the wrong shape is an empty payload, not a bad record. Every field is
//! lenient about its type: a collector that writes a number as a string, or an array as a JSON
//! string ("stringly JSON"), costs that one field, never the record.

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

pub type Str<'a> = Option<Cow<'a, str>>;

/// Visitor methods that answer `$value` for every scalar: a field of the wrong type is read
/// past, not an error.
macro_rules! scalars_give {
    ($value:expr) => {
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        non_string_scalars_give!($value);
    };
}

/// [`scalars_give`] for visitors that read strings themselves.
macro_rules! non_string_scalars_give {
    ($value:expr) => {
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// Any scalar as text (`true` becomes `True`, as Exchange writes booleans); objects, arrays and
/// null become `None`.
pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Str<'de>, D::Error> {
    d.deserialize_any(Lenient)
}

/// The visitor of [`lenient`].
struct Lenient;

impl<'de> Visitor<'de> for Lenient {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(if v { "True" } else { "False" })))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| None)
    }
}

/// Reads past a list's elements.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads past an object's entries.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// A seed that reads whatever value comes with visitor `V`, for lists and entries read with
/// a visitor of their own.
struct AnyWith<V>(V);

impl<'de, V: Visitor<'de>> serde::de::DeserializeSeed<'de> for AnyWith<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_any(self.0)
    }
}

/// A JSON value kept as its text, parsed only when asked for. Owned only when read from a CSV
/// cell in place, where the text had to be copied with one quote of each pair blanked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawJson<'a>(pub(super) Cow<'a, str>);

impl RawJson<'_> {
    pub fn get(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for RawJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|raw| RawJson(Cow::Borrowed(raw.get())))
    }
}

pub type Raw<'a> = Option<RawJson<'a>>;

/// One AuditData record, or one of the wrappers around it (cmdlet output, Graph
/// `auditLogRecord`, SIEM `message`, Defender `properties.RawEventData`).
#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct AuditRecord<'a> {
    #[serde(
        rename = "Id",
        alias = "OfficeId",
        borrow,
        deserialize_with = "lenient"
    )]
    pub id: Str<'a>,
    #[serde(
        rename = "CreationTime",
        alias = "TimeGenerated",
        borrow,
        deserialize_with = "lenient"
    )]
    pub creation_time: Str<'a>,
    #[serde(rename = "Operation", borrow, deserialize_with = "lenient")]
    pub operation: Str<'a>,
    #[serde(rename = "RecordType", borrow, deserialize_with = "lenient")]
    pub record_type: Str<'a>,
    #[serde(rename = "UserId", borrow, deserialize_with = "lenient")]
    pub user_id: Str<'a>,
    #[serde(
        rename = "Workload",
        alias = "OfficeWorkload",
        borrow,
        deserialize_with = "lenient"
    )]
    pub workload: Str<'a>,
    #[serde(rename = "ResultStatus", borrow, deserialize_with = "lenient")]
    pub result_status: Str<'a>,
    #[serde(rename = "ClientIP", borrow, deserialize_with = "lenient")]
    pub client_ip: Str<'a>,
    #[serde(
        rename = "ClientIPAddress",
        alias = "Client_IPAddress",
        borrow,
        deserialize_with = "lenient"
    )]
    pub client_ip_address: Str<'a>,
    #[serde(rename = "ActorIpAddress", borrow, deserialize_with = "lenient")]
    pub actor_ip_address: Str<'a>,
    #[serde(rename = "SessionId", borrow, deserialize_with = "lenient")]
    pub session_id: Str<'a>,
    #[serde(rename = "ClientInfoString", borrow, deserialize_with = "lenient")]
    pub client_info_string: Str<'a>,
    #[serde(rename = "UserAgent", borrow, deserialize_with = "lenient")]
    pub user_agent: Str<'a>,
    /// The application that acted (app-only access) or was acted through.
    #[serde(rename = "AppId", borrow, deserialize_with = "lenient")]
    pub app_id: Str<'a>,
    #[serde(rename = "ClientAppId", borrow, deserialize_with = "lenient")]
    pub client_app_id: Str<'a>,
    #[serde(rename = "MailboxOwnerUPN", borrow, deserialize_with = "lenient")]
    pub mailbox_owner_upn: Str<'a>,
    #[serde(
        rename = "ObjectId",
        alias = "OfficeObjectId",
        borrow,
        deserialize_with = "lenient"
    )]
    pub object_id: Str<'a>,
    #[serde(
        rename = "LogonType",
        alias = "Logon_Type",
        borrow,
        deserialize_with = "lenient"
    )]
    pub logon_type: Str<'a>,
    #[serde(rename = "OperationCount", borrow, deserialize_with = "lenient")]
    pub operation_count: Str<'a>,
    #[serde(rename = "SendAsUserSmtp", borrow, deserialize_with = "lenient")]
    pub send_as_user_smtp: Str<'a>,
    #[serde(
        rename = "SendOnBehalfOfUserSmtp",
        borrow,
        deserialize_with = "lenient"
    )]
    pub send_on_behalf_of_user_smtp: Str<'a>,
    #[serde(rename = "LogonError", borrow, deserialize_with = "lenient")]
    pub logon_error: Str<'a>,
    #[serde(
        rename = "AppAccessContext",
        borrow,
        deserialize_with = "app_access_context"
    )]
    pub app_access_context: AppAccessContext<'a>,
    #[serde(
        rename = "DeviceProperties",
        borrow,
        deserialize_with = "lenient_name_values"
    )]
    pub device_properties: NameValues<'a>,
    #[serde(
        rename = "ExtendedProperties",
        borrow,
        deserialize_with = "lenient_name_values"
    )]
    pub extended_properties: NameValues<'a>,
    #[serde(
        rename = "Parameters",
        borrow,
        deserialize_with = "lenient_name_values"
    )]
    pub parameters: NameValues<'a>,
    #[serde(
        rename = "OperationProperties",
        borrow,
        deserialize_with = "lenient_name_values"
    )]
    pub operation_properties: NameValues<'a>,
    /// `Some` unless absent or `null` (an unreadable payload is an empty one); likewise below.
    #[serde(rename = "Item", borrow, deserialize_with = "payload")]
    pub item: Option<Item<'a>>,
    #[serde(rename = "Folder", borrow, deserialize_with = "payload")]
    pub folder: Option<FolderRef<'a>>,
    #[serde(rename = "DestFolder", borrow, deserialize_with = "payload")]
    pub dest_folder: Option<FolderRef<'a>>,
    #[serde(rename = "AffectedItems", borrow, deserialize_with = "payload")]
    pub affected_items: Option<Vec<Item<'a>>>,
    /// The largest part of a MailItemsAccessed record: read in the same pass, keeping only
    /// each folder's path and item count.
    #[serde(rename = "Folders", borrow, deserialize_with = "lenient_folders")]
    pub folders: Vec<FolderAccess<'a>>,

    // Wrapper fields: when one is present the record is inside it.
    #[serde(rename = "AuditData", borrow)]
    pub wrapped_audit_data: Raw<'a>,
    #[serde(rename = "auditData", borrow)]
    pub wrapped_graph_audit_data: Raw<'a>,
    #[serde(rename = "RawEventData", borrow)]
    pub wrapped_raw_event_data: Raw<'a>,
    #[serde(rename = "properties", borrow)]
    pub wrapped_properties: Raw<'a>,
    #[serde(rename = "message", borrow)]
    pub wrapped_message: Raw<'a>,
    #[serde(rename = "input", borrow)]
    pub wrapped_input: Raw<'a>,
    /// Cmdlet wrapper id (`Identity` == AuditData `Id`) and Graph's `id`.
    #[serde(rename = "Identity", borrow, deserialize_with = "lenient")]
    pub wrapper_identity: Str<'a>,
    #[serde(rename = "id", borrow, deserialize_with = "lenient")]
    pub wrapper_id: Str<'a>,
}

impl<'a> AuditRecord<'a> {
    /// The first wrapped record found, if this object is a wrapper.
    pub fn inner(&self) -> Option<&RawJson<'a>> {
        [
            &self.wrapped_audit_data,
            &self.wrapped_graph_audit_data,
            &self.wrapped_raw_event_data,
            &self.wrapped_properties,
            &self.wrapped_message,
            &self.wrapped_input,
        ]
        .into_iter()
        .find_map(Option::as_ref)
    }

    pub fn wrapper_record_id(&self) -> Option<&str> {
        self.wrapper_identity
            .as_deref()
            .or(self.wrapper_id.as_deref())
    }
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct NameValue<'a> {
    #[serde(rename = "Name", borrow, deserialize_with = "lenient")]
    pub name: Str<'a>,
    #[serde(rename = "Value", borrow, deserialize_with = "lenient")]
    pub value: Str<'a>,
}

impl NameValue<'_> {
    fn into_owned(self) -> NameValue<'static> {
        NameValue {
            name: self.name.map(|c| Cow::Owned(c.into_owned())),
            value: self.value.map(|c| Cow::Owned(c.into_owned())),
        }
    }
}

/// A `[{Name, Value}]` list (Parameters, OperationProperties, ...), read in the record's own
/// pass. Some collectors write it as a JSON string holding the array ("stringly JSON"); that
/// string is kept and read only when asked for.
#[derive(Default, Debug)]
pub struct NameValues<'a> {
    pub(super) list: Vec<NameValue<'a>>,
    pub(super) stringly: Option<Cow<'a, str>>,
    pub(super) present: bool,
}

impl NameValues<'_> {
    pub fn is_present(&self) -> bool {
        self.present
    }
}

/// The entries of a [`NameValues`], whichever way they were written.
pub fn name_values<'s, 'a>(nv: &'s NameValues<'a>) -> Cow<'s, [NameValue<'a>]> {
    match &nv.stringly {
        Some(text) => Cow::Owned(
            serde_json::from_str::<Vec<NameValue>>(text)
                .map(|v| v.into_iter().map(NameValue::into_owned).collect())
                .unwrap_or_default(),
        ),
        None => Cow::Borrowed(&nv.list),
    }
}

fn lenient_name_values<'de, D: Deserializer<'de>>(d: D) -> Result<NameValues<'de>, D::Error> {
    struct List;
    struct Entry;
    impl<'de> Visitor<'de> for Entry {
        type Value = Option<NameValue<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a {Name, Value} object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            NameValue::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq).map(|()| None)
        }
        scalars_give!(None);
    }
    impl<'de> Visitor<'de> for List {
        type Value = NameValues<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of {Name, Value}")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut list = Vec::new();
            while let Some(e) = seq.next_element_seed(AnyWith(Entry))? {
                list.extend(e);
            }
            Ok(NameValues {
                list,
                stringly: None,
                present: true,
            })
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(NameValues {
                list: Vec::new(),
                stringly: Some(Cow::Borrowed(v)),
                present: true,
            })
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(NameValues {
                list: Vec::new(),
                stringly: Some(Cow::Owned(v.to_owned())),
                present: true,
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map).map(|()| NameValues::default())
        }
        non_string_scalars_give!(NameValues::default());
    }
    d.deserialize_any(List)
}

/// The value of `name` in a `[{Name, Value}]` list, ignoring case and empty values.
pub fn lookup<'v>(list: &'v [NameValue<'_>], name: &str) -> Option<&'v str> {
    list.iter()
        .find(|nv| {
            nv.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .and_then(|nv| nv.value.as_deref())
        .filter(|v| !v.is_empty())
}

/// A nested payload read as a document of its own: `None` when `null`, and an empty payload,
/// not an error, when it does not read as a `T`.
fn payload<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<Option<T>, D::Error> {
    let raw = Option::<&'de RawValue>::deserialize(d)?;
    Ok(raw.map(|raw| serde_json::from_str(raw.get()).unwrap_or_default()))
}

/// `AppAccessContext` read as a payload of its own: what is not an object of its shape (a
/// string, `null`, an object with a repeated field) gives an empty context, not an error.
fn app_access_context<'de, D: Deserializer<'de>>(d: D) -> Result<AppAccessContext<'de>, D::Error> {
    let raw = <&'de RawValue>::deserialize(d)?;
    Ok(serde_json::from_str(raw.get()).unwrap_or_default())
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct AppAccessContext<'a> {
    #[serde(rename = "AADSessionId", borrow, deserialize_with = "lenient")]
    pub aad_session_id: Str<'a>,
    #[serde(rename = "UniqueTokenId", borrow, deserialize_with = "lenient")]
    pub unique_token_id: Str<'a>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct FolderRef<'a> {
    #[serde(rename = "Path", borrow, deserialize_with = "lenient")]
    pub path: Str<'a>,
    #[serde(rename = "Name", borrow, deserialize_with = "lenient")]
    pub name: Str<'a>,
    #[serde(rename = "MemberUpn", borrow, deserialize_with = "lenient")]
    pub member_upn: Str<'a>,
    #[serde(rename = "MemberRights", borrow, deserialize_with = "lenient")]
    pub member_rights: Str<'a>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct Item<'a> {
    #[serde(rename = "Subject", borrow, deserialize_with = "lenient")]
    pub subject: Str<'a>,
    #[serde(rename = "ParentFolder", borrow)]
    pub parent_folder: Option<FolderRef<'a>>,
}

/// A folder of a MailItemsAccessed record: its path and how many items were accessed in it.
#[derive(Default, Debug)]
pub struct FolderAccess<'a> {
    pub path: Str<'a>,
    pub items: usize,
}

/// `Folders` as a list of [`FolderAccess`]; anything not shaped like one is skipped.
fn lenient_folders<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<FolderAccess<'de>>, D::Error> {
    struct Folders;
    struct Folder;
    struct Count;
    impl<'de> Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<usize, A::Error> {
            drain_map(map).map(|()| 0)
        }
        scalars_give!(0);
    }
    impl<'de> Visitor<'de> for Folder {
        type Value = Option<FolderAccess<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a folder")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut folder = FolderAccess::default();
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                match &*key {
                    "Path" => folder.path = map.next_value_seed(AnyWith(Lenient))?,
                    "FolderItems" => folder.items = map.next_value_seed(AnyWith(Count))?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(Some(folder))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq).map(|()| None)
        }
        scalars_give!(None);
    }
    impl<'de> Visitor<'de> for Folders {
        type Value = Vec<FolderAccess<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of folders")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(f) = seq.next_element_seed(AnyWith(Folder))? {
                out.extend(f);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map).map(|()| Vec::new())
        }
        scalars_give!(Vec::new());
    }
    d.deserialize_any(Folders)
}
