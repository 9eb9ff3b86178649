import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { Eip } from '@cdktf/provider-aws/lib/eip/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
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
import type { S3BucketsStack } from './s3Buckets.js';

const CIDR = '10.0.0.0/16';

/** Interface endpoints Session Manager needs to reach an instance with no route to the internet. */
const SSM_ENDPOINTS = ['ssm', 'ssmmessages', 'ec2messages'] as const;

/** Props of {@link VpcStack}. */
export interface VpcStackProps extends InsightFlowStackProps {
  /** The project key (flow-log encryption) and the account id. */
  storage: S3BucketsStack;
}

/**
 * `vpc`: two AZs of public and private subnets (the original's addresses), NAT for the private
 * ones (one by default, one per AZ in prod), an S3 gateway endpoint, a Secrets Manager interface
 * endpoint (and the SSM ones when the bastion is enabled), flow logs to an encrypted log group, a
 * default security group with no rules, and security groups none of which admits 0.0.0.0/0 or
 * sends to it.
 */
export class VpcStack extends InsightFlowStack {
  public readonly vpc: Vpc;
  public readonly privateSubnets: Subnet[];
  /** The sync Lambda's group: no ingress; egress to PostgreSQL and HTTPS. */
  public readonly lambdaSecurityGroup: SecurityGroup;
  /** The database's group: PostgreSQL from the sync Lambda (and the bastion's group, when added). */
  public readonly databaseSecurityGroup: SecurityGroup;
  /** The interface endpoints' group: HTTPS from inside the VPC. Send AWS API traffic here. */
  public readonly endpointSecurityGroup: SecurityGroup;
  /** The S3 gateway endpoint's prefix list: the destination for S3 egress rules. */
  public readonly s3PrefixListId: string;
  /** Where the VPC's flow logs go. */
  public readonly flowLogGroup: CloudwatchLogGroup;

  public constructor(scope: Construct, id: string, props: VpcStackProps) {
    super(scope, id, props);
    const { settings, storage } = props;
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: CIDR,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: this.name('vpc') },
    });
    // Terraform strips every rule from the default group: nothing can rely on it by accident.
    new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: this.name('default-unused') },
    });
    this.flowLogGroup = this.flowLogs(storage);

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

    const s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${settings.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((t) => t.id),
      tags: { Name: this.name('s3') },
    });
    this.s3PrefixListId = s3Endpoint.prefixListId;

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
    this.endpointSecurityGroup = new SecurityGroup(this, 'endpoint-sg', {
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
    // AWS APIs only: S3 through the gateway endpoint, the rest through the interface endpoints.
    new VpcSecurityGroupEgressRule(this, 'lambda-https-s3', {
      securityGroupId: this.lambdaSecurityGroup.id,
      prefixListId: this.s3PrefixListId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    new VpcSecurityGroupEgressRule(this, 'lambda-https-endpoints', {
      securityGroupId: this.lambdaSecurityGroup.id,
      referencedSecurityGroupId: this.endpointSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    new VpcSecurityGroupIngressRule(this, 'endpoints-from-vpc', {
      securityGroupId: this.endpointSecurityGroup.id,
      cidrIpv4: CIDR,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    const services = ['secretsmanager', ...(settings.bastion ? SSM_ENDPOINTS : [])];
    for (const service of services) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${settings.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnets.map((s) => s.id),
        securityGroupIds: [this.endpointSecurityGroup.id],
        tags: { Name: this.name(service) },
      });
    }
  }

  /** Flow logs of all traffic to a log group encrypted with the project key, through a role scoped to it. */
  private flowLogs(storage: S3BucketsStack): CloudwatchLogGroup {
    const { region, logRetentionDays } = this.settings;
    const group = new CloudwatchLogGroup(this, 'flow-logs', {
      name: `/aws/vpc/${this.name('flow-logs')}`,
      retentionInDays: logRetentionDays,
      kmsKeyId: storage.key.arn,
    });
    const assume = new DataAwsIamPolicyDocument(this, 'flow-logs-assume', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [storage.accountId] },
            {
              test: 'ArnLike',
              variable: 'aws:SourceArn',
              values: [`arn:aws:ec2:${region}:${storage.accountId}:vpc-flow-log/*`],
            },
          ],
        },
      ],
    });
    const role = new IamRole(this, 'flow-logs-role', {
      name: this.name('vpc-flow-logs'),
      assumeRolePolicy: assume.json,
    });
    const write = new DataAwsIamPolicyDocument(this, 'flow-logs-write', {
      statement: [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [group.arn, `${group.arn}:*`],
        },
        // The service checks that the group exists; this action takes no narrower resource.
        { actions: ['logs:DescribeLogGroups'], resources: [`arn:aws:logs:${region}:${storage.accountId}:log-group:*`] },
      ],
    });
    new IamRolePolicy(this, 'flow-logs-policy', { role: role.id, policy: write.json });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: group.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 600,
      tags: { Name: this.name('vpc') },
    });
    return group;
  }
}
