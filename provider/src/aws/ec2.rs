//! EC2 reads for the database's network isolation checks: the route tables
//! of a VPC and the rules of security groups. Only reads: the provider never
//! changes a network it is given, it refuses one that reaches the internet.

use aws_sdk_ec2::types::{Filter, RouteTable, SecurityGroup};

use super::AwsError;

/// Every route table of `vpc_id` (all pages): the explicit subnet
/// associations and the main table are both needed to know which table a
/// subnet really uses.
pub async fn route_tables(
    client: &aws_sdk_ec2::Client,
    vpc_id: &str,
) -> Result<Vec<RouteTable>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_route_tables()
            .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeRouteTables", e))?;
        out.extend(page.route_tables().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() && Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// The security groups `ids`. A group that does not exist is an error from
/// EC2 (`InvalidGroup.NotFound`), which the caller reports as such.
pub async fn security_groups(
    client: &aws_sdk_ec2::Client,
    ids: &[String],
) -> Result<Vec<SecurityGroup>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_security_groups()
            .set_group_ids(Some(ids.to_vec()))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ec2:DescribeSecurityGroups", e))?;
        out.extend(page.security_groups().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() && Some(t) != token.as_deref() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}
