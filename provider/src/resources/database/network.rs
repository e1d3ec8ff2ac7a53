//! Network isolation of a database (PHI-RDS-013, PHI-RDS-014), checked
//! through the RDS and EC2 APIs at every plan and again at apply: the subnet
//! group's subnets are in the provider's region, span two Availability
//! Zones and have no route to an internet gateway; the security groups admit
//! no ingress from the internet or from a prefix the policy forbids.
//!
//! The network is not the provider's to change (another team or another
//! Terraform root owns it), so a finding is a refusal naming the route or the
//! rule, not a fix. A route added after the database was created shows up at
//! the next plan, like a key disabled since.

use std::collections::BTreeSet;

use crate::aws::ec2::{IngressRule, RouteTable, SecurityGroup};
use aws_sdk_rds::types::DbSubnetGroup;
use phi_policy::Violation;
use phi_policy::engines::DatabasePolicy;
use phi_policy::ids;

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::value::Value;

const SUBNET_GROUP: &str = "db_subnet_group_name";
const SECURITY_GROUPS: &str = "vpc_security_group_ids";

/// Destinations that mean "everything": a route for one of them through an
/// internet gateway makes the subnet public.
const DEFAULT_ROUTES: &[&str] = &["0.0.0.0/0", "::/0"];

/// What is wrong with a subnet group, each finding one sentence naming the
/// subnet, route table or route. Pure, so every branch is unit-tested.
pub fn subnet_group_findings(
    region: &str,
    group: &DbSubnetGroup,
    tables: &[RouteTable],
) -> Vec<String> {
    let name = group.db_subnet_group_name().unwrap_or("the subnet group");
    let mut out = Vec::new();
    let subnets: Vec<(&str, &str)> = group
        .subnets()
        .iter()
        .map(|s| {
            (
                s.subnet_identifier().unwrap_or("?"),
                s.subnet_availability_zone()
                    .and_then(|z| z.name())
                    .unwrap_or(""),
            )
        })
        .collect();
    for (subnet, az) in &subnets {
        if !az_in_region(az, region) {
            out.push(format!(
                "subnet {subnet} of {name} is in {}, outside the provider's region {region}.",
                if az.is_empty() { "an unknown zone" } else { az }
            ));
        }
    }
    let zones: BTreeSet<&str> = subnets
        .iter()
        .map(|(_, az)| *az)
        .filter(|az| !az.is_empty())
        .collect();
    if zones.len() < 2 {
        out.push(format!(
            "{name} spans {} Availability Zone{} ({}); a PHI database needs subnets in at least \
             two, for a standby and for failover.",
            zones.len(),
            if zones.len() == 1 { "" } else { "s" },
            zones.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    for (subnet, _) in &subnets {
        let Some(table) = effective_route_table(subnet, tables) else {
            continue;
        };
        let table_id = table.id.as_str();
        for (destination, gateway) in internet_routes(table) {
            out.push(format!(
                "subnet {subnet} of {name} uses route table {table_id}, whose route \
                 {destination} -> {gateway} sends traffic to an internet gateway: the subnet is \
                 public."
            ));
        }
    }
    out
}

/// `eu-central-1a` is in `eu-central-1`; `eu-central-1-wl1-ber-wlz-1`
/// (a Wavelength zone) too, by the same prefix rule.
fn az_in_region(az: &str, region: &str) -> bool {
    az.strip_prefix(region)
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// The table a subnet uses: the one explicitly associated with it, else the
/// VPC's main table.
fn effective_route_table<'a>(subnet: &str, tables: &'a [RouteTable]) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|t| {
            t.associations
                .iter()
                .any(|a| a.subnet_id.as_deref() == Some(subnet))
        })
        .or_else(|| {
            tables
                .iter()
                .find(|t| t.associations.iter().any(|a| a.main))
        })
}

/// `(destination, gateway)` of each default route through an internet
/// gateway.
fn internet_routes(table: &RouteTable) -> Vec<(String, String)> {
    table
        .routes
        .iter()
        .filter_map(|r| {
            let gateway = r.gateway_id.as_deref().filter(|g| g.starts_with("igw-"))?;
            let destination = r
                .destination_cidr
                .as_deref()
                .filter(|d| DEFAULT_ROUTES.contains(d))
                .or(r
                    .destination_ipv6_cidr
                    .as_deref()
                    .filter(|d| DEFAULT_ROUTES.contains(d)))?;
            Some((destination.to_owned(), gateway.to_owned()))
        })
        .collect()
}

/// What is wrong with the security groups: one sentence per rule admitting
/// a forbidden source, and one per requested group EC2 does not know.
pub fn security_group_findings(
    requested: &[String],
    groups: &[SecurityGroup],
    policy: &DatabasePolicy,
) -> Vec<String> {
    let mut out = Vec::new();
    for id in requested {
        if !groups.iter().any(|g| g.id == *id) {
            out.push(format!("security group {id} does not exist."));
        }
    }
    for g in groups {
        let id = g.id.as_str();
        let name = g.name.as_ref().map_or(String::new(), |n| format!(" ({n})"));
        for rule in &g.ingress {
            let sources = rule
                .ipv4_sources
                .iter()
                .chain(&rule.ipv6_sources)
                .map(String::as_str);
            for source in sources.filter(|s| policy.ingress_forbidden(s)) {
                out.push(format!(
                    "security group {id}{name} has the ingress rule \"{} from {source}\", \
                     which admits {}.",
                    rule_text(rule),
                    if phi_policy::engines::INTERNET_CIDRS.contains(&source) {
                        "the whole internet"
                    } else {
                        "a source the policy forbids (database.forbidden_ingress_cidrs)"
                    }
                ));
            }
        }
    }
    out
}

/// `tcp 5432`, `tcp 0-65535`, `all traffic`.
fn rule_text(rule: &IngressRule) -> String {
    let protocol = rule.protocol.as_str();
    if protocol == "-1" {
        return "all traffic".to_owned();
    }
    match (rule.from_port, rule.to_port) {
        (Some(a), Some(b)) if a == b => format!("{protocol} {a}"),
        (Some(a), Some(b)) => format!("{protocol} {a}-{b}"),
        _ => protocol.to_owned(),
    }
}

/// A security group list given but empty: the database would get the VPC's
/// default group. Known from the configuration alone.
pub fn static_violations(config: &Value) -> Vec<Violation> {
    match config.get(SECURITY_GROUPS) {
        Value::List(items) if items.is_empty() => vec![Violation::new(
            ids::RDS_NO_INTERNET_INGRESS,
            &[SECURITY_GROUPS],
            "vpc_security_group_ids is empty: RDS would attach the VPC's default security \
             group, shared with everything else in the VPC.",
        )],
        _ => Vec::new(),
    }
}

/// The API checks: findings become violations at the argument's line; a
/// subnet group not found is a warning at plan (it may be created in the same
/// run) and a refusal at apply; a failed read is an error.
pub async fn api_checks(
    config: &Value,
    ctx: &Configured,
    at_apply: bool,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    match config.get(SUBNET_GROUP) {
        Value::String(name) => check_subnet_group(name, ctx, at_apply, violations, d).await,
        Value::Unknown => d.warning_at(
            &attr(SUBNET_GROUP),
            "Subnet group will be verified at apply",
            "The subnet group is not known yet (it depends on a resource created in this \
             run). The provider checks its subnets and routes at the start of apply, before \
             creating anything.",
        ),
        _ => {}
    }
    let requested = match config.get(SECURITY_GROUPS) {
        Value::List(items) if !items.is_empty() => {
            match items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
            {
                Some(ids) => ids,
                None => return unknown_groups(d),
            }
        }
        Value::Unknown => return unknown_groups(d),
        _ => return,
    };
    match crate::aws::ec2::security_groups(&ctx.clients.ec2, &requested).await {
        Ok(groups) => push(
            violations,
            ids::RDS_NO_INTERNET_INGRESS,
            SECURITY_GROUPS,
            security_group_findings(&requested, &groups, ctx.policy().database()),
        ),
        Err(e) if e.code_is("InvalidGroup.NotFound") || e.code_is("InvalidGroupId.Malformed") => {
            not_found(
                d,
                at_apply,
                SECURITY_GROUPS,
                format!("A security group in {requested:?} does not exist ({e})."),
            )
        }
        Err(e) => d.error_at(
            &attr(SECURITY_GROUPS),
            format!(
                "{}: could not verify the security groups",
                ids::RDS_NO_INTERNET_INGRESS
            ),
            format!(
                "{e}\n\nThe provider must read the security groups (ec2:DescribeSecurityGroups) \
                 to verify that none admits the internet."
            ),
        ),
    }
}

fn unknown_groups(d: &mut Diagnostics) {
    d.warning_at(
        &attr(SECURITY_GROUPS),
        "Security groups will be verified at apply",
        "A security group id is not known yet (it depends on a resource created in this run). \
         The provider checks the rules at the start of apply, before creating anything.",
    );
}

async fn check_subnet_group(
    name: &str,
    ctx: &Configured,
    at_apply: bool,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    let could_not = |d: &mut Diagnostics, e: crate::aws::AwsError, needs: &str| {
        d.error_at(
            &attr(SUBNET_GROUP),
            format!(
                "{}: could not verify the subnet group",
                ids::RDS_PRIVATE_SUBNETS
            ),
            format!(
                "{e}\n\nThe provider must read the subnet group and its route tables ({needs}) \
                 to verify that the database is not reachable from the internet."
            ),
        )
    };
    let group = match crate::aws::rds::subnet_group(&ctx.clients.rds, name).await {
        Ok(Some(g)) => g,
        Ok(None) => {
            return not_found(
                d,
                at_apply,
                SUBNET_GROUP,
                format!("There is no DB subnet group {name:?} in {}.", ctx.region),
            );
        }
        Err(e) => return could_not(d, e, "rds:DescribeDBSubnetGroups"),
    };
    let tables = match group.vpc_id() {
        Some(vpc) => match crate::aws::ec2::route_tables(&ctx.clients.ec2, vpc).await {
            Ok(t) => t,
            Err(e) => return could_not(d, e, "ec2:DescribeRouteTables"),
        },
        None => Vec::new(),
    };
    push(
        violations,
        ids::RDS_PRIVATE_SUBNETS,
        SUBNET_GROUP,
        subnet_group_findings(&ctx.region, &group, &tables),
    );
}

fn not_found(d: &mut Diagnostics, at_apply: bool, attribute: &str, what: String) {
    if at_apply {
        d.error_at(
            &attr(attribute),
            "Network not found",
            format!("{what} Create it first, or reference it by its id. Nothing was created."),
        );
    } else {
        d.warning_at(
            &attr(attribute),
            "Network will be verified at apply",
            format!(
                "{what} If it is created in this run, fine; otherwise apply stops before \
                 creating the database."
            ),
        );
    }
}

fn push(violations: &mut Vec<Violation>, control: &str, attribute: &str, findings: Vec<String>) {
    violations.extend(one_violation(control, attribute, findings));
}

/// All findings of one control as ONE violation at the argument's line: a
/// subnet group with three public subnets is one refusal of PHI-RDS-013 that
/// names the three routes, not three copies of the same refusal.
fn one_violation(control: &str, attribute: &str, findings: Vec<String>) -> Option<Violation> {
    let message = match findings.len() {
        0 => return None,
        1 => findings.into_iter().next().unwrap_or_default(),
        n => format!(
            "{n} findings:\n{}",
            findings
                .iter()
                .map(|f| format!("- {f}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    Some(Violation::new(control, &[attribute], message))
}

/// Subnet groups, route tables and security groups the emulator cannot
/// produce in every shape (a Wavelength zone, a group in one zone, an IPv6
/// default route), built directly.
#[cfg(test)]
mod tests {
    use crate::aws::ec2::{Association, Route};
    use aws_sdk_rds::types::{AvailabilityZone, Subnet};

    use super::*;

    fn group(subnets: &[(&str, &str)]) -> DbSubnetGroup {
        DbSubnetGroup::builder()
            .db_subnet_group_name("acme-private")
            .vpc_id("vpc-1")
            .set_subnets(Some(
                subnets
                    .iter()
                    .map(|(id, az)| {
                        Subnet::builder()
                            .subnet_identifier(*id)
                            .subnet_availability_zone(AvailabilityZone::builder().name(*az).build())
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    fn table(id: &str, main: bool, subnets: &[&str], routes: Vec<Route>) -> RouteTable {
        let mut associations: Vec<Association> = subnets
            .iter()
            .map(|s| Association {
                subnet_id: Some((*s).to_owned()),
                main: false,
            })
            .collect();
        if main {
            associations.push(Association {
                subnet_id: None,
                main: true,
            });
        }
        RouteTable {
            id: id.to_owned(),
            associations,
            routes,
        }
    }

    fn route(destination: &str, gateway: Option<&str>) -> Route {
        let v6 = destination.contains(':');
        Route {
            destination_cidr: (!v6).then(|| destination.to_owned()),
            destination_ipv6_cidr: v6.then(|| destination.to_owned()),
            gateway_id: gateway.map(str::to_owned),
        }
    }

    fn local() -> Route {
        route("10.0.0.0/16", Some("local"))
    }

    const TWO_ZONES: &[(&str, &str)] =
        &[("subnet-a", "eu-central-1a"), ("subnet-b", "eu-central-1b")];

    #[test]
    fn private_subnets_in_two_zones_pass() {
        // A NAT gateway's route names no gateway id.
        let nat = route("0.0.0.0/0", None);
        let tables = [table("rtb-main", true, &[], vec![local(), nat])];
        assert!(subnet_group_findings("eu-central-1", &group(TWO_ZONES), &tables).is_empty());
    }

    #[test]
    fn a_default_route_to_an_internet_gateway_is_named() {
        let igw = route("0.0.0.0/0", Some("igw-1"));
        let v6 = route("::/0", Some("igw-1"));
        // subnet-a has its own public table; subnet-b falls back to the main one.
        let tables = [
            table("rtb-public", false, &["subnet-a"], vec![local(), igw, v6]),
            table("rtb-main", true, &[], vec![local()]),
        ];
        let f = subnet_group_findings("eu-central-1", &group(TWO_ZONES), &tables);
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f[0].contains("subnet subnet-a"));
        assert!(f[0].contains("route table rtb-public, whose route 0.0.0.0/0 -> igw-1"));
        assert!(f[1].contains("::/0 -> igw-1"));
    }

    #[test]
    fn every_public_subnet_is_named_in_one_refusal_per_control() {
        let igw = route("0.0.0.0/0", Some("igw-1"));
        let tables = [table("rtb-main", true, &[], vec![local(), igw])];
        let f = subnet_group_findings("eu-central-1", &group(TWO_ZONES), &tables);
        let mut violations = Vec::new();
        push(&mut violations, ids::RDS_PRIVATE_SUBNETS, SUBNET_GROUP, f);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        let v = &violations[0];
        assert_eq!(v.control.id, ids::RDS_PRIVATE_SUBNETS);
        assert!(v.message.starts_with("2 findings:"), "{}", v.message);
        assert!(v.message.contains("subnet subnet-a"), "{}", v.message);
        assert!(v.message.contains("subnet subnet-b"), "{}", v.message);
        assert_eq!(v.message.matches("0.0.0.0/0 -> igw-1").count(), 2);
        // Nothing found: no refusal at all.
        push(
            &mut violations,
            ids::RDS_NO_INTERNET_INGRESS,
            SECURITY_GROUPS,
            vec![],
        );
        assert_eq!(violations.len(), 1);
    }

    #[test]
    fn the_main_table_applies_to_subnets_without_their_own() {
        let igw = route("0.0.0.0/0", Some("igw-9"));
        let tables = [
            table("rtb-private", false, &["subnet-a"], vec![local()]),
            table("rtb-main", true, &[], vec![local(), igw]),
        ];
        let f = subnet_group_findings("eu-central-1", &group(TWO_ZONES), &tables);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].contains("subnet subnet-b"));
        assert!(f[0].contains("rtb-main"));
    }

    #[test]
    fn one_zone_or_another_region_is_refused() {
        let f = subnet_group_findings(
            "eu-central-1",
            &group(&[("subnet-a", "eu-central-1a"), ("subnet-c", "eu-central-1a")]),
            &[],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("spans 1 Availability Zone (eu-central-1a)"));
        let f = subnet_group_findings(
            "eu-central-1",
            &group(&[("subnet-a", "eu-central-1a"), ("subnet-w", "eu-west-1b")]),
            &[],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("subnet subnet-w"));
        assert!(f[0].contains("outside the provider's region eu-central-1"));
    }

    #[test]
    fn zone_names_belong_to_their_region_only() {
        assert!(az_in_region("eu-central-1a", "eu-central-1"));
        assert!(az_in_region("eu-central-1-wl1-ber-wlz-1", "eu-central-1"));
        assert!(!az_in_region("eu-central-2a", "eu-central-1"));
        assert!(!az_in_region("us-east-11a", "us-east-1"));
        assert!(!az_in_region("eu-central-1", "eu-central-1"));
    }

    fn sg(id: &str, rules: Vec<IngressRule>) -> SecurityGroup {
        SecurityGroup {
            id: id.to_owned(),
            name: Some("acme-db".to_owned()),
            ingress: rules,
        }
    }

    fn rule(protocol: &str, ports: Option<(i32, i32)>, v4: &[&str], v6: &[&str]) -> IngressRule {
        IngressRule {
            protocol: protocol.to_owned(),
            from_port: ports.map(|p| p.0),
            to_port: ports.map(|p| p.1),
            ipv4_sources: v4.iter().map(|c| (*c).to_owned()).collect(),
            ipv6_sources: v6.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn internet_ingress_is_named_by_rule() {
        let groups = [sg(
            "sg-1",
            vec![
                rule(
                    "tcp",
                    Some((5432, 5432)),
                    &["10.0.0.0/16", "0.0.0.0/0"],
                    &[],
                ),
                rule("-1", None, &[], &["::/0"]),
            ],
        )];
        let f = security_group_findings(&["sg-1".into()], &groups, &DatabasePolicy::baseline());
        assert_eq!(f.len(), 2, "{f:#?}");
        assert!(f[0].contains(
            "security group sg-1 (acme-db) has the ingress rule \"tcp 5432 from 0.0.0.0/0\""
        ));
        assert!(f[0].contains("the whole internet"));
        assert!(f[1].contains("\"all traffic from ::/0\""));
    }

    #[test]
    fn private_sources_pass_and_policy_prefixes_are_refused() {
        let groups = [sg(
            "sg-1",
            vec![rule(
                "tcp",
                Some((5432, 5433)),
                &["10.0.0.0/16", "100.64.0.0/10"],
                &[],
            )],
        )];
        let requested = ["sg-1".to_owned()];
        assert!(
            security_group_findings(&requested, &groups, &DatabasePolicy::baseline()).is_empty()
        );
        let mut policy = DatabasePolicy::baseline();
        policy.forbidden_ingress_cidrs = vec!["100.64.0.0/10".into()];
        let f = security_group_findings(&requested, &groups, &policy);
        assert_eq!(f.len(), 1);
        assert!(f[0].contains("\"tcp 5432-5433 from 100.64.0.0/10\""));
        assert!(f[0].contains("forbidden_ingress_cidrs"));
    }

    #[test]
    fn a_missing_group_and_an_empty_list_are_refused() {
        let f = security_group_findings(&["sg-gone".into()], &[], &DatabasePolicy::baseline());
        assert_eq!(f, ["security group sg-gone does not exist."]);
        let empty = Value::Map(
            [(SECURITY_GROUPS.to_owned(), Value::List(vec![]))]
                .into_iter()
                .collect(),
        );
        let v = static_violations(&empty);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].control.id, ids::RDS_NO_INTERNET_INGRESS);
    }
}
