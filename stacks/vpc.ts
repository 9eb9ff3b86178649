import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { Construct } from 'constructs';
import { ServiceRole, serviceTrust } from './constructs/serviceRole.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';

const CIDR = '10.0.0.0/16';

/** Interface endpoints Session Manager needs to reach an instance with no route to the internet. */
const SSM_ENDPOINTS = ['ssm', 'ssmmessages', 'ec2messages'] as const;

/**
 * Amazon's buckets the bastion reads through the S3 endpoint: the Amazon Linux 2023 package
 * repositories (dnf) and the SSM Agent's own (AWS's data-perimeter examples list them).
 */
export const BASTION_AMAZON_BUCKETS = (region: string) => [
  `al2023-repos-${region}-de612dc2`,
  `amazon-ssm-${region}`,
  `amazon-ssm-packages-${region}`,
  `aws-ssm-${region}`,
  `aws-ssm-document-attachments-${region}`,
  `${region}-birdwatcher-prod`,
  `patch-baseline-snapshot-${region}`,
];

/** Props of {@link VpcStack}. */
export interface VpcStackProps extends InsightFlowStackProps {
  /** The project key (flow-log encryption) and the account id. */
  storage: S3BucketsStack;
}

/**
 * `vpc`: two AZs of private subnets (the private addresses of the Python/HCL system InsightFlow
 * replaces) and no route to the internet — nothing the stacks put there may leave the VPC but
 * through its endpoints (every security group sends only to PostgreSQL, the S3 prefix list and the
 * endpoints), so that system's public subnets, internet gateway and NAT gateway had no user. An
 * S3 gateway endpoint and a Secrets Manager interface endpoint (and the SSM ones when the bastion
 * is enabled), each with a policy that admits only this account's principals to this account's
 * resources (and, for the bastion, Amazon's package and agent buckets); flow logs to an encrypted
 * log group; a default security group with no rules.
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

    this.privateSubnets = settings.availabilityZones.map(
      (az, i) =>
        new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: `10.0.${i + 3}.0/24`,
          availabilityZone: az,
          tags: { Name: this.name(`private-${az}`) },
        }),
    );

    const privateRouteTables = this.privateSubnets.map((subnet, i) => {
      const table = new RouteTable(this, `private-routes-${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: this.name(`private-${i}`) },
      });
      new RouteTableAssociation(this, `private-assoc-${i}`, { subnetId: subnet.id, routeTableId: table.id });
      return table;
    });

    const account = storage.accountId;
    const ownAccount = [
      { test: 'StringEquals', variable: 'aws:PrincipalAccount', values: [account] },
      { test: 'StringEquals', variable: 'aws:ResourceAccount', values: [account] },
    ];
    const s3Policy = new DataAwsIamPolicyDocument(this, 's3-endpoint-policy', {
      statement: [
        {
          sid: 'AccountPrincipalsToAccountResources',
          actions: ['*'],
          principals: [{ type: '*', identifiers: ['*'] }],
          resources: ['*'],
          condition: ownAccount,
        },
        ...(settings.bastion
          ? [
              {
                sid: 'AmazonBucketsTheBastionReads',
                actions: ['s3:GetObject'],
                principals: [{ type: '*', identifiers: ['*'] }],
                resources: BASTION_AMAZON_BUCKETS(settings.region).map((b) => `arn:aws:s3:::${b}/*`),
              },
            ]
          : []),
      ],
    });
    const s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${settings.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: privateRouteTables.map((t) => t.id),
      policy: s3Policy.json,
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
    // Secrets Manager names the secret; Session Manager's channels name no resource of the account.
    const interfacePolicy = (service: string) =>
      new DataAwsIamPolicyDocument(this, `${service}-endpoint-policy`, {
        statement: [
          {
            sid: service === 'secretsmanager' ? 'AccountPrincipalsToAccountResources' : 'AccountPrincipals',
            actions: ['*'],
            principals: [{ type: '*', identifiers: ['*'] }],
            resources: ['*'],
            condition: service === 'secretsmanager' ? ownAccount : ownAccount.slice(0, 1),
          },
        ],
      }).json;
    const services = ['secretsmanager', ...(settings.bastion ? SSM_ENDPOINTS : [])];
    for (const service of services) {
      new VpcEndpoint(this, `${service}-endpoint`, {
        policy: interfacePolicy(service),
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
    const role = new ServiceRole(this, 'flow-logs-role', {
      roleName: this.name('vpc-flow-logs'),
      trust: serviceTrust('vpc-flow-logs.amazonaws.com', {
        sourceAccount: storage.accountId,
        sourceArn: [`arn:aws:ec2:${region}:${storage.accountId}:vpc-flow-log/*`],
      }),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [group.arn, `${group.arn}:*`],
        },
        // The service checks that the group exists; this action takes no narrower resource.
        { actions: ['logs:DescribeLogGroups'], resources: [`arn:aws:logs:${region}:${storage.accountId}:log-group:*`] },
      ],
    });
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
