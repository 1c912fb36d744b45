//! Query results saved to a file: a Log Analytics query API response
//! (`{"tables": [{"name", "columns": [{"name", "type"}], "rows": [[...]]}]}`) or an Azure Data
//! Explorer v2 response (an array of frames, the `PrimaryResult` `DataTable` holding `Columns`
//! and `Rows`). Each row becomes a JSON object of its columns, one a line, so that the record
//! readers take it as they take a data-export line; dynamic columns, which arrive as JSON
//! text, are opened.

use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
struct Column {
    #[serde(alias = "ColumnName")]
    name: String,
}

#[derive(Deserialize)]
struct Table {
    #[serde(default, alias = "TableName")]
    name: String,
    #[serde(default, alias = "TableKind")]
    kind: Option<String>,
    #[serde(alias = "Columns")]
    columns: Vec<Column>,
    #[serde(alias = "Rows")]
    rows: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct Response {
    tables: Vec<Table>,
}

/// True when the start of a file is a query response's: a `tables` object with `columns` and
/// `rows`, or frames with a `FrameType`.
pub fn looks_like(head: &[u8]) -> bool {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
    match first {
        Some(b'{') => has(b"\"tables\"") && has(b"\"columns\""),
        Some(b'[') => has(b"\"FrameType\"") && has(b"\"DataSetHeader\""),
        _ => false,
    }
}

/// A cell as a record's value: JSON text of an object or array (a dynamic column) opened.
fn cell(v: Value) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && let Ok(inner) = serde_json::from_str::<Value>(&s)
            {
                return inner;
            }
            Value::String(s)
        }
        other => other,
    }
}

/// The rows of the response's result tables as JSON Lines, and how many rows.
pub fn to_json_lines(text: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let tables: Vec<Table> = match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => {
            let frames: Vec<Value> = serde_json::from_slice(text)
                .map_err(|e| format!("a query response that does not read: {e}"))?;
            frames
                .into_iter()
                .filter(|f| f.get("FrameType").and_then(Value::as_str) == Some("DataTable"))
                .filter_map(|f| serde_json::from_value::<Table>(f).ok())
                .collect()
        }
        _ => {
            serde_json::from_slice::<Response>(text)
                .map_err(|e| format!("a query response that does not read: {e}"))?
                .tables
        }
    };
    // ADX answers with its query's properties and completion beside the result: only the
    // result's rows are records.
    let results: Vec<Table> = tables
        .into_iter()
        .filter(|t| {
            t.kind.as_deref().is_none_or(|k| k == "PrimaryResult")
                && t.name != "@ExtendedProperties"
        })
        .collect();
    let mut out = Vec::new();
    let mut rows = 0;
    for table in results {
        for row in table.rows {
            let object: Map<String, Value> = table
                .columns
                .iter()
                .map(|c| c.name.clone())
                .zip(row.into_iter().map(cell))
                .filter(|(_, v)| !v.is_null())
                .collect();
            serde_json::to_writer(&mut out, &Value::Object(object)).map_err(|e| e.to_string())?;
            out.push(b'\n');
            rows += 1;
        }
    }
    Ok((out, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_objects_of_their_columns() {
        let la = br#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Operation","type":"string"},{"name":"AppAccessContext","type":"dynamic"},{"name":"ClientIP","type":"string"}],"rows":[["2024-03-12T04:59:00Z","New-InboxRule","{\"AADSessionId\":\"s1\"}",null]]}]}"#;
        assert!(looks_like(la));
        let (lines, n) = to_json_lines(la).unwrap();
        assert_eq!(n, 1);
        let v: Value = serde_json::from_slice(&lines).unwrap();
        assert_eq!(v["Operation"], "New-InboxRule");
        assert_eq!(v["AppAccessContext"]["AADSessionId"], "s1");
        assert!(v.get("ClientIP").is_none());
        let adx = br#"[{"FrameType":"DataSetHeader","Version":"v2.0"},{"FrameType":"DataTable","TableId":0,"TableKind":"QueryProperties","TableName":"@ExtendedProperties","Columns":[{"ColumnName":"Value","ColumnType":"dynamic"}],"Rows":[["x"]]},{"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[{"ColumnName":"Operation","ColumnType":"string"}],"Rows":[["Send"],["SoftDelete"]]},{"FrameType":"DataSetCompletion","HasErrors":false}]"#;
        assert!(looks_like(adx));
        let (lines, n) = to_json_lines(adx).unwrap();
        assert_eq!(n, 2);
        assert!(
            String::from_utf8(lines)
                .unwrap()
                .starts_with(r#"{"Operation":"Send"}"#)
        );
        assert!(!looks_like(br#"[{"CreationTime":"2024-03-12T04:59:00"}]"#));
    }
}
