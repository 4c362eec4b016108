//! A long CLI fuzz run (not CI): `cargo build --release && cargo run --release --example
//! fuzz_cli -- [INPUTS] [SEED]` (default 1,000,000) pipes generated lines — random bytes
//! (invalid UTF-8 included), control characters, Chinese text, digits of many scripts,
//! separators, emoji, combining marks, very long lines, personal data — into one
//! `wenda chat --json` over `tests/fixtures/mini-kb`, and checks that every line got its
//! JSON line (a reply, or an error object for a line that is not UTF-8), that nothing
//! panicked and that the process exited 0.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const POOL: &[&str] = &[
    "流量",
    "怎么",
    "查",
    "套餐",
    "退订",
    "转人工",
    "你好",
    "谢谢",
    "不是这个",
    "第",
    "个",
    "吗",
    "？",
    "，",
    "。",
    "！",
    " ",
    "\t",
    "\u{a0}",
    "\u{200b}",
    "\u{3000}",
    "1",
    "3",
    "8",
    "０",
    "𝟏",
    "①",
    "٣",
    "一",
    "三",
    "八",
    "幺",
    "-",
    ".",
    "_",
    "/",
    "*",
    "(",
    ")",
    "和",
    "@",
    "qq",
    ".com",
    "张三",
    "X",
    "😀",
    "\u{301}",
    "\u{202e}",
    "\u{0}",
    "\u{1b}[31m",
    "\\",
    "\"",
    "{",
    "}",
    "<script>",
    "AND",
    "title:",
    "^2",
    "車",
    "撞",
    "報案",
    "ｆｕｌｌ",
    "\u{fffd}",
    "13812345678",
    "6222 0212 3456 7890",
    "11010519491231002X",
    "/new",
    "\r",
];

fn line(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    match rng.below(10) {
        0 => {
            let n = rng.below(200);
            out.extend((0..n).map(|_| rng.next() as u8));
        }
        1 => {
            let n = 2000 + rng.below(8000);
            for _ in 0..n {
                out.extend_from_slice(POOL[rng.below(POOL.len())].as_bytes());
            }
        }
        _ => {
            let n = rng.below(30);
            for _ in 0..n {
                out.extend_from_slice(POOL[rng.below(POOL.len())].as_bytes());
                if rng.below(40) == 0 {
                    out.push(0x80 + rng.below(0x80) as u8);
                }
            }
        }
    }
    out.retain(|&b| b != b'\n');
    out
}

/// Whether `chat --json` writes a line for this input (`/new` writes none).
fn answered(raw: &[u8]) -> bool {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    !matches!(std::str::from_utf8(raw), Ok(s) if s.trim() == "/new")
}

fn main() -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let inputs: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);
    let root = env!("CARGO_MANIFEST_DIR");
    let exe = std::path::Path::new(root).join("target/release/wenda");
    let index = tempfile::tempdir()?;
    let mut child = Command::new(&exe)
        .args(["chat", "--json", "--kb"])
        .arg(format!("{root}/tests/fixtures/mini-kb"))
        .arg("--index")
        .arg(index.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let writer = std::thread::spawn(move || -> std::io::Result<u64> {
        let mut rng = Rng(seed);
        let mut expected = 0u64;
        let mut buf = std::io::BufWriter::new(&mut stdin);
        for _ in 0..inputs {
            let l = line(&mut rng);
            expected += u64::from(answered(&l));
            buf.write_all(&l)?;
            buf.write_all(b"\n")?;
        }
        buf.flush()?;
        Ok(expected)
    });
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let errors = std::thread::spawn(move || {
        let mut panics = 0u64;
        let mut warnings = 0u64;
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if l.contains("panicked") {
                panics += 1;
                eprintln!("{l}");
            } else if l.starts_with("warning: line") {
                warnings += 1;
            }
        }
        (panics, warnings)
    });
    let started = std::time::Instant::now();
    let mut lines = 0u64;
    let mut bad_json = 0u64;
    for l in BufReader::new(child.stdout.take().ok_or("no stdout")?).lines() {
        let l = l?;
        lines += 1;
        if serde_json::from_str::<serde_json::Value>(&l).is_err() {
            bad_json += 1;
        }
    }
    let expected = writer.join().map_err(|_| "writer panicked")??;
    let status = child.wait()?;
    let (panics, skipped) = errors.join().map_err(|_| "reader panicked")?;
    println!(
        "{inputs} inputs in {:.0} s: {lines} JSON lines (expected {expected}), {bad_json} not JSON, \
         {skipped} non-UTF-8 lines reported, {panics} panics, exit {status}",
        started.elapsed().as_secs_f64()
    );
    let ok = panics == 0 && bad_json == 0 && lines == expected && status.success();
    Ok(if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
