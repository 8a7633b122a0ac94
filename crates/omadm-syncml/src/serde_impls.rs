//! The `serde` feature's hand-written impls: the text newtypes as JSON strings (borrowing when
//! the deserializer allows), and `SessionlessReport` as `{source_uri, type, format, mark, data}`,
//! validated on the way in. The derives on the plain model structs sit on the types themselves.

use core::fmt;

use std::borrow::Cow;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::ids::SessionId;
use crate::meta::{Format, Mark};
use crate::sessionless::{Location, Rule, SessionlessReport, Violation};

/// Reads a string, borrowing it from the input when the input allows.
struct CowStr;

impl<'de> Visitor<'de> for CowStr {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

fn cow_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    d.deserialize_str(CowStr)
}

impl Serialize for SessionId<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for SessionId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SessionId::new(cow_str(d)?).map_err(de::Error::custom)
    }
}

impl Serialize for Format<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Lenient, like the decoder: an unknown token becomes [`Format::Other`].
impl<'de: 'a, 'a> Deserialize<'de> for Format<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Format::from_token(cow_str(d)?))
    }
}

impl Serialize for Mark<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Lenient, like the decoder: an unknown token becomes [`Mark::Other`].
impl<'de: 'a, 'a> Deserialize<'de> for Mark<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Mark::from_token(cow_str(d)?))
    }
}

/// `{"source_uri", "type", "format", "mark", "data"}`; `source_uri` and `mark` are `null` when
/// absent.
impl Serialize for SessionlessReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("SessionlessReport", 5)?;
        st.serialize_field("source_uri", &self.source_uri())?;
        st.serialize_field("type", self.alert_type())?;
        st.serialize_field("format", self.format().as_str())?;
        st.serialize_field("mark", &self.mark().map(Mark::as_str))?;
        st.serialize_field("data", self.data())?;
        st.end()
    }
}

/// The fields as read, before [`SessionlessReport::new`] checks them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport<'a> {
    #[serde(borrow, default)]
    source_uri: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    alert_type: Cow<'a, str>,
    #[serde(borrow)]
    format: Format<'a>,
    #[serde(borrow, default)]
    mark: Option<Mark<'a>>,
    #[serde(borrow)]
    data: Cow<'a, str>,
}

/// Validated: anything [`SessionlessReport::new`] refuses is a deserialization error. Unknown
/// fields are refused; `source_uri` and `mark` may be absent or `null`.
impl<'de: 'a, 'a> Deserialize<'de> for SessionlessReport<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawReport::deserialize(d)?;
        SessionlessReport::new(
            raw.source_uri,
            raw.alert_type,
            raw.format,
            raw.mark,
            raw.data,
        )
        .map_err(de::Error::custom)
    }
}

/// The machine-readable name, e.g. `"alert-code"`.
impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = cow_str(d)?;
        Rule::from_name(&name).ok_or_else(|| de::Error::custom("unknown sessionless rule"))
    }
}

/// `{"rule", "conformance_id", "section", "path", "command", "cmd_id"}` (the last three from the
/// location; `conformance_id`, `command` and `cmd_id` may be `null`).
impl Serialize for Violation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Location {
            command,
            cmd_id,
            path,
        } = &self.location;
        let mut st = s.serialize_struct("Violation", 6)?;
        st.serialize_field("rule", &self.rule)?;
        st.serialize_field("conformance_id", &self.rule.conformance_id())?;
        st.serialize_field("section", self.rule.section())?;
        st.serialize_field("path", path)?;
        st.serialize_field("command", command)?;
        st.serialize_field("cmd_id", cmd_id)?;
        st.end()
    }
}
