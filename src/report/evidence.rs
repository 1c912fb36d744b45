//! What the report was made from: each input file's name, size and SHA-256, so that a reader
//! can tell the report belongs to the files they hold.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InputFile {
    pub path: String,
    pub size: Option<u64>,
    /// Lower-case hex; `None` when the file could not be read (then `note` says why) or was
    /// still being hashed when the report was written.
    pub sha256: Option<String>,
    pub note: Option<String>,
}

/// Hashes one input file, reading it in 1 MiB blocks.
pub fn hash_file(path: &Path) -> InputFile {
    let shown = path.display().to_string();
    let hashed = (|| -> std::io::Result<(u64, String)> {
        let mut file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        let mut hasher = Sha256::new();
        let mut block = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut block)?;
            if n == 0 {
                break;
            }
            hasher.update(&block[..n]);
        }
        let hex = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok((size, hex))
    })();
    match hashed {
        Ok((size, hex)) => InputFile {
            path: shown,
            size: Some(size),
            sha256: Some(hex),
            note: None,
        },
        Err(e) => InputFile {
            path: shown,
            size: None,
            sha256: None,
            note: Some(format!("could not be read: {e}")),
        },
    }
}

/// An input whose hash is not known yet.
pub fn not_hashed_yet(path: &Path) -> InputFile {
    InputFile {
        path: path.display().to_string(),
        size: std::fs::metadata(path).ok().map(|m| m.len()),
        sha256: None,
        note: Some("still being hashed when the report was written".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_by_its_sha256() {
        let dir = std::env::temp_dir().join(format!("sessionscope-hash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        let f = hash_file(&path);
        assert_eq!(f.size, Some(3));
        // FIPS 180-2's example.
        assert_eq!(
            f.sha256.as_deref(),
            Some("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        let missing = hash_file(&dir.join("gone"));
        assert!(missing.sha256.is_none() && missing.note.unwrap().contains("could not be read"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
