//! Fitting the confidence model: L2-regularized logistic regression by Newton's method,
//! on examples made by asking the knowledge base's own questions with them held out.

use ndarray::{Array1, Array2};

use crate::model::{
    CALIBRATION_INPUTS, CalibrationInput, ConfidenceModel, Features, ModelOrigin, RANK_FEATURES,
    RankFeature, calibration_inputs,
};

/// One held-out question with the candidates retrieval found for it.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// Candidate entries and their features, in retrieval order.
    pub candidates: Vec<(u32, Features)>,
    /// What the question is.
    pub kind: Kind,
    /// How much the example counts (1 unless the caller evens out over-represented cases).
    pub weight: f64,
}

/// What a held-out question is, and so what the right reply is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A similar question held out of its entry, which should win.
    InKb(u32),
    /// A question whose whole entry was held out: nothing should be answered.
    HeldOutEntry,
    /// A made-up off-topic question: nothing should be answered.
    OffTopic,
    /// A made-up rephrasing of an entry's own question, which should win.
    MadeUp(u32),
}

impl Example {
    /// The entry that should win, if any.
    pub fn correct(&self) -> Option<u32> {
        match self.kind {
            Kind::InKb(e) | Kind::MadeUp(e) => Some(e),
            Kind::HeldOutEntry | Kind::OffTopic => None,
        }
    }
}

/// The sign a ranker weight must have: every similarity counts for a match; length ratio
/// may go either way.
fn ranker_sign(f: RankFeature) -> Sign {
    match f {
        RankFeature::LengthRatio => Sign::Free,
        _ => Sign::Positive,
    }
}

/// The sign a calibrator weight must have: score, margin and similarities raise
/// confidence; unknown words lower it.
fn calibrator_sign(c: CalibrationInput) -> Sign {
    match c {
        CalibrationInput::UnknownShare => Sign::Negative,
        _ => Sign::Positive,
    }
}

/// The share of questions the calibrator assumes cannot be answered from the knowledge
/// base (its prior): one in five, about what FAQ evaluation sets hold (bq and lcqmc: 15%).
const UNANSWERABLE_SHARE: f64 = 0.2;

/// How far a made-up rephrasing that found its entry is from proof that a real customer's
/// question like it would (its *doubt*): it counts as right with weight 1 − doubt and as
/// wrong with the doubt. Made-up rephrasings are easier than real paraphrases (their
/// source question stays in the index, and they are never a near-miss of another meaning),
/// so where they are the evidence the confidence is shrunk toward "hand over".
const MADE_UP_DOUBT: f64 = 0.2;

/// L2 penalty on weights (not on the bias).
const L2: f64 = 1.0;
const NEWTON_STEPS: usize = 50;

/// Fits a logistic regression: returns weights for the columns of `x`, then the bias.
/// `sample_weight[i]` scales example `i`. Deterministic.
pub(crate) fn logistic(x: &Array2<f64>, y: &[f64], sample_weight: &[f64], l2: f64) -> Vec<f64> {
    let (n, p) = x.dim();
    // Design matrix with a bias column.
    let mut a = Array2::<f64>::ones((n, p + 1));
    a.slice_mut(ndarray::s![.., ..p]).assign(x);
    let y = Array1::from(y.to_vec());
    let sw = Array1::from(sample_weight.to_vec());
    let mut w = Array1::<f64>::zeros(p + 1);
    for _ in 0..NEWTON_STEPS {
        let z = a.dot(&w);
        let mu = z.mapv(crate::model::sigmoid);
        // gradient of the penalized negative log-likelihood
        let r = (&mu - &y) * &sw;
        let mut grad = a.t().dot(&r);
        let mut hess = Array2::<f64>::zeros((p + 1, p + 1));
        let s = mu.mapv(|m| (m * (1.0 - m)).max(1e-9)) * &sw;
        for (i, row) in a.rows().into_iter().enumerate() {
            let si = s[i];
            for j in 0..=p {
                let rj = row[j] * si;
                for k in j..=p {
                    hess[[j, k]] += rj * row[k];
                }
            }
        }
        for j in 0..=p {
            for k in 0..j {
                hess[[j, k]] = hess[[k, j]];
            }
        }
        for j in 0..p {
            grad[j] += l2 * w[j];
            hess[[j, j]] += l2;
        }
        hess[[p, p]] += 1e-6;
        let Some(step) = solve(hess, grad) else { break };
        let size = step.iter().map(|v| v.abs()).fold(0.0, f64::max);
        w = damped(&w, &step, |w| logistic_loss(&a, &y, &sw, w, l2));
        if size < 1e-8 {
            break;
        }
    }
    w.to_vec()
}

/// The penalized negative log-likelihood of a logistic regression with design matrix `a`
/// (its last column the bias, not penalized).
fn logistic_loss(
    a: &Array2<f64>,
    y: &Array1<f64>,
    sw: &Array1<f64>,
    w: &Array1<f64>,
    l2: f64,
) -> f64 {
    let p = w.len() - 1;
    let penalty = 0.5 * l2 * w.iter().take(p).map(|v| v * v).sum::<f64>();
    let z = a.dot(w);
    // log(1 + e^z) − y·z, computed without overflow.
    let nll: f64 = z
        .iter()
        .zip(y)
        .zip(sw)
        .map(|((&z, &y), &s)| s * (z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z))
        .sum();
    penalty + nll
}

/// The sign a weight must have (a monotonicity constraint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    /// ≥ 0: more of this input never lowers the output.
    Positive,
    /// ≤ 0: more of this input never raises the output.
    Negative,
    /// Unconstrained.
    Free,
}

/// [`logistic`] with sign constraints on the weights: a weight that comes out with the
/// wrong sign is fixed at zero and the rest refitted, until every weight obeys its sign.
/// Keeps the model monotone, so that it behaves sensibly on questions unlike its training
/// examples (collinear features otherwise get weights of opposite signs).
pub(crate) fn logistic_signed(
    x: &Array2<f64>,
    y: &[f64],
    sample_weight: &[f64],
    l2: f64,
    signs: &[Sign],
) -> Vec<f64> {
    let p = x.ncols();
    let mut active: Vec<usize> = (0..p).collect();
    loop {
        let sub = x.select(ndarray::Axis(1), &active);
        let w = logistic(&sub, y, sample_weight, l2);
        let wrong = sign_violations(&active, &w, signs);
        if wrong.is_empty() || active.is_empty() {
            let mut full = vec![0.0; p + 1];
            for (k, &col) in active.iter().enumerate() {
                full[col] = w[k];
            }
            full[p] = w[active.len()];
            return full;
        }
        active.retain(|c| !wrong.contains(c));
    }
}

/// The columns of `active` whose weight (`w[k]` for `active[k]`) has the wrong sign.
fn sign_violations(active: &[usize], w: &[f64], signs: &[Sign]) -> Vec<usize> {
    active
        .iter()
        .enumerate()
        .filter(
            |&(k, &col)| match signs.get(col).copied().unwrap_or(Sign::Free) {
                Sign::Positive => w[k] < 0.0,
                Sign::Negative => w[k] > 0.0,
                Sign::Free => false,
            },
        )
        .map(|(_, &col)| col)
        .collect()
}

/// Fits a conditional-logit (softmax) ranker: for each group of candidates (rows of
/// features) with the index of the right one, maximizes the probability
/// `exp(w·x_gold) / Σ exp(w·x_i)`, with an L2 penalty and sign constraints as in
/// [`logistic_signed`]. Learns what tells the right candidate from the others *of the same
/// question*, which is what ranking needs. Returns the weights and a bias of 0 (a shift
/// does not change a ranking).
pub(crate) fn softmax_signed(
    groups: &[(Array2<f64>, usize, f64)],
    l2: f64,
    signs: &[Sign],
) -> Vec<f64> {
    let p = groups.first().map_or(0, |g| g.0.ncols());
    let mut active: Vec<usize> = (0..p).collect();
    loop {
        let w = softmax_newton(groups, &active, l2);
        let wrong = sign_violations(&active, &w, signs);
        if wrong.is_empty() || active.is_empty() {
            let mut full = vec![0.0; p + 1];
            for (k, &col) in active.iter().enumerate() {
                full[col] = w[k];
            }
            return full;
        }
        active.retain(|c| !wrong.contains(c));
    }
}

/// Newton's method for the softmax ranker over the columns `cols`.
fn softmax_newton(groups: &[(Array2<f64>, usize, f64)], cols: &[usize], l2: f64) -> Vec<f64> {
    let k = cols.len();
    let mut w = Array1::<f64>::zeros(k);
    if k == 0 {
        return Vec::new();
    }
    let subs: Vec<(Array2<f64>, usize, f64)> = groups
        .iter()
        .map(|(x, g, weight)| (x.select(ndarray::Axis(1), cols), *g, *weight))
        .collect();
    for _ in 0..NEWTON_STEPS {
        let mut grad = &w * l2;
        let mut hess = Array2::<f64>::eye(k) * l2;
        for (x, gold, weight) in &subs {
            let z = x.dot(&w);
            let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let e = z.mapv(|v| (v - top).exp());
            let probs = &e / e.sum() * *weight;
            let mean = x.t().dot(&probs) / *weight;
            grad = grad + (mean.clone() - x.row(*gold)) * *weight;
            for (i, row) in x.rows().into_iter().enumerate() {
                let pi = probs[i];
                for a in 0..k {
                    let ra = row[a] * pi;
                    for b in a..k {
                        hess[[a, b]] += ra * row[b];
                    }
                }
            }
            for a in 0..k {
                for b in a..k {
                    hess[[a, b]] -= weight * mean[a] * mean[b];
                }
            }
        }
        for a in 0..k {
            for b in 0..a {
                hess[[a, b]] = hess[[b, a]];
            }
        }
        let Some(step) = solve(hess, grad) else { break };
        let size = step.iter().map(|v| v.abs()).fold(0.0, f64::max);
        w = damped(&w, &step, |w| softmax_loss(&subs, w, l2));
        if size < 1e-8 {
            break;
        }
    }
    w.to_vec()
}

/// The softmax ranker's penalized negative log-likelihood at `w`.
fn softmax_loss(groups: &[(Array2<f64>, usize, f64)], w: &Array1<f64>, l2: f64) -> f64 {
    let mut loss = 0.5 * l2 * w.dot(w);
    for (x, gold, weight) in groups {
        let z = x.dot(w);
        let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = top + z.iter().map(|v| (v - top).exp()).sum::<f64>().ln();
        loss += weight * (lse - z[*gold]);
    }
    loss
}

/// `w − t·step` for the largest `t` in 1, ½, ¼, … (at most 30 halvings) that does not raise
/// `loss`: a plain Newton step can overshoot far from the optimum and run away (a ranker
/// fitted on near-separable made-up questions once came out with every weight negative);
/// halving keeps every step downhill, so the fit reaches the one optimum of the convex
/// loss. Returns `w` unchanged when no step helps.
fn damped(w: &Array1<f64>, step: &Array1<f64>, loss: impl Fn(&Array1<f64>) -> f64) -> Array1<f64> {
    let now = loss(w);
    let mut t = 1.0;
    for _ in 0..30 {
        let next = w - &(step * t);
        let value = loss(&next);
        if value.is_finite() && value <= now {
            return next;
        }
        t *= 0.5;
    }
    w.clone()
}

/// Solves `m x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve(mut m: Array2<f64>, mut b: Array1<f64>) -> Option<Array1<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| m[[i, col]].abs().total_cmp(&m[[j, col]].abs()))?;
        if m[[pivot, col]].abs() < 1e-12 {
            return None;
        }
        if pivot != col {
            for k in 0..n {
                m.swap([pivot, k], [col, k]);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..n {
            let factor = m[[row, col]] / m[[col, col]];
            if factor != 0.0 {
                for k in col..n {
                    m[[row, k]] -= factor * m[[col, k]];
                }
                b[row] -= factor * b[col];
            }
        }
    }
    let mut x = Array1::<f64>::zeros(n);
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| m[[row, k]] * x[k]).sum();
        x[row] = (b[row] - s) / m[[row, row]];
    }
    Some(x)
}

/// Fits ranker and calibrator on held-out examples.
///
/// The ranker learns, over every candidate of every in-KB example, to tell the right entry
/// from the others (each example weighs the same in total). The calibrator learns, on the top
/// candidate of every example, whether it is right; out-of-KB examples teach it what "not in
/// the knowledge base" looks like.
///
/// With `origin` `None` (self-calibration) the calibrator's examples are weighed so that
/// unanswerable questions make up a fixed prior share; with an origin (labelled queries),
/// every query weighs the same, so the file's own mix is the prior.
pub(crate) fn fit(examples: &[Example], origin: Option<ModelOrigin>) -> ConfidenceModel {
    let mut groups: Vec<(Array2<f64>, usize, f64)> = Vec::new();
    for ex in examples {
        let Some(correct) = ex.correct() else {
            continue;
        };
        let Some(gold) = ex.candidates.iter().position(|c| c.0 == correct) else {
            continue;
        };
        if ex.candidates.len() < 2 {
            continue;
        }
        let rows: Vec<f64> = ex
            .candidates
            .iter()
            .flat_map(|(_, f)| f.ranking_values())
            .collect();
        if let Ok(x) = Array2::from_shape_vec((ex.candidates.len(), RANK_FEATURES), rows) {
            groups.push((x, gold, ex.weight));
        }
    }
    let ranker = if groups.is_empty() {
        ConfidenceModel::builtin().ranker
    } else {
        softmax_signed(&groups, L2, &RankFeature::ALL.map(ranker_sign))
    };
    let scorer = ConfidenceModel {
        ranker: ranker.clone(),
        calibrator: vec![0.0; CALIBRATION_INPUTS.len() + 1],
        origin: ModelOrigin::Builtin,
        knowledge: None,
    };
    let mut rows = Vec::new();
    let mut y = Vec::new();
    let mut kinds = Vec::new();
    // Rows of made-up rephrasings that found their entry, counted again as wrong (weight
    // set by the doubt below).
    let mut doubt_rows: Vec<f64> = Vec::new();
    let mut doubt_kinds = Vec::new();
    for ex in examples {
        let scored = score_candidates(&scorer, &ex.candidates);
        let Some(&(entry, score, margin, f)) = scored.first() else {
            continue;
        };
        let inputs = calibration_inputs(score, margin, &f);
        let right = ex.correct() == Some(entry);
        rows.extend_from_slice(&inputs);
        y.push(if right { 1.0 } else { 0.0 });
        kinds.push((ex.kind, ex.weight, right));
        if right && matches!(ex.kind, Kind::MadeUp(_)) {
            doubt_rows.extend_from_slice(&inputs);
            doubt_kinds.push(ex.weight);
        }
    }
    let count = |pred: fn(&Kind) -> bool| examples.iter().filter(|e| pred(&e.kind)).count();
    let in_kb = count(|k| matches!(k, Kind::InKb(_)));
    let answerable = in_kb + count(|k| matches!(k, Kind::MadeUp(_)));
    let held_out_entries = count(|k| *k == Kind::HeldOutEntry);
    let off_topic = count(|k| *k == Kind::OffTopic);
    // Weigh the examples so that questions without an answer make up UNANSWERABLE_SHARE
    // of the total, half of them in-domain (held-out entries), half off-topic.
    let share = |count: usize, part: f64| {
        let total_in = answerable.max(1) as f64;
        total_in * UNANSWERABLE_SHARE / (1.0 - UNANSWERABLE_SHARE) * part / count.max(1) as f64
    };
    let (w_entry, w_off) = match (held_out_entries, off_topic) {
        _ if origin.is_some() => (1.0, 1.0),
        (0, 0) => (0.0, 0.0),
        (0, n) => (0.0, share(n, 1.0)),
        (n, 0) => (share(n, 1.0), 0.0),
        (a, b) => (share(a, 0.5), share(b, 0.5)),
    };
    let width = CALIBRATION_INPUTS.len();
    let fit_with = |doubt: f64| -> Vec<f64> {
        let mut sw: Vec<f64> = kinds
            .iter()
            .map(|(kind, weight, right)| match kind {
                Kind::MadeUp(_) if *right => weight * (1.0 - doubt),
                Kind::InKb(_) | Kind::MadeUp(_) => *weight,
                Kind::HeldOutEntry => w_entry,
                Kind::OffTopic => w_off,
            })
            .collect();
        let mut all = rows.clone();
        let mut labels = y.clone();
        if doubt > 0.0 {
            all.extend_from_slice(&doubt_rows);
            labels.extend(std::iter::repeat_n(0.0, doubt_kinds.len()));
            sw.extend(doubt_kinds.iter().map(|w| w * doubt));
        }
        let n = labels.len();
        if n == 0 {
            return ConfidenceModel::builtin().calibrator;
        }
        let x = Array2::from_shape_vec((n, width), all).unwrap_or_default();
        logistic_signed(
            &x,
            &labels,
            &sw,
            L2,
            &CalibrationInput::ALL.map(calibrator_sign),
        )
    };
    let calibrator = fit_with(if doubt_kinds.is_empty() {
        0.0
    } else {
        MADE_UP_DOUBT
    });
    ConfidenceModel {
        ranker,
        calibrator,
        origin: origin.unwrap_or(ModelOrigin::SelfCalibrated {
            in_kb,
            held_out_entries,
            off_topic,
            made_up: Default::default(),
            entries_with_similar: 0,
        }),
        knowledge: None,
    }
}

/// Candidates with their ranking score and margin over the others, best first. The margin
/// is the score minus the log-sum-exp of the other candidates' scores: a soft "lead over
/// the best other" that also counts how many others come close.
pub(crate) fn score_candidates(
    model: &ConfidenceModel,
    candidates: &[(u32, Features)],
) -> Vec<(u32, f64, f64, Features)> {
    let mut scored: Vec<(u32, f64, Features)> = candidates
        .iter()
        .map(|(e, f)| (*e, model.score(f), *f))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let top = scored.first().map_or(0.0, |s| s.1);
    let total: f64 = scored.iter().map(|s| (s.1 - top).exp()).sum();
    scored
        .iter()
        .map(|&(e, s, f)| {
            let others = total - (s - top).exp();
            let margin = if others > 1e-300 {
                s - (top + others.ln())
            } else {
                crate::model::MARGIN_CAP
            };
            (e, s, margin, f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damped_newton_never_goes_uphill_and_reaches_the_optimum() {
        // Near-separable groups with tiny weights, the shape of made-up rephrasings.
        let mut rng = crate::stable_hash::Rng::new(7);
        let mut u = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let groups: Vec<(Array2<f64>, usize, f64)> = (0..300)
            .map(|_| {
                let rows: Vec<f64> = (0..10)
                    .flat_map(|i| {
                        let gold = i == 0;
                        [if gold { 0.9 + 0.1 * u() } else { 0.6 * u() }, u(), u()]
                    })
                    .collect();
                let x = Array2::from_shape_vec((10, 3), rows).unwrap_or_default();
                (x, 0, 0.05)
            })
            .collect();
        let w = softmax_signed(&groups, L2, &[Sign::Positive; 3]);
        let fitted = Array1::from(w[..3].to_vec());
        let loss = softmax_loss(&groups, &fitted, L2);
        assert!(loss <= softmax_loss(&groups, &Array1::zeros(3), L2));
        assert!(
            w[0] > 1.0 && w[0] > 4.0 * w[1].abs() && w[0] > 4.0 * w[2].abs(),
            "{w:?}"
        );
        // Any nearby point is no better: the fit stopped at the optimum.
        for d in [
            [0.05, 0.0, 0.0],
            [-0.05, 0.0, 0.0],
            [0.0, 0.05, 0.0],
            [0.0, 0.0, 0.05],
        ] {
            let near = &fitted + &Array1::from(d.to_vec());
            assert!(softmax_loss(&groups, &near, L2) >= loss - 1e-9);
        }
        let step = Array1::from(vec![-1e6, 0.0, 0.0]);
        assert_eq!(
            damped(&fitted, &step, |w| softmax_loss(&groups, w, L2)),
            fitted
        );
    }

    #[test]
    fn recovers_a_known_logistic_model() {
        // y = 1 with probability sigmoid(3x - 1), on a fixed grid.
        let n = 2000;
        let xs: Vec<f64> = (0..n).map(|i| -2.0 + 4.0 * i as f64 / n as f64).collect();
        let mut ys = Vec::new();
        let mut rng = crate::stable_hash::Rng::new(12345);
        for &x in &xs {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            ys.push(if u < crate::model::sigmoid(3.0 * x - 1.0) {
                1.0
            } else {
                0.0
            });
        }
        let x = Array2::from_shape_vec((n, 1), xs).unwrap();
        let w = logistic(&x, &ys, &vec![1.0; n], 1e-6);
        assert!((w[0] - 3.0).abs() < 0.4, "{w:?}");
        assert!((w[1] + 1.0).abs() < 0.3, "{w:?}");
    }

    #[test]
    fn separable_data_stays_finite() {
        let x = Array2::from_shape_vec((4, 1), vec![0.0, 0.1, 0.9, 1.0]).unwrap();
        let w = logistic(&x, &[0.0, 0.0, 1.0, 1.0], &[1.0; 4], 1.0);
        assert!(w.iter().all(|v| v.is_finite()));
        assert!(w[0] > 0.0);
    }

    #[test]
    fn sign_constraints_hold() {
        // Column 1 is a noisy copy of column 0 with a small negative relation to y; the
        // unconstrained fit gives it a negative weight, the constrained one zero.
        let n = 400;
        let mut rows = Vec::new();
        let mut ys = Vec::new();
        for i in 0..n {
            let a = (i % 20) as f64 / 20.0;
            let b = a - 0.1 * ((i % 7) as f64 / 7.0);
            rows.extend_from_slice(&[a, b]);
            ys.push(if (i * 7919) % 100 < (a * 100.0) as usize {
                1.0
            } else {
                0.0
            });
        }
        let x = Array2::from_shape_vec((n, 2), rows).unwrap();
        let w = logistic_signed(
            &x,
            &ys,
            &vec![1.0; n],
            1e-3,
            &[Sign::Positive, Sign::Positive],
        );
        assert!(w[0] > 0.0 && w[1] >= 0.0, "{w:?}");
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn softmax_ranker_learns_which_feature_picks_the_right_candidate() {
        // Three candidates per question: column 0 marks the right one (plus noise), column
        // 1 is noise that a sign constraint keeps at zero.
        let mut groups = Vec::new();
        let mut rng = crate::stable_hash::Rng::new(99);
        let mut next = || (rng.next_u64() % 1000) as f64 / 1000.0;
        for q in 0..200 {
            let gold = q % 3;
            let mut rows = Vec::new();
            for i in 0..3 {
                let signal = if i == gold { 0.6 } else { 0.0 } + 0.5 * next();
                rows.extend_from_slice(&[signal, -next()]);
            }
            groups.push((Array2::from_shape_vec((3, 2), rows).unwrap(), gold, 1.0));
        }
        let w = softmax_signed(&groups, 1e-3, &[Sign::Positive, Sign::Positive]);
        assert_eq!(w.len(), 3);
        assert!(w[0] > 2.0, "{w:?}");
        assert!(w[1] >= 0.0 && w[2] == 0.0, "{w:?}");
        let right = groups
            .iter()
            .filter(|(x, gold, _)| {
                let z = x.dot(&Array1::from(w[..2].to_vec()));
                (0..3).all(|i| z[i] <= z[*gold])
            })
            .count();
        assert!(right > 150, "{right} of 200");
    }

    #[test]
    fn solve_small_system() {
        let m = Array2::from_shape_vec((2, 2), vec![0.0, 2.0, 1.0, 1.0]).unwrap();
        let x = solve(m, Array1::from(vec![4.0, 3.0])).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 2.0).abs() < 1e-12);
    }
}
