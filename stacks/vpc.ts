import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { Construct } from 'constructs';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';

const CIDR = '10.0.0.0/16';

/**
 * `vpc`: two AZs of public and private subnets (the original's addresses), NAT for the private
 * ones (one by default, one per AZ in prod), an S3 gateway endpoint, a Secrets Manager interface
 * endpoint, and security groups — none of which admits 0.0.0.0/0.
 */
export class VpcStack extends InsightFlowStack {
  public readonly vpc: Vpc;
  public readonly privateSubnets: Subnet[];
  /** The sync Lambda's group: no ingress; egress to PostgreSQL and HTTPS. */
  public readonly lambdaSecurityGroup: SecurityGroup;
  /** The database's group: PostgreSQL from the sync Lambda (and the bastion's group, when added). */
  public readonly databaseSecurityGroup: SecurityGroup;

  public constructor(scope: Construct, id: string, props: InsightFlowStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: this.name('vpc') },
    });
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: this.name('igw') } });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: this.vpc.id,
      tags: { Name: this.name('public') },
    });
    new Route(this, 'public-default', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });

    const publicSubnets = settings.availabilityZones.map(
      (az, i) =>
        new Subnet(this, `public-${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: `10.0.${i + 1}.0/24`,
          availabilityZone: az,
          mapPublicIpOnLaunch: false,
          tags: { Name: this.name(`public-${az}`) },
        }),
    );
    for (const [i, subnet] of publicSubnets.entries()) {
      new RouteTableAssociation(this, `public-assoc-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id });
    }
    this.privateSubnets = settings.availabilityZones.map(
      (az, i) =>
        new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: `10.0.${i + 3}.0/24`,
          availabilityZone: az,
          tags: { Name: this.name(`private-${az}`) },
        }),
    );

    const nats = Array.from({ length: settings.natGateways }, (_, i) => {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: this.name(`nat-${i}`) } });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.id,
        subnetId: (publicSubnets[i] as Subnet).id,
        tags: { Name: this.name(`nat-${i}`) },
        dependsOn: [igw],
      });
    });
    const privateRouteTables = this.privateSubnets.map((subnet, i) => {
      const table = new RouteTable(this, `private-routes-${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: this.name(`private-${i}`) },
      });
      new Route(this, `private-default-${i}`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: (nats[i % nats.length] as NatGateway).id,
      });
      new RouteTableAssociation(this, `private-assoc-${i}`, { subnetId: subnet.id, routeTableId: table.id });
      return table;
    });

    new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${settings.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((t) => t.id),
      tags: { Name: this.name('s3') },
    });

    this.lambdaSecurityGroup = new SecurityGroup(this, 'lambda-sg', {
      name: this.name('lambda'),
      description: 'InsightFlow Lambdas in the VPC: no ingress',
      vpcId: this.vpc.id,
    });
    this.databaseSecurityGroup = new SecurityGroup(this, 'database-sg', {
      name: this.name('database'),
      description: 'InsightFlow PostgreSQL: 5432 from the sync Lambda only',
      vpcId: this.vpc.id,
    });
    const endpointSecurityGroup = new SecurityGroup(this, 'endpoint-sg', {
      name: this.name('endpoints'),
      description: 'Interface endpoints: HTTPS from inside the VPC',
      vpcId: this.vpc.id,
    });
    new VpcSecurityGroupIngressRule(this, 'database-from-lambda', {
      securityGroupId: this.databaseSecurityGroup.id,
      referencedSecurityGroupId: this.lambdaSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
    });
    new VpcSecurityGroupEgressRule(this, 'lambda-to-database', {
      securityGroupId: this.lambdaSecurityGroup.id,
      referencedSecurityGroupId: this.databaseSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
    });
    new VpcSecurityGroupEgressRule(this, 'lambda-https', {
      securityGroupId: this.lambdaSecurityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    new VpcSecurityGroupIngressRule(this, 'endpoints-from-vpc', {
      securityGroupId: endpointSecurityGroup.id,
      cidrIpv4: CIDR,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    new VpcEndpoint(this, 'secretsmanager-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${settings.region}.secretsmanager`,
      vpcEndpointType: 'Interface',
      privateDnsEnabled: true,
      subnetIds: this.privateSubnets.map((s) => s.id),
      securityGroupIds: [endpointSecurityGroup.id],
      tags: { Name: this.name('secretsmanager') },
    });
  }
}
