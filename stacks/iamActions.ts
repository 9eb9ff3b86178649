/**
 * Lists of IAM actions that more than one policy grants: a role that needs them, and the
 * environment's permissions boundary (`boundaryStatements()` in `deployAccess.ts`), which must
 * allow them too. Named once, so the boundary follows the roles.
 */

/** What configuring a state machine's log delivery changes. Log delivery is account-wide: on `*` only. */
export const LOG_DELIVERY_CHANGES = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
];

/** What a state machine's role needs to log (the Step Functions developer guide's list): the changes, and a read of the log groups. */
export const LOG_DELIVERY_ACTIONS = [...LOG_DELIVERY_CHANGES, 'logs:DescribeLogGroups'];

/**
 * What a function in a VPC needs for its network interfaces (Lambda creates and deletes them with
 * the function's role): AWSLambdaVPCAccessExecutionRole without its `logs:*` on every log group.
 * EC2 takes no narrower resource for a function whose interfaces Lambda names.
 */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Session Manager's instance actions (the SSM agent on the bastion), on `*` only. */
export const SESSION_MANAGER_INSTANCE_ACTIONS = [
  'ssm:UpdateInstanceInformation',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

/** What reading, adding and changing a Glue table's partitions takes (no deletion). */
export const GLUE_PARTITION_ACTIONS = [
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:CreatePartition',
  'glue:BatchCreatePartition',
  'glue:BatchGetPartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
];
