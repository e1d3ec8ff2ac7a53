//! Evaluation budgets: what keeps a tiny hostile file from taking unbounded
//! time or memory. Terraform itself would grind through
//! `e30 = concat(local.e29, local.e29)`; a linter in CI must not. Past a
//! budget the value is unknown, and the root module gets a PHI-LNT-001
//! "could not verify: evaluation budget exceeded" finding, so an exhausted
//! budget fails the gate instead of passing it.
//!
//! One [`Budget`] is shared by a root module and every module instance under
//! it (the counters are atomics only so the scope stays `Send`; each tree is
//! evaluated on one thread). The limits are far above what real configurations
//! need: the whole of `shared/corpus` runs without reaching one (the `corpus`
//! test checks it).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::eval::Value;

/// Units of work (an expression evaluated, a value node or 32 bytes of
/// string built) one root module and its instances may spend.
pub const MAX_STEPS: u64 = 4_000_000;
/// Size of one value, in the same units.
pub const MAX_VALUE_UNITS: u64 = 250_000;
/// Nesting of one value (lists and objects within each other).
pub const MAX_VALUE_DEPTH: usize = 64;
/// Module instances under one root module.
pub const MAX_INSTANCES: usize = 2_000;

/// The prefix of every reason a budget gives, so reports can recognise it.
pub const EXCEEDED: &str = "evaluation budget exceeded";

#[derive(Debug)]
pub struct Budget {
    spent: AtomicU64,
    exhausted: AtomicBool,
    /// The first reason a budget ran out, for the finding.
    first: Mutex<Option<String>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            spent: AtomicU64::new(0),
            exhausted: AtomicBool::new(false),
            first: Mutex::new(None),
        }
    }
}

impl Budget {
    /// Spends `units`; false once the step budget is gone.
    pub fn charge(&self, units: u64) -> bool {
        if self.exhausted.load(Ordering::Relaxed) {
            return false;
        }
        let spent = self.spent.fetch_add(units, Ordering::Relaxed) + units;
        if spent > MAX_STEPS {
            self.exceed(format!("more than {MAX_STEPS} evaluation steps"));
            return false;
        }
        true
    }

    /// Records that a budget ran out and returns the unknown value that
    /// stands for what could not be computed.
    pub fn exceed(&self, why: String) -> Value {
        self.exhausted.store(true, Ordering::Relaxed);
        let mut first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        let reason = format!("{EXCEEDED}: {why}");
        first.get_or_insert_with(|| reason.clone());
        Value::Unknown(reason)
    }

    /// Whether any budget ran out, and the first reason.
    pub fn exhausted(&self) -> Option<String> {
        if !self.exhausted.load(Ordering::Relaxed) {
            return None;
        }
        let first = self.first.lock().unwrap_or_else(|e| e.into_inner());
        Some(first.clone().unwrap_or_else(|| EXCEEDED.to_owned()))
    }

    /// The unknown value returned once the step budget is gone.
    pub fn out_of_steps(&self) -> Value {
        Value::Unknown(format!(
            "{EXCEEDED}: more than {MAX_STEPS} evaluation steps"
        ))
    }

    /// Measures a value just built (charging the work of measuring it) and
    /// keeps it only if it is within the size and depth limits.
    pub fn admit(&self, value: Value) -> Value {
        if let Value::Unknown(why) = &value
            && why.starts_with(EXCEEDED)
        {
            self.exceed(
                why.trim_start_matches(EXCEEDED)
                    .trim_start_matches(": ")
                    .to_owned(),
            );
            return value;
        }
        match self.measure(&value) {
            Ok(_) => value,
            Err(v) => v,
        }
    }

    /// The size of `value` in units and its nesting depth, or the unknown
    /// value that replaces it.
    pub fn measure(&self, value: &Value) -> Result<(u64, usize), Value> {
        let mut units = 0;
        match size(value, 0, &mut units) {
            Ok(depth) => {
                if self.charge(units) {
                    Ok((units, depth))
                } else {
                    Err(self.out_of_steps())
                }
            }
            Err(why) => {
                self.charge(units);
                Err(self.exceed(why))
            }
        }
    }
}

/// Units of a value, stopping as soon as a limit is passed (so measuring a
/// huge value is cheap, and the recursion is at most MAX_VALUE_DEPTH deep).
fn size(value: &Value, depth: usize, units: &mut u64) -> Result<usize, String> {
    if depth > MAX_VALUE_DEPTH {
        return Err(format!(
            "a value nested more than {MAX_VALUE_DEPTH} levels deep"
        ));
    }
    *units += 1;
    let mut deepest = depth;
    match value {
        Value::String(s) | Value::Unknown(s) => *units += s.len() as u64 / 32,
        Value::List(items) => {
            for v in items {
                deepest = deepest.max(size(v, depth + 1, units)?);
                if *units > MAX_VALUE_UNITS {
                    break;
                }
            }
        }
        Value::Map(m) => {
            for (k, v) in m {
                *units += k.len() as u64 / 32;
                deepest = deepest.max(size(v, depth + 1, units)?);
                if *units > MAX_VALUE_UNITS {
                    break;
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    if *units > MAX_VALUE_UNITS {
        return Err(format!("a value larger than {MAX_VALUE_UNITS} units"));
    }
    Ok(deepest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_too_deep_or_too_large_becomes_unknown_and_marks_the_budget() {
        let budget = Budget::default();
        let mut deep = Value::Null;
        for _ in 0..=MAX_VALUE_DEPTH {
            deep = Value::List(vec![deep]);
        }
        let v = budget.admit(deep);
        assert!(
            matches!(&v, Value::Unknown(w) if w.starts_with(EXCEEDED)),
            "{v}"
        );
        assert!(budget.exhausted().unwrap().contains("nested more than"));

        let budget = Budget::default();
        let wide = Value::List(vec![Value::Bool(true); MAX_VALUE_UNITS as usize + 1]);
        assert!(!budget.admit(wide).is_known());
        let small = Value::List(vec![Value::Bool(true); 10]);
        assert_eq!(Budget::default().admit(small.clone()), small);
    }

    #[test]
    fn steps_run_out() {
        let budget = Budget::default();
        assert!(budget.charge(MAX_STEPS));
        assert!(!budget.charge(1));
        assert!(budget.exhausted().unwrap().contains("evaluation steps"));
    }
}
