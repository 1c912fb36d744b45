//! Graph sign-in objects read straight into a typed record, strings borrowed from the text:
//! flattening each record into a map of owned strings spent most of a large export's load in
//! the allocator. camelCase (Graph), PascalCase (PowerShell, Extractor-Suite) and Sentinel's
//! JSON column names are aliases of one field each.

use super::read::Fields;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;

/// A scalar of any JSON type, as text: `64511`, `true`, `"NL"`.
#[derive(Debug, Default)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V(std::marker::PhantomData))
            }
            // A list or object where a scalar was expected: nothing this reader uses.
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl Text<'_> {
    fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// An object of details, or its default when the export wrote something else there (Sentinel's
/// `Location` is a country code, not an object).
#[derive(Debug, Default)]
pub struct Nested<T>(pub T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for V<T> {
            type Value = Nested<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(a)).map(Nested)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Nested(T::default()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Nested(T::default()))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Location<'a> {
    #[serde(borrow, alias = "City")]
    city: Text<'a>,
    #[serde(borrow, rename = "countryOrRegion", alias = "CountryOrRegion")]
    country: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Device<'a> {
    #[serde(borrow, rename = "operatingSystem", alias = "OperatingSystem")]
    os: Text<'a>,
    #[serde(borrow, alias = "Browser")]
    browser: Text<'a>,
    #[serde(borrow, rename = "deviceId", alias = "DeviceId")]
    device_id: Text<'a>,
    #[serde(borrow, rename = "isCompliant", alias = "IsCompliant")]
    compliant: Text<'a>,
    #[serde(borrow, rename = "isManaged", alias = "IsManaged")]
    managed: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Status<'a> {
    #[serde(borrow, rename = "errorCode", alias = "ErrorCode")]
    error_code: Text<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Mfa<'a> {
    #[serde(borrow, rename = "authMethod", alias = "AuthMethod")]
    method: Text<'a>,
}

/// A Graph `signIn` (or Sentinel `SigninLogs` row as JSON).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GraphSignIn<'a> {
    #[serde(borrow, alias = "Id")]
    id: Text<'a>,
    #[serde(
        borrow,
        rename = "createdDateTime",
        alias = "CreatedDateTime",
        alias = "TimeGenerated",
        alias = "Timestamp"
    )]
    time: Text<'a>,
    #[serde(
        borrow,
        rename = "userPrincipalName",
        alias = "UserPrincipalName",
        alias = "AccountUpn"
    )]
    user: Text<'a>,
    #[serde(borrow, rename = "sessionId", alias = "SessionId")]
    session: Text<'a>,
    #[serde(
        borrow,
        rename = "uniqueTokenIdentifier",
        alias = "UniqueTokenIdentifier"
    )]
    token: Text<'a>,
    #[serde(borrow, rename = "correlationId", alias = "CorrelationId")]
    correlation: Text<'a>,
    #[serde(borrow, rename = "ipAddress", alias = "IpAddress", alias = "IPAddress")]
    ip: Text<'a>,
    #[serde(
        borrow,
        rename = "autonomousSystemNumber",
        alias = "AutonomousSystemNumber"
    )]
    asn: Text<'a>,
    #[serde(borrow, alias = "Location", alias = "LocationDetails")]
    location: Nested<Location<'a>>,
    #[serde(borrow, rename = "appDisplayName", alias = "AppDisplayName")]
    app: Text<'a>,
    #[serde(borrow, rename = "appId", alias = "AppId")]
    app_id: Text<'a>,
    #[serde(borrow, rename = "clientAppUsed", alias = "ClientAppUsed")]
    client_app: Text<'a>,
    #[serde(
        borrow,
        rename = "authenticationProtocol",
        alias = "AuthenticationProtocol"
    )]
    protocol: Text<'a>,
    #[serde(borrow, rename = "isInteractive", alias = "IsInteractive")]
    interactive: Text<'a>,
    #[serde(
        borrow,
        rename = "authenticationRequirement",
        alias = "AuthenticationRequirement"
    )]
    requirement: Text<'a>,
    #[serde(borrow, rename = "mfaDetail", alias = "MfaDetail")]
    mfa: Nested<Mfa<'a>>,
    #[serde(
        borrow,
        rename = "conditionalAccessStatus",
        alias = "ConditionalAccessStatus"
    )]
    ca: Text<'a>,
    #[serde(
        borrow,
        rename = "riskLevelDuringSignIn",
        alias = "RiskLevelDuringSignIn"
    )]
    risk: Text<'a>,
    #[serde(borrow, rename = "deviceDetail", alias = "DeviceDetail")]
    device: Nested<Device<'a>>,
    #[serde(borrow, rename = "userAgent", alias = "UserAgent")]
    user_agent: Text<'a>,
    #[serde(borrow, alias = "Status")]
    status: Nested<Status<'a>>,
    #[serde(borrow, rename = "ResultType", alias = "resultType")]
    result_type: Text<'a>,
    #[serde(borrow, rename = "servicePrincipalId", alias = "ServicePrincipalId")]
    service_principal: Text<'a>,
    /// A Graph page's records: `{"@odata.context": ..., "value": [...]}`.
    #[serde(borrow)]
    pub value: Option<Vec<&'a serde_json::value::RawValue>>,
}

impl Fields for GraphSignIn<'_> {
    fn field(&self, key: &str) -> Option<&str> {
        match key {
            "id" => self.id.get(),
            "createddatetime" => self.time.get(),
            "userprincipalname" => self.user.get(),
            "sessionid" => self.session.get(),
            "uniquetokenidentifier" => self.token.get(),
            "correlationid" => self.correlation.get(),
            "ipaddress" => self.ip.get(),
            "autonomoussystemnumber" => self.asn.get(),
            "location.countryorregion" => self.location.0.country.get(),
            "location.city" => self.location.0.city.get(),
            "appdisplayname" => self.app.get(),
            "appid" => self.app_id.get(),
            "clientappused" => self.client_app.get(),
            "authenticationprotocol" => self.protocol.get(),
            "isinteractive" => self.interactive.get(),
            "authenticationrequirement" => self.requirement.get(),
            "mfadetail.authmethod" => self.mfa.0.method.get(),
            "conditionalaccessstatus" => self.ca.get(),
            "risklevelduringsignin" => self.risk.get(),
            "devicedetail.operatingsystem" => self.device.0.os.get(),
            "devicedetail.browser" => self.device.0.browser.get(),
            "devicedetail.deviceid" => self.device.0.device_id.get(),
            "devicedetail.iscompliant" => self.device.0.compliant.get(),
            "devicedetail.ismanaged" => self.device.0.managed.get(),
            "useragent" => self.user_agent.get(),
            "status.errorcode" => self.status.0.error_code.get(),
            "resulttype" => self.result_type.get(),
            "serviceprincipalid" => self.service_principal.get(),
            _ => None,
        }
    }
}
