"""Launch templates, kept in ec2api's database with their versions (OpenStack has no counterpart)."""
