//! EC2 reads for the database's network isolation checks: the route tables
//! of a VPC and the rules of security groups. Only reads: the provider never
//! changes a network it is given, it refuses one that reaches the internet.
//!
//! The calls go through the signed Query client (`aws::query`), and the
//! answers are read into the few fields the checks use.

use super::AwsError;
use super::query::{QueryClient, ServiceNames};
use super::xml::Element;

/// EC2's names for signing, endpoint settings and requests.
pub const EC2: ServiceNames = ServiceNames {
    signing_name: "ec2",
    service_id: "EC2",
    api_version: "2016-11-15",
};

/// A route table: its subnet associations and its routes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable {
    pub id: String,
    pub associations: Vec<Association>,
    pub routes: Vec<Route>,
}

/// A route table's association: with one subnet, or the VPC's main table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Association {
    pub subnet_id: Option<String>,
    pub main: bool,
}

/// One route: where it sends which destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Route {
    pub destination_cidr: Option<String>,
    pub destination_ipv6_cidr: Option<String>,
    pub gateway_id: Option<String>,
}

/// A security group and its ingress rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: String,
    pub name: Option<String>,
    pub ingress: Vec<IngressRule>,
}

/// One ingress rule: protocol (`-1` for all), port range, CIDR sources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngressRule {
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4_sources: Vec<String>,
    pub ipv6_sources: Vec<String>,
}

/// Every route table of `vpc_id` (all pages): the explicit subnet
/// associations and the main table are both needed to know which table a
/// subnet really uses.
pub async fn route_tables(client: &QueryClient, vpc_id: &str) -> Result<Vec<RouteTable>, AwsError> {
    let filter = [
        ("Filter.1.Name".to_owned(), "vpc-id".to_owned()),
        ("Filter.1.Value.1".to_owned(), vpc_id.to_owned()),
    ];
    let pages = all_pages(
        client,
        "ec2:DescribeRouteTables",
        "DescribeRouteTables",
        &filter,
    )
    .await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.items("routeTableSet"))
        .map(route_table)
        .collect())
}

/// The security groups `ids`. A group that does not exist is an error from
/// EC2 (`InvalidGroup.NotFound`), which the caller reports as such.
pub async fn security_groups(
    client: &QueryClient,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, AwsError> {
    let params: Vec<(String, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("GroupId.{}", i + 1), id.clone()))
        .collect();
    let pages = all_pages(
        client,
        "ec2:DescribeSecurityGroups",
        "DescribeSecurityGroups",
        &params,
    )
    .await?;
    Ok(pages
        .iter()
        .flat_map(|page| page.items("securityGroupInfo"))
        .map(security_group)
        .collect())
}

/// Every page of a paginated Describe call, following `nextToken` until it
/// is absent or repeats.
async fn all_pages(
    client: &QueryClient,
    operation: &'static str,
    action: &str,
    params: &[(String, String)],
) -> Result<Vec<Element>, AwsError> {
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = params.to_vec();
        if let Some(t) = &token {
            request.push(("NextToken".to_owned(), t.clone()));
        }
        let page = client.call(operation, action, &request).await?;
        let next = page.child_text("nextToken").map(str::to_owned);
        pages.push(page);
        match next {
            Some(t) if Some(&t) != token.as_ref() => token = Some(t),
            _ => return Ok(pages),
        }
    }
}

fn text(e: &Element, name: &str) -> Option<String> {
    e.child_text(name).map(str::to_owned)
}

fn route_table(item: &Element) -> RouteTable {
    RouteTable {
        id: text(item, "routeTableId").unwrap_or_default(),
        associations: item
            .items("associationSet")
            .map(|a| Association {
                subnet_id: text(a, "subnetId"),
                main: a.child_text("main") == Some("true"),
            })
            .collect(),
        routes: item
            .items("routeSet")
            .map(|r| Route {
                destination_cidr: text(r, "destinationCidrBlock"),
                destination_ipv6_cidr: text(r, "destinationIpv6CidrBlock"),
                gateway_id: text(r, "gatewayId"),
            })
            .collect(),
    }
}

fn security_group(item: &Element) -> SecurityGroup {
    SecurityGroup {
        id: text(item, "groupId").unwrap_or_default(),
        name: text(item, "groupName"),
        ingress: item
            .items("ipPermissions")
            .map(|p| IngressRule {
                protocol: text(p, "ipProtocol").unwrap_or_else(|| "-1".to_owned()),
                from_port: p.child_text("fromPort").and_then(|v| v.parse().ok()),
                to_port: p.child_text("toPort").and_then(|v| v.parse().ok()),
                ipv4_sources: p
                    .items("ipRanges")
                    .filter_map(|r| text(r, "cidrIp"))
                    .collect(),
                ipv6_sources: p
                    .items("ipv6Ranges")
                    .filter_map(|r| text(r, "cidrIpv6"))
                    .collect(),
            })
            .collect(),
    }
}

/// Answers in the shape EC2's API reference documents, including the
/// parts the emulator leaves out (IPv6 routes, egress rules).
#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::xml::parse;

    #[test]
    fn route_tables_are_read_with_associations_and_routes() {
        let page = parse(
            r#"<DescribeRouteTablesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <routeTableSet>
    <item>
      <routeTableId>rtb-1</routeTableId>
      <vpcId>vpc-1</vpcId>
      <routeSet>
        <item><destinationCidrBlock>10.0.0.0/16</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state></item>
        <item><destinationIpv6CidrBlock>::/0</destinationIpv6CidrBlock><gatewayId>igw-1</gatewayId></item>
        <item><destinationCidrBlock>0.0.0.0/0</destinationCidrBlock><natGatewayId>nat-1</natGatewayId></item>
      </routeSet>
      <associationSet>
        <item><routeTableAssociationId>a-1</routeTableAssociationId><main>true</main></item>
        <item><routeTableAssociationId>a-2</routeTableAssociationId><subnetId>subnet-a</subnetId><main>false</main></item>
      </associationSet>
      <tagSet/>
    </item>
  </routeTableSet>
</DescribeRouteTablesResponse>"#,
        )
        .unwrap();
        let tables: Vec<_> = page.items("routeTableSet").map(route_table).collect();
        assert_eq!(
            tables,
            [RouteTable {
                id: "rtb-1".into(),
                associations: vec![
                    Association {
                        subnet_id: None,
                        main: true
                    },
                    Association {
                        subnet_id: Some("subnet-a".into()),
                        main: false
                    },
                ],
                routes: vec![
                    Route {
                        destination_cidr: Some("10.0.0.0/16".into()),
                        destination_ipv6_cidr: None,
                        gateway_id: Some("local".into()),
                    },
                    Route {
                        destination_cidr: None,
                        destination_ipv6_cidr: Some("::/0".into()),
                        gateway_id: Some("igw-1".into()),
                    },
                    Route {
                        destination_cidr: Some("0.0.0.0/0".into()),
                        destination_ipv6_cidr: None,
                        gateway_id: None,
                    },
                ],
            }]
        );
    }

    #[test]
    fn security_groups_are_read_with_ingress_only() {
        let page = parse(
            r#"<DescribeSecurityGroupsResponse>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-1</groupId>
      <groupName>acme-db</groupName>
      <ipPermissions>
        <item>
          <ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort>
          <groups/>
          <ipRanges><item><cidrIp>10.0.0.0/16</cidrIp></item><item><cidrIp>0.0.0.0/0</cidrIp><description>x</description></item></ipRanges>
          <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges>
          <prefixListIds/>
        </item>
        <item><ipProtocol>-1</ipProtocol><groups><item><groupId>sg-2</groupId></item></groups></item>
      </ipPermissions>
      <ipPermissionsEgress>
        <item><ipProtocol>-1</ipProtocol><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>
      </ipPermissionsEgress>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#,
        )
        .unwrap();
        let groups: Vec<_> = page
            .items("securityGroupInfo")
            .map(security_group)
            .collect();
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(
            (g.id.as_str(), g.name.as_deref()),
            ("sg-1", Some("acme-db"))
        );
        assert_eq!(
            g.ingress,
            [
                IngressRule {
                    protocol: "tcp".into(),
                    from_port: Some(5432),
                    to_port: Some(5432),
                    ipv4_sources: vec!["10.0.0.0/16".into(), "0.0.0.0/0".into()],
                    ipv6_sources: vec!["::/0".into()],
                },
                IngressRule {
                    protocol: "-1".into(),
                    ..IngressRule::default()
                },
            ]
        );
    }
}
