//! The record files' format: a header (`sbsubs1\n`, the round id's length as `u16` little
//! endian, the round id), then one frame per submission:
//!
//! | bytes | content |
//! |---|---|
//! | 4 | length of the body (the rest of the frame), `u32` little endian |
//! | 4 | the first 4 bytes of SHA-256 of the body |
//! | 1 | length of the node's raw public key |
//! | key | the node's raw public key |
//! | rest | the stored record (`records::encode_submission`) |
//!
//! Pure encoding and scanning; the files themselves are handled in [`super`].

use crate::error::AggError;

/// First bytes of every record file.
const MAGIC: &[u8; 8] = b"sbsubs1\n";
/// Bytes of a frame besides the key and the record: length, checksum, key length.
pub const FRAME_OVERHEAD: usize = 9;

/// Where a stored record lies in its file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loc {
    /// Offset of the record's first byte.
    pub offset: u64,
    /// Its length.
    pub len: usize,
}

/// File name of a round's records: the round id when it is a plain name, otherwise `+` and its
/// hex form; the header names the round either way. Deliberately not
/// [`sovbench_core::ids::is_plain_id`]: rounds opened before ids had to start with a letter or
/// digit (`-A2`) keep the file name they were stored under.
pub(super) fn file_name(round: &str) -> String {
    let plain = (1..=64).contains(&round.len())
        && round
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        format!("{round}.log")
    } else {
        format!("+{}.log", hex::encode(round))
    }
}

/// The header of `round`'s file.
pub(super) fn header(round: &str) -> Result<Vec<u8>, AggError> {
    let len = u16::try_from(round.len())
        .map_err(|_| AggError::Storage(format!("round id of {} bytes", round.len())))?;
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(&len.to_le_bytes());
    h.extend_from_slice(round.as_bytes());
    Ok(h)
}

fn checksum(body: &[u8]) -> [u8; 4] {
    let h = sovbench_core::sha256(body);
    [h[0], h[1], h[2], h[3]]
}

/// Appends the frame of `record` under `key` to `out`; returns where the record lies, `base`
/// being the file offset of `out`'s first byte.
pub(super) fn push_frame(
    out: &mut Vec<u8>,
    base: u64,
    key: &[u8],
    record: &[u8],
) -> Result<Loc, AggError> {
    let key_len = u8::try_from(key.len())
        .map_err(|_| AggError::Storage(format!("node key of {} bytes", key.len())))?;
    let body_len = 1 + key.len() + record.len();
    let len = u32::try_from(body_len)
        .map_err(|_| AggError::Storage(format!("submission record of {body_len} bytes")))?;
    let start = out.len();
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(key_len);
    out.extend_from_slice(key);
    out.extend_from_slice(record);
    let sum = checksum(&out[start + 8..]);
    out[start + 4..start + 8].copy_from_slice(&sum);
    Ok(Loc {
        offset: base + (start + FRAME_OVERHEAD + key.len()) as u64,
        len: record.len(),
    })
}

/// What a scan of a file found: the header's length (None: no valid header for `round`), the
/// valid frames in order (key, record position, end of the frame) and where they end.
pub(super) struct Scan {
    pub header_len: Option<u64>,
    pub frames: Vec<(Vec<u8>, Loc, u64)>,
    pub valid_end: u64,
}

/// Reads the frames of `round`'s file up to the first one that is cut short or fails its
/// checksum.
pub(super) fn scan(bytes: &[u8], round: &str) -> Scan {
    let want = header(round).unwrap_or_default();
    if want.is_empty() || !bytes.starts_with(&want) {
        return Scan {
            header_len: None,
            frames: Vec::new(),
            valid_end: 0,
        };
    }
    let mut pos = want.len();
    let mut frames = Vec::new();
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let Some(body) = bytes.get(pos + 8..pos + 8 + len) else {
            break;
        };
        if checksum(body) != head[4..8] {
            break;
        }
        let Some((&key_len, rest)) = body.split_first() else {
            break;
        };
        let Some(key) = rest.get(..key_len as usize) else {
            break;
        };
        let loc = Loc {
            offset: (pos + FRAME_OVERHEAD + key.len()) as u64,
            len: rest.len() - key.len(),
        };
        pos += 8 + len;
        frames.push((key.to_vec(), loc, pos as u64));
    }
    Scan {
        header_len: Some(want.len() as u64),
        frames,
        valid_end: pos as u64,
    }
}

/// The frame of one record as it is appended (for tests and size estimates).
pub fn frame(key: &[u8], record: &[u8]) -> Result<Vec<u8>, AggError> {
    let mut out = Vec::new();
    push_frame(&mut out, 0, key, record)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut anywhere, a file scans to exactly the frames that are whole; a flipped byte anywhere in
    /// a frame ends the scan before it; another round's header is no header.
    #[test]
    fn a_scan_stops_at_the_first_frame_cut_short_or_altered() {
        let mut file = header("r-1").unwrap();
        let (mut ends, mut offsets) = (Vec::new(), Vec::new());
        for (i, len) in [0usize, 1, 300].into_iter().enumerate() {
            let start = file.len() as u64;
            // `file` holds everything from offset 0.
            let loc = push_frame(&mut file, 0, &[i as u8; 32], &vec![7; len]).unwrap();
            assert_eq!(loc.offset, start + (FRAME_OVERHEAD + 32) as u64);
            ends.push(file.len() as u64);
            offsets.push(loc.offset);
        }
        let head = header("r-1").unwrap().len() as u64;
        for cut in 0..=file.len() {
            let s = scan(&file[..cut], "r-1");
            let whole: Vec<u64> = ends.iter().copied().filter(|&e| e <= cut as u64).collect();
            let got: Vec<u64> = s.frames.iter().map(|f| f.2).collect();
            assert_eq!(got, whole, "cut at {cut}");
            let want_end = whole.last().copied().unwrap_or(head);
            let want_end = if (cut as u64) < head { 0 } else { want_end };
            assert_eq!(s.valid_end, want_end, "cut at {cut}");
        }
        for at in ends[0] as usize..ends[1] as usize {
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            assert_eq!(scan(&bad, "r-1").valid_end, ends[0], "flipped at {at}");
        }
        let whole = scan(&file, "r-1");
        let found: Vec<u64> = whole.frames.iter().map(|f| f.1.offset).collect();
        assert_eq!(found, offsets);
        assert_eq!(whole.frames[2].1.len, 300);
        assert!(scan(&file, "r-2").header_len.is_none());
    }
}
