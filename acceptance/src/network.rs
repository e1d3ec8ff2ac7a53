//! A private network on the emulator for `phi_database`: a VPC, two subnets
//! in two Availability Zones whose (main) route table has only the local
//! route, a security group admitting PostgreSQL from the VPC only, and a DB
//! subnet group over the subnets. Plus the two ways a network team can break
//! isolation afterwards: a default route to an internet gateway and an
//! ingress rule from the internet.
//!
//! Set up with boto3 from the tools venv, as the IAM fixtures are: the
//! workspace keeps its EC2 SDK crate to the provider, which saves compiling
//! that very large crate a second time for the tests.

use crate::moto::Moto;

/// What [`private_network`] created.
#[derive(Debug, Clone)]
pub struct Network {
    pub vpc_id: String,
    pub subnet_group: String,
    pub security_group: String,
}

/// Runs `body` with boto3 clients `ec2` and `rds` on the endpoint, as the
/// given credentials; returns what it prints.
fn boto3(moto: &Moto, credentials: (&str, &str), body: &str) -> String {
    let python = crate::tools_dir().unwrap().join("venv/bin/python");
    let script = format!(
        r#"
import boto3
kw = dict(endpoint_url="{endpoint}", region_name="eu-central-1",
          aws_access_key_id="{key}", aws_secret_access_key="{secret}")
ec2, rds = boto3.client("ec2", **kw), boto3.client("rds", **kw)
{body}
"#,
        endpoint = moto.endpoint(),
        key = credentials.0,
        secret = credentials.1,
    );
    let out = std::process::Command::new(python)
        .args(["-c", &script])
        .output()
        .expect("running boto3");
    // The emulator's log goes with a failure: a boto3 error alone does not
    // say whether moto refused the call or never answered it.
    assert!(
        out.status.success(),
        "boto3 failed: {}\nmoto's log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        moto.log_text()
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Creates the private network in eu-central-1; `name` names the subnet
/// group and the security group (each network gets its own VPC, so several
/// can coexist in one emulator).
pub fn private_network(moto: &Moto, name: &str) -> Network {
    private_network_as(moto, name, ("testing", "testing"))
}

/// [`private_network`] with given credentials (for a moto enforcing IAM).
pub fn private_network_as(moto: &Moto, name: &str, credentials: (&str, &str)) -> Network {
    let out = boto3(
        moto,
        credentials,
        &format!(
            r#"
vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{{i}}.0/24",
                             AvailabilityZone=f"eu-central-1{{z}}")["Subnet"]["SubnetId"]
           for i, z in enumerate("ab")]
sg = ec2.create_security_group(GroupName="{name}", Description="database-from-the-VPC-only",
                               VpcId=vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{{
    "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
    "IpRanges": [{{"CidrIp": "10.20.0.0/16"}}]}}])
rds.create_db_subnet_group(DBSubnetGroupName="{name}",
                           DBSubnetGroupDescription="private-subnets-in-two-zones",
                           SubnetIds=subnets)
print(vpc, sg)
"#
        ),
    );
    let (vpc_id, security_group) = out.split_once(' ').expect("vpc and group ids");
    Network {
        vpc_id: vpc_id.to_owned(),
        subnet_group: name.to_owned(),
        security_group: security_group.to_owned(),
    }
}

/// Attaches an internet gateway to the VPC and adds `0.0.0.0/0 -> igw` to
/// its main route table: every subnet without its own table becomes public.
/// Returns (route table id, internet gateway id).
pub fn route_to_internet(moto: &Moto, net: &Network) -> (String, String) {
    let out = boto3(
        moto,
        ("testing", "testing"),
        &format!(
            r#"
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId="{vpc}")
table = ec2.describe_route_tables(Filters=[
    {{"Name": "vpc-id", "Values": ["{vpc}"]}},
    {{"Name": "association.main", "Values": ["true"]}}])["RouteTables"][0]["RouteTableId"]
ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
print(table, igw)
"#,
            vpc = net.vpc_id
        ),
    );
    let (table, igw) = out.split_once(' ').expect("table and gateway ids");
    (table.to_owned(), igw.to_owned())
}

/// Adds an ingress rule admitting PostgreSQL from anywhere.
pub fn open_to_internet(moto: &Moto, net: &Network) {
    boto3(
        moto,
        ("testing", "testing"),
        &format!(
            r#"
ec2.authorize_security_group_ingress(GroupId="{sg}", IpPermissions=[{{
    "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
    "IpRanges": [{{"CidrIp": "0.0.0.0/0"}}]}}])
"#,
            sg = net.security_group
        ),
    );
}
