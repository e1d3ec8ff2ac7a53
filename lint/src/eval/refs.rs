//! Which names an expression reads (`var.retention`, `each.value`), so a
//! message can say where the value it reports came from.

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::template::{Element, Template};

/// The `root.attr` pairs read by every traversal in `expr`, in source
/// order (`("var", "retention")`, `("each", "value")`).
pub fn referenced(expr: &Expression) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(expr, &mut out);
    out
}

fn walk(expr: &Expression, out: &mut Vec<(String, String)>) {
    match expr {
        Expression::Traversal(t) => {
            if let (Expression::Variable(root), Some(first)) = (&t.expr, t.operators.first())
                && let TraversalOperator::GetAttr(attr) = first.value()
            {
                out.push((root.as_str().to_owned(), attr.as_str().to_owned()));
            } else {
                walk(&t.expr, out);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(e) = op.value() {
                    walk(e, out);
                }
            }
        }
        Expression::Array(a) => a.iter().for_each(|e| walk(e, out)),
        Expression::Object(o) => o.iter().for_each(|(k, v)| {
            if let hcl_edit::expr::ObjectKey::Expression(e) = k {
                walk(e, out);
            }
            walk(v.expr(), out);
        }),
        Expression::StringTemplate(t) => template(t, out),
        Expression::HeredocTemplate(h) => template(&h.template, out),
        Expression::Parenthesis(p) => walk(p.inner(), out),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, out);
            walk(&c.true_expr, out);
            walk(&c.false_expr, out);
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|e| walk(e, out)),
        Expression::UnaryOp(u) => walk(&u.expr, out),
        Expression::BinaryOp(b) => {
            walk(&b.lhs_expr, out);
            walk(&b.rhs_expr, out);
        }
        Expression::ForExpr(f) => {
            walk(&f.intro.collection_expr, out);
            walk(&f.value_expr, out);
        }
        _ => {}
    }
}

fn template(t: &Template, out: &mut Vec<(String, String)>) {
    for element in t.iter() {
        if let Element::Interpolation(i) = element {
            walk(&i.expr, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variables_in_nested_expressions() {
        let e =
            hcl_edit::parser::parse_expr("\"${var.a}-x\" == local.b ? each.value : max(var.c, 1)")
                .unwrap();
        let names: Vec<String> = referenced(&e)
            .into_iter()
            .map(|(r, a)| format!("{r}.{a}"))
            .collect();
        assert_eq!(names, ["var.a", "local.b", "each.value", "var.c"]);
    }
}
