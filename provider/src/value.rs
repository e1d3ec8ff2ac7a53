//! Terraform values as the provider sees them, and their two wire encodings.
//!
//! Terraform sends configuration, plans and state as msgpack, with two
//! extension types for values not known until apply (a plain unknown, and an
//! unknown carrying refinements such as "not null"). Raw state during upgrades
//! arrives as JSON. Both are decoded into [`Value`], which keeps `Unknown`
//! distinct from `Null` because the compliance checks must skip the former and
//! apply defaults to the latter.

use std::collections::BTreeMap;

use thiserror::Error;

/// msgpack extension code cty uses for a wholly unknown value.
const EXT_UNKNOWN: i8 = 0;
/// msgpack extension code cty uses for an unknown value with refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;

/// A Terraform value. Objects and maps share one representation: both are
/// string-keyed, and the schema (not the wire format) says which is which.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Unknown,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
}

/// Why a value could not be decoded. Only reaches users wrapped in a
/// diagnostic that says which request carried it.
#[derive(Debug, Error)]
pub enum DecodeError {
    #[error("malformed msgpack: {0}")]
    Msgpack(String),
    #[error("malformed JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported value: {0}")]
    Unsupported(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when the value and everything inside it is known.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) => entries.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// The attribute `name` of an object; `Null` when absent, so that callers
    /// treat a missing attribute exactly like an explicit null.
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Map(entries) => entries.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as an integer, when it is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => Some(*n as i64),
            _ => None,
        }
    }

    /// A map of strings (such as `tags`); `None` if the value or any element is
    /// not a known string.
    pub fn as_string_map(&self) -> Option<BTreeMap<String, String>> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect(),
            _ => None,
        }
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn from_string_map(map: &BTreeMap<String, String>) -> Value {
        Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect(),
        )
    }

    pub fn opt_string(s: Option<impl Into<String>>) -> Value {
        s.map_or(Value::Null, |s| Value::String(s.into()))
    }

    pub fn number(n: i64) -> Value {
        Value::Number(n as f64)
    }
}

/// Decodes a msgpack-encoded Terraform value. Empty input decodes to `Null`
/// (Terraform sends no bytes for an absent prior state).
pub fn decode_msgpack(bytes: &[u8]) -> Result<Value, DecodeError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    check_msgpack(bytes).map_err(DecodeError::Msgpack)?;
    let mut cursor = bytes;
    let raw =
        rmpv::decode::read_value(&mut cursor).map_err(|e| DecodeError::Msgpack(e.to_string()))?;
    from_rmpv(raw)
}

/// The most values (scalars, lists, maps and their elements) one decoded
/// request may hold. Decoding costs memory per value, not per byte, so a
/// cap on bytes alone lets a request of many tiny values take a hundred
/// times its size; this keeps memory proportional to what a phi resource
/// can hold (a few dozen attributes, tags maps of at most 50 entries).
pub const MAX_MSGPACK_VALUES: usize = 100_000;

/// Walks the msgpack encoding of exactly one value without building it,
/// refusing what the decoder would let through: the reserved marker `0xC1`
/// (which it reads as nil) and bytes after the value (which it ignores).
/// Terraform never sends either, so either means a corrupted request, and
/// guessing its meaning could write a wrong value to state.
pub fn check_msgpack(bytes: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    // Values still to read: one to start with, plus every element of every
    // array and map met on the way.
    let mut pending: u64 = 1;
    let take = |at: &mut usize, n: usize| -> Result<u64, String> {
        let end = at
            .checked_add(n)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| format!("the value ends early (at byte {at}, {} bytes)", bytes.len()))?;
        let v = bytes[*at..end]
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        *at = end;
        Ok(v)
    };
    let mut seen: usize = 0;
    while pending > 0 {
        pending -= 1;
        seen += 1;
        if seen > MAX_MSGPACK_VALUES {
            return Err(format!(
                "the value holds more than {MAX_MSGPACK_VALUES} elements; no phi resource has \
                 that many"
            ));
        }
        let marker = take(&mut at, 1)? as u8;
        let skip = |at: &mut usize, len: u64| -> Result<(), String> {
            let len = usize::try_from(len).map_err(|_| "a length is too large".to_owned())?;
            let end = at
                .checked_add(len)
                .filter(|e| *e <= bytes.len())
                .ok_or_else(|| {
                    format!("the value ends early (at byte {at}, {} bytes)", bytes.len())
                })?;
            *at = end;
            Ok(())
        };
        match marker {
            0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => {}
            0x80..=0x8f => pending += 2 * u64::from(marker & 0x0f),
            0x90..=0x9f => pending += u64::from(marker & 0x0f),
            0xa0..=0xbf => skip(&mut at, u64::from(marker & 0x1f))?,
            0xc1 => {
                return Err(format!(
                    "byte {} is 0xC1, which msgpack reserves and never uses",
                    at - 1
                ));
            }
            0xc4 | 0xd9 => {
                let n = take(&mut at, 1)?;
                skip(&mut at, n)?;
            }
            0xc5 | 0xda => {
                let n = take(&mut at, 2)?;
                skip(&mut at, n)?;
            }
            0xc6 | 0xdb => {
                let n = take(&mut at, 4)?;
                skip(&mut at, n)?;
            }
            0xc7 => {
                let n = take(&mut at, 1)?;
                skip(&mut at, n + 1)?;
            }
            0xc8 => {
                let n = take(&mut at, 2)?;
                skip(&mut at, n + 1)?;
            }
            0xc9 => {
                let n = take(&mut at, 4)?;
                skip(&mut at, n + 1)?;
            }
            0xca | 0xce | 0xd2 => skip(&mut at, 4)?,
            0xcb | 0xcf | 0xd3 => skip(&mut at, 8)?,
            0xcc | 0xd0 => skip(&mut at, 1)?,
            0xcd | 0xd1 => skip(&mut at, 2)?,
            0xd4 => skip(&mut at, 2)?,
            0xd5 => skip(&mut at, 3)?,
            0xd6 => skip(&mut at, 5)?,
            0xd7 => skip(&mut at, 9)?,
            0xd8 => skip(&mut at, 17)?,
            0xdc => pending += take(&mut at, 2)?,
            0xdd => pending += take(&mut at, 4)?,
            0xde => pending += 2 * take(&mut at, 2)?,
            0xdf => pending += 2 * take(&mut at, 4)?,
        }
        // Every pending value needs at least one byte: a count larger than
        // the bytes left is a truncated or hostile request.
        if pending > (bytes.len() - at) as u64 {
            return Err(format!(
                "the value announces {pending} more elements than its {} remaining bytes can hold",
                bytes.len() - at
            ));
        }
    }
    if at != bytes.len() {
        return Err(format!(
            "{} bytes follow the value (at byte {at}); a request holds exactly one value",
            bytes.len() - at
        ));
    }
    Ok(())
}

fn from_rmpv(raw: rmpv::Value) -> Result<Value, DecodeError> {
    Ok(match raw {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Bool(b),
        rmpv::Value::Integer(i) => Value::Number(
            i.as_i64()
                .map(|v| v as f64)
                .or_else(|| i.as_u64().map(|v| v as f64))
                .unwrap_or(f64::NAN),
        ),
        rmpv::Value::F32(f) => Value::Number(f64::from(f)),
        rmpv::Value::F64(f) => Value::Number(f),
        rmpv::Value::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => return Err(DecodeError::Msgpack("string is not UTF-8".into())),
        },
        rmpv::Value::Binary(_) => {
            return Err(DecodeError::Unsupported("binary msgpack value".into()));
        }
        rmpv::Value::Array(items) => {
            Value::List(items.into_iter().map(from_rmpv).collect::<Result<_, _>>()?)
        }
        rmpv::Value::Map(entries) => {
            let mut map = BTreeMap::new();
            for (k, v) in entries {
                let key = match k {
                    rmpv::Value::String(s) => s
                        .into_str()
                        .ok_or_else(|| DecodeError::Msgpack("map key is not UTF-8".into()))?,
                    other => {
                        return Err(DecodeError::Unsupported(format!(
                            "map key of kind {other:?}"
                        )));
                    }
                };
                map.insert(key, from_rmpv(v)?);
            }
            Value::Map(map)
        }
        rmpv::Value::Ext(EXT_UNKNOWN | EXT_REFINED_UNKNOWN, _) => Value::Unknown,
        rmpv::Value::Ext(code, _) => {
            return Err(DecodeError::Unsupported(format!(
                "msgpack extension type {code}"
            )));
        }
    })
}

/// Encodes a value as msgpack. Integral numbers are written as integers, as
/// cty does, so that Terraform's comparison of planned and applied values sees
/// identical encodings.
pub fn encode_msgpack(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    // Writing into a Vec cannot fail.
    let _ = rmpv::encode::write_value(&mut out, &to_rmpv(value));
    out
}

fn to_rmpv(value: &Value) -> rmpv::Value {
    match value {
        Value::Null => rmpv::Value::Nil,
        Value::Unknown => rmpv::Value::Ext(EXT_UNKNOWN, vec![0]),
        Value::Bool(b) => rmpv::Value::Boolean(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            rmpv::Value::Integer((*n as i64).into())
        }
        Value::Number(n) => rmpv::Value::F64(*n),
        Value::String(s) => rmpv::Value::String(s.as_str().into()),
        Value::List(items) => rmpv::Value::Array(items.iter().map(to_rmpv).collect()),
        Value::Map(entries) => rmpv::Value::Map(
            entries
                .iter()
                .map(|(k, v)| (rmpv::Value::String(k.as_str().into()), to_rmpv(v)))
                .collect(),
        ),
    }
}

/// Decodes a JSON-encoded value (raw state). JSON has no unknowns.
pub fn decode_json(bytes: &[u8]) -> Result<Value, DecodeError> {
    let json: serde_json::Value = serde_json::from_slice(bytes)?;
    Ok(from_json(json))
}

fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::List(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k, from_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn msgpack_round_trips_every_kind() {
        let value = object(&[
            ("name", Value::string("acme-audit")),
            ("retention_days", Value::number(2192)),
            ("ratio", Value::Number(0.5)),
            ("enabled", Value::Bool(true)),
            ("missing", Value::Null),
            ("later", Value::Unknown),
            (
                "list",
                Value::List(vec![Value::string("a"), Value::Unknown]),
            ),
            ("tags", object(&[("owner", Value::string("team"))])),
        ]);
        assert_eq!(decode_msgpack(&encode_msgpack(&value)).unwrap(), value);
    }

    #[test]
    fn integers_are_encoded_as_msgpack_integers() {
        // 0xcd = uint16, which is how 2192 is written compactly
        assert_eq!(encode_msgpack(&Value::number(2192)), vec![0xcd, 0x08, 0x90]);
    }

    #[test]
    fn refined_unknowns_decode_as_unknown() {
        // fixext1 with code 12 and a refinement payload byte
        let bytes = [0xd4, 0x0c, 0x80];
        assert_eq!(decode_msgpack(&bytes).unwrap(), Value::Unknown);
        let plain = [0xd4, 0x00, 0x00];
        assert_eq!(decode_msgpack(&plain).unwrap(), Value::Unknown);
    }

    #[test]
    fn other_extensions_are_refused_not_misread() {
        let err = decode_msgpack(&[0xd4, 0x05, 0x00]).unwrap_err();
        assert!(err.to_string().contains("extension type 5"), "{err}");
    }

    #[test]
    fn empty_bytes_mean_null_and_garbage_is_an_error() {
        assert_eq!(decode_msgpack(&[]).unwrap(), Value::Null);
        // an array announcing two elements but carrying one
        assert!(decode_msgpack(&[0x92, 0x01]).is_err());
    }

    #[test]
    fn json_decodes_objects_and_numbers() {
        let v = decode_json(br#"{"name":"x","retention_days":2192,"tags":null}"#).unwrap();
        assert_eq!(v.get("retention_days").as_i64(), Some(2192));
        assert!(v.get("tags").is_null());
        assert!(v.get("absent").is_null());
    }

    #[test]
    fn wholly_known_looks_inside_collections() {
        assert!(!object(&[("a", Value::List(vec![Value::Unknown]))]).is_wholly_known());
        assert!(object(&[("a", Value::Null)]).is_wholly_known());
    }

    #[test]
    fn reserved_bytes_and_trailing_data_are_refused() {
        let good = encode_msgpack(&Value::Map(
            [
                ("name".to_owned(), Value::String("acme".into())),
                ("n".to_owned(), Value::Number(3.0)),
                (
                    "l".to_owned(),
                    Value::List(vec![Value::Bool(true), Value::Null]),
                ),
            ]
            .into_iter()
            .collect(),
        ));
        assert!(check_msgpack(&good).is_ok());
        assert!(decode_msgpack(&good).is_ok());
        let err = decode_msgpack(&[0xc1]).unwrap_err().to_string();
        assert!(err.contains("0xC1"), "{err}");
        // A fixmap of one entry whose value is the reserved byte.
        let err = decode_msgpack(&[0x81, 0xa1, b'a', 0xc1])
            .unwrap_err()
            .to_string();
        assert!(err.contains("0xC1"), "{err}");
        let mut trailing = good.clone();
        trailing.push(0xc0);
        let err = decode_msgpack(&trailing).unwrap_err().to_string();
        assert!(err.contains("1 bytes follow the value"), "{err}");
        // An array that claims four billion elements in five bytes.
        let err = decode_msgpack(&[0xdd, 0xff, 0xff, 0xff, 0xff])
            .unwrap_err()
            .to_string();
        assert!(err.contains("more elements"), "{err}");
        let err = decode_msgpack(&[0xa5, b'a']).unwrap_err().to_string();
        assert!(err.contains("ends early"), "{err}");
    }
}
