//! `locals` in dependency order: each local is evaluated once, after the
//! locals it reads, so 10,000 locals cost 10,000 evaluations whatever order
//! they are written in (a fixpoint over rounds is quadratic on a reversed
//! chain). Locals in a cycle, and those that read them, are unknown, as
//! Terraform refuses them.

use std::collections::{BTreeMap, BTreeSet};

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};

use crate::eval::{Scope, Value};
use crate::ir::Attr;

/// Evaluates `locals` into `scope.locals`. A name defined twice (Terraform
/// refuses it) keeps the last definition.
pub fn evaluate(scope: &mut Scope, locals: &[&Attr]) {
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, a) in locals.iter().enumerate() {
        by_name.insert(a.name.as_str(), i);
    }
    let order: Vec<usize> = by_name.values().copied().collect();
    // deps[i]: defined locals that local i reads; readers: the reverse.
    let mut waiting: BTreeMap<usize, usize> = BTreeMap::new();
    let mut readers: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut ready = Vec::new();
    for &i in &order {
        let mut names = BTreeSet::new();
        references(&locals[i].expr, &mut names);
        let deps: BTreeSet<usize> = names
            .iter()
            .filter_map(|n| by_name.get(n.as_str()).copied())
            .collect();
        if deps.is_empty() {
            ready.push(i);
        } else {
            waiting.insert(i, deps.len());
            for d in deps {
                readers.entry(d).or_default().push(i);
            }
        }
    }
    // Kahn's algorithm; `ready` is a stack, the order among independent
    // locals does not matter.
    ready.reverse();
    while let Some(i) = ready.pop() {
        let a = locals[i];
        let v = scope.eval(&a.expr);
        let v = scope.budget.admit(v);
        scope.locals.insert(a.name.clone(), v);
        for r in readers.remove(&i).unwrap_or_default() {
            if let Some(n) = waiting.get_mut(&r) {
                *n -= 1;
                if *n == 0 {
                    waiting.remove(&r);
                    ready.push(r);
                }
            }
        }
    }
    for i in waiting.into_keys() {
        let name = &locals[i].name;
        scope.locals.insert(
            name.clone(),
            Value::unknown(format!("local.{name} (a cycle among locals)")),
        );
    }
}

/// Names `local.NAME` read anywhere in `expr`. Recursion is bounded by the
/// parser's nesting limit (see `source`).
fn references(expr: &Expression, out: &mut BTreeSet<String>) {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_)
        | Expression::Variable(_) => {}
        Expression::Array(a) => a.iter().for_each(|e| references(e, out)),
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let ObjectKey::Expression(e) = k {
                    references(e, out);
                }
                references(v.expr(), out);
            }
        }
        Expression::StringTemplate(t) => template(t, out),
        Expression::HeredocTemplate(h) => template(&h.template, out),
        Expression::Parenthesis(p) => references(p.inner(), out),
        Expression::Conditional(c) => {
            references(&c.cond_expr, out);
            references(&c.true_expr, out);
            references(&c.false_expr, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| references(e, out)),
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr
                && v.as_str() == "local"
                && let Some(TraversalOperator::GetAttr(name)) =
                    t.operators.first().map(|o| o.value())
            {
                out.insert(name.as_str().to_owned());
            }
            references(&t.expr, out);
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op.value() {
                    references(e, out);
                }
            }
        }
        Expression::UnaryOp(u) => references(&u.expr, out),
        Expression::BinaryOp(b) => {
            references(&b.lhs_expr, out);
            references(&b.rhs_expr, out);
        }
        Expression::ForExpr(f) => {
            references(&f.intro.collection_expr, out);
            if let Some(k) = &f.key_expr {
                references(k, out);
            }
            references(&f.value_expr, out);
            if let Some(c) = &f.cond {
                references(&c.expr, out);
            }
        }
    }
}

fn template(t: &Template, out: &mut BTreeSet<String>) {
    for element in t.iter() {
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(i) => references(&i.expr, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    references(&i.if_expr.cond_expr, out);
                    template(&i.if_expr.template, out);
                    if let Some(e) = &i.else_expr {
                        template(&e.template, out);
                    }
                }
                Directive::For(f) => {
                    references(&f.for_expr.collection_expr, out);
                    template(&f.for_expr.template, out);
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locals(src: &str) -> Scope {
        let file = crate::source::SourceFile::new("x.tf", src.to_owned());
        let root = file.root().unwrap();
        let attrs: Vec<&Attr> = root.blocks[0].attrs.iter().collect();
        let mut scope = Scope::empty();
        evaluate(&mut scope, &attrs);
        scope
    }

    #[test]
    fn locals_written_in_reverse_order_resolve() {
        let s =
            locals("locals {\n  c = \"${local.b}-c\"\n  b = \"${local.a}-b\"\n  a = \"a\"\n}\n");
        assert_eq!(s.locals["c"], Value::String("a-b-c".into()));
    }

    #[test]
    fn a_cycle_is_unknown_and_says_so() {
        let s = locals("locals {\n  a = local.b\n  b = local.a\n  c = 1\n}\n");
        assert!(!s.locals["a"].is_known());
        assert!(s.locals["b"].unknown_reason().unwrap().contains("cycle"));
        assert_eq!(s.locals["c"], Value::Number(1.0));
    }

    #[test]
    fn ten_thousand_reversed_locals_are_linear() {
        let mut src = String::from("locals {\n");
        for i in (1..10_000).rev() {
            src.push_str(&format!("  l{i} = local.l{}\n", i - 1));
        }
        src.push_str("  l0 = \"eu-west-1\"\n}\n");
        let start = std::time::Instant::now();
        let s = locals(&src);
        assert_eq!(s.locals["l9999"], Value::String("eu-west-1".into()));
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
    }
}
