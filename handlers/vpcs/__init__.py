"""VPCs on Neutron networks: create/delete (with the router and default security group every VPC
has), describe, attributes, secondary IPv4 ranges and the default VPC (docs/networking.md)."""
