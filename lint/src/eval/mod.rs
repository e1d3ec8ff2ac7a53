//! A small, exact evaluator for Terraform expressions. Whatever cannot be
//! known from the source (data sources, resource attributes, module outputs,
//! `count`/`each`, missing inputs, functions it does not implement) evaluates
//! to [`Value::Unknown`], and unknown spreads through everything built from
//! it: the rules then report "could not verify", never a guess.

mod funcs;
pub mod refs;
pub mod types;
mod value;

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Element, Template};

pub use value::{Value, number_text};

use crate::budget::{Budget, MAX_VALUE_DEPTH, MAX_VALUE_UNITS};

/// Nesting limit, so a hostile file cannot overflow the stack.
const MAX_DEPTH: usize = 128;

/// What names mean in one module instance.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub vars: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    /// `path.module`, `path.root`, `path.cwd`.
    pub path_module: String,
    pub path_root: String,
    /// Shared by a root module and every instance under it (see
    /// [`crate::budget`]).
    pub budget: Arc<Budget>,
}

/// Builds a list or object element by element, measuring each element as
/// it arrives, so a hostile expression is stopped before it allocates the
/// whole of an oversized value.
#[derive(Default)]
struct Sized {
    units: u64,
    depth: usize,
}

impl Sized {
    fn add(&mut self, budget: &Budget, v: &Value) -> Result<(), Value> {
        let (units, depth) = budget.measure(v)?;
        self.units += units + 1;
        self.depth = self.depth.max(depth + 1);
        if self.units > MAX_VALUE_UNITS {
            return Err(budget.exceed(format!("a value larger than {MAX_VALUE_UNITS} units")));
        }
        if self.depth > MAX_VALUE_DEPTH {
            return Err(budget.exceed(format!(
                "a value nested more than {MAX_VALUE_DEPTH} levels deep"
            )));
        }
        Ok(())
    }
}

struct Frame<'a> {
    scope: &'a Scope,
    bindings: Vec<(String, Value)>,
    depth: usize,
}

impl Scope {
    pub fn empty() -> Scope {
        Scope::default()
    }

    pub fn eval(&self, expr: &Expression) -> Value {
        self.eval_with(expr, &[])
    }

    /// Evaluates with names bound first, as Terraform binds `each` and
    /// `count` in one instance of a resource or module with `for_each` or
    /// `count` (see [`crate::expand`]).
    pub fn eval_with(&self, expr: &Expression, bindings: &[(String, Value)]) -> Value {
        let mut frame = Frame {
            scope: self,
            bindings: bindings.to_vec(),
            depth: 0,
        };
        frame.eval(expr)
    }
}

/// The name a traversal reads, e.g. `data.aws_kms_key.audit.arn`.
pub fn describe(expr: &Expression) -> String {
    match expr {
        Expression::Variable(v) => v.as_str().to_owned(),
        Expression::Traversal(t) => {
            let mut s = describe(&t.expr);
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(i) => {
                        s.push('.');
                        s.push_str(i.as_str());
                    }
                    TraversalOperator::LegacyIndex(i) => s.push_str(&format!(".{i}")),
                    TraversalOperator::Index(Expression::String(k)) => {
                        s.push_str(&format!("[{:?}]", k.value()))
                    }
                    TraversalOperator::Index(Expression::Number(n)) => {
                        s.push_str(&format!("[{}]", n.value()))
                    }
                    TraversalOperator::Index(_) => s.push_str("[…]"),
                    TraversalOperator::AttrSplat(_) => s.push_str(".*"),
                    TraversalOperator::FullSplat(_) => s.push_str("[*]"),
                }
            }
            s
        }
        Expression::FuncCall(f) => format!("{}(…)", f.name.name.as_str()),
        _ => "an expression".to_owned(),
    }
}

impl Frame<'_> {
    fn eval(&mut self, expr: &Expression) -> Value {
        if !self.scope.budget.charge(1) {
            return self.scope.budget.out_of_steps();
        }
        if self.depth >= MAX_DEPTH {
            return Value::unknown("an expression nested too deeply");
        }
        self.depth += 1;
        let v = self.eval_inner(expr);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, expr: &Expression) -> Value {
        match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n
                .value()
                .as_f64()
                .map_or_else(|| Value::unknown("a number"), Value::Number),
            Expression::String(s) => Value::String(s.value().to_string()),
            Expression::Array(a) => {
                let mut sized = Sized::default();
                let mut items = Vec::new();
                for e in a.iter() {
                    let v = self.eval(e);
                    if let Err(unknown) = sized.add(&self.scope.budget, &v) {
                        return unknown;
                    }
                    items.push(v);
                }
                Value::List(items)
            }
            Expression::Object(o) => {
                let mut sized = Sized::default();
                let mut map = BTreeMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_owned(),
                        ObjectKey::Expression(e) => match self.eval(e) {
                            Value::Unknown(why) => return Value::Unknown(why),
                            other => match other.as_string() {
                                Some(s) => s,
                                None => {
                                    return Value::unknown("an object key that is not a string");
                                }
                            },
                        },
                    };
                    let value = self.eval(v.expr());
                    if let Err(unknown) = sized.add(&self.scope.budget, &value) {
                        return unknown;
                    }
                    map.insert(key, value);
                }
                Value::Map(map)
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.eval(p.inner()),
            Expression::Variable(v) => self.variable(v.as_str()),
            Expression::Conditional(c) => match self.eval(&c.cond_expr) {
                Value::Bool(true) => self.eval(&c.true_expr),
                Value::Bool(false) => self.eval(&c.false_expr),
                Value::Unknown(why) => {
                    let (t, f) = (self.eval(&c.true_expr), self.eval(&c.false_expr));
                    if t == f && t.is_known() {
                        t
                    } else {
                        Value::Unknown(why)
                    }
                }
                other => Value::unknown(format!(
                    "a condition that is {} (not a bool)",
                    other.type_name()
                )),
            },
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                if f.name.is_namespaced() {
                    return Value::unknown(format!("provider function {}", describe(expr)));
                }
                match name {
                    "try" => {
                        for arg in f.args.iter() {
                            let v = self.eval(arg);
                            match v {
                                Value::Unknown(ref why) if why.starts_with("error:") => continue,
                                v => return v,
                            }
                        }
                        Value::unknown("try(): no argument succeeded")
                    }
                    "can" => match f.args.iter().next().map(|a| self.eval(a)) {
                        Some(Value::Unknown(why)) if why.starts_with("error:") => {
                            Value::Bool(false)
                        }
                        Some(Value::Unknown(why)) => Value::Unknown(why),
                        Some(_) => Value::Bool(true),
                        None => Value::unknown("error: can() needs an argument"),
                    },
                    _ => {
                        let mut sized = Sized::default();
                        let mut args: Vec<Value> = Vec::new();
                        for a in f.args.iter() {
                            let v = self.eval(a);
                            if let Err(unknown) = sized.add(&self.scope.budget, &v) {
                                return unknown;
                            }
                            args.push(v);
                        }
                        if f.args.expand_final() {
                            match args.pop() {
                                Some(Value::List(rest)) => args.extend(rest),
                                Some(Value::Unknown(why)) => return Value::Unknown(why),
                                _ => return Value::unknown("error: `...` needs a list"),
                            }
                        }
                        self.scope.budget.admit(funcs::call(name, args))
                    }
                }
            }
            Expression::Traversal(t) => self.traversal(expr, &t.expr, &t.operators),
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr);
                match (u.operator.value(), v) {
                    (_, Value::Unknown(why)) => Value::Unknown(why),
                    (UnaryOperator::Not, v) => v
                        .as_bool()
                        .map_or_else(|| error("`!` needs a bool"), |b| Value::Bool(!b)),
                    (UnaryOperator::Neg, v) => v
                        .as_number()
                        .map_or_else(|| error("`-` needs a number"), |n| Value::Number(-n)),
                }
            }
            Expression::BinaryOp(b) => {
                let op = *b.operator.value();
                let lhs = self.eval(&b.lhs_expr);
                // `false && x` and `true || x` are known whatever x is.
                match (op, &lhs) {
                    (BinaryOperator::And, Value::Bool(false)) => return Value::Bool(false),
                    (BinaryOperator::Or, Value::Bool(true)) => return Value::Bool(true),
                    _ => {}
                }
                let rhs = self.eval(&b.rhs_expr);
                binary(op, lhs, rhs)
            }
            Expression::ForExpr(f) => self.for_expr(f),
        }
    }

    fn variable(&self, name: &str) -> Value {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            return self.charged_clone(v);
        }
        Value::unknown(name.to_owned())
    }

    /// A copy of a bound value or local, its size charged to the budget:
    /// `local.big == local.big` repeated must not copy for free.
    fn charged_clone(&self, v: &Value) -> Value {
        match self.scope.budget.measure(v) {
            Ok(_) => v.clone(),
            Err(unknown) => unknown,
        }
    }

    fn traversal(
        &mut self,
        whole: &Expression,
        root: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> Value {
        let mut rest = ops;
        let mut value = match root {
            Expression::Variable(v) => {
                let name = v.as_str();
                let bound = self.bindings.iter().any(|(n, _)| n == name);
                let first = rest.first().and_then(|o| match o.value() {
                    TraversalOperator::GetAttr(i) => Some(i.as_str()),
                    _ => None,
                });
                match (bound, name, first) {
                    (true, _, _) => self.variable(name),
                    (false, "var" | "local", Some(attr)) => {
                        let scope = self.scope;
                        let table = if name == "var" {
                            &scope.vars
                        } else {
                            &scope.locals
                        };
                        let Some(found) = table.get(attr) else {
                            return Value::unknown(if name == "var" {
                                format!("var.{attr} (no value given)")
                            } else {
                                format!("local.{attr}")
                            });
                        };
                        // Follow attribute and index steps by reference, so
                        // `local.big_map.key` does not copy the whole map.
                        let mut current = found;
                        rest = &rest[1..];
                        while let Some(op) = rest.first() {
                            let next = match op.value() {
                                TraversalOperator::GetAttr(i) => match current {
                                    Value::Map(m) => m.get(i.as_str()),
                                    _ => None,
                                },
                                TraversalOperator::Index(e) => {
                                    let key = self.eval(e);
                                    get_ref(current, &key)
                                }
                                _ => None,
                            };
                            match next {
                                Some(v) => {
                                    current = v;
                                    rest = &rest[1..];
                                }
                                None => break,
                            }
                        }
                        self.charged_clone(current)
                    }
                    (false, "path", Some(attr @ ("module" | "root" | "cwd"))) => {
                        rest = &rest[1..];
                        Value::String(if attr == "module" {
                            self.scope.path_module.clone()
                        } else {
                            self.scope.path_root.clone()
                        })
                    }
                    // data sources, resources, module outputs, count, each,
                    // self, terraform.workspace: only known at plan.
                    _ => return Value::unknown(describe(whole)),
                }
            }
            other => self.eval(other),
        };
        for op in rest {
            if let Value::Unknown(_) = value {
                return value;
            }
            value = match op.value() {
                TraversalOperator::GetAttr(i) => get(value, &Value::String(i.as_str().to_owned())),
                TraversalOperator::LegacyIndex(i) => get(value, &Value::Number(*i.value() as f64)),
                TraversalOperator::Index(e) => {
                    let key = self.eval(e);
                    get(value, &key)
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return Value::unknown(describe(whole));
                }
            };
        }
        value
    }

    fn template(&mut self, t: &Template) -> Value {
        let mut out = String::new();
        for element in t.iter() {
            match element {
                Element::Literal(s) => out.push_str(s.value()),
                Element::Interpolation(i) => match self.eval(&i.expr) {
                    Value::Unknown(why) => return Value::Unknown(why),
                    v => match v.as_string() {
                        Some(s) => out.push_str(&s),
                        None => return error(&format!("cannot interpolate a {}", v.type_name())),
                    },
                },
                Element::Directive(_) => return Value::unknown("a template directive"),
            }
            if out.len() as u64 > MAX_VALUE_UNITS * 32 {
                return self.scope.budget.exceed(format!(
                    "a string longer than {} bytes",
                    MAX_VALUE_UNITS * 32
                ));
            }
        }
        self.scope.budget.admit(Value::String(out))
    }

    fn for_expr(&mut self, f: &hcl_edit::expr::ForExpr) -> Value {
        let collection = self.eval(&f.intro.collection_expr);
        let items: Vec<(Value, Value)> = match collection {
            Value::Unknown(why) => return Value::Unknown(why),
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v))
                .collect(),
            Value::Map(m) => m.into_iter().map(|(k, v)| (Value::String(k), v)).collect(),
            other => return error(&format!("cannot iterate over a {}", other.type_name())),
        };
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_owned());
        let value_var = f.intro.value_var.as_str().to_owned();
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        let mut grouped: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mark = self.bindings.len();
        let mut sized = Sized::default();
        for (k, v) in items {
            self.bindings.truncate(mark);
            if let Some(kv) = &key_var {
                self.bindings.push((kv.clone(), k));
            }
            self.bindings.push((value_var.clone(), v));
            if let Some(cond) = &f.cond {
                match self.eval(&cond.expr) {
                    Value::Bool(true) => {}
                    Value::Bool(false) => continue,
                    Value::Unknown(why) => {
                        self.bindings.truncate(mark);
                        return Value::Unknown(why);
                    }
                    _ => {
                        self.bindings.truncate(mark);
                        return error("a for condition must be a bool");
                    }
                }
            }
            let value = self.eval(&f.value_expr);
            if let Err(unknown) = sized.add(&self.scope.budget, &value) {
                self.bindings.truncate(mark);
                return unknown;
            }
            match &f.key_expr {
                None => list.push(value),
                Some(ke) => {
                    let key = match self.eval(ke) {
                        Value::Unknown(why) => {
                            self.bindings.truncate(mark);
                            return Value::Unknown(why);
                        }
                        k => match k.as_string() {
                            Some(s) => s,
                            None => {
                                self.bindings.truncate(mark);
                                return error("a for key must be a string");
                            }
                        },
                    };
                    if f.grouping {
                        grouped.entry(key).or_default().push(value);
                    } else {
                        map.insert(key, value);
                    }
                }
            }
        }
        self.bindings.truncate(mark);
        match (&f.key_expr, f.grouping) {
            (None, _) => Value::List(list),
            (Some(_), false) => Value::Map(map),
            (Some(_), true) => Value::Map(
                grouped
                    .into_iter()
                    .map(|(k, v)| (k, Value::List(v)))
                    .collect(),
            ),
        }
    }
}

/// An evaluation error is unknown too (Terraform would refuse the plan; the
/// linter reports "could not verify" rather than guess). `try` and `can`
/// recognise it by the prefix.
pub(crate) fn error(msg: &str) -> Value {
    Value::unknown(format!("error: {msg}"))
}

/// `value[key]` by reference, when it exists and the key is known.
fn get_ref<'v>(value: &'v Value, key: &Value) -> Option<&'v Value> {
    match value {
        Value::Map(m) => m.get(&key.as_string()?),
        Value::List(items) => {
            let i = key.as_number()?;
            (i >= 0.0 && i.fract() == 0.0)
                .then(|| items.get(i as usize))
                .flatten()
        }
        _ => None,
    }
}

fn get(value: Value, key: &Value) -> Value {
    match (value, key) {
        (v, Value::Unknown(why)) if v.is_known() || matches!(v, Value::Map(_) | Value::List(_)) => {
            Value::Unknown(why.clone())
        }
        (Value::Map(mut m), k) => match k.as_string().and_then(|k| m.remove(&k)) {
            Some(v) => v,
            None => error(&format!("no key {k}")),
        },
        (Value::List(mut items), k) => match k.as_number() {
            Some(i) if i >= 0.0 && (i as usize) < items.len() => items.swap_remove(i as usize),
            _ => error(&format!("no index {k}")),
        },
        (Value::Unknown(why), _) => Value::Unknown(why),
        (v, _) => error(&format!("cannot index a {}", v.type_name())),
    }
}

fn binary(op: BinaryOperator, lhs: Value, rhs: Value) -> Value {
    use BinaryOperator::*;
    if let Value::Unknown(why) = &lhs {
        return Value::Unknown(why.clone());
    }
    if let Value::Unknown(why) = &rhs {
        return Value::Unknown(why.clone());
    }
    match op {
        Eq => Value::Bool(equal(&lhs, &rhs)),
        NotEq => Value::Bool(!equal(&lhs, &rhs)),
        And | Or => match (lhs.as_bool(), rhs.as_bool()) {
            (Some(a), Some(b)) => Value::Bool(if op == And { a && b } else { a || b }),
            _ => error("`&&`/`||` need bools"),
        },
        _ => {
            let (Some(a), Some(b)) = (lhs.as_number(), rhs.as_number()) else {
                return error("arithmetic needs numbers");
            };
            match op {
                Plus => Value::Number(a + b),
                Minus => Value::Number(a - b),
                Mul => Value::Number(a * b),
                Div if b != 0.0 => Value::Number(a / b),
                Mod if b != 0.0 => Value::Number(a % b),
                Div | Mod => error("division by zero"),
                Less => Value::Bool(a < b),
                LessEq => Value::Bool(a <= b),
                Greater => Value::Bool(a > b),
                GreaterEq => Value::Bool(a >= b),
                Eq | NotEq | And | Or => unreachable!("handled above"),
            }
        }
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, scope: &Scope) -> Value {
        scope.eval(&hcl_edit::parser::parse_expr(src).unwrap())
    }

    #[test]
    fn literals_operators_and_conditionals() {
        let s = Scope::empty();
        assert_eq!(eval("1 + 2 * 3", &s), Value::Number(7.0));
        assert_eq!(
            eval("\"a\" == \"a\" ? \"x\" : \"y\"", &s),
            Value::String("x".into())
        );
        assert_eq!(eval("!false && 2 > 1", &s), Value::Bool(true));
        assert_eq!(eval("{ a = 1 }.a", &s), Value::Number(1.0));
        assert_eq!(eval("[1, 2][1]", &s), Value::Number(2.0));
    }

    #[test]
    fn variables_locals_paths_and_templates() {
        let mut s = Scope::empty();
        s.vars
            .insert("region".into(), Value::String("eu-west-1".into()));
        s.locals.insert("env".into(), Value::String("prod".into()));
        s.path_module = "./mod".into();
        assert_eq!(
            eval("\"${var.region}-${local.env}\"", &s),
            Value::String("eu-west-1-prod".into())
        );
        assert_eq!(eval("path.module", &s), Value::String("./mod".into()));
    }

    #[test]
    fn references_only_known_at_plan_are_unknown_and_say_why() {
        let s = Scope::empty();
        assert_eq!(
            eval("data.aws_region.current.name", &s),
            Value::unknown("data.aws_region.current.name")
        );
        assert_eq!(
            eval("var.missing", &s),
            Value::unknown("var.missing (no value given)")
        );
        assert_eq!(eval("upper(each.key)", &s), Value::unknown("each.key"));
        // Unknown condition, same known value on both sides: known.
        assert_eq!(eval("each.key == \"a\" ? 1 : 1", &s), Value::Number(1.0));
        assert!(!eval("each.key == \"a\" ? 1 : 2", &s).is_known());
    }

    #[test]
    fn for_expressions_and_splat() {
        let s = Scope::empty();
        assert_eq!(
            eval("{ for k, v in { a = 1, b = 2 } : k => v * 2 if v > 1 }", &s).to_string(),
            "{b = 4}"
        );
        assert_eq!(
            eval("[for x in [\"a\", \"b\"] : upper(x)]", &s).to_string(),
            "[\"A\", \"B\"]"
        );
    }

    #[test]
    fn try_and_can_recover_from_errors_but_not_from_unknowns() {
        let s = Scope::empty();
        assert_eq!(
            eval("try({}.a, \"fallback\")", &s),
            Value::String("fallback".into())
        );
        assert_eq!(eval("can({}.a)", &s), Value::Bool(false));
        assert!(!eval("try(data.x.y.z, \"fallback\")", &s).is_known());
    }
}
