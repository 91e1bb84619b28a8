"""Security groups on Neutron security groups (the VPC contract: ``handlers/_groups.py``).

Modules: ``groups`` (Create/Delete/DescribeSecurityGroups), ``permissions`` (Authorize/Revoke
SecurityGroupIngress/Egress), ``rule_ops`` (DescribeSecurityGroupRules, ModifySecurityGroupRules,
UpdateSecurityGroupRuleDescriptions*); ``_rules`` maps EC2 permissions to Neutron rules and back,
``_view`` builds what Describe shows. A rule's ``sgr-`` id maps to its Neutron rule; Neutron rules are
immutable, so a change creates the new rule, then deletes the old one, and re-points the id.
"""
