import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { Construct } from 'constructs';
import { ServiceRole, serviceTrust } from './constructs/serviceRole.js';
import { SESSION_MANAGER_INSTANCE_ACTIONS } from './iamActions.js';
import { InsightFlowStack, type InsightFlowStackProps } from './insightflowStack.js';
import type { S3BucketsStack } from './s3Buckets.js';
import type { VpcStack } from './vpc.js';

/** AWS's public parameter naming the latest Amazon Linux 2023 arm64 AMI of the region. */
export const BASTION_AMI_PARAMETER = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';

/** Props of {@link BastionStack}. */
export interface BastionStackProps extends InsightFlowStackProps {
  network: VpcStack;
  storage: S3BucketsStack;
}

/**
 * `bastion` (optional): a private instance reached only through SSM Session Manager — no SSH,
 * no key pair, no public IP, no inbound rule — allowed out to PostgreSQL, the VPC's interface
 * endpoints (SSM) and S3 through the gateway endpoint (the Amazon Linux package repositories), on
 * the latest Amazon Linux 2023 AMI.
 */
export class BastionStack extends InsightFlowStack {
  public constructor(scope: Construct, id: string, props: BastionStackProps) {
    super(scope, id, props);
    const { network, storage } = props;
    // Session Manager's instance permissions, not AmazonSSMManagedInstanceCore (which adds Run
    // Command, inventory, patching and every SSM parameter). EC2 sets no aws:SourceAccount.
    const role = new ServiceRole(this, 'instance-role', {
      roleName: this.name('bastion'),
      trust: serviceTrust('ec2.amazonaws.com'),
      permissionsBoundary: storage.permissionsBoundary,
      statements: [
        {
          actions: SESSION_MANAGER_INSTANCE_ACTIONS,
          resources: ['*'],
        },
      ],
    });
    const profile = new IamInstanceProfile(this, 'profile', { name: this.name('bastion'), role: role.name });
    const group = new SecurityGroup(this, 'sg', {
      name: this.name('bastion'),
      description: 'SSM-only bastion: no ingress',
      vpcId: network.vpc.id,
    });
    new VpcSecurityGroupEgressRule(this, 'https-endpoints', {
      securityGroupId: group.id,
      referencedSecurityGroupId: network.endpointSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    // dnf reads the Amazon Linux 2023 repositories from S3.
    new VpcSecurityGroupEgressRule(this, 'https-s3', {
      securityGroupId: group.id,
      prefixListId: network.s3PrefixListId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
    });
    new VpcSecurityGroupEgressRule(this, 'postgres', {
      securityGroupId: group.id,
      referencedSecurityGroupId: network.databaseSecurityGroup.id,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
    });
    new VpcSecurityGroupIngressRule(this, 'database-from-bastion', {
      securityGroupId: network.databaseSecurityGroup.id,
      referencedSecurityGroupId: group.id,
      ipProtocol: 'tcp',
      fromPort: 5432,
      toPort: 5432,
    });
    const ami = new DataAwsSsmParameter(this, 'ami', { name: BASTION_AMI_PARAMETER, withDecryption: false });
    new Instance(this, 'instance', {
      ami: ami.insecureValue,
      instanceType: 't4g.micro',
      subnetId: (network.privateSubnets[0] as { id: string }).id,
      associatePublicIpAddress: false,
      iamInstanceProfile: profile.name,
      vpcSecurityGroupIds: [group.id],
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
      rootBlockDevice: { encrypted: true, kmsKeyId: storage.key.arn, volumeSize: 8 },
      // The provider's default tags reach the instance, not its volume: the apply role creates only tagged volumes.
      volumeTags: { project: 'insightflow', environment: props.settings.env, stack: id },
      tags: { Name: this.name('bastion') },
      // A newer AMI would otherwise replace the bastion on any apply; replace it deliberately
      // (terraform apply -replace=…) to move to the latest image.
      lifecycle: { ignoreChanges: ['ami'] },
    });
  }
}
