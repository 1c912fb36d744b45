//! Writes synthetic audit exports: the bundled fixtures, or a tenant of any size for the
//! benchmark. Deterministic: the same arguments give the same bytes.
//!
//!     gen-tenant fixtures DIR
//!     gen-tenant scale EVENTS FORMAT OUT [--seed N]
//!     gen-tenant attacks FORMAT OUT [--seed N]
//!     gen-tenant signins EVENTS SIGNINS OUT [--seed N]

use anyhow::Context;
use clap::{Parser, Subcommand};
use sessionscope_synth::{attacks, signins, tenant, write};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(about = "Generate synthetic Microsoft 365 audit exports")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The seed stories, one small file per supported format, and the demo tenant.
    Fixtures { dir: PathBuf },
    /// A tenant of about EVENTS records in FORMAT (see `formats`).
    Scale {
        events: usize,
        format: String,
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Two weeks of a tenant with one of each attack kind and benign heavy users; the
    /// attacks are listed on stderr.
    Attacks {
        format: String,
        out: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// About SIGNINS Entra sign-ins (Graph JSON Lines) for the sessions of `scale EVENTS`
    /// with the same seed: they join its sessions by session ID.
    Signins {
        events: usize,
        signins: usize,
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// The format names `scale` and `attacks` accept.
    Formats,
}

fn create(path: &Path) -> anyhow::Result<BufWriter<File>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

fn write_file(path: &Path, format: &str, records: Vec<serde_json::Value>) -> anyhow::Result<()> {
    let mut w = create(path)?;
    write::write(format, records, &mut w)?;
    w.flush()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Cmd::Formats => {
            for f in write::FORMATS {
                println!("{f}");
            }
        }
        Cmd::Scale {
            events,
            format,
            out,
            seed,
        } => {
            let mut w = create(&out)?;
            write::write(&format, tenant::scale_tenant(events, seed), &mut w)?;
            w.flush()?;
        }
        Cmd::Signins {
            events,
            signins,
            out,
            seed,
        } => {
            let mut w = create(&out)?;
            for v in signins::scale_sign_ins(events, seed, signins) {
                serde_json::to_writer(&mut w, &v)?;
                w.write_all(b"\n")?;
            }
            w.flush()?;
        }
        Cmd::Attacks { format, out, seed } => {
            let t = attacks::attack_tenant(seed);
            write_file(&out, &format, t.records)?;
            for p in &t.attacks {
                eprintln!(
                    "{:?}\t{}\t{}",
                    p.attack,
                    p.user,
                    p.session.as_deref().unwrap_or("(no session)")
                );
            }
        }
        Cmd::Fixtures { dir } => {
            let seed = dir.join("seed");
            write_file(
                &seed.join("first-table.csv"),
                "purview-csv",
                tenant::seed_first_table(),
            )?;
            write_file(
                &seed.join("corporate-vpn.csv"),
                "purview-csv",
                tenant::seed_corporate_vpn(),
            )?;
            // The first table's sign-ins in each sign-in export format.
            let signin = dir.join("signin");
            std::fs::create_dir_all(&signin)?;
            let all = signins::seed_sign_ins();
            std::fs::write(
                signin.join("graph-beta.json"),
                serde_json::to_string_pretty(&signins::graph_page(&all))? + "\n",
            )?;
            // The portal's "Download JSON": one array of Graph objects.
            std::fs::write(
                signin.join("portal.json"),
                serde_json::to_string_pretty(&all)? + "\n",
            )?;
            // Extractor-Suite appends one array per page: two arrays back to back.
            let pascal: Vec<serde_json::Value> = all.iter().map(signins::pascal).collect();
            let (first, rest) = pascal.split_at(2);
            std::fs::write(
                signin.join("extractor.json"),
                serde_json::to_string_pretty(first)?
                    + "\n"
                    + &serde_json::to_string_pretty(rest)?
                    + "\n",
            )?;
            std::fs::write(signin.join("portal.csv"), signins::portal_csv(&all))?;
            std::fs::write(
                signin.join("sentinel-signinlogs.csv"),
                signins::sentinel_csv(&all),
            )?;
            std::fs::write(
                signin.join("defender-entraidsigninevents.csv"),
                signins::defender_csv(&all),
            )?;
            let formats = dir.join("formats");
            for format in write::FORMATS {
                let ext = if format.ends_with("csv") || format.ends_with("csv-2023") {
                    "csv"
                } else if format.ends_with("lines") {
                    "jsonl"
                } else {
                    "json"
                };
                write_file(
                    &formats.join(format!("{format}.{ext}")),
                    format,
                    tenant::seed_first_table(),
                )?;
            }
            // PowerShell 5.1's `Out-File` writes UTF-16LE with a BOM; collectors gzip JSON Lines.
            let mut json = Vec::new();
            write::write("extractor-json", tenant::seed_first_table(), &mut json)?;
            let mut utf16 = vec![0xff, 0xfe];
            let text = String::from_utf8(json)?;
            utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            std::fs::write(formats.join("extractor-json-utf16.json"), utf16)?;
            let mut lines = Vec::new();
            write::write("json-lines", tenant::seed_first_table(), &mut lines)?;
            let mut gz = flate2::write::GzEncoder::new(
                create(&formats.join("json-lines.jsonl.gz"))?,
                flate2::Compression::default(),
            );
            gz.write_all(&lines)?;
            gz.finish()?.flush()?;
            write_file(
                &dir.join("demo").join("tenant.csv"),
                "purview-csv",
                tenant::demo_tenant(),
            )?;
            sessionscope_synth::hostile::write_corpus(&dir.join("hostile"), false)?;
        }
    }
    Ok(())
}
