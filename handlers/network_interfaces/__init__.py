"""Network interfaces (ENIs) on Neutron ports (``handlers._interfaces`` has the mapping).

Modules: ``describe`` (DescribeNetworkInterfaces), ``lifecycle`` (Create/DeleteNetworkInterface),
``attach`` (Attach/DetachNetworkInterface), ``attributes`` (Describe/Modify/ResetNetworkInterfaceAttribute),
``addresses`` (Assign/UnassignPrivateIpAddresses, Assign/UnassignIpv6Addresses); ``_view`` is the
EC2 view of ports.
"""
