//! Checks an hnsw_rs dump (`hnsw.hnsw.graph`, `hnsw.hnsw.data`) against the lengths of the
//! files *before* hnsw_rs reads it.
//!
//! hnsw_rs's loader trusts every size and count in the files: a flipped byte can make it
//! allocate hundreds of gigabytes (an abort that `catch_unwind` cannot catch), read past a
//! buffer, index out of bounds or call `process::exit`. This walks the same layout
//! (hnsw_rs 0.3.5, `hnswio.rs`: a description, then per layer its points with their
//! neighbour lists, then the entry point; the data file holds one record per point in the
//! same order) and accepts it only when every count fits in the bytes that remain, every
//! point id and neighbour reference exists, every vector has the index's width and every
//! point is a variant of the index. Pure arithmetic on the bytes: it allocates in
//! proportion to the files' sizes, never to what they claim.

const MAGICPOINT: u32 = 0x000a_678f;
const MAGICDESCR_3: u32 = 0x002a_6771;
const MAGICDESCR_4: u32 = 0x002a_6779;
const MAGICLAYER: u32 = 0x000a_676f;
const MAGICDATAP: u32 = 0xa67f_0000;
const NB_LAYER_MAX: u8 = 16;
const USIZE: usize = std::mem::size_of::<usize>();

/// A reader over bytes that fails instead of reading past the end.
struct Bytes<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if n > self.rest.len() {
            return Err(format!("{} ends early", self.what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(self.u32()? as i32)
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn usize(&mut self) -> Result<usize, String> {
        let b = self.take(USIZE)?;
        let mut a = [0u8; USIZE];
        a.copy_from_slice(b);
        Ok(usize::from_ne_bytes(a))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_ne_bytes(a))
    }
}

/// What the graph must look like: built by wenda with these settings.
pub(super) struct Expected<'a> {
    /// Rows of the vector matrix: every point's id is a row.
    pub rows: usize,
    /// Vector width.
    pub dimension: usize,
    /// Links per node the graph was built with.
    pub max_connections: usize,
    /// The distance's type name as hnsw_rs records it.
    pub distance: &'a str,
}

/// `Ok` when hnsw_rs can load `graph` and `data` without trusting a size it cannot back.
pub(super) fn check_dump(graph: &[u8], data: &[u8], want: &Expected<'_>) -> Result<(), String> {
    let mut g = Bytes {
        rest: graph,
        what: "the graph file",
    };
    let magic = g.u32()?;
    let version4 = match magic {
        MAGICDESCR_4 => true,
        MAGICDESCR_3 => false,
        _ => return Err("the graph file does not start with an hnsw_rs description".into()),
    };
    let dumpmode = g.u8()?;
    if dumpmode != 1 {
        return Err(format!("dump mode {dumpmode}, expected 1 (full)"));
    }
    let max_conn = g.u8()?;
    if usize::from(max_conn) != want.max_connections {
        return Err(format!(
            "{max_conn} links per node, expected {}",
            want.max_connections
        ));
    }
    if version4 {
        let scale = f64::from_bits(g.u64()?);
        if !(scale.is_finite() && scale > 0.0) {
            return Err("the level scale is not a positive number".into());
        }
    }
    let descr_layers = g.u8()?;
    if descr_layers > NB_LAYER_MAX {
        return Err(format!("{descr_layers} layers (at most {NB_LAYER_MAX})"));
    }
    let _ef = g.usize()?;
    let nb_point = g.usize()?;
    if nb_point > want.rows {
        return Err(format!("{nb_point} points for {} vectors", want.rows));
    }
    let dimension = g.usize()?;
    if dimension != want.dimension {
        return Err(format!(
            "vectors of width {dimension}, expected {}",
            want.dimension
        ));
    }
    for (what, expected) in [("distance", want.distance), ("value type", "f32")] {
        let len = g.usize()?;
        if len > 256 || len > g.rest.len() {
            return Err(format!("the {what} name's length is impossible"));
        }
        let name = g.take(len)?;
        if name != expected.as_bytes() {
            return Err(format!(
                "the {what} is {:?}, expected {expected:?}",
                String::from_utf8_lossy(name)
            ));
        }
    }

    let mut d = Bytes {
        rest: data,
        what: "the data file",
    };
    if d.u32()? != MAGICDATAP {
        return Err("the data file does not start with its magic number".into());
    }
    if d.usize()? != dimension {
        return Err("the data file's width differs from the graph's".into());
    }

    let layers = g.u8()?;
    if layers > NB_LAYER_MAX {
        return Err(format!("{layers} layers (at most {NB_LAYER_MAX})"));
    }
    let mut layer_sizes: Vec<usize> = Vec::with_capacity(usize::from(layers));
    let mut references: Vec<(u8, i32)> = Vec::new();
    let mut seen = vec![false; want.rows];
    let mut total = 0usize;
    // Smallest record of a point in the graph file: magic, id, layer, rank, one count per
    // layer of the description.
    let point_bytes = 4 + USIZE + 1 + 4 + usize::from(descr_layers) * USIZE;
    let neighbour_bytes = USIZE + 1 + 4 + 4;
    for l in 0..layers {
        if g.u32()? != MAGICLAYER {
            return Err(format!("layer {l} does not start with its magic number"));
        }
        let count = g.usize()?;
        if count > nb_point.saturating_sub(total) || count > g.rest.len() / point_bytes.max(1) {
            return Err(format!("layer {l} claims {count} points"));
        }
        for r in 0..count {
            if g.u32()? != MAGICPOINT {
                return Err(format!("point {r} of layer {l} has no magic number"));
            }
            let id = g.usize()?;
            if id >= want.rows || seen[id] {
                return Err(format!("point id {id} is out of range or repeated"));
            }
            seen[id] = true;
            if g.u8()? != l || usize::try_from(g.i32()?).ok() != Some(r) {
                return Err(format!("point {r} of layer {l} is out of place"));
            }
            for _ in 0..descr_layers {
                let n = g.usize()?;
                if n > g.rest.len() / neighbour_bytes {
                    return Err(format!("point {id} claims {n} neighbours"));
                }
                for _ in 0..n {
                    let _d_id = g.usize()?;
                    let layer = g.u8()?;
                    let rank = g.i32()?;
                    let distance = g.f32()?;
                    if !distance.is_finite() {
                        return Err(format!("point {id} has a neighbour at distance {distance}"));
                    }
                    references.push((layer, rank));
                }
            }
            // Its vector, in the data file.
            if d.u32()? != MAGICDATAP {
                return Err(format!("the data of point {id} has no magic number"));
            }
            if usize::try_from(d.u64()?).ok() != Some(id) {
                return Err(format!("the data file's point {id} is out of order"));
            }
            let len = d.u64()?;
            if usize::try_from(len).ok() != dimension.checked_mul(4) {
                return Err(format!("point {id}'s vector has {len} bytes"));
            }
            let vector = d.take(dimension * 4)?;
            if vector
                .chunks_exact(4)
                .any(|b| !f32::from_ne_bytes([b[0], b[1], b[2], b[3]]).is_finite())
            {
                return Err(format!("point {id}'s vector is not finite"));
            }
        }
        total += count;
        layer_sizes.push(count);
    }
    if total != nb_point {
        return Err(format!(
            "{total} points, but the description says {nb_point}"
        ));
    }
    let exists = |layer: u8, rank: i32| {
        layer_sizes
            .get(usize::from(layer))
            .is_some_and(|&n| usize::try_from(rank).is_ok_and(|r| r < n))
    };
    if let Some(&(layer, rank)) = references.iter().find(|&&(l, r)| !exists(l, r)) {
        return Err(format!(
            "a neighbour (layer {layer}, rank {rank}) does not exist"
        ));
    }
    let _entry_id = g.usize()?;
    let (layer, rank) = (g.u8()?, g.i32()?);
    if total > 0 && !exists(layer, rank) {
        return Err("the entry point does not exist".into());
    }
    if total == 0 {
        // hnsw_rs indexes the entry point even in an empty graph.
        return Err("the graph has no points".into());
    }
    Ok(())
}
